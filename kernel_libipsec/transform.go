package kernel_libipsec

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/goswan/goswan/crypto"
)

// Transform protects ESP packets for one SA and one direction. Both methods
// work in place on the ESP packet as it is on the wire, from the SPI to the
// end of the ICV:
//
//	SPI(4) | seq(4) | IV(IVSize) | payload | padding | padlen(1) | next(1) | ICV(ICVSize)
//
// seq is the full 64-bit sequence number; its high half enters the ICV and
// the AEAD's associated data only for ESN SAs (RFC 4303 §2.2.1).
// Implementations are safe for concurrent use: the data plane seals and opens
// packets of one SA on several cores at once.
type Transform interface {
	IVSize() int
	ICVSize() int
	// BlockSize is the alignment of payload||padding||padlen||next.
	BlockSize() int
	// Seal writes the IV, encrypts the payload and trailer and writes the ICV.
	// The header (SPI, low sequence number) is already in place.
	Seal(esp []byte, seq uint64, esn bool) error
	// Open verifies the ICV and decrypts in place; ErrAuthentication if the
	// packet is not authentic, in which case the payload is left untouched.
	Open(esp []byte, seq uint64, esn bool) error
}

// ErrAuthentication is returned by Transform.Open for a packet whose ICV does
// not verify.
var ErrAuthentication = crypto.ErrAuthentication

var (
	errShort       = errors.New("ESP packet too short")
	errUnsupported = errors.New("not supported by kernel-libipsec")
)

// espTransform lays the crypto package's ESP transform over the packet
// layout the data plane uses.
type espTransform struct {
	t          *crypto.ESPTransform
	ivs, icvs  int
	blockAlign int
}

// newTransform builds the transform for an SA's algorithms and keys as the
// kernel interface hands them over: IKEv2 transform ids, and for AEAD and
// counter modes the salt at the end of the encryption key (RFC 4106 §8.1,
// RFC 7634 §4), as XFRM takes them too.
func newTransform(enc crypto.EncryptionAlgorithm, encKey []byte, integ crypto.IntegrityAlgorithm, intKey []byte, esn bool) (Transform, error) {
	if !enc.Supported() {
		return nil, fmt.Errorf("encryption algorithm %v: %w", enc, errUnsupported)
	}
	if integ != 0 && !integ.Supported() {
		return nil, fmt.Errorf("integrity algorithm %v: %w", integ, errUnsupported)
	}
	keyBits := (len(encKey) - enc.SaltSize()) * 8
	if _, err := enc.KeyBits(keyBits); err != nil {
		// Fixed-key transforms (ChaCha20-Poly1305) take 0.
		keyBits = 0
	}
	t, err := crypto.NewESPTransform(crypto.ESPConfig{
		Encryption: enc, KeyBits: keyBits, Integrity: integ,
		EncryptionKey: encKey, IntegrityKey: intKey, ESN: esn, Rand: rand.Reader,
	})
	if err != nil {
		return nil, err
	}
	return &espTransform{t: t, ivs: t.IVSize(), icvs: t.ICVSize(), blockAlign: t.BlockSize()}, nil
}

func (x *espTransform) IVSize() int    { return x.ivs }
func (x *espTransform) ICVSize() int   { return x.icvs }
func (x *espTransform) BlockSize() int { return x.blockAlign }

func (x *espTransform) Seal(esp []byte, seq uint64, _ bool) error {
	body := 8 + x.ivs
	if len(esp) < body+x.icvs {
		return errShort
	}
	iv := esp[8:body]
	x.t.GenerateIV(iv, seq)
	plain := esp[body : len(esp)-x.icvs]
	out, err := x.t.Seal(plain[:0], esp[:8], uint32(seq>>32), iv, plain)
	if err != nil {
		return err
	}
	if len(out) != len(plain)+x.icvs || &out[0] != &plain[0] {
		// Not enough capacity to seal in place: copy the result back.
		copy(esp[body:], out)
	}
	return nil
}

func (x *espTransform) Open(esp []byte, seq uint64, _ bool) error {
	body := 8 + x.ivs
	if len(esp) < body+x.icvs {
		return errShort
	}
	ct := esp[body:]
	out, err := x.t.Open(ct[:0], esp[:8], uint32(seq>>32), esp[8:body], ct)
	if err != nil {
		if errors.Is(err, crypto.ErrAuthentication) {
			return ErrAuthentication
		}
		return err
	}
	if len(out) > 0 && &out[0] != &ct[0] {
		copy(ct, out)
	}
	return nil
}
