package radius

import (
	"bytes"
	"testing"

	"github.com/goswan/goswan/eap"
)

// FuzzMessage: whatever a RADIUS server (or anyone who can reach the
// socket) sends, Parse and everything that reads a parsed message return
// without panicking, and a parsed message encodes as it came.
func FuzzMessage(f *testing.F) {
	secret := []byte("gv6URkSs")
	req := &Message{Code: AccessRequest, Identifier: 9}
	req.Add(AttrUserName, []byte("carol"))
	if err := req.Sign(secret, &countingReader{}); err != nil {
		f.Fatal(err)
	}
	f.Add(req.Encode())
	f.Add(respond(f, req, AccessChallenge, secret, Attribute{AttrEAPMessage, []byte{1, 1, 0, 6, 4, 0}},
		Attribute{AttrState, []byte("s")}))
	f.Add(respond(f, req, AccessAccept, secret, Attribute{AttrClass, []byte("Research")},
		Attribute{AttrVendorSpecific, mppeAttr(msMPPESendKey, encryptMPPE([]byte("0123456789abcdef"), [2]byte{0x80, 1}, req.Authenticator, secret))},
		Attribute{AttrVendorSpecific, mppeAttr(msMPPERecvKey, encryptMPPE([]byte("fedcba9876543210"), [2]byte{0x80, 2}, req.Authenticator, secret))}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Encode(), b) {
			t.Fatalf("%x encodes as %x", b, m.Encode())
		}
		_ = m.Verify(req.Authenticator, secret)
		_ = m.VendorAttributes()
		_ = m.MSK(req.Authenticator, secret)
		_ = m.Code.String()
	})
}

// FuzzMethodResponse: the EAP_RADIUS method takes any verified response
// to its Access-Request (fuzzed attributes, signed with the secret so
// that they get past verification) without panicking.
func FuzzMethodResponse(f *testing.F) {
	f.Add(byte(AccessChallenge), []byte{AttrEAPMessage, 8, 1, 1, 0, 6, 4, 0})
	f.Add(byte(AccessAccept), []byte{AttrSessionTimeout, 6, 0, 0, 0, 60, AttrClass, 3, 'x'})
	f.Add(byte(AccessAccept), append([]byte{AttrVendorSpecific, 12, 0, 0, 1, 0x37, msMPPESendKey, 6, 0x80, 1}, 1, 2))
	f.Fuzz(func(t *testing.T, code byte, attrs []byte) {
		parsed, err := Parse(fixLen(append(make([]byte, headerLen), attrs...)))
		if err != nil {
			return
		}
		s := &fakeServer{t: t, secret: []byte("gv6URkSs")}
		s.handle = func(_ int, req *Message) [][]byte {
			return [][]byte{respond(t, req, Code(code), s.secret, parsed.Attributes...)}
		}
		m, _ := newTestMethod(t, s, Options{ClassGroup: true})
		if _, st := m.Initiate(); st == eap.NeedMore {
			_, _ = m.Process([]byte{2, 1, 0, 6, 4, 0})
		}
		_, _ = m.MSK()
		_ = m.(eap.AuthProvider).Auth()
		_, _ = m.Type()
	})
}
