package encoding

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
)

// Test-only implementations of Cipher on the standard library; the real
// ones live in package crypto. Both take their IVs from a queue (so a test
// can replay the IVs of a captured packet) or, when it is empty, from an
// io.Reader, and remember the last plaintext they opened (so a test can
// read the padding charon chose).

type ivSource struct {
	queue [][]byte
	rand  io.Reader
	// opened is the last plaintext Open produced, padding included.
	opened []byte
}

func (s *ivSource) GenerateIV(iv []byte) error {
	if len(s.queue) > 0 {
		next := s.queue[0]
		s.queue = s.queue[1:]
		if len(next) != len(iv) {
			return errors.New("queued IV has the wrong length")
		}
		copy(iv, next)
		return nil
	}
	if s.rand == nil {
		return errors.New("no IV source")
	}
	_, err := io.ReadFull(s.rand, iv)
	return err
}

// cbcHMAC is ENCR_AES_CBC with AUTH_HMAC_SHA2_256_128 (encrypt-then-MAC).
type cbcHMAC struct {
	ivSource
	block  cipher.Block
	macKey []byte
}

func newCBCHMAC(encKey, macKey []byte) *cbcHMAC {
	b, err := aes.NewCipher(encKey)
	if err != nil {
		panic(err)
	}
	return &cbcHMAC{block: b, macKey: macKey}
}

func (c *cbcHMAC) BlockSize() int { return aes.BlockSize }
func (c *cbcHMAC) IVSize() int    { return aes.BlockSize }
func (c *cbcHMAC) ICVSize() int   { return 16 }

func (c *cbcHMAC) mac(assoc, iv, ct []byte) []byte {
	h := hmac.New(sha256.New, c.macKey)
	h.Write(assoc)
	h.Write(iv)
	h.Write(ct)
	return h.Sum(nil)[:16]
}

func (c *cbcHMAC) Seal(dst, iv, plaintext, assoc []byte) ([]byte, error) {
	if len(plaintext)%aes.BlockSize != 0 {
		return dst, errors.New("plaintext not block aligned")
	}
	ct := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(c.block, iv).CryptBlocks(ct, plaintext)
	dst = append(dst, ct...)
	return append(dst, c.mac(assoc, iv, ct)...), nil
}

func (c *cbcHMAC) Open(dst, iv, ciphertext, assoc []byte) ([]byte, error) {
	if len(ciphertext) < 16 {
		return dst, errors.New("short")
	}
	ct, icv := ciphertext[:len(ciphertext)-16], ciphertext[len(ciphertext)-16:]
	if !hmac.Equal(icv, c.mac(assoc, iv, ct)) {
		return dst, errors.New("ICV mismatch")
	}
	if len(ct)%aes.BlockSize != 0 {
		return dst, errors.New("ciphertext not block aligned")
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c.block, iv).CryptBlocks(plain, ct)
	c.opened = plain
	return append(dst, plain...), nil
}

// gcm16 is ENCR_AES_GCM_16 (RFC 5282): 8-byte explicit IV after a 4-byte
// salt taken from the end of the key material.
type gcm16 struct {
	ivSource
	aead cipher.AEAD
	salt []byte
}

func newGCM16(keyAndSalt []byte) *gcm16 {
	key, salt := keyAndSalt[:len(keyAndSalt)-4], keyAndSalt[len(keyAndSalt)-4:]
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return &gcm16{aead: a, salt: salt}
}

func (c *gcm16) BlockSize() int { return 1 }
func (c *gcm16) IVSize() int    { return 8 }
func (c *gcm16) ICVSize() int   { return 16 }

func (c *gcm16) nonce(iv []byte) []byte { return append(append([]byte(nil), c.salt...), iv...) }

func (c *gcm16) Seal(dst, iv, plaintext, assoc []byte) ([]byte, error) {
	return c.aead.Seal(dst, c.nonce(iv), plaintext, assoc), nil
}

func (c *gcm16) Open(dst, iv, ciphertext, assoc []byte) ([]byte, error) {
	plain, err := c.aead.Open(nil, c.nonce(iv), ciphertext, assoc)
	if err != nil {
		return dst, err
	}
	c.opened = plain
	return append(dst, plain...), nil
}

// testCipher is what the tests need beyond Cipher.
type testCipher interface {
	Cipher
	src() *ivSource
}

func (c *cbcHMAC) src() *ivSource { return &c.ivSource }
func (c *gcm16) src() *ivSource   { return &c.ivSource }

// fixedReader returns the given bytes, then io.EOF.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// zeroReader yields zeros: deterministic "randomness" for tests that do not
// compare with captured bytes.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
