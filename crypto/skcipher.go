package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// SKCipher protects the contents of an IKEv2 SK or SKF payload. Its method set
// is exactly encoding.Cipher's (package encoding declares that interface and
// knows nothing of the implementations; a *SKCipher value satisfies it).
type SKCipher interface {
	BlockSize() int
	IVSize() int
	ICVSize() int
	GenerateIV(iv []byte) error
	Seal(dst, iv, plaintext, assoc []byte) ([]byte, error)
	Open(dst, iv, ciphertext, assoc []byte) ([]byte, error)
}

// NewSKCipher builds the SK payload cipher for one direction of an IKE SA:
// encr with keyBits (as negotiated; 0 where the transform has no key length)
// keyed with encKey (SK_ei or SK_er, salt included for AEADs), and, for
// classic ciphers, integ keyed with integKey (SK_ai or SK_ar). AEADs take
// AuthNone and no integKey. IVs come from rand (see iv.go).
func NewSKCipher(encr EncryptionAlgorithm, keyBits int, integ IntegrityAlgorithm, encKey, integKey []byte, rand io.Reader) (SKCipher, error) {
	if encr.ESPOnly() {
		return nil, fmt.Errorf("%v is not allowed for IKE", encr)
	}
	ivg, err := newIVGenerator(encr, rand)
	if err != nil {
		return nil, err
	}
	return newSK(encr, keyBits, integ, encKey, integKey, ivg)
}

// NewLazySKCipher is NewSKCipher for an IKE_SA that sends a message now
// and then: it keeps the keys (which the SA keeps anyway) and the IV state,
// and builds the cipher for each Seal and Open. A built cipher holds the
// expanded keys, MAC states and their pools, about 750 bytes a direction,
// which with a hundred thousand idle IKE_SAs is more than their other
// state; building one costs a key expansion per message.
func NewLazySKCipher(encr EncryptionAlgorithm, keyBits int, integ IntegrityAlgorithm, encKey, integKey []byte, rand io.Reader) (SKCipher, error) {
	c, err := NewSKCipher(encr, keyBits, integ, encKey, integKey, rand)
	if err != nil {
		return nil, err
	}
	l := &lazySK{encr: encr, keyBits: keyBits, integ: integ, encKey: encKey, integKey: integKey,
		blockSize: c.BlockSize(), ivSize: c.IVSize(), icvSize: c.ICVSize()}
	switch c := c.(type) {
	case *aeadSK:
		l.iv = c.iv
	case *classicSK:
		l.iv = c.iv
	}
	return l, nil
}

// lazySK is an SK cipher built anew for each message (NewLazySKCipher).
type lazySK struct {
	encr                       EncryptionAlgorithm
	keyBits                    int
	integ                      IntegrityAlgorithm
	encKey, integKey           []byte
	iv                         ivGenerator
	blockSize, ivSize, icvSize int
}

func (l *lazySK) BlockSize() int             { return l.blockSize }
func (l *lazySK) IVSize() int                { return l.ivSize }
func (l *lazySK) ICVSize() int               { return l.icvSize }
func (l *lazySK) GenerateIV(iv []byte) error { return l.iv.generate(iv) }

func (l *lazySK) Seal(dst, iv, plaintext, assoc []byte) ([]byte, error) {
	c, err := newSK(l.encr, l.keyBits, l.integ, l.encKey, l.integKey, l.iv)
	if err != nil {
		return nil, err
	}
	return c.Seal(dst, iv, plaintext, assoc)
}

func (l *lazySK) Open(dst, iv, ciphertext, assoc []byte) ([]byte, error) {
	c, err := newSK(l.encr, l.keyBits, l.integ, l.encKey, l.integKey, l.iv)
	if err != nil {
		return nil, err
	}
	return c.Open(dst, iv, ciphertext, assoc)
}

// newSK builds an SK cipher around an IV generator.
func newSK(encr EncryptionAlgorithm, keyBits int, integ IntegrityAlgorithm, encKey, integKey []byte, ivg ivGenerator) (SKCipher, error) {
	if encr.IsAEAD() {
		if integ != AuthNone || len(integKey) != 0 {
			return nil, fmt.Errorf("AEAD %v cannot be combined with integrity algorithm %v", encr, integ)
		}
		core, err := newAEADCore(encr, keyBits, encKey)
		if err != nil {
			return nil, err
		}
		return &aeadSK{core: core, iv: ivg, ivSize: encr.IVSize()}, nil
	}
	cls, err := newClassic(encr, keyBits, integ, encKey, integKey)
	if err != nil {
		return nil, err
	}
	return &classicSK{classic: cls, iv: ivg}, nil
}

// aeadSK is the SK cipher for AES-GCM and ChaCha20-Poly1305 (RFC 5282, 7634):
// the associated data is the message up to the SK payload header.
type aeadSK struct {
	core   *aeadCore
	iv     ivGenerator
	ivSize int
}

func (s *aeadSK) BlockSize() int             { return 1 }
func (s *aeadSK) IVSize() int                { return s.ivSize }
func (s *aeadSK) ICVSize() int               { return s.core.icvSize }
func (s *aeadSK) GenerateIV(iv []byte) error { return s.iv.generate(iv) }

func (s *aeadSK) Seal(dst, iv, plaintext, assoc []byte) ([]byte, error) {
	return s.core.seal(dst, iv, plaintext, assoc)
}

func (s *aeadSK) Open(dst, iv, ciphertext, assoc []byte) ([]byte, error) {
	return s.core.open(dst, iv, ciphertext, assoc)
}

// classic is encrypt-then-MAC with a block or counter-mode cipher: the shared
// engine of the SK cipher and the ESP transform. It is safe for concurrent
// use; per-call MAC and mode state comes from a pool so that steady-state
// operation does not allocate.
type classic struct {
	encr      EncryptionAlgorithm
	mode      encrMode
	block     cipher.Block
	blockSize int
	ivSize    int
	salt      [4]byte // AES-CTR nonce (RFC 3686)
	icvSize   int
	macs      sync.Pool // of hash.Hash
	cbcs      sync.Pool // of *cbcModes
}

// cbcModes is a reusable pair of CBC modes; the standard library's AES and DES
// modes can be re-armed with SetIV, which avoids an allocation per message.
type cbcModes struct{ enc, dec cipher.BlockMode }

type ivSetter interface{ SetIV([]byte) }

func newClassic(encr EncryptionAlgorithm, keyBits int, integ IntegrityAlgorithm, encKey, integKey []byte) (*classic, error) {
	want, err := encr.KeyMaterialSize(keyBits)
	if err != nil {
		return nil, err
	}
	if len(encKey) != want {
		return nil, fmt.Errorf("%v: key material is %d bytes, want %d", encr, len(encKey), want)
	}
	r := encr.row()
	c := &classic{encr: encr, mode: r.mode, blockSize: r.BlockSize, ivSize: r.IVSize, icvSize: integ.ICVSize()}
	switch r.mode {
	case modeCBC:
		c.block, err = r.block(encKey)
	case modeCTR:
		copy(c.salt[:], encKey[len(encKey)-4:])
		c.block, err = r.block(encKey[:len(encKey)-4])
	case modeNull:
	default:
		return nil, fmt.Errorf("encryption algorithm %v: %w", encr, ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	if integ == AuthNone {
		return nil, errors.New("a classic cipher needs an integrity algorithm")
	}
	mac, err := NewIntegrity(integ, integKey)
	if err != nil {
		return nil, err
	}
	key := append([]byte(nil), integKey...)
	c.macs.New = func() any {
		m, _ := NewIntegrity(integ, key) // validated above
		return m
	}
	c.macs.Put(mac)
	return c, nil
}

// crypt encrypts or decrypts src into dst (same length, may alias exactly).
func (c *classic) crypt(dst, iv, src []byte, encrypt bool) error {
	if len(iv) != c.ivSize {
		return fmt.Errorf("%v: IV is %d bytes, want %d", c.encr, len(iv), c.ivSize)
	}
	if len(src)%c.blockSize != 0 {
		return fmt.Errorf("%v: %d bytes are not a multiple of the %d-byte block", c.encr, len(src), c.blockSize)
	}
	switch c.mode {
	case modeNull:
		copy(dst, src)
	case modeCTR:
		// RFC 3686 §4: nonce || IV || 32-bit block counter starting at 1.
		var ctr [aes.BlockSize]byte
		copy(ctr[:4], c.salt[:])
		copy(ctr[4:12], iv)
		ctr[15] = 1
		cipher.NewCTR(c.block, ctr[:]).XORKeyStream(dst, src)
	default:
		m, _ := c.cbcs.Get().(*cbcModes)
		if m == nil {
			m = &cbcModes{enc: cipher.NewCBCEncrypter(c.block, iv), dec: cipher.NewCBCDecrypter(c.block, iv)}
		}
		mode := m.dec
		if encrypt {
			mode = m.enc
		}
		if s, ok := mode.(ivSetter); ok {
			s.SetIV(iv)
		} else if encrypt {
			mode = cipher.NewCBCEncrypter(c.block, iv)
		} else {
			mode = cipher.NewCBCDecrypter(c.block, iv)
		}
		mode.CryptBlocks(dst, src)
		c.cbcs.Put(m)
	}
	return nil
}

// icv computes the truncated MAC over a || b || c || d into out, using s
// for the full MAC value.
func (c *classic) icv(s *scratch, out, a, b, ct, d []byte) []byte {
	m := c.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(a)
	m.Write(b)
	m.Write(ct)
	m.Write(d)
	full := m.Sum(s.sum[:0])
	m.Reset()
	c.macs.Put(m)
	copy(out, full[:c.icvSize])
	return out[:c.icvSize]
}

// classicSK is the SK cipher for AES-CBC/AES-CTR/3DES with an integrity
// algorithm: ICV = MAC(assoc || IV || ciphertext) (RFC 7296 §3.14).
type classicSK struct {
	*classic
	iv ivGenerator
}

func (s *classicSK) BlockSize() int             { return s.blockSize }
func (s *classicSK) IVSize() int                { return s.ivSize }
func (s *classicSK) ICVSize() int               { return s.icvSize }
func (s *classicSK) GenerateIV(iv []byte) error { return s.iv.generate(iv) }

func (s *classicSK) Seal(dst, iv, plaintext, assoc []byte) ([]byte, error) {
	start := len(dst)
	out := grow(dst, len(plaintext)+s.icvSize)
	ct := out[start : start+len(plaintext)]
	if err := s.crypt(ct, iv, plaintext, true); err != nil {
		return nil, err
	}
	sc := getScratch()
	s.icv(sc, out[start+len(plaintext):], assoc, iv, ct, nil)
	putScratch(sc)
	return out, nil
}

func (s *classicSK) Open(dst, iv, ciphertext, assoc []byte) ([]byte, error) {
	if len(ciphertext) < s.icvSize {
		return nil, fmt.Errorf("ciphertext of %d bytes is shorter than the %d-byte ICV", len(ciphertext), s.icvSize)
	}
	ct, got := ciphertext[:len(ciphertext)-s.icvSize], ciphertext[len(ciphertext)-s.icvSize:]
	sc := getScratch()
	ok := hmac.Equal(s.icv(sc, sc.want[:], assoc, iv, ct, nil), got)
	putScratch(sc)
	if !ok {
		return nil, ErrAuthentication
	}
	start := len(dst)
	out := grow(dst, len(ct))
	if err := s.crypt(out[start:], iv, ct, false); err != nil {
		return nil, err
	}
	return out, nil
}

// grow extends b by n bytes, reallocating only when its capacity is short.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*len(b)+n)
	copy(nb, b)
	return nb
}
