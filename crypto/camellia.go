package crypto

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Camellia (RFC 3713), which neither the standard library nor x/crypto has.
// Debian's charon proposes Camellia-CBC and Camellia-CTR in its default IKE
// proposal (they come from its openssl plugin), and peers may configure them
// for ESP.
//
// The S-boxes are table lookups indexed by key-dependent bytes, as in
// OpenSSL's and Linux's C implementations, so like them this is not
// constant-time on CPUs whose caches leak access patterns; AES, with its
// hardware instructions, remains the cipher to prefer.

const camelliaBlockSize = 16

// camelliaSBox1 is SBOX1 of RFC 3713 §2.4.4, transcribed byte for byte; the
// other three are rotations of it. (It shares only its shape with other
// 256-byte S-boxes such as credentials' RC2 PITABLE.)
var camelliaSBox1 = [256]byte{
	0x70, 0x82, 0x2c, 0xec, 0xb3, 0x27, 0xc0, 0xe5, 0xe4, 0x85, 0x57, 0x35, 0xea, 0x0c, 0xae, 0x41,
	0x23, 0xef, 0x6b, 0x93, 0x45, 0x19, 0xa5, 0x21, 0xed, 0x0e, 0x4f, 0x4e, 0x1d, 0x65, 0x92, 0xbd,
	0x86, 0xb8, 0xaf, 0x8f, 0x7c, 0xeb, 0x1f, 0xce, 0x3e, 0x30, 0xdc, 0x5f, 0x5e, 0xc5, 0x0b, 0x1a,
	0xa6, 0xe1, 0x39, 0xca, 0xd5, 0x47, 0x5d, 0x3d, 0xd9, 0x01, 0x5a, 0xd6, 0x51, 0x56, 0x6c, 0x4d,
	0x8b, 0x0d, 0x9a, 0x66, 0xfb, 0xcc, 0xb0, 0x2d, 0x74, 0x12, 0x2b, 0x20, 0xf0, 0xb1, 0x84, 0x99,
	0xdf, 0x4c, 0xcb, 0xc2, 0x34, 0x7e, 0x76, 0x05, 0x6d, 0xb7, 0xa9, 0x31, 0xd1, 0x17, 0x04, 0xd7,
	0x14, 0x58, 0x3a, 0x61, 0xde, 0x1b, 0x11, 0x1c, 0x32, 0x0f, 0x9c, 0x16, 0x53, 0x18, 0xf2, 0x22,
	0xfe, 0x44, 0xcf, 0xb2, 0xc3, 0xb5, 0x7a, 0x91, 0x24, 0x08, 0xe8, 0xa8, 0x60, 0xfc, 0x69, 0x50,
	0xaa, 0xd0, 0xa0, 0x7d, 0xa1, 0x89, 0x62, 0x97, 0x54, 0x5b, 0x1e, 0x95, 0xe0, 0xff, 0x64, 0xd2,
	0x10, 0xc4, 0x00, 0x48, 0xa3, 0xf7, 0x75, 0xdb, 0x8a, 0x03, 0xe6, 0xda, 0x09, 0x3f, 0xdd, 0x94,
	0x87, 0x5c, 0x83, 0x02, 0xcd, 0x4a, 0x90, 0x33, 0x73, 0x67, 0xf6, 0xf3, 0x9d, 0x7f, 0xbf, 0xe2,
	0x52, 0x9b, 0xd8, 0x26, 0xc8, 0x37, 0xc6, 0x3b, 0x81, 0x96, 0x6f, 0x4b, 0x13, 0xbe, 0x63, 0x2e,
	0xe9, 0x79, 0xa7, 0x8c, 0x9f, 0x6e, 0xbc, 0x8e, 0x29, 0xf5, 0xf9, 0xb6, 0x2f, 0xfd, 0xb4, 0x59,
	0x78, 0x98, 0x06, 0x6a, 0xe7, 0x46, 0x71, 0xba, 0xd4, 0x25, 0xab, 0x42, 0x88, 0xa2, 0x8d, 0xfa,
	0x72, 0x07, 0xb9, 0x55, 0xf8, 0xee, 0xac, 0x0a, 0x36, 0x49, 0x2a, 0x68, 0x3c, 0x38, 0xf1, 0xa4,
	0x40, 0x28, 0xd3, 0x7b, 0xbb, 0xc9, 0x43, 0xc1, 0x15, 0xe3, 0xad, 0xf4, 0x77, 0xc7, 0x80, 0x9e,
}

// camelliaSBoxes holds SBOX1..SBOX4: SBOX2[x] = SBOX1[x] <<< 1,
// SBOX3[x] = SBOX1[x] <<< 7, SBOX4[x] = SBOX1[x <<< 1].
var camelliaSBoxes = func() (s [4][256]byte) {
	for x := range 256 {
		s1 := camelliaSBox1[x]
		s[0][x] = s1
		s[1][x] = bits.RotateLeft8(s1, 1)
		s[2][x] = bits.RotateLeft8(s1, 7)
		s[3][x] = camelliaSBox1[bits.RotateLeft8(byte(x), 1)]
	}
	return s
}()

// The key schedule constants Sigma1..Sigma6 (RFC 3713 §2.2).
var camelliaSigma = [6]uint64{
	0xa09e667f3bcc908b, 0xb67ae8584caa73b2, 0xc6ef372fe94f82be,
	0x54ff53a5f1d36f1c, 0x10e527fade682d1d, 0xb05688c2b3e6c1fd,
}

// camelliaF is the F-function (RFC 3713 §2.4.1): S-boxes, then the
// byte-wise linear P-function.
func camelliaF(in, key uint64) uint64 {
	x := in ^ key
	s := &camelliaSBoxes
	t1 := s[0][byte(x>>56)]
	t2 := s[1][byte(x>>48)]
	t3 := s[2][byte(x>>40)]
	t4 := s[3][byte(x>>32)]
	t5 := s[1][byte(x>>24)]
	t6 := s[2][byte(x>>16)]
	t7 := s[3][byte(x>>8)]
	t8 := s[0][byte(x)]
	y1 := t1 ^ t3 ^ t4 ^ t6 ^ t7 ^ t8
	y2 := t1 ^ t2 ^ t4 ^ t5 ^ t7 ^ t8
	y3 := t1 ^ t2 ^ t3 ^ t5 ^ t6 ^ t8
	y4 := t2 ^ t3 ^ t4 ^ t5 ^ t6 ^ t7
	y5 := t1 ^ t2 ^ t6 ^ t7 ^ t8
	y6 := t2 ^ t3 ^ t5 ^ t7 ^ t8
	y7 := t3 ^ t4 ^ t5 ^ t6 ^ t8
	y8 := t1 ^ t4 ^ t5 ^ t6 ^ t7
	return uint64(y1)<<56 | uint64(y2)<<48 | uint64(y3)<<40 | uint64(y4)<<32 |
		uint64(y5)<<24 | uint64(y6)<<16 | uint64(y7)<<8 | uint64(y8)
}

// camelliaFL and camelliaFLInv are the FL layer (RFC 3713 §2.4.2, 2.4.3).
func camelliaFL(in, key uint64) uint64 {
	x1, x2 := uint32(in>>32), uint32(in)
	k1, k2 := uint32(key>>32), uint32(key)
	x2 ^= bits.RotateLeft32(x1&k1, 1)
	x1 ^= x2 | k2
	return uint64(x1)<<32 | uint64(x2)
}

func camelliaFLInv(in, key uint64) uint64 {
	y1, y2 := uint32(in>>32), uint32(in)
	k1, k2 := uint32(key>>32), uint32(key)
	y1 ^= y2 | k2
	y2 ^= bits.RotateLeft32(y1&k1, 1)
	return uint64(y1)<<32 | uint64(y2)
}

// u128 is a 128-bit value as two halves, hi the leftmost 64 bits.
type u128 struct{ hi, lo uint64 }

// rotl rotates left by n bits (0 <= n < 128).
func (v u128) rotl(n uint) u128 {
	if n >= 64 {
		v.hi, v.lo = v.lo, v.hi
		n -= 64
	}
	if n == 0 {
		return v
	}
	return u128{v.hi<<n | v.lo>>(64-n), v.lo<<n | v.hi>>(64-n)}
}

// camelliaSchedule is the subkeys in the order one direction uses them.
type camelliaSchedule struct {
	pre, post [2]uint64 // whitening keys before and after the rounds
	k         []uint64  // round keys, 18 or 24
	ke        []uint64  // FL/FL^-1 keys, 4 or 6
}

type camellia struct {
	enc, dec camelliaSchedule
}

// newCamellia returns Camellia with a 16-, 24- or 32-byte key.
func newCamellia(key []byte) (cipher.Block, error) {
	var kl, kr u128
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("camellia: invalid key size %d", len(key))
	}
	kl = u128{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
	switch len(key) {
	case 24:
		r := binary.BigEndian.Uint64(key[16:])
		kr = u128{r, ^r}
	case 32:
		kr = u128{binary.BigEndian.Uint64(key[16:]), binary.BigEndian.Uint64(key[24:])}
	}
	// KA and KB (RFC 3713 §2.2)
	d1, d2 := kl.hi^kr.hi, kl.lo^kr.lo
	d2 ^= camelliaF(d1, camelliaSigma[0])
	d1 ^= camelliaF(d2, camelliaSigma[1])
	d1 ^= kl.hi
	d2 ^= kl.lo
	d2 ^= camelliaF(d1, camelliaSigma[2])
	d1 ^= camelliaF(d2, camelliaSigma[3])
	ka := u128{d1, d2}
	d1, d2 = ka.hi^kr.hi, ka.lo^kr.lo
	d2 ^= camelliaF(d1, camelliaSigma[4])
	d1 ^= camelliaF(d2, camelliaSigma[5])
	kb := u128{d1, d2}

	// Each subkey is half of a rotated KL, KR, KA or KB (RFC 3713 §2.2);
	// halves lists them in order as (key, rotation, left half?).
	type half struct {
		v    *u128
		rot  uint
		left bool
	}
	var kw, k, ke []half
	if len(key) == 16 {
		kw = []half{{&kl, 0, true}, {&kl, 0, false}, {&ka, 111, true}, {&ka, 111, false}}
		k = []half{
			{&ka, 0, true}, {&ka, 0, false}, {&kl, 15, true}, {&kl, 15, false}, {&ka, 15, true}, {&ka, 15, false},
			{&kl, 45, true}, {&kl, 45, false}, {&ka, 45, true}, {&kl, 60, false}, {&ka, 60, true}, {&ka, 60, false},
			{&kl, 94, true}, {&kl, 94, false}, {&ka, 94, true}, {&ka, 94, false}, {&kl, 111, true}, {&kl, 111, false},
		}
		ke = []half{{&ka, 30, true}, {&ka, 30, false}, {&kl, 77, true}, {&kl, 77, false}}
	} else {
		kw = []half{{&kl, 0, true}, {&kl, 0, false}, {&kb, 111, true}, {&kb, 111, false}}
		k = []half{
			{&kb, 0, true}, {&kb, 0, false}, {&kr, 15, true}, {&kr, 15, false}, {&ka, 15, true}, {&ka, 15, false},
			{&kb, 30, true}, {&kb, 30, false}, {&kl, 45, true}, {&kl, 45, false}, {&ka, 45, true}, {&ka, 45, false},
			{&kr, 60, true}, {&kr, 60, false}, {&kb, 60, true}, {&kb, 60, false}, {&kl, 77, true}, {&kl, 77, false},
			{&kr, 94, true}, {&kr, 94, false}, {&ka, 94, true}, {&ka, 94, false}, {&kl, 111, true}, {&kl, 111, false},
		}
		ke = []half{{&kr, 30, true}, {&kr, 30, false}, {&kl, 60, true}, {&kl, 60, false}, {&ka, 77, true}, {&ka, 77, false}}
	}
	get := func(hs []half) []uint64 {
		out := make([]uint64, len(hs))
		for i, h := range hs {
			r := h.v.rotl(h.rot)
			out[i] = r.lo
			if h.left {
				out[i] = r.hi
			}
		}
		return out
	}
	w, rk, fk := get(kw), get(k), get(ke)
	c := &camellia{}
	c.enc = camelliaSchedule{pre: [2]uint64{w[0], w[1]}, post: [2]uint64{w[2], w[3]}, k: rk, ke: fk}
	// Decryption runs the same network with the subkeys reversed.
	c.dec = camelliaSchedule{pre: [2]uint64{w[2], w[3]}, post: [2]uint64{w[0], w[1]},
		k: reversed(rk), ke: reversed(fk)}
	return c, nil
}

func reversed(s []uint64) []uint64 {
	out := make([]uint64, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func (c *camellia) BlockSize() int { return camelliaBlockSize }

func (c *camellia) Encrypt(dst, src []byte) { c.crypt(&c.enc, dst, src) }
func (c *camellia) Decrypt(dst, src []byte) { c.crypt(&c.dec, dst, src) }

// crypt is the data randomizing part (RFC 3713 §2.3): six rounds between
// FL layers, whitening before and after.
func (c *camellia) crypt(s *camelliaSchedule, dst, src []byte) {
	if len(src) < camelliaBlockSize || len(dst) < camelliaBlockSize {
		panic("camellia: input not full block")
	}
	d1 := binary.BigEndian.Uint64(src) ^ s.pre[0]
	d2 := binary.BigEndian.Uint64(src[8:]) ^ s.pre[1]
	for i := 0; i < len(s.k); i += 2 {
		if i > 0 && i%6 == 0 {
			d1 = camelliaFL(d1, s.ke[i/3-2])
			d2 = camelliaFLInv(d2, s.ke[i/3-1])
		}
		d2 ^= camelliaF(d1, s.k[i])
		d1 ^= camelliaF(d2, s.k[i+1])
	}
	binary.BigEndian.PutUint64(dst, d2^s.post[0])
	binary.BigEndian.PutUint64(dst[8:], d1^s.post[1])
}
