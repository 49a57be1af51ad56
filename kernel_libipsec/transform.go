package kernel_libipsec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// Transform protects ESP packets for one SA and one direction. It is the
// small interface the data plane needs of an ESP algorithm; the crypto
// package's crypto.NewESPTransform is meant to provide it, and newTransform
// below is the single place that constructs one.
//
// Both methods work in place on the ESP packet as it is on the wire, from the
// SPI to the end of the ICV:
//
//	SPI(4) | seq(4) | IV(IVSize) | payload | padding | padlen(1) | next(1) | ICV(ICVSize)
//
// seq is the full 64-bit sequence number; its high half enters the ICV (and
// the AEAD's associated data, RFC 4106 §5, RFC 7634 §2) only when esn is set
// (RFC 4303 §2.2.1). Implementations are safe for concurrent use: the data
// plane seals and opens packets of one SA on several cores at once.
type Transform interface {
	// IVSize is the length of the IV on the wire.
	IVSize() int
	// ICVSize is the length of the integrity check value.
	ICVSize() int
	// BlockSize is the alignment of payload||padding||padlen||next.
	BlockSize() int
	// Seal writes the IV, encrypts the payload and trailer and writes the ICV.
	// The header (SPI, low sequence number) is already in place.
	Seal(esp []byte, seq uint64, esn bool) error
	// Open verifies the ICV and decrypts in place. It returns
	// ErrAuthentication when the packet is not authentic, and changes nothing
	// the caller relies on in that case.
	Open(esp []byte, seq uint64, esn bool) error
}

// ErrAuthentication is returned by Transform.Open for a packet whose ICV does
// not verify.
var ErrAuthentication = errors.New("ESP ICV verification failed")

// IKEv2 transform ids the data plane supports (IANA "Transform Type 1" and
// "Transform Type 3"). The crypto package names them too; the values are the
// wire numbers, so they cannot differ.
const (
	encrAESCBC           = 12
	encrAESGCM8          = 18
	encrAESGCM12         = 19
	encrAESGCM16         = 20
	encrChaCha20Poly1305 = 28

	authNone             = 0
	authHMACSHA1_96      = 2
	authHMACSHA2_256_128 = 12
	authHMACSHA2_384_192 = 13
	authHMACSHA2_512_256 = 14
)

// newTransform builds the transform for an SA's algorithms and keys. For the
// AEADs the key carries the 4-byte salt at its end, as strongSwan's keymat
// hands it over (RFC 4106 §8.1, RFC 7634 §4).
//
// TODO(crypto): once the crypto package lands on main this becomes
// crypto.NewESPTransform(encAlg, encKey, intAlg, intKey); the adapters below
// are thin compositions of the standard library that exist only until then.
func newTransform(encAlg uint16, encKey []byte, intAlg uint16, intKey []byte) (Transform, error) {
	switch encAlg {
	case encrAESGCM8, encrAESGCM12, encrAESGCM16:
		if intAlg != authNone {
			return nil, fmt.Errorf("AES-GCM with an integrity algorithm (%d)", intAlg)
		}
		icv := map[uint16]int{encrAESGCM8: 8, encrAESGCM12: 12, encrAESGCM16: 16}[encAlg]
		return newGCMTransform(encKey, icv)
	case encrChaCha20Poly1305:
		if intAlg != authNone {
			return nil, fmt.Errorf("ChaCha20-Poly1305 with an integrity algorithm (%d)", intAlg)
		}
		if len(encKey) != chacha20poly1305.KeySize+4 {
			return nil, fmt.Errorf("ChaCha20-Poly1305: key of %d bytes, want %d", len(encKey), chacha20poly1305.KeySize+4)
		}
		a, err := chacha20poly1305.New(encKey[:chacha20poly1305.KeySize])
		if err != nil {
			return nil, err
		}
		t := &aeadTransform{aead: a, icv: 16}
		copy(t.salt[:], encKey[chacha20poly1305.KeySize:])
		return t, nil
	case encrAESCBC:
		return newCBCTransform(encKey, intAlg, intKey)
	}
	return nil, fmt.Errorf("encryption algorithm %d: %w", encAlg, errUnsupported)
}

var errUnsupported = errors.New("not supported by kernel-libipsec")

// aeadTransform is an RFC 4106 / RFC 7634 style AEAD: nonce = salt || IV,
// AAD = SPI || [seq-hi ||] seq-lo, IV = the 64-bit sequence number (unique
// per key, which is all a counter-mode AEAD needs; strongSwan's libipsec
// uses the same sequence IV generator).
type aeadTransform struct {
	aead cipher.AEAD
	salt [4]byte
	icv  int
	// full is a 16-byte-tag AEAD used to check truncated (8-byte) GCM tags,
	// which the standard library cannot open directly; nil otherwise.
	block cipher.Block
	full  cipher.AEAD
	bufs  sync.Pool // *[]byte scratch for truncated tags
	// scr holds nonce and AAD: passed through the cipher.AEAD interface they
	// would escape to the heap on every packet if they lived on the stack.
	scr sync.Pool // *aeadScratch
}

type aeadScratch struct {
	nonce [12]byte
	aad   [12]byte
}

func (t *aeadTransform) getScratch() *aeadScratch {
	if s, ok := t.scr.Get().(*aeadScratch); ok {
		return s
	}
	return new(aeadScratch)
}

func newGCMTransform(key []byte, icv int) (Transform, error) {
	if len(key) != 16+4 && len(key) != 24+4 && len(key) != 32+4 {
		return nil, fmt.Errorf("AES-GCM: key of %d bytes", len(key))
	}
	block, err := aes.NewCipher(key[:len(key)-4])
	if err != nil {
		return nil, err
	}
	t := &aeadTransform{icv: icv}
	copy(t.salt[:], key[len(key)-4:])
	if icv >= 12 {
		t.aead, err = cipher.NewGCMWithTagSize(block, icv)
		return t, err
	}
	// GCM with an 8-byte ICV: seal with the full tag and truncate; open by
	// decrypting with CTR and re-deriving the tag (see Open).
	t.full, err = cipher.NewGCM(block)
	t.aead = t.full
	t.block = block
	return t, err
}

func (t *aeadTransform) IVSize() int    { return 8 }
func (t *aeadTransform) ICVSize() int   { return t.icv }
func (t *aeadTransform) BlockSize() int { return 4 }

// aad builds the associated data in a fixed array: SPI || seq-hi || seq-lo
// with ESN, SPI || seq-lo without.
func aeadAAD(aad *[12]byte, esp []byte, seq uint64, esn bool) []byte {
	copy(aad[:4], esp[:4])
	if esn {
		binary.BigEndian.PutUint32(aad[4:], uint32(seq>>32))
		binary.BigEndian.PutUint32(aad[8:], uint32(seq))
		return aad[:12]
	}
	copy(aad[4:8], esp[4:8])
	return aad[:8]
}

func (t *aeadTransform) Seal(esp []byte, seq uint64, esn bool) error {
	if len(esp) < 16+t.icv {
		return errShort
	}
	binary.BigEndian.PutUint64(esp[8:16], seq)
	sc := t.getScratch()
	defer t.scr.Put(sc)
	nonce := &sc.nonce
	copy(nonce[:4], t.salt[:])
	copy(nonce[4:], esp[8:16])
	aad := aeadAAD(&sc.aad, esp, seq, esn)
	plain := esp[16 : len(esp)-t.icv]
	if t.full != nil && t.icv < 16 {
		// The standard library only makes 12- to 16-byte tags: seal with the
		// full tag and keep its first icv bytes. The data plane leaves tail
		// room in its buffers, so this normally happens in place and the
		// surplus tag bytes land beyond len(esp), where nobody reads them.
		if cap(esp)-len(esp) >= 16-t.icv {
			t.full.Seal(plain[:0], nonce[:], plain, aad)
			return nil
		}
		bp := t.scratch(len(plain) + 16)
		out := t.full.Seal((*bp)[:0], nonce[:], plain, aad)
		copy(esp[16:], out[:len(plain)+t.icv])
		t.bufs.Put(bp)
		return nil
	}
	t.aead.Seal(plain[:0], nonce[:], plain, aad)
	return nil
}

func (t *aeadTransform) Open(esp []byte, seq uint64, esn bool) error {
	if len(esp) < 16+t.icv {
		return errShort
	}
	sc := t.getScratch()
	defer t.scr.Put(sc)
	nonce := &sc.nonce
	copy(nonce[:4], t.salt[:])
	copy(nonce[4:], esp[8:16])
	aad := aeadAAD(&sc.aad, esp, seq, esn)
	ct := esp[16:]
	if t.full != nil && t.icv < 16 {
		return t.openTruncated(ct, nonce[:], aad)
	}
	if _, err := t.aead.Open(ct[:0], nonce[:], ct, aad); err != nil {
		return ErrAuthentication
	}
	return nil
}

// openTruncated checks an 8-byte GCM tag: decrypt the ciphertext with the
// GCM counter stream into scratch space, seal that plaintext again to learn
// the full tag, and compare its first icv bytes in constant time. Only then
// is the plaintext copied over the ciphertext, so a forged packet leaves the
// buffer untouched.
func (t *aeadTransform) openTruncated(ct, nonce, aad []byte) error {
	n := len(ct) - t.icv
	bp := t.scratch(n + 16)
	scratch := (*bp)[:n]
	var ctr [16]byte
	copy(ctr[:12], nonce)
	binary.BigEndian.PutUint32(ctr[12:], 2) // counter 1 is the tag's block
	cipher.NewCTR(t.block, ctr[:]).XORKeyStream(scratch, ct[:n])
	sealed := t.full.Seal(scratch[:0:n+16], nonce, scratch, aad)
	tag := sealed[n : n+t.icv]
	ok := subtle.ConstantTimeCompare(tag, ct[n:]) == 1
	if ok {
		// scratch holds ciphertext again after Seal: decrypt the packet
		// itself now that it is known to be authentic.
		cipher.NewCTR(t.block, ctr[:]).XORKeyStream(ct[:n], ct[:n])
	}
	t.bufs.Put(bp)
	if !ok {
		return ErrAuthentication
	}
	return nil
}

func (t *aeadTransform) scratch(n int) *[]byte {
	bp, _ := t.bufs.Get().(*[]byte)
	if bp == nil || cap(*bp) < n {
		b := make([]byte, n)
		bp = &b
	}
	return bp
}

var errShort = errors.New("ESP packet too short")

// cbcTransform is AES-CBC with an HMAC ICV over SPI || seq || IV ||
// ciphertext [|| seq-hi] (RFC 4303 §2.2.1, RFC 3602, RFC 2404, RFC 4868). The
// IV is random, as CBC requires an unpredictable one.
type cbcTransform struct {
	block   cipher.Block
	newHash func() hash.Hash
	intKey  []byte
	icv     int
	macs    sync.Pool // *cbcState
}

type cbcState struct {
	mac  hash.Hash
	enc  cipher.BlockMode
	dec  cipher.BlockMode
	sum  [64]byte
	zero [16]byte
}

type ivSetter interface{ SetIV([]byte) }

func newCBCTransform(encKey []byte, intAlg uint16, intKey []byte) (Transform, error) {
	if len(encKey) != 16 && len(encKey) != 24 && len(encKey) != 32 {
		return nil, fmt.Errorf("AES-CBC: key of %d bytes", len(encKey))
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	t := &cbcTransform{block: block, intKey: append([]byte(nil), intKey...)}
	var keyLen int
	switch intAlg {
	case authHMACSHA1_96:
		t.newHash, t.icv, keyLen = sha1.New, 12, 20
	case authHMACSHA2_256_128:
		t.newHash, t.icv, keyLen = sha256.New, 16, 32
	case authHMACSHA2_384_192:
		t.newHash, t.icv, keyLen = sha512.New384, 24, 48
	case authHMACSHA2_512_256:
		t.newHash, t.icv, keyLen = sha512.New, 32, 64
	default:
		return nil, fmt.Errorf("integrity algorithm %d: %w", intAlg, errUnsupported)
	}
	if len(intKey) != keyLen {
		return nil, fmt.Errorf("integrity algorithm %d: key of %d bytes, want %d", intAlg, len(intKey), keyLen)
	}
	return t, nil
}

func (t *cbcTransform) state() *cbcState {
	if s, ok := t.macs.Get().(*cbcState); ok {
		return s
	}
	s := &cbcState{mac: hmac.New(t.newHash, t.intKey)}
	s.enc = cipher.NewCBCEncrypter(t.block, s.zero[:])
	s.dec = cipher.NewCBCDecrypter(t.block, s.zero[:])
	return s
}

func (t *cbcTransform) IVSize() int    { return 16 }
func (t *cbcTransform) ICVSize() int   { return t.icv }
func (t *cbcTransform) BlockSize() int { return 16 }

func (t *cbcTransform) mac(s *cbcState, authed []byte, seq uint64, esn bool) []byte {
	s.mac.Reset()
	s.mac.Write(authed)
	if esn {
		var hi [4]byte
		binary.BigEndian.PutUint32(hi[:], uint32(seq>>32))
		s.mac.Write(hi[:])
	}
	return s.mac.Sum(s.sum[:0])[:t.icv]
}

func (t *cbcTransform) Seal(esp []byte, seq uint64, esn bool) error {
	n := len(esp) - t.icv
	if n < 8+16 || (n-24)%16 != 0 {
		return errShort
	}
	iv := esp[8:24]
	if _, err := rand.Read(iv); err != nil {
		return err
	}
	s := t.state()
	s.enc.(ivSetter).SetIV(iv)
	s.enc.CryptBlocks(esp[24:n], esp[24:n])
	copy(esp[n:], t.mac(s, esp[:n], seq, esn))
	t.macs.Put(s)
	return nil
}

func (t *cbcTransform) Open(esp []byte, seq uint64, esn bool) error {
	n := len(esp) - t.icv
	if n < 8+16 || (n-24)%16 != 0 {
		return errShort
	}
	s := t.state()
	defer t.macs.Put(s)
	if !hmac.Equal(t.mac(s, esp[:n], seq, esn), esp[n:]) {
		return ErrAuthentication
	}
	s.dec.(ivSetter).SetIV(esp[8:24])
	s.dec.CryptBlocks(esp[24:n], esp[24:n])
	return nil
}
