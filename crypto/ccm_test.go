package crypto

import (
	"bytes"
	"crypto/aes"
	"errors"
	"testing"
)

// TestCCMVectors runs CCM with the nonce and tag lengths of RFC 3610,
// RFC 5528 and SP 800-38C, sealing and opening, in place and into a fresh
// buffer.
func TestCCMVectors(t *testing.T) {
	for _, v := range ccmVectors {
		newBlock := aes.NewCipher
		if v.camellia {
			newBlock = newCamellia
		}
		b, err := newBlock(unhex(t, v.key))
		if err != nil {
			t.Fatal(err)
		}
		nonce, aad, plain, want := unhex(t, v.nonce), unhex(t, v.aad), unhex(t, v.plain), unhex(t, v.want)
		c, err := newCCM(b, len(nonce), v.tagLen)
		if err != nil {
			t.Fatalf("%s: %v", v.source, err)
		}
		mustEqual(t, v.source, c.Seal(nil, nonce, plain, aad), want)
		buf := make([]byte, len(plain), len(want))
		copy(buf, plain)
		mustEqual(t, v.source+" in place", c.Seal(buf[:0], nonce, buf, aad), want)
		got, err := c.Open(nil, nonce, want, aad)
		if err != nil {
			t.Fatalf("%s open: %v", v.source, err)
		}
		mustEqual(t, v.source+" open", got, plain)
		in := bytes.Clone(want)
		got, err = c.Open(in[:0], nonce, in, aad)
		if err != nil {
			t.Fatalf("%s open in place: %v", v.source, err)
		}
		mustEqual(t, v.source+" open in place", got, plain)
	}
}

// TestCCMRejects: a changed byte anywhere fails, and the buffer given to an
// in-place Open holds the ciphertext again afterwards, not unverified
// plaintext.
func TestCCMRejects(t *testing.T) {
	v := ccmVectors[0]
	b, _ := aes.NewCipher(unhex(t, v.key))
	nonce, aad, sealed := unhex(t, v.nonce), unhex(t, v.aad), unhex(t, v.want)
	c, err := newCCM(b, len(nonce), v.tagLen)
	if err != nil {
		t.Fatal(err)
	}
	for pos := range sealed {
		in := bytes.Clone(sealed)
		in[pos] ^= 0x80
		bad := bytes.Clone(in)
		if _, err := c.Open(in[:0], nonce, in, aad); !errors.Is(err, ErrAuthentication) {
			t.Fatalf("byte %d changed, open: %v", pos, err)
		}
		mustEqual(t, "buffer after a failed open", in, bad)
		out := make([]byte, 0, len(in))
		if _, err := c.Open(out, nonce, bad, aad); !errors.Is(err, ErrAuthentication) ||
			!bytes.Equal(out[:cap(out)], make([]byte, cap(out))) {
			t.Fatalf("byte %d changed: %v, output %x", pos, err, out[:cap(out)])
		}
	}
	if _, err := c.Open(nil, nonce, sealed, []byte("other")); !errors.Is(err, ErrAuthentication) {
		t.Errorf("other associated data: %v", err)
	}
	if _, err := c.Open(nil, nonce, sealed[:3], aad); !errors.Is(err, ErrAuthentication) {
		t.Errorf("short input: %v", err)
	}
	for _, bad := range [][2]int{{6, 8}, {14, 8}, {13, 3}, {13, 18}, {13, 7}} {
		if _, err := newCCM(b, bad[0], bad[1]); err == nil {
			t.Errorf("nonce %d, tag %d accepted", bad[0], bad[1])
		}
	}
}
