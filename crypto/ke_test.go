package crypto

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

// TestKEVectors checks RFC 7748 (X25519, X448), RFC 5903 (ECP) and RFC 7027
// (Brainpool) vectors:
// feeding the private key as the random source must reproduce the public
// values and the shared secret.
func TestKEVectors(t *testing.T) {
	for _, v := range keVectors {
		a, err := NewKeyExchange(v.method, &fixedReader{b: unhex(t, v.privA)})
		if err != nil {
			t.Fatalf("%s: %v", v.source, err)
		}
		b, err := NewKeyExchange(v.method, &fixedReader{b: unhex(t, v.privB)})
		if err != nil {
			t.Fatalf("%s: %v", v.source, err)
		}
		mustEqual(t, v.source+" public A", a.PublicValue(), unhex(t, v.pubA))
		mustEqual(t, v.source+" public B", b.PublicValue(), unhex(t, v.pubB))
		for _, side := range []struct {
			ke   KeyExchange
			peer string
		}{{a, v.pubB}, {b, v.pubA}} {
			s, err := side.ke.SharedSecret(unhex(t, side.peer))
			if err != nil {
				t.Fatalf("%s: %v", v.source, err)
			}
			mustEqual(t, v.source+" shared", s, unhex(t, v.shared))
		}
		if err := ValidatePublicValue(v.method, unhex(t, v.pubA)); err != nil {
			t.Errorf("%s: valid value rejected: %v", v.source, err)
		}
	}
}

// TestMODPPrimesFollowDefinition recomputes every MODP prime from its
// definition in RFC 2409 §6 / RFC 3526 (p = 2^n - 2^(n-64) - 1 +
// 2^64 * (floor(2^(n-130) pi) + k)), with pi from Machin's formula.
func TestMODPPrimesFollowDefinition(t *testing.T) {
	const prec = 8300
	arctanInv := func(x int64) *big.Int {
		one := new(big.Int).Lsh(big.NewInt(1), prec)
		term := new(big.Int).Div(one, big.NewInt(x))
		sum := new(big.Int).Set(term)
		xx := big.NewInt(x * x)
		for n := int64(1); term.Sign() != 0; n++ {
			term.Div(term, xx)
			q := new(big.Int).Div(term, big.NewInt(2*n+1))
			if n%2 == 1 {
				sum.Sub(sum, q)
			} else {
				sum.Add(sum, q)
			}
		}
		return sum
	}
	pi := new(big.Int).Sub(new(big.Int).Mul(arctanInv(5), big.NewInt(16)), new(big.Int).Mul(arctanInv(239), big.NewInt(4)))
	for bits, k := range map[uint]int64{768: 149686, 1024: 129093, 1536: 741804, 2048: 124476, 3072: 1690314, 4096: 240904, 6144: 929484, 8192: 4743158} {
		f := new(big.Int).Rsh(pi, prec-(bits-130))
		f.Add(f, big.NewInt(k))
		f.Lsh(f, 64)
		p := new(big.Int).Lsh(big.NewInt(1), bits)
		p.Sub(p, new(big.Int).Lsh(big.NewInt(1), bits-64))
		p.Sub(p, big.NewInt(1))
		p.Add(p, f)
		got, ok := new(big.Int).SetString(modpPrimeHex[int(bits)], 16)
		if !ok || got.Cmp(p) != 0 {
			t.Errorf("MODP %d prime differs from its definition", bits)
		}
		if bits <= 2048 && !(p.ProbablyPrime(4) && new(big.Int).Rsh(p, 1).ProbablyPrime(4)) {
			t.Errorf("MODP %d is not a safe prime", bits)
		}
	}
}

var keMethods = []KeyExchangeMethod{MODP768, MODP1024, MODP1536, MODP2048, MODP3072, MODP4096, MODP6144, MODP8192, ECP256, ECP384, ECP521,
	ECP224BP, ECP256BP, ECP384BP, ECP512BP, Curve25519, Curve448}

func TestKERoundTrip(t *testing.T) {
	for _, m := range keMethods {
		if testing.Short() && m >= MODP4096 && m <= MODP8192 {
			continue
		}
		r := seededReader(byte(m))
		a, err := NewKeyExchange(m, r)
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		b, _ := NewKeyExchange(m, r)
		if len(a.PublicValue()) != m.PublicValueSize() || a.Method() != m {
			t.Fatalf("%v: public value of %d bytes", m, len(a.PublicValue()))
		}
		s1, err1 := a.SharedSecret(b.PublicValue())
		s2, err2 := b.SharedSecret(a.PublicValue())
		if err1 != nil || err2 != nil {
			t.Fatalf("%v: %v %v", m, err1, err2)
		}
		mustEqual(t, m.String(), s1, s2)
		if bytes.Equal(a.PublicValue(), b.PublicValue()) {
			t.Errorf("%v: two keys from different randomness are equal", m)
		}
		// A too short or too long value is rejected before anything else.
		for _, l := range []int{0, m.PublicValueSize() - 1, m.PublicValueSize() + 1} {
			if _, err := a.SharedSecret(make([]byte, l)); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%v: %d-byte value: %v", m, l, err)
			}
		}
	}
	if _, err := NewKeyExchange(MODP1024S160, &countingReader{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MODP_1024_160: %v", err)
	}
	if _, err := NewKeyExchange(ECP256, &fixedReader{}); err == nil {
		t.Error("key generated from an empty source")
	}
}

// Degenerate peer values must be errors (RFC 7296 §5, NIST SP 800-56A
// §5.6.2.3, RFC 7748 §6, RFC 8031 §2.3).
func TestKERejectsBadPublicValues(t *testing.T) {
	g := modpGroupOf(MODP2048)
	pad := func(x *big.Int) []byte { return x.FillBytes(make([]byte, 256)) }
	pm1 := new(big.Int).Sub(g.p, big.NewInt(1))
	onCurve := unhex(t, keVectors[len(keVectors)-2].pubA) // RFC 5903 P-256
	offCurve := bytes.Clone(onCurve)
	offCurve[63] ^= 1
	x448Order2 := make([]byte, 56)
	x448Order2[0] = 0xfe // p-1 = -1, the point of order 2
	for i := 1; i < 28; i++ {
		x448Order2[i] = 0xff
	}
	x448Order2[28] = 0xfe
	for i := 29; i < 56; i++ {
		x448Order2[i] = 0xff
	}
	for _, c := range []struct {
		name  string
		m     KeyExchangeMethod
		value []byte
	}{
		{"MODP y=0", MODP2048, make([]byte, 256)},
		{"MODP y=1", MODP2048, pad(big.NewInt(1))},
		{"MODP y=p-1", MODP2048, pad(pm1)},
		{"MODP y=p", MODP2048, pad(g.p)},
		{"MODP y=2^2048-1", MODP2048, bytes.Repeat([]byte{0xff}, 256)},
		{"MODP short", MODP2048, make([]byte, 255)},
		{"ECP off curve", ECP256, offCurve},
		{"ECP zero", ECP256, make([]byte, 64)},
		{"ECP wrong length", ECP384, onCurve},
		{"X25519 zero", Curve25519, make([]byte, 32)},
		{"X25519 one", Curve25519, append([]byte{1}, make([]byte, 31)...)},
		{"X25519 order 8", Curve25519, unhex(t, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")},
		{"X448 zero", Curve448, make([]byte, 56)},
		{"X448 one", Curve448, append([]byte{1}, make([]byte, 55)...)},
		{"X448 order 2", Curve448, x448Order2},
	} {
		if err := ValidatePublicValue(c.m, c.value); !errors.Is(err, ErrInvalidPublicValue) {
			t.Errorf("%s: ValidatePublicValue = %v", c.name, err)
		}
		ke, err := NewKeyExchange(c.m, &countingReader{n: 3})
		if err != nil {
			t.Fatal(err)
		}
		if s, err := ke.SharedSecret(c.value); !errors.Is(err, ErrInvalidPublicValue) {
			t.Errorf("%s: SharedSecret = %x, %v", c.name, s, err)
		}
	}
	if err := ValidatePublicValue(MODP2048, pad(big.NewInt(2))); err != nil {
		t.Errorf("MODP y=2 rejected: %v", err)
	}
}

// The MODP secret is padded to the modulus length even when it has leading
// zero bytes (RFC 7296 §2.14: "padded with zeros in the high-order bits").
func TestMODPSecretPadding(t *testing.T) {
	for i := range 200 {
		r := seededReader(byte(i))
		a, _ := NewKeyExchange(MODP768, r)
		b, _ := NewKeyExchange(MODP768, r)
		s, err := a.SharedSecret(b.PublicValue())
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 96 || len(a.PublicValue()) != 96 {
			t.Fatalf("secret of %d bytes", len(s))
		}
	}
}
