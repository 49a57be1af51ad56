package crypto

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"math/big"
	"math/bits"
)

// A constant-time elliptic curve y² = x³ + ax + b over a prime field, for
// curves the standard library does not have (crypto/ecdh covers only the
// NIST curves, and crypto/elliptic's generic code is deprecated and not
// constant-time). goswan uses it for the Brainpool groups 27–30 of IKEv2
// (RFC 5639, RFC 6954), which Debian's charon proposes by default.
//
// Field elements are fixed arrays of 64-bit limbs in Montgomery form; every
// operation runs the same instructions whatever the values (no branch and no
// memory access depends on a secret). Points are projective and added with
// the complete formulas of Renes, Costello and Batina (EUROCRYPT 2016,
// Algorithm 1 for arbitrary a), which need no special case for doubling or
// the point at infinity. Scalar multiplication uses a fixed 4-bit window and
// reads the table with masks. math/big only computes the Montgomery
// constants from the public curve parameters, once.

const maxLimbs = 8 // 512-bit fields

// fe is a field element, little-endian limbs; only the first n are used.
type fe [maxLimbs]uint64

type ecpField struct {
	n       int    // limbs
	size    int    // bytes of an encoded element
	p       fe     // the modulus
	pInv    uint64 // -p⁻¹ mod 2⁶⁴
	rr      fe     // R² mod p, R = 2^(64n)
	one     fe     // R mod p: 1 in Montgomery form
	pMinus2 []byte // the exponent of inversion, big-endian
}

func newECPField(p *big.Int, size int) ecpField {
	n := (p.BitLen() + 63) / 64
	f := ecpField{n: n, size: size}
	f.p = limbsOf(p)
	// Newton's iteration for p⁻¹ mod 2⁶⁴ (p is odd): each step doubles the
	// correct low bits.
	inv := uint64(1)
	for range 6 {
		inv *= 2 - f.p[0]*inv
	}
	f.pInv = -inv
	r := new(big.Int).Lsh(big.NewInt(1), uint(64*n))
	f.one = limbsOf(new(big.Int).Mod(r, p))
	f.rr = limbsOf(new(big.Int).Mod(new(big.Int).Mul(r, r), p))
	f.pMinus2 = new(big.Int).Sub(p, big.NewInt(2)).Bytes()
	return f
}

func limbsOf(x *big.Int) fe {
	var z fe
	b := x.FillBytes(make([]byte, 8*maxLimbs))
	for i := range z {
		z[i] = binary.BigEndian.Uint64(b[len(b)-8*(i+1):])
	}
	return z
}

// reduce sets z to t mod p for t < 2p, t given as n+1 limbs.
func (f *ecpField) reduce(z *fe, t []uint64) {
	var d fe
	var b uint64
	for i := 0; i < f.n; i++ {
		d[i], b = bits.Sub64(t[i], f.p[i], b)
	}
	_, b = bits.Sub64(t[f.n], 0, b)
	// b == 1: t < p, keep t
	mask := -b
	for i := 0; i < f.n; i++ {
		z[i] = t[i]&mask | d[i]&^mask
	}
}

// mul sets z = x·y·R⁻¹ mod p (Montgomery multiplication, CIOS).
func (f *ecpField) mul(z, x, y *fe) {
	var t [maxLimbs + 2]uint64
	n := f.n
	for i := 0; i < n; i++ {
		var c uint64
		for j := 0; j < n; j++ {
			hi, lo := bits.Mul64(x[j], y[i])
			var c1, c2 uint64
			lo, c1 = bits.Add64(lo, t[j], 0)
			lo, c2 = bits.Add64(lo, c, 0)
			t[j], c = lo, hi+c1+c2
		}
		var c1 uint64
		t[n], c1 = bits.Add64(t[n], c, 0)
		t[n+1] = c1
		m := t[0] * f.pInv
		hi, lo := bits.Mul64(m, f.p[0])
		_, c1 = bits.Add64(lo, t[0], 0)
		c = hi + c1
		for j := 1; j < n; j++ {
			hi, lo := bits.Mul64(m, f.p[j])
			var c2 uint64
			lo, c1 = bits.Add64(lo, t[j], 0)
			lo, c2 = bits.Add64(lo, c, 0)
			t[j-1], c = lo, hi+c1+c2
		}
		t[n-1], c1 = bits.Add64(t[n], c, 0)
		t[n] = t[n+1] + c1
	}
	f.reduce(z, t[:n+1])
}

func (f *ecpField) sqr(z, x *fe) { f.mul(z, x, x) }

// add sets z = x + y mod p.
func (f *ecpField) add(z, x, y *fe) {
	var t [maxLimbs + 1]uint64
	var c uint64
	for i := 0; i < f.n; i++ {
		t[i], c = bits.Add64(x[i], y[i], c)
	}
	t[f.n] = c
	f.reduce(z, t[:f.n+1])
}

// sub sets z = x - y mod p.
func (f *ecpField) sub(z, x, y *fe) {
	var d fe
	var b uint64
	for i := 0; i < f.n; i++ {
		d[i], b = bits.Sub64(x[i], y[i], b)
	}
	// add p back if it went below zero
	mask := -b
	var c uint64
	for i := 0; i < f.n; i++ {
		z[i], c = bits.Add64(d[i], f.p[i]&mask, c)
	}
}

// inv sets z = x⁻¹ (x^(p-2), Fermat); the exponent is public.
func (f *ecpField) inv(z, x *fe) {
	r := f.one
	for _, b := range f.pMinus2 {
		for i := 7; i >= 0; i-- {
			f.sqr(&r, &r)
			if b>>i&1 == 1 {
				f.mul(&r, &r, x)
			}
		}
	}
	*z = r
}

// isZero reports x == 0 in constant time, as 1 or 0.
func (f *ecpField) isZero(x *fe) int {
	var acc uint64
	for i := 0; i < f.n; i++ {
		acc |= x[i]
	}
	return int((^acc & (acc - 1)) >> 63)
}

// decode reads a big-endian element of f.size bytes into Montgomery form;
// ok is false if it is not below p.
func (f *ecpField) decode(z *fe, b []byte) bool {
	var x fe
	for i := range f.size {
		x[i/8] |= uint64(b[f.size-1-i]) << (8 * (i % 8))
	}
	var d uint64
	for i := 0; i < f.n; i++ {
		_, d = bits.Sub64(x[i], f.p[i], d)
	}
	if d == 0 {
		return false // x >= p
	}
	f.mul(z, &x, &f.rr)
	return true
}

// encode writes x (Montgomery form) as f.size big-endian bytes into b.
func (f *ecpField) encode(b []byte, x *fe) {
	var one, y fe
	one[0] = 1
	f.mul(&y, x, &one)
	for i := range f.size {
		b[f.size-1-i] = byte(y[i/8] >> (8 * (i % 8)))
	}
}

// ecpCurve is a short Weierstrass curve of prime order (cofactor 1).
type ecpCurve struct {
	f      ecpField
	a, b3  fe     // a and 3b, Montgomery form
	b      fe     // b, Montgomery form
	g      point  // the generator
	order  []byte // the group order n, big-endian, f.size bytes
	orderN *big.Int
}

// point is (X : Y : Z) with x = X/Z, y = Y/Z; Z = 0 is the point at
// infinity.
type point struct{ x, y, z fe }

func newECPCurve(p, a, b, gx, gy, n string) *ecpCurve {
	hex := func(s string) *big.Int {
		v, ok := new(big.Int).SetString(s, 16)
		if !ok {
			panic("crypto: malformed curve constant " + s)
		}
		return v
	}
	pb := hex(p)
	size := (pb.BitLen() + 7) / 8
	c := &ecpCurve{f: newECPField(pb, size), orderN: hex(n)}
	mont := func(v *big.Int) fe {
		x := limbsOf(v)
		var z fe
		c.f.mul(&z, &x, &c.f.rr)
		return z
	}
	c.a, c.b = mont(hex(a)), mont(hex(b))
	c.f.add(&c.b3, &c.b, &c.b)
	c.f.add(&c.b3, &c.b3, &c.b)
	c.g = point{mont(hex(gx)), mont(hex(gy)), c.f.one}
	c.order = c.orderN.FillBytes(make([]byte, size))
	return c
}

// add sets r = p + q with the complete formulas (RCB16, Algorithm 1); r may
// alias p or q.
func (c *ecpCurve) add(r, p, q *point) {
	f := &c.f
	var t0, t1, t2, t3, t4, t5, x3, y3, z3 fe
	f.mul(&t0, &p.x, &q.x)
	f.mul(&t1, &p.y, &q.y)
	f.mul(&t2, &p.z, &q.z)
	f.add(&t3, &p.x, &p.y)
	f.add(&t4, &q.x, &q.y)
	f.mul(&t3, &t3, &t4)
	f.add(&t4, &t0, &t1)
	f.sub(&t3, &t3, &t4)
	f.add(&t4, &p.x, &p.z)
	f.add(&t5, &q.x, &q.z)
	f.mul(&t4, &t4, &t5)
	f.add(&t5, &t0, &t2)
	f.sub(&t4, &t4, &t5)
	f.add(&t5, &p.y, &p.z)
	f.add(&x3, &q.y, &q.z)
	f.mul(&t5, &t5, &x3)
	f.add(&x3, &t1, &t2)
	f.sub(&t5, &t5, &x3)
	f.mul(&z3, &c.a, &t4)
	f.mul(&x3, &c.b3, &t2)
	f.add(&z3, &x3, &z3)
	f.sub(&x3, &t1, &z3)
	f.add(&z3, &t1, &z3)
	f.mul(&y3, &x3, &z3)
	f.add(&t1, &t0, &t0)
	f.add(&t1, &t1, &t0)
	f.mul(&t2, &c.a, &t2)
	f.mul(&t4, &c.b3, &t4)
	f.add(&t1, &t1, &t2)
	f.sub(&t2, &t0, &t2)
	f.mul(&t2, &c.a, &t2)
	f.add(&t4, &t4, &t2)
	f.mul(&t0, &t1, &t4)
	f.add(&y3, &y3, &t0)
	f.mul(&t0, &t5, &t4)
	f.mul(&x3, &t3, &x3)
	f.sub(&x3, &x3, &t0)
	f.mul(&t0, &t3, &t1)
	f.mul(&z3, &t5, &z3)
	f.add(&z3, &z3, &t0)
	r.x, r.y, r.z = x3, y3, z3
}

// identity is the point at infinity (0 : 1 : 0).
func (c *ecpCurve) identity() point { return point{y: c.f.one} }

// scalarMult sets r = k·p for a big-endian scalar k, in constant time.
func (c *ecpCurve) scalarMult(r, p *point, k []byte) {
	var table [16]point
	table[0] = c.identity()
	table[1] = *p
	for i := 2; i < 16; i++ {
		c.add(&table[i], &table[i-1], p)
	}
	acc := c.identity()
	var sel point
	for _, b := range k {
		for _, w := range [2]byte{b >> 4, b & 0x0f} {
			for range 4 {
				c.add(&acc, &acc, &acc)
			}
			c.lookup(&sel, &table, w)
			c.add(&acc, &acc, &sel)
		}
	}
	*r = acc
}

// lookup sets r = table[i], reading every entry.
func (c *ecpCurve) lookup(r *point, table *[16]point, i byte) {
	*r = point{}
	for j := range table {
		mask := -uint64(subtle.ConstantTimeByteEq(byte(j), i))
		for l := 0; l < c.f.n; l++ {
			r.x[l] |= table[j].x[l] & mask
			r.y[l] |= table[j].y[l] & mask
			r.z[l] |= table[j].z[l] & mask
		}
	}
}

var errNotOnCurve = errors.New("point not on the curve")

// decodePoint reads x || y and checks 0 <= x, y < p and y² = x³ + ax + b.
// The encoding has no point at infinity, and with cofactor 1 every point on
// the curve is in the prime-order group.
func (c *ecpCurve) decodePoint(b []byte) (point, error) {
	f := &c.f
	var q point
	if len(b) != 2*f.size || !f.decode(&q.x, b[:f.size]) || !f.decode(&q.y, b[f.size:]) {
		return q, errNotOnCurve
	}
	q.z = f.one
	var lhs, rhs, t fe
	f.sqr(&lhs, &q.y)
	f.sqr(&rhs, &q.x)
	f.add(&rhs, &rhs, &c.a)
	f.mul(&rhs, &rhs, &q.x)
	f.add(&rhs, &rhs, &c.b)
	f.sub(&t, &lhs, &rhs)
	if f.isZero(&t) != 1 {
		return q, errNotOnCurve
	}
	return q, nil
}

// affine returns x and y of p encoded, or ok false for the point at
// infinity.
func (c *ecpCurve) affine(p *point) (x, y []byte, ok bool) {
	f := &c.f
	if f.isZero(&p.z) == 1 {
		return nil, nil, false
	}
	var zi, ax, ay fe
	f.inv(&zi, &p.z)
	f.mul(&ax, &p.x, &zi)
	f.mul(&ay, &p.y, &zi)
	x, y = make([]byte, f.size), make([]byte, f.size)
	f.encode(x, &ax)
	f.encode(y, &ay)
	return x, y, true
}

// validScalar reports, in constant time, whether 0 < k < n for a big-endian
// k of the order's length.
func (c *ecpCurve) validScalar(k []byte) bool {
	var borrow, nonzero uint32
	for i := len(k) - 1; i >= 0; i-- {
		d := uint32(k[i]) - uint32(c.order[i]) - borrow
		borrow = d >> 31
		nonzero |= uint32(k[i])
	}
	return borrow == 1 && nonzero != 0
}
