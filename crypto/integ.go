package crypto

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// integSpec describes one integrity algorithm: a MAC whose output is
// truncated to the ICV length.
type integSpec struct {
	newMAC  func(key []byte) (hash.Hash, error)
	keySize int // bytes
	icvSize int // bytes, after truncation
}

func hmacInteg(h func() hash.Hash, keySize, icvSize int) integSpec {
	return integSpec{
		newMAC:  func(key []byte) (hash.Hash, error) { return hmac.New(h, key), nil },
		keySize: keySize,
		icvSize: icvSize,
	}
}

var integSpecs = map[IntegrityAlgorithm]integSpec{
	AuthHMACSHA1_96:      hmacInteg(sha1.New, 20, 12),                                                                 // RFC 2404
	AuthHMACSHA2_256_128: hmacInteg(sha256.New, 32, 16),                                                               // RFC 4868
	AuthHMACSHA2_384_192: hmacInteg(sha512.New384, 48, 24),                                                            // RFC 4868
	AuthHMACSHA2_512_256: hmacInteg(sha512.New, 64, 32),                                                               // RFC 4868
	AuthAESXCBC96:        {newMAC: func(k []byte) (hash.Hash, error) { return newXCBC(k) }, keySize: 16, icvSize: 12}, // RFC 3566
	AuthAESCMAC96:        {newMAC: func(k []byte) (hash.Hash, error) { return newCMAC(k) }, keySize: 16, icvSize: 12}, // RFC 4494
}

// Supported reports whether goswan implements a.
func (a IntegrityAlgorithm) Supported() bool { _, ok := integSpecs[a]; return ok }

// KeySize is the key length of a in bytes (SK_ai/SK_ar, or an ESP integrity
// key), 0 if unsupported.
func (a IntegrityAlgorithm) KeySize() int { return integSpecs[a].keySize }

// ICVSize is the length of the truncated MAC a appends, 0 if unsupported.
func (a IntegrityAlgorithm) ICVSize() int { return integSpecs[a].icvSize }

// NewIntegrity returns the untruncated MAC of a keyed with key; the ICV is
// the first ICVSize bytes of its Sum.
func NewIntegrity(a IntegrityAlgorithm, key []byte) (hash.Hash, error) {
	spec, ok := integSpecs[a]
	if !ok {
		return nil, fmt.Errorf("integrity algorithm %v: %w", a, ErrUnsupported)
	}
	if len(key) != spec.keySize {
		return nil, fmt.Errorf("integrity algorithm %v: key is %d bytes, want %d", a, len(key), spec.keySize)
	}
	return spec.newMAC(key)
}
