package crypto

import (
	"crypto/ecdh"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/cloudflare/circl/dh/x448"
)

// nistCurves maps the RFC 5903 groups onto crypto/ecdh.
var nistCurves = map[KeyExchangeMethod]ecdh.Curve{
	ECP256: ecdh.P256(),
	ECP384: ecdh.P384(),
	ECP521: ecdh.P521(),
}

// ecdhKE covers the NIST curves (RFC 5903) and X25519 (RFC 8031) on
// crypto/ecdh.
type ecdhKE struct {
	method KeyExchangeMethod
	priv   *ecdh.PrivateKey
	public []byte
}

func (k *ecdhKE) Method() KeyExchangeMethod { return k.method }
func (k *ecdhKE) PublicValue() []byte       { return append([]byte(nil), k.public...) }

func newNIST(m KeyExchangeMethod, rand io.Reader) (KeyExchange, error) {
	curve := nistCurves[m]
	// crypto/ecdh's GenerateKey ignores its reader since Go 1.26, so the
	// scalar is drawn here from the injected source and checked by
	// NewPrivateKey (it rejects 0 and values >= n; retry on those).
	size := map[KeyExchangeMethod]int{ECP256: 32, ECP384: 48, ECP521: 66}[m]
	buf := make([]byte, size)
	defer clear(buf)
	for {
		if err := readScalar(rand, buf); err != nil {
			return nil, err
		}
		if m == ECP521 {
			buf[0] &= 0x01 // the order has 521 bits
		}
		priv, err := curve.NewPrivateKey(buf)
		if err != nil {
			continue
		}
		// RFC 5903 §7: the KE data is x || y without SEC 1's 0x04 prefix.
		return &ecdhKE{method: m, priv: priv, public: priv.PublicKey().Bytes()[1:]}, nil
	}
}

// nistPeerKey decodes x || y and checks that the point is on the curve
// (crypto/ecdh rejects off-curve points and the point at infinity).
func nistPeerKey(m KeyExchangeMethod, value []byte) (*ecdh.PublicKey, error) {
	if err := checkSize(m, value); err != nil {
		return nil, err
	}
	sec1 := make([]byte, 1+len(value))
	sec1[0] = 4
	copy(sec1[1:], value)
	pub, err := nistCurves[m].NewPublicKey(sec1)
	if err != nil {
		return nil, fmt.Errorf("%w: %v point not on the curve", ErrInvalidPublicValue, m)
	}
	return pub, nil
}

func validateNIST(m KeyExchangeMethod, value []byte) error {
	_, err := nistPeerKey(m, value)
	return err
}

func newX25519(m KeyExchangeMethod, rand io.Reader) (KeyExchange, error) {
	buf := make([]byte, 32)
	defer clear(buf)
	if err := readScalar(rand, buf); err != nil {
		return nil, err
	}
	priv, err := ecdh.X25519().NewPrivateKey(buf)
	if err != nil {
		return nil, err
	}
	return &ecdhKE{method: m, priv: priv, public: priv.PublicKey().Bytes()}, nil
}

func (k *ecdhKE) SharedSecret(peer []byte) ([]byte, error) {
	var pub *ecdh.PublicKey
	var err error
	if k.method == Curve25519 {
		// No validateMontgomery first: it costs a scalar multiplication
		// (a sixth of an IKE_SA's CPU), and the ECDH below refuses the
		// same low-order points by their all-zero result.
		if err = checkSize(Curve25519, peer); err != nil {
			return nil, err
		}
		pub, err = ecdh.X25519().NewPublicKey(peer)
	} else {
		pub, err = nistPeerKey(k.method, peer)
	}
	if err != nil {
		return nil, err
	}
	secret, err := k.priv.ECDH(pub)
	if err != nil {
		// X25519 with a low-order point yields all zeros, which crypto/ecdh
		// refuses (RFC 7748 §6.1, RFC 8031 §2.3).
		if k.method == Curve25519 {
			return nil, fmt.Errorf("%w: %v low-order point", ErrInvalidPublicValue, k.method)
		}
		return nil, fmt.Errorf("%w: %v: %v", ErrInvalidPublicValue, k.method, err)
	}
	return secret, nil
}

// validateMontgomery checks an X25519/X448 value without a private key: the
// length, and that it is not a low-order point. Multiplying by any clamped
// scalar maps exactly the low-order points to zero (the cofactor divides every
// clamped scalar), so a fixed scalar is enough (RFC 7748 §6, RFC 8031 §2.3).
func validateMontgomery(m KeyExchangeMethod, value []byte) error {
	if err := checkSize(m, value); err != nil {
		return err
	}
	lowOrder := fmt.Errorf("%w: %v low-order point", ErrInvalidPublicValue, m)
	if m == Curve25519 {
		priv, err := ecdh.X25519().NewPrivateKey(make([]byte, 32))
		if err != nil {
			return err
		}
		pub, err := ecdh.X25519().NewPublicKey(value)
		if err != nil {
			return fmt.Errorf("%w: %v: %v", ErrInvalidPublicValue, m, err)
		}
		if _, err := priv.ECDH(pub); err != nil {
			return lowOrder
		}
		return nil
	}
	var s, p, shared, zero x448.Key
	copy(p[:], value)
	if !x448.Shared(&shared, &s, &p) || subtle.ConstantTimeCompare(shared[:], zero[:]) == 1 {
		return lowOrder
	}
	return nil
}

// x448KE is Curve448 (RFC 7748, RFC 8031) on circl, which the standard
// library lacks.
type x448KE struct {
	priv, pub x448.Key
}

func newX448(_ KeyExchangeMethod, rand io.Reader) (KeyExchange, error) {
	k := &x448KE{}
	if err := readScalar(rand, k.priv[:]); err != nil {
		return nil, err
	}
	x448.KeyGen(&k.pub, &k.priv)
	return k, nil
}

func (k *x448KE) Method() KeyExchangeMethod { return Curve448 }
func (k *x448KE) PublicValue() []byte       { return append([]byte(nil), k.pub[:]...) }

func (k *x448KE) SharedSecret(peer []byte) ([]byte, error) {
	if len(peer) != x448.Size {
		return nil, fmt.Errorf("%w: %v value is %d bytes, want %d", ErrInvalidPublicValue, Curve448, len(peer), x448.Size)
	}
	var p, shared x448.Key
	copy(p[:], peer)
	if !x448.Shared(&shared, &k.priv, &p) {
		return nil, fmt.Errorf("%w: %v low-order point", ErrInvalidPublicValue, Curve448)
	}
	var zero x448.Key
	if subtle.ConstantTimeCompare(shared[:], zero[:]) == 1 {
		return nil, fmt.Errorf("%w: %v all-zero shared secret", ErrInvalidPublicValue, Curve448)
	}
	return append([]byte(nil), shared[:]...), nil
}
