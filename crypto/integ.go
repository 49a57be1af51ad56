package crypto

import (
	"crypto/hmac"
	"fmt"
	"hash"
)

func (a IntegrityAlgorithm) row() *Algorithm { return row(TransformIntegrity, uint16(a)) }

// Supported reports whether goswan implements a.
func (a IntegrityAlgorithm) Supported() bool { return a.row().Supported() }

// KeySize is the key length of a in bytes (SK_ai/SK_ar, or an ESP integrity
// key), 0 if unsupported.
func (a IntegrityAlgorithm) KeySize() int { return a.row().KeySize }

// ICVSize is the length of the truncated MAC a appends, 0 if unsupported.
func (a IntegrityAlgorithm) ICVSize() int { return a.row().ICVSize }

// KernelName is the name XFRM knows a by, "" if charon installs it in no
// kernel.
func (a IntegrityAlgorithm) KernelName() string { return a.row().Kernel }

// KernelTruncBits is the truncation charon passes XFRM with
// XFRMA_ALG_AUTH_TRUNC, 0 where it uses plain XFRMA_ALG_AUTH and the
// kernel's default truncation.
func (a IntegrityAlgorithm) KernelTruncBits() int { return a.row().KernelTruncBits }

// PRF is the PRF on the same primitive as a, which an IKE proposal that names
// no PRF gets; ok is false for integrity algorithms without one.
func (a IntegrityAlgorithm) PRF() (prf PRFAlgorithm, ok bool) {
	p := a.row().PRF
	return p, p != 0
}

// hmacMAC is HMAC on h, keyed as given.
func hmacMAC(h func() hash.Hash) func(key []byte) (hash.Hash, error) {
	return func(key []byte) (hash.Hash, error) { return hmac.New(h, key), nil }
}

// NewIntegrity returns the untruncated MAC of a keyed with key; the ICV is
// the first ICVSize bytes of its Sum.
func NewIntegrity(a IntegrityAlgorithm, key []byte) (hash.Hash, error) {
	r := a.row()
	if !r.Supported() {
		return nil, fmt.Errorf("integrity algorithm %v: %w", a, ErrUnsupported)
	}
	if len(key) != r.KeySize {
		return nil, fmt.Errorf("integrity algorithm %v: key is %d bytes, want %d", a, len(key), r.KeySize)
	}
	return r.mac(key)
}
