package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ESPConfig selects and keys one direction of an ESP SA.
type ESPConfig struct {
	Encryption EncryptionAlgorithm
	KeyBits    int                // as negotiated; 0 where the transform has no key length
	Integrity  IntegrityAlgorithm // AuthNone with an AEAD
	// EncryptionKey includes the salt for AES-GCM, AES-CTR and
	// ChaCha20-Poly1305, as DeriveChildKeys hands it out.
	EncryptionKey, IntegrityKey []byte
	// ESN: the SA uses 64-bit extended sequence numbers (RFC 4303 §2.2.1).
	ESN bool
	// Rand keys the IV generator of CBC ciphers (read once, at creation).
	Rand io.Reader
}

// ESPTransform is the cryptographic half of ESP (RFC 4303) for one SA
// direction, built for the userspace data plane: Seal and Open work into the
// caller's buffers (in place when dst aliases the input exactly) and, in steady
// state, allocate nothing. It is safe for concurrent use by several workers.
//
// Supported: AES-GCM with 8-, 12- and 16-byte ICVs (RFC 4106), ChaCha20-Poly1305
// (RFC 7634), and AES-CBC, AES-CTR, 3DES or NULL with any supported integrity
// algorithm. AES-GCM-8's Open and AES-CTR allocate (the standard library lacks
// the needed primitives); everything else does not.
type ESPTransform struct {
	aead      *aeadCore
	cls       *classic
	esn       bool
	ivSize    int
	icvSize   int
	blockSize int
	ivBlock   cipher.Block // encrypts the sequence number into a CBC IV
}

// NewESPTransform builds the transform described by c.
func NewESPTransform(c ESPConfig) (*ESPTransform, error) {
	t := &ESPTransform{esn: c.ESN, ivSize: c.Encryption.IVSize()}
	// ESP pads payload || pad || pad length || next header to the cipher's
	// block size, and in any case to 4 bytes (RFC 4303 §2.4).
	t.blockSize = max(4, c.Encryption.BlockSize())
	var err error
	if c.Encryption.IsAEAD() {
		if c.Integrity != AuthNone {
			return nil, fmt.Errorf("AEAD %v cannot be combined with integrity algorithm %v", c.Encryption, c.Integrity)
		}
		if t.aead, err = newAEADCore(c.Encryption, c.KeyBits, c.EncryptionKey); err != nil {
			return nil, err
		}
		t.icvSize = t.aead.icvSize
		return t, nil
	}
	if t.cls, err = newClassic(c.Encryption, c.KeyBits, c.Integrity, c.EncryptionKey, c.IntegrityKey); err != nil {
		return nil, err
	}
	t.icvSize = t.cls.icvSize
	if c.Encryption.row().mode == modeCBC {
		if c.Rand == nil {
			return nil, errors.New("ESP: CBC needs a random source for its IV key")
		}
		key := make([]byte, 16)
		defer clear(key)
		if _, err := io.ReadFull(c.Rand, key); err != nil {
			return nil, fmt.Errorf("ESP: generating IV key: %w", err)
		}
		t.ivBlock, _ = aes.NewCipher(key) // 16 bytes cannot fail
	}
	return t, nil
}

// IVSize is the length of the IV that follows the ESP header.
func (t *ESPTransform) IVSize() int { return t.ivSize }

// ICVSize is the length of the ICV that ends the packet.
func (t *ESPTransform) ICVSize() int { return t.icvSize }

// BlockSize is the alignment of payload || padding || pad length || next
// header.
func (t *ESPTransform) BlockSize() int { return t.blockSize }

// GenerateIV fills iv for the packet with 64-bit sequence number seq without
// reading randomness per packet. Counter modes and AEADs only need a unique IV,
// and the sequence number is (RFC 4106 §3.1, RFC 7634 §2). CBC needs an
// unpredictable one (RFC 3602 §2.3): it gets the sequence number encrypted under
// a random key held by the transform, the construction of Linux's seqiv
// generators, which is unpredictable to anyone without that key.
func (t *ESPTransform) GenerateIV(iv []byte, seq uint64) {
	if t.ivBlock == nil {
		if len(iv) >= 8 {
			clear(iv[:len(iv)-8])
			binary.BigEndian.PutUint64(iv[len(iv)-8:], seq)
		}
		return
	}
	s := getScratch()
	b := s.block[:]
	clear(b[:8])
	binary.BigEndian.PutUint64(b[8:], seq)
	t.ivBlock.Encrypt(b, b)
	copy(iv, b)
	putScratch(s)
}

// aad is the associated data of RFC 4106 §5 / RFC 7634 §2.1: SPI and the
// sequence number, with the high half of an extended one in between.
func (t *ESPTransform) aad(buf *[12]byte, hdr []byte, seqHi uint32) ([]byte, error) {
	if len(hdr) != 8 {
		return nil, fmt.Errorf("ESP header is %d bytes, want 8", len(hdr))
	}
	if !t.esn {
		copy(buf[:], hdr)
		return buf[:8], nil
	}
	copy(buf[:4], hdr[:4])
	binary.BigEndian.PutUint32(buf[4:], seqHi)
	copy(buf[8:], hdr[4:])
	return buf[:12], nil
}

// Seal encrypts plaintext (payload, padding, pad length and next header,
// aligned to BlockSize) and appends ciphertext || ICV to dst. hdr is the
// 8-byte ESP header (SPI, low 32 bits of the sequence number); seqHi is the
// high half of the sequence number and is ignored without ESN. dst may be
// plaintext[:0] for in-place encryption; with the capacity for the ICV (plus 8
// bytes for AES-GCM-8) nothing is allocated.
func (t *ESPTransform) Seal(dst, hdr []byte, seqHi uint32, iv, plaintext []byte) ([]byte, error) {
	if len(plaintext)%t.blockSize != 0 {
		return nil, fmt.Errorf("ESP plaintext of %d bytes is not aligned to %d", len(plaintext), t.blockSize)
	}
	if t.aead != nil {
		s := getScratch()
		defer putScratch(s)
		aad, err := t.aad(&s.aad, hdr, seqHi)
		if err != nil {
			return nil, err
		}
		return t.aead.seal(dst, iv, plaintext, aad)
	}
	if len(hdr) != 8 {
		return nil, fmt.Errorf("ESP header is %d bytes, want 8", len(hdr))
	}
	start := len(dst)
	out := grow(dst, len(plaintext)+t.icvSize)
	ct := out[start : start+len(plaintext)]
	if err := t.cls.crypt(ct, iv, plaintext, true); err != nil {
		return nil, err
	}
	s := getScratch()
	t.icv(s, out[start+len(plaintext):], hdr, iv, ct, seqHi)
	putScratch(s)
	return out, nil
}

// icv is the classic ICV over header || IV || ciphertext, followed for ESN by
// the implicit high sequence number bits (RFC 4303 §3.3.2.1).
func (t *ESPTransform) icv(s *scratch, out, hdr, iv, ct []byte, seqHi uint32) []byte {
	if !t.esn {
		return t.cls.icv(s, out, hdr, iv, ct, nil)
	}
	binary.BigEndian.PutUint32(s.hi[:], seqHi)
	return t.cls.icv(s, out, hdr, iv, ct, s.hi[:])
}

// Open verifies the ICV at the end of ciphertext and only then decrypts,
// appending the plaintext (padding and trailer included) to dst; dst may be
// ciphertext[:0]. A failed check returns ErrAuthentication.
func (t *ESPTransform) Open(dst, hdr []byte, seqHi uint32, iv, ciphertext []byte) ([]byte, error) {
	if t.aead != nil {
		s := getScratch()
		defer putScratch(s)
		aad, err := t.aad(&s.aad, hdr, seqHi)
		if err != nil {
			return nil, err
		}
		return t.aead.open(dst, iv, ciphertext, aad)
	}
	if len(hdr) != 8 {
		return nil, fmt.Errorf("ESP header is %d bytes, want 8", len(hdr))
	}
	if len(ciphertext) < t.icvSize {
		return nil, fmt.Errorf("ESP ciphertext of %d bytes is shorter than the %d-byte ICV", len(ciphertext), t.icvSize)
	}
	ct, got := ciphertext[:len(ciphertext)-t.icvSize], ciphertext[len(ciphertext)-t.icvSize:]
	s := getScratch()
	ok := hmac.Equal(t.icv(s, s.want[:], hdr, iv, ct, seqHi), got)
	putScratch(s)
	if !ok {
		return nil, ErrAuthentication
	}
	start := len(dst)
	out := grow(dst, len(ct))
	if err := t.cls.crypt(out[start:], iv, ct, false); err != nil {
		return nil, err
	}
	return out, nil
}
