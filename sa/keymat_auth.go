package sa

import (
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// AuthOctets returns what an AUTH payload signs (RFC 7296 2.15): the
// IKE_SA_INIT message of the signing side, the other side's nonce and
// prf(SK_px, IDx'); verify selects the peer's SK_p (keymat_v2
// get_auth_octets).
func (k *Keymat) AuthOctets(lg bus.Logger, verify bool, ikeSAInit, nonce []byte, id *encoding.ID) ([]byte, error) {
	octets, err := k.authOctets(verify, ikeSAInit, nonce, id)
	if err != nil {
		return nil, err
	}
	lg.Logf(bus.IKE, bus.Raw, "octets = message + nonce + prf(Sk_px, IDx') %s", hexDump(octets))
	return octets, nil
}

// AddHashAlgorithm records a hash algorithm the peer announced in
// SIGNATURE_HASH_ALGORITHMS (RFC 7427).
func (k *Keymat) AddHashAlgorithm(h credentials.HashAlgorithm) {
	if !slices.Contains(k.hashAlgs, h) {
		k.hashAlgs = append(k.hashAlgs, h)
		slices.Sort(k.hashAlgs)
	}
}

// HashAlgorithmSupported reports whether the peer announced h.
func (k *Keymat) HashAlgorithmSupported(h credentials.HashAlgorithm) bool {
	return slices.Contains(k.hashAlgs, h)
}
