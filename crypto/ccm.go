package crypto

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"math"
	"unsafe"
)

// CCM (Counter with CBC-MAC, RFC 3610 and NIST SP 800-38C) on any block
// cipher with 16-byte blocks. Neither the standard library nor x/crypto has
// it. IPsec uses it with an 11-byte nonce (3-byte salt from the key material
// and the 8-byte IV, so L = 4) and 8-, 12- or 16-byte ICVs, for ESP
// (RFC 4309) and IKEv2's SK payload (RFC 5282).
//
// The MAC is over the plaintext, so Open has to decrypt before it can check
// the tag; it decrypts into dst and, if the tag does not match, encrypts
// again (CTR mode is its own inverse) when dst is the ciphertext, or clears
// dst otherwise: unauthenticated plaintext never stays behind.

const ccmBlockSize = 16

type ccm struct {
	b        cipher.Block
	nonceLen int // 7 to 13 bytes
	tagLen   int // 4, 6, ..., 16 bytes
}

// newCCM returns CCM on b, which must have 16-byte blocks.
func newCCM(b cipher.Block, nonceLen, tagLen int) (cipher.AEAD, error) {
	if b.BlockSize() != ccmBlockSize {
		return nil, errors.New("ccm: the block cipher must have 16-byte blocks")
	}
	if nonceLen < 7 || nonceLen > 13 {
		return nil, errors.New("ccm: nonce must be 7 to 13 bytes")
	}
	if tagLen < 4 || tagLen > 16 || tagLen%2 != 0 {
		return nil, errors.New("ccm: tag must be 4, 6, ..., 16 bytes")
	}
	return &ccm{b: b, nonceLen: nonceLen, tagLen: tagLen}, nil
}

func (c *ccm) NonceSize() int { return c.nonceLen }
func (c *ccm) Overhead() int  { return c.tagLen }

// lenSize is L, the width of the length field and of the block counter.
func (c *ccm) lenSize() int { return 15 - c.nonceLen }

// maxLen is the longest message L bytes can count.
func (c *ccm) maxLen() uint64 {
	if c.lenSize() >= 8 {
		return math.MaxInt
	}
	return 1<<(8*c.lenSize()) - 1
}

// counter sets ctr to A_i: flags L-1, the nonce and the L-byte counter i.
func (c *ccm) counter(ctr *[ccmBlockSize]byte, nonce []byte, i uint64) {
	ctr[0] = byte(c.lenSize() - 1)
	copy(ctr[1:], nonce)
	for j := ccmBlockSize - 1; j > c.nonceLen; j-- {
		ctr[j] = byte(i)
		i >>= 8
	}
}

// crypt XORs src with the key stream S_1, S_2, ... into dst.
func (c *ccm) crypt(dst, src, nonce []byte) {
	var ctr, ks [ccmBlockSize]byte
	for i := uint64(1); len(src) > 0; i++ {
		c.counter(&ctr, nonce, i)
		c.b.Encrypt(ks[:], ctr[:])
		n := subtle.XORBytes(dst, src, ks[:])
		dst, src = dst[n:], src[n:]
	}
}

// tag computes T (RFC 3610 §2.2) XORed with S_0 (§2.3) into out.
func (c *ccm) tag(out *[ccmBlockSize]byte, nonce, plaintext, aad []byte) {
	var x [ccmBlockSize]byte
	// B_0: flags, nonce, message length
	flags := byte(c.tagLen-2) / 2 << 3
	flags |= byte(c.lenSize() - 1)
	if len(aad) > 0 {
		flags |= 1 << 6
	}
	x[0] = flags
	copy(x[1:], nonce)
	n := uint64(len(plaintext))
	for j := ccmBlockSize - 1; j > c.nonceLen; j-- {
		x[j] = byte(n)
		n >>= 8
	}
	c.b.Encrypt(x[:], x[:])
	if len(aad) > 0 {
		// The length of the associated data, then the data, zero padded.
		var hdr [10]byte
		var h []byte
		switch a := uint64(len(aad)); {
		case a < 1<<16-1<<8:
			h = binary.BigEndian.AppendUint16(hdr[:0], uint16(a))
		case a <= math.MaxUint32:
			h = binary.BigEndian.AppendUint32(append(hdr[:0], 0xff, 0xfe), uint32(a))
		default:
			h = binary.BigEndian.AppendUint64(append(hdr[:0], 0xff, 0xff), a)
		}
		c.macBlocks(&x, h, aad)
	}
	c.macBlocks(&x, plaintext, nil)
	var s0 [ccmBlockSize]byte
	c.counter(&s0, nonce, 0)
	c.b.Encrypt(s0[:], s0[:])
	subtle.XORBytes(out[:], x[:], s0[:])
}

// macBlocks runs the CBC-MAC over a || b, zero padded to the block size.
func (c *ccm) macBlocks(x *[ccmBlockSize]byte, a, b []byte) {
	var blk [ccmBlockSize]byte
	n := 0
	for _, p := range [2][]byte{a, b} {
		for len(p) > 0 {
			k := copy(blk[n:], p)
			n += k
			p = p[k:]
			if n == ccmBlockSize {
				subtle.XORBytes(x[:], x[:], blk[:])
				c.b.Encrypt(x[:], x[:])
				n = 0
			}
		}
	}
	if n > 0 {
		clear(blk[n:])
		subtle.XORBytes(x[:], x[:], blk[:])
		c.b.Encrypt(x[:], x[:])
	}
}

func (c *ccm) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if len(nonce) != c.nonceLen {
		panic("ccm: wrong nonce length")
	}
	if uint64(len(plaintext)) > c.maxLen() {
		panic("ccm: message too long")
	}
	var t [ccmBlockSize]byte
	c.tag(&t, nonce, plaintext, aad)
	out, rest := grow2(dst, len(plaintext)+c.tagLen)
	if inexactOverlap(rest, plaintext) {
		panic("ccm: invalid buffer overlap")
	}
	c.crypt(rest, plaintext, nonce)
	copy(rest[len(plaintext):], t[:c.tagLen])
	return out
}

func (c *ccm) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != c.nonceLen {
		panic("ccm: wrong nonce length")
	}
	if len(ciphertext) < c.tagLen || uint64(len(ciphertext)-c.tagLen) > c.maxLen() {
		return nil, ErrAuthentication
	}
	ct, icv := ciphertext[:len(ciphertext)-c.tagLen], ciphertext[len(ciphertext)-c.tagLen:]
	out, rest := grow2(dst, len(ct))
	if inexactOverlap(rest, ciphertext) {
		panic("ccm: invalid buffer overlap")
	}
	c.crypt(rest, ct, nonce)
	var t [ccmBlockSize]byte
	c.tag(&t, nonce, rest, aad)
	if subtle.ConstantTimeCompare(t[:c.tagLen], icv) != 1 {
		if len(rest) > 0 && &rest[0] == &ct[0] {
			c.crypt(rest, rest, nonce)
		} else {
			clear(rest)
		}
		return nil, ErrAuthentication
	}
	return out, nil
}

// grow2 extends b by n bytes and returns the whole slice and the new tail,
// reallocating only when the capacity is short (the standard library's
// sliceForAppend).
func grow2(b []byte, n int) (whole, tail []byte) {
	whole = grow(b, n)
	return whole, whole[len(b):]
}

// inexactOverlap reports whether x and y share memory at different offsets,
// which an in-place Seal or Open cannot handle (the standard library's
// crypto/internal/alias, which is not exported).
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	xs, ys := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	return xs <= ys+uintptr(len(y)-1) && ys <= xs+uintptr(len(x)-1)
}
