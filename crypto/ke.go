package crypto

import (
	"errors"
	"fmt"
	"io"
)

// KeyExchange is one side of an IKEv2 key exchange (the KE payload,
// RFC 7296 §3.4). It is created with the injected random source, hands out the
// public value to send, and computes the shared secret g^ir from the peer's
// public value, which it validates first: a malformed or degenerate value is an
// error wrapping ErrInvalidPublicValue, never a weak secret.
type KeyExchange interface {
	Method() KeyExchangeMethod
	// PublicValue is the Key Exchange Data of our KE payload.
	PublicValue() []byte
	// SharedSecret validates the peer's Key Exchange Data and returns g^ir as
	// RFC 7296 §2.14 and RFC 5903 §7 define it (MODP: padded to the modulus
	// length; ECP: the x coordinate; X25519/X448: the RFC 7748 output).
	SharedSecret(peer []byte) ([]byte, error)
}

// ErrInvalidPublicValue is wrapped by every rejection of a peer's KE data.
var ErrInvalidPublicValue = errors.New("invalid key exchange public value")

func (m KeyExchangeMethod) row() *Algorithm { return row(TransformKeyExchange, uint16(m)) }

// Supported reports whether goswan implements m.
func (m KeyExchangeMethod) Supported() bool { return m.row().Supported() }

// PublicValueSize is the length of m's Key Exchange Data (0 if unsupported).
func (m KeyExchangeMethod) PublicValueSize() int { return m.row().OutputSize }

// NewKeyExchange generates a fresh private key for m from rand.
func NewKeyExchange(m KeyExchangeMethod, rand io.Reader) (KeyExchange, error) {
	r := m.row()
	if !r.Supported() {
		return nil, fmt.Errorf("key exchange method %v: %w", m, ErrUnsupported)
	}
	if rand == nil {
		return nil, errors.New("key exchange: no random source")
	}
	return r.ke.create(m, rand)
}

// ValidatePublicValue checks a peer's Key Exchange Data for m without a
// private key: the length, and for MODP 1 < y < p-1, for ECP that the point is
// on the curve, for X25519/X448 that it is not a low-order point.
func ValidatePublicValue(m KeyExchangeMethod, value []byte) error {
	r := m.row()
	if !r.Supported() {
		return fmt.Errorf("key exchange method %v: %w", m, ErrUnsupported)
	}
	if err := checkSize(m, value); err != nil {
		return err
	}
	return r.ke.validate(m, value)
}

// checkSize checks the length of a peer's Key Exchange Data for m.
func checkSize(m KeyExchangeMethod, value []byte) error {
	if size := m.PublicValueSize(); len(value) != size {
		return fmt.Errorf("%w: %v value is %d bytes, want %d", ErrInvalidPublicValue, m, len(value), size)
	}
	return nil
}

// readScalar fills b from rand.
func readScalar(rand io.Reader, b []byte) error {
	if _, err := io.ReadFull(rand, b); err != nil {
		return fmt.Errorf("generating key exchange private key: %w", err)
	}
	return nil
}
