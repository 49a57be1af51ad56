package crypto

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
)

// ErrUnsupported is wrapped by every error about an algorithm goswan does not
// implement (a valid IKEv2 id, but not one of ours).
var ErrUnsupported = errors.New("algorithm not supported")

// prfSpec describes how to build one PRF.
type prfSpec struct {
	newMAC  func(key []byte) (hash.Hash, error)
	size    int  // output length in bytes
	keySize int  // preferred key length (RFC 7296 §2.13)
	fixed   bool // fixed-key PRF: SKEYSEED uses only half of each nonce as key
}

func hmacPRF(h func() hash.Hash, size int) prfSpec {
	return prfSpec{
		newMAC:  func(key []byte) (hash.Hash, error) { return hmac.New(h, key), nil },
		size:    size,
		keySize: size, // IKEv2 uses the output length as the key length for HMAC
	}
}

var prfSpecs = map[PRFAlgorithm]prfSpec{
	PRFHMACSHA1:     hmacPRF(sha1.New, sha1.Size),
	PRFHMACSHA2_256: hmacPRF(sha256.New, sha256.Size),
	PRFHMACSHA2_384: hmacPRF(sha512.New384, sha512.Size384),
	PRFHMACSHA2_512: hmacPRF(sha512.New, sha512.Size),
	PRFAES128XCBC:   {newMAC: newXCBCPRF, size: 16, keySize: 16, fixed: true},
	PRFAES128CMAC:   {newMAC: newCMACPRF, size: 16, keySize: 16, fixed: true},
}

// Supported reports whether goswan implements a.
func (a PRFAlgorithm) Supported() bool { _, ok := prfSpecs[a]; return ok }

// Size is the output length of a in bytes (0 if unsupported).
func (a PRFAlgorithm) Size() int { return prfSpecs[a].size }

// KeySize is the preferred key length of a in bytes: the length of SK_d, SK_pi
// and SK_pr (RFC 7296 §2.13). For HMAC that is the output length, as strongSwan
// and RFC 4868 §2.1.2 have it.
func (a PRFAlgorithm) KeySize() int { return prfSpecs[a].keySize }

// NewPRF returns a as a hash.Hash keyed with key: Write the data, Sum the
// output, Reset to reuse the key. AES-XCBC-PRF-128 (RFC 4434) and
// AES-CMAC-PRF-128 (RFC 4615) accept keys of any length and adjust them as those
// RFCs prescribe.
func NewPRF(a PRFAlgorithm, key []byte) (hash.Hash, error) {
	spec, ok := prfSpecs[a]
	if !ok {
		return nil, fmt.Errorf("PRF %v: %w", a, ErrUnsupported)
	}
	return spec.newMAC(key)
}

// PRFSum computes prf(key, data[0] | data[1] | ...).
func PRFSum(a PRFAlgorithm, key []byte, data ...[]byte) ([]byte, error) {
	h, err := NewPRF(a, key)
	if err != nil {
		return nil, err
	}
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil), nil
}

// ErrPRFPlusTooLong is returned when more key material is asked of prf+ than
// its one-octet counter allows (255 PRF outputs, RFC 7296 §2.13).
var ErrPRFPlusTooLong = errors.New("prf+: more than 255 iterations requested")

// PRFPlus computes the first n bytes of prf+(key, seed) (RFC 7296 §2.13):
//
//	T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), prf+ = T1 | T2 | ...
func PRFPlus(a PRFAlgorithm, key, seed []byte, n int) ([]byte, error) {
	h, err := NewPRF(a, key)
	if err != nil {
		return nil, err
	}
	size := h.Size()
	if n > 255*size {
		return nil, fmt.Errorf("%w (%d bytes of %v)", ErrPRFPlusTooLong, n, a)
	}
	out := make([]byte, 0, n+size)
	var prev []byte
	for counter := byte(1); len(out) < n; counter++ {
		h.Reset()
		h.Write(prev)
		h.Write(seed)
		h.Write([]byte{counter})
		start := len(out)
		out = h.Sum(out)
		prev = out[start:]
	}
	// Wipe the surplus of the last block before handing the slice out.
	clear(out[n:cap(out)])
	return out[:n:n], nil
}
