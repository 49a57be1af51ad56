package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"hash"
)

// The standard library and golang.org/x/crypto have neither AES-XCBC-MAC
// (RFC 3566) nor AES-CMAC (RFC 4493), both of which IKEv2 and ESP use, so
// they are built here on crypto/aes. Both are CBC-MACs that differ only in
// how the last block is masked: XCBC derives K1..K3 by encrypting constants,
// CMAC derives two subkeys by doubling in GF(2^128).

// cbcMAC is the state both MACs share: a block cipher, the chaining value,
// and a not-yet-processed tail of at most one block (the last block needs the
// final masking, so a full block is held back until more data arrives).
type cbcMAC struct {
	c       cipher.Block
	e       [aes.BlockSize]byte // chaining value E[i-1]
	buf     [aes.BlockSize]byte
	n       int                 // bytes in buf
	full    [aes.BlockSize]byte // mask for a complete last block
	partial [aes.BlockSize]byte // mask for a padded last block
	// pad is the first padding byte: 0x80 for both (10* padding).
	pad byte
}

func (m *cbcMAC) Size() int      { return aes.BlockSize }
func (m *cbcMAC) BlockSize() int { return aes.BlockSize }

func (m *cbcMAC) Reset() {
	clear(m.e[:])
	clear(m.buf[:])
	m.n = 0
}

func (m *cbcMAC) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		if m.n == aes.BlockSize {
			// More data follows, so the held block is not the last one.
			subtle.XORBytes(m.e[:], m.e[:], m.buf[:])
			m.c.Encrypt(m.e[:], m.e[:])
			m.n = 0
		}
		k := copy(m.buf[m.n:], p)
		m.n += k
		p = p[k:]
	}
	return written, nil
}

func (m *cbcMAC) Sum(b []byte) []byte {
	var last [aes.BlockSize]byte
	copy(last[:], m.buf[:m.n])
	mask := &m.full
	if m.n < aes.BlockSize {
		last[m.n] = m.pad
		mask = &m.partial
	}
	var out [aes.BlockSize]byte
	subtle.XORBytes(out[:], m.e[:], last[:])
	subtle.XORBytes(out[:], out[:], mask[:])
	m.c.Encrypt(out[:], out[:])
	return append(b, out[:]...)
}

// newXCBC returns AES-XCBC-MAC-96's untruncated MAC (RFC 3566) for a 16-byte
// key.
func newXCBC(key []byte) (*cbcMAC, error) { return newXCBCOn(aes.NewCipher, key) }

// newXCBCOn is XCBC-MAC on any cipher with 16-byte blocks: AES (RFC 3566)
// or Camellia (draft-kanno-ipsecme-camellia-xcbc).
func newXCBCOn(newBlock func([]byte) (cipher.Block, error), key []byte) (*cbcMAC, error) {
	k, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	var k1, k2, k3 [aes.BlockSize]byte
	for i := range aes.BlockSize {
		k1[i], k2[i], k3[i] = 0x01, 0x02, 0x03
	}
	k.Encrypt(k1[:], k1[:])
	k.Encrypt(k2[:], k2[:])
	k.Encrypt(k3[:], k3[:])
	c, err := newBlock(k1[:])
	if err != nil {
		return nil, err
	}
	return &cbcMAC{c: c, full: k2, partial: k3, pad: 0x80}, nil
}

// newXCBCPRF is AES-XCBC-PRF-128 (RFC 4434 §2): a key shorter than 16 bytes
// is padded with zeros, a longer one replaced by its AES-XCBC-MAC under the
// all-zero key.
func newXCBCPRF(key []byte) (hash.Hash, error) {
	return newXCBC(resizeMACKey(key, newXCBCZero, true))
}

func newXCBCZero() *cbcMAC {
	m, _ := newXCBC(make([]byte, aes.BlockSize)) // a 16-byte key cannot fail
	return m
}

// resizeMACKey brings key to the AES-128 key length: shorter keys are zero
// padded when padShort is set (XCBC-PRF), otherwise, like longer keys, run
// through the MAC under the all-zero key (CMAC-PRF, RFC 4615 §3).
func resizeMACKey(key []byte, zeroMAC func() *cbcMAC, padShort bool) []byte {
	switch {
	case len(key) == aes.BlockSize:
		return key
	case len(key) < aes.BlockSize && padShort:
		k := make([]byte, aes.BlockSize)
		copy(k, key)
		return k
	}
	m := zeroMAC()
	m.Write(key)
	return m.Sum(nil)
}

// newCMAC returns AES-CMAC (RFC 4493) for a 16-, 24- or 32-byte key.
func newCMAC(key []byte) (*cbcMAC, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	var l [aes.BlockSize]byte
	c.Encrypt(l[:], l[:])
	k1 := gfDouble(l)
	k2 := gfDouble(k1)
	return &cbcMAC{c: c, full: k1, partial: k2, pad: 0x80}, nil
}

// gfDouble multiplies b by x in GF(2^128) with CMAC's polynomial (Rb = 0x87).
func gfDouble(b [aes.BlockSize]byte) [aes.BlockSize]byte {
	var out [aes.BlockSize]byte
	carry := b[0] >> 7
	for i := 0; i < aes.BlockSize-1; i++ {
		out[i] = b[i]<<1 | b[i+1]>>7
	}
	out[aes.BlockSize-1] = b[aes.BlockSize-1]<<1 ^ (0x87 & -carry)
	return out
}

// newCMACPRF is AES-CMAC-PRF-128 (RFC 4615 §3): a key of any length other
// than 16 bytes is replaced by its AES-CMAC under the all-zero key.
func newCMACPRF(key []byte) (hash.Hash, error) {
	return newCMAC(resizeMACKey(key, newCMACZero, false))
}

func newCMACZero() *cbcMAC {
	m, _ := newCMAC(make([]byte, aes.BlockSize)) // a 16-byte key cannot fail
	return m
}

// newXCBCMAC and newCMACMAC are AES-XCBC-MAC-96 and AES-CMAC-96 as integrity
// algorithms (RFC 3566, RFC 4494): the MAC keyed with exactly 16 bytes.
func newXCBCMAC(key []byte) (hash.Hash, error) { return newXCBC(key) }
func newCMACMAC(key []byte) (hash.Hash, error) { return newCMAC(key) }

// Camellia-XCBC-96 and Camellia-XCBC-PRF-128 are the AES constructions on
// Camellia (draft-kanno-ipsecme-camellia-xcbc), with the key handling of
// RFC 4434.
func newCamelliaXCBCMAC(key []byte) (hash.Hash, error) { return newXCBCOn(newCamellia, key) }

func newCamelliaXCBCPRF(key []byte) (hash.Hash, error) {
	zero := func() *cbcMAC {
		m, _ := newXCBCOn(newCamellia, make([]byte, aes.BlockSize)) // a 16-byte key cannot fail
		return m
	}
	return newXCBCOn(newCamellia, resizeMACKey(key, zero, true))
}
