package crypto

import (
	"bytes"
	"errors"
	"math/big"
	mrand "math/rand"
	"testing"
)

// refCurve is affine arithmetic on math/big, the obvious formulas, to check
// the constant-time code against.
type refCurve struct{ p, a, b, n *big.Int }

func refOf(c *ecpCurve) refCurve {
	dec := func(x *fe) *big.Int {
		b := make([]byte, c.f.size)
		c.f.encode(b, x)
		return new(big.Int).SetBytes(b)
	}
	var pb = make([]byte, 8*maxLimbs)
	for i, w := range c.f.p {
		for j := range 8 {
			pb[len(pb)-1-8*i-j] = byte(w >> (8 * j))
		}
	}
	return refCurve{p: new(big.Int).SetBytes(pb), a: dec(&c.a), b: dec(&c.b), n: c.orderN}
}

// add returns p1 + p2 in affine coordinates; nil is the point at infinity.
func (r refCurve) add(p1, p2 []*big.Int) []*big.Int {
	if p1 == nil {
		return p2
	}
	if p2 == nil {
		return p1
	}
	mod := func(x *big.Int) *big.Int { return x.Mod(x, r.p) }
	var l *big.Int
	if p1[0].Cmp(p2[0]) == 0 {
		if new(big.Int).Add(p1[1], p2[1]).Cmp(r.p) == 0 || p1[1].Sign() == 0 {
			return nil
		}
		num := mod(new(big.Int).Add(new(big.Int).Mul(big.NewInt(3), new(big.Int).Mul(p1[0], p1[0])), r.a))
		den := new(big.Int).ModInverse(mod(new(big.Int).Lsh(p1[1], 1)), r.p)
		l = mod(num.Mul(num, den))
	} else {
		num := mod(new(big.Int).Sub(p2[1], p1[1]))
		den := new(big.Int).ModInverse(mod(new(big.Int).Sub(p2[0], p1[0])), r.p)
		l = mod(num.Mul(num, den))
	}
	x := mod(new(big.Int).Sub(new(big.Int).Sub(new(big.Int).Mul(l, l), p1[0]), p2[0]))
	y := mod(new(big.Int).Sub(new(big.Int).Mul(l, new(big.Int).Sub(p1[0], x)), p1[1]))
	return []*big.Int{x, y}
}

func (r refCurve) mul(k *big.Int, pt []*big.Int) []*big.Int {
	var acc []*big.Int
	for i := k.BitLen() - 1; i >= 0; i-- {
		acc = r.add(acc, acc)
		if k.Bit(i) == 1 {
			acc = r.add(acc, pt)
		}
	}
	return acc
}

// TestBrainpoolCurves checks each curve's constants (the generator is on
// the curve and of order n) and compares scalar multiplication with the
// reference for edge and random scalars.
func TestBrainpoolCurves(t *testing.T) {
	rng := mrand.New(mrand.NewSource(1))
	for _, m := range []KeyExchangeMethod{ECP224BP, ECP256BP, ECP384BP, ECP512BP} {
		c := brainpool(m)
		r := refOf(c)
		gx, gy, _ := c.affine(&c.g)
		if _, err := c.decodePoint(append(bytes.Clone(gx), gy...)); err != nil {
			t.Fatalf("%v: generator: %v", m, err)
		}
		g := []*big.Int{new(big.Int).SetBytes(gx), new(big.Int).SetBytes(gy)}
		var inf point
		c.scalarMult(&inf, &c.g, c.order)
		if _, _, ok := c.affine(&inf); ok {
			t.Errorf("%v: n·G is not the point at infinity", m)
		}
		nMinus1 := new(big.Int).Sub(r.n, big.NewInt(1))
		scalars := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), nMinus1}
		for range 4 {
			k := new(big.Int).Rand(rng, r.n)
			scalars = append(scalars, k)
		}
		for _, k := range scalars {
			kb := k.FillBytes(make([]byte, c.f.size))
			var got point
			c.scalarMult(&got, &c.g, kb)
			x, y, ok := c.affine(&got)
			want := r.mul(k, g)
			if !ok || want == nil || new(big.Int).SetBytes(x).Cmp(want[0]) != 0 || new(big.Int).SetBytes(y).Cmp(want[1]) != 0 {
				t.Errorf("%v: %x·G differs from the reference", m, kb)
			}
		}
	}
}

// TestECPFieldArithmetic compares the Montgomery field with math/big on
// random and extreme values.
func TestECPFieldArithmetic(t *testing.T) {
	rng := mrand.New(mrand.NewSource(2))
	for _, m := range []KeyExchangeMethod{ECP224BP, ECP512BP} {
		c := brainpool(m)
		f := &c.f
		p := refOf(c).p
		vals := []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(p, big.NewInt(1))}
		for range 20 {
			vals = append(vals, new(big.Int).Rand(rng, p))
		}
		in := func(v *big.Int) fe {
			var z fe
			if !f.decode(&z, v.FillBytes(make([]byte, f.size))) {
				t.Fatalf("%x not below p", v)
			}
			return z
		}
		out := func(z *fe) *big.Int {
			b := make([]byte, f.size)
			f.encode(b, z)
			return new(big.Int).SetBytes(b)
		}
		for _, x := range vals {
			for _, y := range vals {
				fx, fy := in(x), in(y)
				var z fe
				f.mul(&z, &fx, &fy)
				if out(&z).Cmp(new(big.Int).Mod(new(big.Int).Mul(x, y), p)) != 0 {
					t.Fatalf("%v: %x * %x", m, x, y)
				}
				f.add(&z, &fx, &fy)
				if out(&z).Cmp(new(big.Int).Mod(new(big.Int).Add(x, y), p)) != 0 {
					t.Fatalf("%v: %x + %x", m, x, y)
				}
				f.sub(&z, &fx, &fy)
				if out(&z).Cmp(new(big.Int).Mod(new(big.Int).Sub(x, y), p)) != 0 {
					t.Fatalf("%v: %x - %x", m, x, y)
				}
			}
			if x.Sign() != 0 {
				fx := in(x)
				var z fe
				f.inv(&z, &fx)
				if out(&z).Cmp(new(big.Int).ModInverse(x, p)) != 0 {
					t.Fatalf("%v: 1/%x", m, x)
				}
			}
		}
		var z fe
		if f.decode(&z, p.FillBytes(make([]byte, f.size))) {
			t.Errorf("%v: p accepted as a field element", m)
		}
	}
}

// TestBrainpoolRejects: values that are not points of the group are errors.
func TestBrainpoolRejects(t *testing.T) {
	for _, m := range []KeyExchangeMethod{ECP224BP, ECP256BP, ECP384BP, ECP512BP} {
		c := brainpool(m)
		size := c.f.size
		gx, gy, _ := c.affine(&c.g)
		good := append(bytes.Clone(gx), gy...)
		offCurve := bytes.Clone(good)
		offCurve[len(offCurve)-1] ^= 1
		xIsP := bytes.Clone(good)
		refOf(c).p.FillBytes(xIsP[:size])
		allOnes := bytes.Repeat([]byte{0xff}, 2*size)
		for name, v := range map[string][]byte{"off the curve": offCurve, "x = p": xIsP, "zero": make([]byte, 2*size),
			"all ones": allOnes, "short": good[1:], "long": append(good, 0)} {
			if err := ValidatePublicValue(m, v); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%v %s: %v", m, name, err)
			}
			ke, _ := NewKeyExchange(m, seededReader(7))
			if s, err := ke.SharedSecret(v); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%v %s: secret %x, %v", m, name, s, err)
			}
		}
		if err := ValidatePublicValue(m, good); err != nil {
			t.Errorf("%v: generator rejected: %v", m, err)
		}
		// Scalars are drawn below the order: 0 and n are skipped.
		zeroThenOne := append(make([]byte, size), append(make([]byte, size-1), 1)...)
		ke, err := NewKeyExchange(m, &fixedReader{b: append(bytes.Clone(c.order), zeroThenOne...)})
		if err != nil || !bytes.Equal(ke.PublicValue(), good) {
			t.Errorf("%v: private key 1 after two rejections: %v", m, err)
		}
	}
}
