package radius

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Access-Request and Access-Accept of RFC 2865 §7.1 (secret
// "xyzzy5461"): the reply's Response Authenticator is a known answer.
func TestRFC2865Example(t *testing.T) {
	reqBytes := unhex(t, "01 00 0038 0f403f9473978057bd83d5cb98f4227a 01 06 6e656d6f "+
		"02 12 0dbe708d93d413ce3196e43f782a0aee 04 06 c0a80110 05 06 00000003")
	acceptBytes := unhex(t, "02 00 0026 86fe220e7624ba2a1005f6bf9b55e0b2 06 06 00000001 0f 06 00000000 0e 06 c0a80103")
	secret := []byte("xyzzy5461")

	req, err := Parse(reqBytes)
	if err != nil {
		t.Fatal(err)
	}
	if req.Code != AccessRequest || req.Identifier != 0 || len(req.Attributes) != 4 {
		t.Fatalf("request: %+v", req)
	}
	if v, _ := req.Get(AttrUserName); string(v) != "nemo" {
		t.Errorf("User-Name %q", v)
	}
	if !bytes.Equal(req.Encode(), reqBytes) {
		t.Errorf("request does not encode as parsed")
	}
	acc, err := Parse(acceptBytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Verify(req.Authenticator, secret); err != nil {
		t.Errorf("RFC 2865's Access-Accept: %v", err)
	}
	if err := acc.Verify(req.Authenticator, []byte("xyzzy5462")); !errors.Is(err, ErrResponseAuthenticator) {
		t.Errorf("wrong secret: %v", err)
	}
	other := req.Authenticator
	other[0] ^= 1
	if err := acc.Verify(other, secret); !errors.Is(err, ErrResponseAuthenticator) {
		t.Errorf("another request's authenticator: %v", err)
	}
	if got := acc.Code.String(); got != "Access-Accept" {
		t.Errorf("code name %q", got)
	}
	if got := Code(99).String(); got != "(99)" {
		t.Errorf("unknown code name %q", got)
	}
}

// respond builds what a server sends back to req, as RFC 2865 §3 and RFC
// 3579 §3.2 say, without the package's own signing: the
// Message-Authenticator over the reply with the request's authenticator,
// then the Response Authenticator over the reply with it.
func respond(t testing.TB, req *Message, code Code, secret []byte, attrs ...Attribute) []byte {
	t.Helper()
	body := []byte{}
	for _, a := range attrs {
		body = append(body, a.Type, byte(2+len(a.Value)))
		body = append(body, a.Value...)
	}
	maOff := len(body) + 2
	body = append(body, AttrMessageAuthenticator, 18)
	body = append(body, make([]byte, 16)...)
	pkt := []byte{byte(code), req.Identifier, 0, 0}
	binary.BigEndian.PutUint16(pkt[2:], uint16(20+len(body)))
	pkt = append(pkt, req.Authenticator[:]...)
	pkt = append(pkt, body...)
	mac := hmac.New(md5.New, secret)
	mac.Write(pkt)
	copy(pkt[20+maOff:], mac.Sum(nil))
	h := md5.New()
	h.Write(pkt)
	h.Write(secret)
	copy(pkt[4:20], h.Sum(nil))
	return pkt
}

// countingReader is a deterministic random source.
type countingReader struct{ n byte }

func (r *countingReader) Read(b []byte) (int, error) {
	for i := range b {
		r.n++
		b[i] = r.n
	}
	return len(b), nil
}

func TestSignMessageAuthenticator(t *testing.T) {
	secret := []byte("gv6URkSs")
	m := &Message{Code: AccessRequest, Identifier: 7}
	m.Add(AttrUserName, []byte("carol"))
	m.Add(AttrEAPMessage, []byte{2, 0, 0, 10, 1, 'c', 'a', 'r', 'o', 'l'})
	if err := m.Sign(secret, &countingReader{}); err != nil {
		t.Fatal(err)
	}
	if m.Authenticator != [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16} {
		t.Errorf("request authenticator %x", m.Authenticator)
	}
	wire := m.Encode()
	// The Message-Authenticator is the last attribute: HMAC-MD5 over the
	// packet with it zeroed.
	ma := slices.Clone(wire[len(wire)-16:])
	if wire[len(wire)-18] != AttrMessageAuthenticator || wire[len(wire)-17] != 18 {
		t.Fatalf("no Message-Authenticator at the end: %x", wire)
	}
	clear(wire[len(wire)-16:])
	mac := hmac.New(md5.New, secret)
	mac.Write(wire)
	if !hmac.Equal(mac.Sum(nil), ma) {
		t.Errorf("Message-Authenticator %x, want %x", ma, mac.Sum(nil))
	}
	// A request verifies by its Message-Authenticator alone.
	if err := m.Verify([16]byte{}, secret); err != nil {
		t.Errorf("own request: %v", err)
	}
	m.Attributes[0].Value[0] = 'C'
	if err := m.Verify([16]byte{}, secret); !errors.Is(err, ErrMessageAuthenticator) {
		t.Errorf("changed request: %v", err)
	}
}

func TestVerifyResponse(t *testing.T) {
	secret := []byte("gv6URkSs")
	req := &Message{Code: AccessRequest, Identifier: 200}
	req.Add(AttrUserName, []byte("carol"))
	if err := req.Sign(secret, &countingReader{}); err != nil {
		t.Fatal(err)
	}
	eapReq := Attribute{AttrEAPMessage, []byte{1, 1, 0, 6, 4, 0}}
	good := respond(t, req, AccessChallenge, secret, eapReq)

	parse := func(b []byte) *Message {
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if err := parse(good).Verify(req.Authenticator, secret); err != nil {
		t.Fatalf("good response: %v", err)
	}

	tests := []struct {
		name string
		msg  func() *Message
		want error
	}{
		{"wrong secret", func() *Message { return parse(respond(t, req, AccessChallenge, []byte("x"), eapReq)) }, ErrResponseAuthenticator},
		{"changed attribute", func() *Message {
			b := slices.Clone(good)
			b[len(b)-19] ^= 0x80 // in the EAP-Message
			return parse(b)
		}, ErrResponseAuthenticator},
		{"Message-Authenticator changed, Response Authenticator redone", func() *Message {
			m := parse(good)
			m.Attributes[1].Value[3] ^= 1
			resign(m, req.Authenticator, secret)
			return m
		}, ErrMessageAuthenticator},
		{"Message-Authenticator too short", func() *Message {
			m := parse(good)
			m.Attributes[1].Value = m.Attributes[1].Value[:15]
			resign(m, req.Authenticator, secret)
			return m
		}, ErrMessageAuthLength},
		{"EAP-Message without Message-Authenticator", func() *Message {
			m := parse(good)
			m.Attributes = m.Attributes[:1]
			resign(m, req.Authenticator, secret)
			return m
		}, ErrMessageAuthMissing},
	}
	for _, tt := range tests {
		if err := tt.msg().Verify(req.Authenticator, secret); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}

	// Without an EAP-Message, no Message-Authenticator is needed.
	m := parse(good)
	m.Attributes = []Attribute{{AttrSessionTimeout, []byte{0, 0, 0, 60}}}
	resign(m, req.Authenticator, secret)
	if err := m.Verify(req.Authenticator, secret); err != nil {
		t.Errorf("response without EAP-Message: %v", err)
	}
}

// resign recomputes the Response Authenticator alone, as a server would
// for the reply as it stands.
func resign(m *Message, reqAuth [16]byte, secret []byte) {
	m.Authenticator = reqAuth
	h := md5.New()
	h.Write(m.Encode())
	h.Write(secret)
	copy(m.Authenticator[:], h.Sum(nil))
}

func TestParseRejects(t *testing.T) {
	ok := unhex(t, "0b 01 0018 00000000000000000000000000000000 4f 04 0304")
	if _, err := Parse(ok); err != nil {
		t.Fatalf("valid: %v", err)
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrLength},
		{"shorter than a header", ok[:19], ErrLength},
		{"length field too long", append(slices.Clone(ok[:3]), 0x19, 0), ErrLength},
		{"trailing octet", append(slices.Clone(ok), 0), ErrLength},
		{"attribute length 1", fixLen(unhex(t, "0b 01 0000 00000000000000000000000000000000 4f 01 00 00")), ErrTruncated},
		{"attribute past the end", fixLen(unhex(t, "0b 01 0000 00000000000000000000000000000000 4f 05 0304")), ErrTruncated},
		{"lone type octet", fixLen(unhex(t, "0b 01 0000 00000000000000000000000000000000 4f")), ErrTruncated},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// fixLen sets a packet's length field to its length.
func fixLen(b []byte) []byte {
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func TestAddCutsLongValues(t *testing.T) {
	var m Message
	long := bytes.Repeat([]byte{'x'}, 300)
	m.Add(AttrEAPMessage, long)
	if len(m.Attributes[0].Value) != MaxAttributeSize {
		t.Errorf("value of %d octets", len(m.Attributes[0].Value))
	}
	long[0] = 'y'
	if m.Attributes[0].Value[0] != 'x' {
		t.Error("Add keeps the caller's slice")
	}
	got, err := Parse(m.Encode())
	if err != nil || len(got.Attributes) != 1 || len(got.Attributes[0].Value) != MaxAttributeSize {
		t.Errorf("round trip: %v %+v", err, got)
	}
}

func TestVendorAttributes(t *testing.T) {
	var m Message
	// Two sub-attributes of vendor 311, then one whose length overruns.
	m.Add(AttrVendorSpecific, unhex(t, "00000137 10 04 aabb 11 03 cc 07 09 00"))
	m.Add(AttrVendorSpecific, unhex(t, "000000"))
	got := m.VendorAttributes()
	want := []VendorAttribute{{311, 16, []byte{0xaa, 0xbb}}, {311, 17, []byte{0xcc}}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Vendor != want[i].Vendor || got[i].Type != want[i].Type || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// encryptMPPE is RFC 2548 §2.4.2's encryption, the server's side: the
// key's length, the key, zero padding to 16-octet blocks, each block
// XORed with MD5(secret | request authenticator | salt) for the first and
// MD5(secret | previous ciphertext) for the next ones.
func encryptMPPE(key []byte, salt [2]byte, reqAuth [16]byte, secret []byte) []byte {
	p := append([]byte{byte(len(key))}, key...)
	for len(p)%16 != 0 {
		p = append(p, 0)
	}
	out := append([]byte{}, salt[:]...)
	prev := append(reqAuth[:], salt[:]...)
	for i := 0; i < len(p); i += 16 {
		b := md5.Sum(append(slices.Clone(secret), prev...))
		c := make([]byte, 16)
		for j := range c {
			c[j] = p[i+j] ^ b[j]
		}
		out = append(out, c...)
		prev = c
	}
	return out
}

// mppeAttr is a Vendor-Specific attribute of Microsoft's with one MPPE key.
func mppeAttr(typ byte, enc []byte) []byte {
	v := binary.BigEndian.AppendUint32(nil, penMicrosoft)
	v = append(v, typ, byte(2+len(enc)))
	return append(v, enc...)
}

func TestMSK(t *testing.T) {
	secret := []byte("gv6URkSs")
	reqAuth := [16]byte{0x11, 0x22, 0x33}
	send := bytes.Repeat([]byte{0x5e}, 32)
	recv := bytes.Repeat([]byte{0xec}, 32)
	var m Message
	m.Code = AccessAccept
	m.Add(AttrVendorSpecific, mppeAttr(msMPPESendKey, encryptMPPE(send, [2]byte{0x80, 1}, reqAuth, secret)))
	m.Add(AttrVendorSpecific, mppeAttr(msMPPERecvKey, encryptMPPE(recv, [2]byte{0x80, 2}, reqAuth, secret)))
	msk := m.MSK(reqAuth, secret)
	if want := append(slices.Clone(recv), send...); !bytes.Equal(msk, want) {
		t.Errorf("MSK %x, want %x", msk, want)
	}

	// Shorter keys are padded to 64 octets.
	var short Message
	short.Add(AttrVendorSpecific, mppeAttr(msMPPESendKey, encryptMPPE(send[:16], [2]byte{0x80, 3}, reqAuth, secret)))
	short.Add(AttrVendorSpecific, mppeAttr(msMPPERecvKey, encryptMPPE(recv[:16], [2]byte{0x80, 4}, reqAuth, secret)))
	want := append(append(slices.Clone(recv[:16]), send[:16]...), make([]byte, 32)...)
	if got := short.MSK(reqAuth, secret); !bytes.Equal(got, want) {
		t.Errorf("short keys: %x, want %x", got, want)
	}

	// One key alone, or keys that decrypt to a length beyond their
	// data, give no MSK.
	var one Message
	one.Add(AttrVendorSpecific, mppeAttr(msMPPESendKey, encryptMPPE(send, [2]byte{0x80, 1}, reqAuth, secret)))
	if got := one.MSK(reqAuth, secret); got != nil {
		t.Errorf("send key alone: %x", got)
	}
	var bad Message
	bad.Add(AttrVendorSpecific, mppeAttr(msMPPESendKey, encryptMPPE(send, [2]byte{0x80, 1}, reqAuth, []byte("other"))))
	bad.Add(AttrVendorSpecific, mppeAttr(msMPPERecvKey, encryptMPPE(recv, [2]byte{0x80, 2}, reqAuth, secret)))
	if got := bad.MSK(reqAuth, secret); got != nil && bytes.Equal(got[32:64], send) {
		t.Errorf("send key decrypted with another secret")
	}
}
