package crypto

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// ErrAuthentication is returned when an ICV does not verify. It says nothing
// about why, so that a forger learns nothing.
var ErrAuthentication = errors.New("integrity check failed")

// aeadCore is an RFC 4106 / RFC 4309 / RFC 5282 / RFC 7634 AEAD: the key
// material ends in a salt (4 bytes, 3 for CCM), the nonce is salt || 8-byte
// explicit IV, and the tag may be truncated to icvSize.
type aeadCore struct {
	aead    cipher.AEAD
	block   cipher.Block // for the truncated-tag path of GCM
	salt    [4]byte
	saltLen int
	icvSize int
}

func newAEADCore(a EncryptionAlgorithm, keyBits int, keyMat []byte) (*aeadCore, error) {
	want, err := a.KeyMaterialSize(keyBits)
	if err != nil {
		return nil, err
	}
	if len(keyMat) != want {
		return nil, fmt.Errorf("%v: key material is %d bytes, want %d", a, len(keyMat), want)
	}
	r := a.row()
	key, salt := keyMat[:len(keyMat)-r.SaltSize], keyMat[len(keyMat)-r.SaltSize:]
	c := &aeadCore{icvSize: r.ICVSize, saltLen: r.SaltSize}
	copy(c.salt[:], salt)
	switch r.mode {
	case modeChaChaPoly:
		c.aead, err = chacha20poly1305.New(key)
	case modeGCM:
		if c.block, err = r.block(key); err != nil {
			return nil, err
		}
		// The standard library verifies tags of 12 to 16 bytes only. GCM's
		// shorter tags are the leading bytes of the full tag (NIST SP 800-38D
		// §7.1), so the 8-byte variant seals with 16 and truncates.
		tag := c.icvSize
		if tag < 12 {
			tag = 16
		}
		c.aead, err = cipher.NewGCMWithTagSize(c.block, tag)
	case modeCCM:
		if c.block, err = r.block(key); err != nil {
			return nil, err
		}
		c.aead, err = newCCM(c.block, c.saltLen+8, c.icvSize)
	default:
		return nil, fmt.Errorf("%v is not an AEAD: %w", a, ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// nonce builds salt || IV in s.
func (c *aeadCore) nonce(s *scratch, iv []byte) ([]byte, error) {
	if len(iv) != 8 {
		return nil, fmt.Errorf("AEAD IV is %d bytes, want 8", len(iv))
	}
	copy(s.nonce[:c.saltLen], c.salt[:c.saltLen])
	copy(s.nonce[c.saltLen:], iv)
	return s.nonce[:c.saltLen+8], nil
}

// seal appends ciphertext || ICV to dst. dst may alias plaintext exactly
// (in-place); the truncated GCM-8 variant needs 8 bytes of spare capacity
// beyond the ICV to stay allocation-free.
func (c *aeadCore) seal(dst, iv, plaintext, aad []byte) ([]byte, error) {
	s := getScratch()
	defer putScratch(s)
	n, err := c.nonce(s, iv)
	if err != nil {
		return nil, err
	}
	out := c.aead.Seal(dst, n, plaintext, aad)
	if extra := c.aead.Overhead() - c.icvSize; extra > 0 {
		clear(out[len(out)-extra:])
		out = out[:len(out)-extra]
	}
	return out, nil
}

// open verifies and decrypts ciphertext || ICV, appending the plaintext to dst.
func (c *aeadCore) open(dst, iv, ciphertext, aad []byte) ([]byte, error) {
	s := getScratch()
	defer putScratch(s)
	n, err := c.nonce(s, iv)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < c.icvSize {
		return nil, fmt.Errorf("ciphertext of %d bytes is shorter than the %d-byte ICV", len(ciphertext), c.icvSize)
	}
	if c.aead.Overhead() == c.icvSize {
		out, err := c.aead.Open(dst, n, ciphertext, aad)
		if err != nil {
			return nil, ErrAuthentication
		}
		return out, nil
	}
	return c.openTruncatedGCM(dst, n, ciphertext, aad)
}

// openTruncatedGCM handles AES-GCM with an 8-byte ICV, which the standard
// library cannot verify directly: it recomputes the full tag by decrypting with
// GCM's own counter stream (J0+1 onwards, RFC 4106 §3 / SP 800-38D §7.2) and
// sealing the result again, then compares the leading bytes. The plaintext
// only becomes visible in dst once the tag has matched.
func (c *aeadCore) openTruncatedGCM(dst, n, ciphertext, aad []byte) ([]byte, error) {
	ct, icv := ciphertext[:len(ciphertext)-c.icvSize], ciphertext[len(ciphertext)-c.icvSize:]
	var ctr [16]byte
	copy(ctr[:12], n)
	binary.BigEndian.PutUint32(ctr[12:], 2)
	plain := make([]byte, len(ct))
	cipher.NewCTR(c.block, ctr[:]).XORKeyStream(plain, ct)
	resealed := c.aead.Seal(nil, n, plain, aad)
	if subtle.ConstantTimeCompare(resealed[len(ct):len(ct)+c.icvSize], icv) != 1 {
		clear(plain)
		return nil, ErrAuthentication
	}
	return append(dst, plain...), nil
}
