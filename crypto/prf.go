package crypto

import (
	"errors"
	"fmt"
	"hash"
)

// ErrUnsupported is wrapped by every error about an algorithm goswan does not
// implement (a valid IKEv2 id, but not one of ours).
var ErrUnsupported = errors.New("algorithm not supported")

func (a PRFAlgorithm) row() *Algorithm { return row(TransformPRF, uint16(a)) }

// Supported reports whether goswan implements a.
func (a PRFAlgorithm) Supported() bool { return a.row().Supported() }

// Size is the output length of a in bytes (0 if unsupported).
func (a PRFAlgorithm) Size() int { return a.row().OutputSize }

// KeySize is the preferred key length of a in bytes: the length of SK_d, SK_pi
// and SK_pr (RFC 7296 §2.13). For HMAC that is the output length, as strongSwan
// and RFC 4868 §2.1.2 have it.
func (a PRFAlgorithm) KeySize() int { return a.row().KeySize }

// NewPRF returns a as a hash.Hash keyed with key: Write the data, Sum the
// output, Reset to reuse the key. AES-XCBC-PRF-128 (RFC 4434) and
// AES-CMAC-PRF-128 (RFC 4615) accept keys of any length and adjust them as those
// RFCs prescribe.
func NewPRF(a PRFAlgorithm, key []byte) (hash.Hash, error) {
	r := a.row()
	if !r.Supported() {
		return nil, fmt.Errorf("PRF %v: %w", a, ErrUnsupported)
	}
	return r.mac(key)
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
