package encoding

import (
	"fmt"
	"io"
)

// Encrypted is an SK payload (RFC 7296 §3.14) as it travels: IV,
// ciphertext and ICV in Data, and in Next the type of the first payload
// inside. Decode leaves it in Message.Payloads until Decrypt replaces it by
// the payloads it protects; Encode writes one from a Cipher, or, when
// Payloads already ends with an Encrypted (a decoded message re-encoded as
// is), copies it verbatim.
type Encrypted struct {
	Next  PayloadType
	Flags uint8 // the critical and reserved bits, kept as received
	Data  []byte
	// assoc is the message from its first byte through this payload's
	// header, as received; the ICV covers it.
	assoc []byte
}

func (*Encrypted) Type() PayloadType { return PayloadSK }

func (p *Encrypted) AppendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }
func (p *Encrypted) headerFlags() uint8                  { return p.Flags }
func (p *Encrypted) innerNext() PayloadType              { return p.Next }

// cipherSizes are the sizes a Cipher reports, remembered by Decrypt so that
// a reassembled message's length can be computed as charon reports it.
type cipherSizes struct{ block, iv, icv int }

func sizesOf(c Cipher) cipherSizes {
	bs := c.BlockSize()
	if bs < 1 {
		bs = 1
	}
	return cipherSizes{block: bs, iv: c.IVSize(), icv: c.ICVSize()}
}

// overhead is what protection adds to n bytes of plaintext: padding and
// the pad length octet up to the next block boundary (always at least one
// octet, as in encrypted_payload.c), the IV and the ICV.
func (s cipherSizes) overhead(n int) int {
	return s.block - n%s.block + s.iv + s.icv
}

// seal appends IV || ciphertext || ICV for plain to b. The padding follows
// charon: as many octets as reach the block boundary (at least one), the
// last one the pad length, the others from rand.
func seal(b []byte, c Cipher, rand io.Reader, plain, assoc []byte) ([]byte, error) {
	s := sizesOf(c)
	padLen := s.block - len(plain)%s.block
	padded := make([]byte, len(plain)+padLen)
	copy(padded, plain)
	if padLen > 1 {
		if rand == nil {
			return b, errorf(ErrEncode, PayloadSK, "no source for the padding")
		}
		if _, err := io.ReadFull(rand, padded[len(plain):len(padded)-1]); err != nil {
			return b, fmt.Errorf("encoding: padding: %w", err)
		}
	}
	padded[len(padded)-1] = byte(padLen - 1)
	iv := make([]byte, s.iv)
	if err := c.GenerateIV(iv); err != nil {
		return b, fmt.Errorf("encoding: IV: %w", err)
	}
	b = append(b, iv...)
	// assoc is a prefix of b's backing array; AEADs must not see dst and
	// the additional data overlap, so the cipher gets its own copy.
	return c.Seal(b, iv, padded, append([]byte(nil), assoc...))
}

// open checks the layout of IV || ciphertext || ICV, has the cipher verify
// the ICV and decrypt, and strips the padding.
func open(c Cipher, data, assoc []byte, pt PayloadType) ([]byte, error) {
	s := sizesOf(c)
	if len(data) < s.iv+s.icv {
		return nil, errorf(ErrIntegrity, pt, "decrypting failed, invalid length (%d bytes)", len(data))
	}
	ct := len(data) - s.iv - s.icv
	// the pad length octet is always there, so nothing cannot be valid
	if ct == 0 || ct%s.block != 0 {
		return nil, errorf(ErrIntegrity, pt, "decrypting failed, invalid length (%d bytes of ciphertext, block size %d)", ct, s.block)
	}
	plain, err := c.Open(nil, data[:s.iv], data[s.iv:], assoc)
	if err != nil {
		return nil, errorf(ErrIntegrity, pt, "verifying integrity failed: %v", err)
	}
	if len(plain) == 0 {
		return nil, errorf(ErrMalformed, pt, "decrypting failed, no pad length")
	}
	padLen := int(plain[len(plain)-1]) + 1
	if padLen > len(plain) {
		return nil, errorf(ErrMalformed, pt, "decrypting failed, padding invalid (%d of %d bytes)", padLen, len(plain))
	}
	return plain[:len(plain)-padLen], nil
}
