package crypto

import (
	"errors"
	"testing"
)

// FuzzKEPublicValue feeds arbitrary peer KE data to the validation and the
// shared-secret computation of every cheap method. Nothing may panic; an
// accepted value must give a secret of the right length, and a value
// ValidatePublicValue rejects must never yield a secret.
func FuzzKEPublicValue(f *testing.F) {
	for _, v := range keVectors {
		f.Add(uint16(v.method), unhex(f, v.pubA))
	}
	f.Add(uint16(Curve25519), make([]byte, 32))
	f.Add(uint16(MODP1024), make([]byte, 128))
	f.Add(uint16(ECP521), make([]byte, 132))
	f.Add(uint16(Curve448), make([]byte, 56))
	methods := []KeyExchangeMethod{MODP768, MODP1024, ECP256, ECP384, ECP521, ECP224BP, ECP256BP, Curve25519, Curve448}
	keys := map[KeyExchangeMethod]KeyExchange{}
	for _, m := range methods {
		k, err := NewKeyExchange(m, seededReader(byte(m)))
		if err != nil {
			f.Fatal(err)
		}
		keys[m] = k
	}
	f.Fuzz(func(t *testing.T, method uint16, value []byte) {
		m := methods[int(method)%len(methods)]
		verr := ValidatePublicValue(m, value)
		if verr != nil && !errors.Is(verr, ErrInvalidPublicValue) {
			t.Fatalf("%v: untyped error %v", m, verr)
		}
		s, err := keys[m].SharedSecret(value)
		switch {
		case err != nil && !errors.Is(err, ErrInvalidPublicValue):
			t.Fatalf("%v: untyped error %v", m, err)
		case verr != nil && err == nil:
			t.Fatalf("%v: value %x rejected by validation but gave secret %x", m, value, s)
		case err == nil && len(s) == 0:
			t.Fatalf("%v: empty secret", m)
		}
	})
}

// FuzzSKOpen feeds arbitrary ciphertexts to every SK cipher: Open must fail
// cleanly (it never sees a valid ICV) and never panic.
func FuzzSKOpen(f *testing.F) {
	f.Add(uint8(0), []byte("0123456789abcdef"), make([]byte, 48), []byte("assoc"))
	f.Add(uint8(8), []byte("8byteIV!"), make([]byte, 24), []byte{})
	ciphers := make([]SKCipher, len(skCases))
	for i, c := range skCases {
		ciphers[i] = newTestSK(f, c)
	}
	f.Fuzz(func(t *testing.T, which uint8, iv, ct, assoc []byte) {
		c := ciphers[int(which)%len(ciphers)]
		if out, err := c.Open(nil, iv, ct, assoc); err == nil {
			t.Fatalf("forged message opened: %x", out)
		}
	})
}
