package radius

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/eap"
)

// timeoutError is what a read past its deadline returns.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// fakeServer is a Conn to a RADIUS server that answers each request with
// what handle returns (nil: no answer, a read times out at once, so no
// test waits).
type fakeServer struct {
	t        *testing.T
	secret   []byte
	handle   func(n int, req *Message) [][]byte
	requests []*Message
	queue    [][]byte
	closed   bool
}

func (s *fakeServer) Write(b []byte) (int, error) {
	req, err := Parse(b)
	if err != nil {
		s.t.Fatalf("client sent an invalid message: %v", err)
	}
	if err := req.Verify([16]byte{}, s.secret); err != nil {
		s.t.Errorf("client's request: %v", err)
	}
	s.requests = append(s.requests, req)
	s.queue = append(s.queue, s.handle(len(s.requests), req)...)
	return len(b), nil
}

func (s *fakeServer) Read(b []byte) (int, error) {
	if len(s.queue) == 0 {
		return 0, timeoutError{}
	}
	n := copy(b, s.queue[0])
	s.queue = s.queue[1:]
	return n, nil
}

func (s *fakeServer) SetReadDeadline(time.Time) error { return nil }
func (s *fakeServer) Close() error                    { s.closed = true; return nil }

// logLines collects what the client logs.
type logLines []string

func (l *logLines) Logf(_ bus.Group, _ bus.Level, format string, args ...any) {
	*l = append(*l, fmt.Sprintf(format, args...))
}

func (l logLines) has(s string) bool {
	return slices.ContainsFunc(l, func(x string) bool { return strings.Contains(x, s) })
}

func newTestPool(t *testing.T, s *fakeServer) *Pool {
	srv := Server{Name: "alice", Address: "10.1.0.10", AuthPort: 1812, NASIdentifier: "strongSwan",
		Secret: s.secret, Tries: 3, Timeout: 2, Base: 1.4}
	var dialed int
	p := NewPool(srv, func(address string, port uint16) (Conn, error) {
		dialed++
		if address != "10.1.0.10" || port != 1812 || dialed > 1 {
			t.Errorf("dial %s:%d (%d times)", address, port, dialed)
		}
		return s, nil
	}, &countingReader{})
	t.Cleanup(p.Close)
	return p
}

func TestClientRetransmits(t *testing.T) {
	s := &fakeServer{t: t, secret: []byte("gv6URkSs")}
	s.handle = func(n int, req *Message) [][]byte {
		if n < 3 {
			return nil // the first two are lost
		}
		return [][]byte{respond(t, req, AccessReject, s.secret)}
	}
	var log logLines
	c := NewClient(newTestPool(t, s), &log)
	resp := c.Request(&Message{Code: AccessRequest})
	if resp == nil || resp.Code != AccessReject {
		t.Fatalf("response %+v; log %q", resp, log)
	}
	if len(s.requests) != 3 {
		t.Errorf("%d requests sent", len(s.requests))
	}
	// Retransmissions are the same packet.
	if !bytes.Equal(s.requests[0].Encode(), s.requests[2].Encode()) {
		t.Error("retransmission differs")
	}
	for _, want := range []string{"sending RADIUS Access-Request to server 'alice'",
		"retransmit 1 of RADIUS Access-Request (timeout: 2.8s)", "retransmit 2 of RADIUS Access-Request (timeout: 3.9s)",
		"received RADIUS Access-Reject from server 'alice'"} {
		if !log.has(want) {
			t.Errorf("no %q in %q", want, log)
		}
	}
	if v, _ := s.requests[0].Get(AttrNASIdentifier); string(v) != "strongSwan" {
		t.Errorf("NAS-Identifier %q", v)
	}
}

func TestClientGivesUp(t *testing.T) {
	s := &fakeServer{t: t, secret: []byte("gv6URkSs"), handle: func(int, *Message) [][]byte { return nil }}
	var log logLines
	p := newTestPool(t, s)
	if resp := NewClient(p, &log).Request(&Message{Code: AccessRequest}); resp != nil {
		t.Fatalf("response %+v", resp)
	}
	if len(s.requests) != 3 || !log.has("RADIUS Access-Request timed out after 3 attempts") {
		t.Errorf("%d requests; log %q", len(s.requests), log)
	}
	// An unreachable server loses its reachability bonus.
	if got := p.Preference(); got != 100 {
		t.Errorf("preference %d", got)
	}
}

func TestClientSkipsOtherIdentifiers(t *testing.T) {
	s := &fakeServer{t: t, secret: []byte("gv6URkSs")}
	s.handle = func(_ int, req *Message) [][]byte {
		stale := *req
		stale.Identifier--
		return [][]byte{respond(t, &stale, AccessAccept, s.secret), respond(t, req, AccessReject, s.secret)}
	}
	var log logLines
	resp := NewClient(newTestPool(t, s), &log).Request(&Message{Code: AccessRequest})
	if resp == nil || resp.Code != AccessReject || len(s.requests) != 1 {
		t.Fatalf("response %+v after %d requests", resp, len(s.requests))
	}
	if !log.has("received RADIUS message with unexpected ID") {
		t.Errorf("log %q", log)
	}
}

func TestClientRejectsForgedResponse(t *testing.T) {
	s := &fakeServer{t: t, secret: []byte("gv6URkSs")}
	s.handle = func(_ int, req *Message) [][]byte {
		return [][]byte{respond(t, req, AccessAccept, []byte("guessed"))}
	}
	var log logLines
	if resp := NewClient(newTestPool(t, s), &log).Request(&Message{Code: AccessRequest}); resp != nil {
		t.Fatalf("forged response taken: %+v", resp)
	}
	if !log.has("RADIUS Response-Authenticator verification failed") {
		t.Errorf("log %q", log)
	}
}

// newTestMethod is the EAP_RADIUS method for carol's IKE_SA with moon,
// talking to s.
func newTestMethod(t *testing.T, s *fakeServer, opts Options) (eap.Method, *logLines) {
	log := &logLines{}
	p := &Plugin{Servers: []*Pool{newTestPool(t, s)}, Options: opts, Rand: &countingReader{}}
	m := p.NewMethod(&eap.Context{
		Peer: credentials.ParseIdentity("carol"), Server: credentials.ParseIdentity("moon.strongswan.org"), Log: log,
		SA: eap.SAInfo{UniqueID: 3, Name: "rw-eap",
			MyHost: netip.MustParseAddrPort("192.168.0.1:4500"), OtherHost: netip.MustParseAddrPort("192.168.0.100:4500")},
	})
	if m == nil {
		t.Fatal("no method")
	}
	t.Cleanup(m.Destroy)
	return m, log
}

// eapMessage joins a message's EAP-Message attributes.
func eapMessage(m *Message) []byte {
	var out []byte
	for _, a := range m.Attributes {
		if a.Type == AttrEAPMessage {
			out = append(out, a.Value...)
		}
	}
	return out
}

// splitEAP is what a server does with a long EAP message: one attribute
// per 253 octets.
func splitEAP(p []byte) []Attribute {
	var out []Attribute
	for len(p) > MaxAttributeSize {
		out = append(out, Attribute{AttrEAPMessage, p[:MaxAttributeSize]})
		p = p[MaxAttributeSize:]
	}
	return append(out, Attribute{AttrEAPMessage, p})
}

// A whole conversation: the identity response goes first, the server's
// long challenge comes in several EAP-Message attributes, the peer's
// long response is split the same way, the Access-Accept's MPPE keys make
// the MSK, its State is echoed, Class and Session-Timeout are taken.
func TestMethodConversation(t *testing.T) {
	s := &fakeServer{t: t, secret: []byte("gv6URkSs")}
	challenge := append([]byte{1, 7, 0x02, 0x58, 13, 0x20}, bytes.Repeat([]byte{0xab}, 600-6)...)
	response := append([]byte{2, 7, 0x02, 0x8a, 13, 0x00}, bytes.Repeat([]byte{0xcd}, 650-6)...)
	msk := append(bytes.Repeat([]byte{0x5e}, 16), bytes.Repeat([]byte{0xec}, 16)...) // send, recv
	s.handle = func(n int, req *Message) [][]byte {
		switch n {
		case 1:
			attrs := append(splitEAP(challenge), Attribute{AttrState, []byte("state-1")})
			return [][]byte{respond(t, req, AccessChallenge, s.secret, attrs...)}
		default:
			return [][]byte{respond(t, req, AccessAccept, s.secret,
				Attribute{AttrEAPMessage, []byte{3, 7, 0, 4}},
				Attribute{AttrClass, []byte("Research")},
				Attribute{AttrSessionTimeout, []byte{0, 0, 0x0e, 0x10}},
				Attribute{AttrVendorSpecific, mppeAttr(msMPPESendKey, encryptMPPE(msk[:16], [2]byte{0x80, 1}, req.Authenticator, s.secret))},
				Attribute{AttrVendorSpecific, mppeAttr(msMPPERecvKey, encryptMPPE(msk[16:], [2]byte{0x80, 2}, req.Authenticator, s.secret))},
			)}
		}
	}
	m, log := newTestMethod(t, s, Options{ClassGroup: true, StationIDWithPort: true})
	m.SetIdentifier(5)

	out, st := m.Initiate()
	if st != eap.NeedMore || !bytes.Equal(out, challenge) {
		t.Fatalf("initiate: %v %x", st, out)
	}
	if typ, vendor := m.Type(); typ != eap.TypeTLS || vendor != 0 {
		t.Errorf("type %d-%d after the server chose", typ, vendor)
	}
	first := s.requests[0]
	wantAttrs := map[uint8]string{
		AttrUserName: "carol", AttrNASPortID: "rw-eap", AttrCalledStationID: "192.168.0.1[4500]",
		AttrCallingStationID: "192.168.0.100[4500]", AttrNASIPAddress: "\xc0\xa8\x00\x01", AttrNASPort: "\x00\x00\x00\x03",
		AttrEAPMessage: "\x02\x05\x00\x0a\x01carol",
	}
	for typ, want := range wantAttrs {
		if v, _ := first.Get(typ); string(v) != want {
			t.Errorf("attribute %d: %q, want %q", typ, v, want)
		}
	}
	if _, ok := first.Get(AttrState); ok {
		t.Error("State in the first request")
	}

	out, st = m.Process(response)
	if st != eap.Success || out != nil {
		t.Fatalf("process: %v %x", st, out)
	}
	second := s.requests[1]
	var lens []int
	for _, a := range second.Attributes {
		if a.Type == AttrEAPMessage {
			lens = append(lens, len(a.Value))
		}
	}
	if !slices.Equal(lens, []int{253, 253, 144}) || !bytes.Equal(eapMessage(second), response) {
		t.Errorf("response split into %v", lens)
	}
	if v, _ := second.Get(AttrState); string(v) != "state-1" {
		t.Errorf("State %q", v)
	}
	if got, st := m.MSK(); st != eap.Success || !bytes.Equal(got, append(append(slices.Clone(msk[16:]), msk[:16]...), make([]byte, 32)...)) {
		t.Errorf("MSK %v %x", st, got)
	}
	auth := m.(eap.AuthProvider).Auth()
	if auth == nil || auth.SessionTimeout == nil || *auth.SessionTimeout != 3600 || len(auth.Groups) != 1 || auth.Groups[0].String() != "Research" {
		t.Errorf("auth %+v", auth)
	}
	for _, want := range []string{"received group membership 'Research' from RADIUS", "RADIUS authentication of 'carol' successful"} {
		if !log.has(want) {
			t.Errorf("no %q in %q", want, *log)
		}
	}
}

func TestMethodRejected(t *testing.T) {
	s := &fakeServer{t: t, secret: []byte("gv6URkSs")}
	s.handle = func(n int, req *Message) [][]byte {
		if n == 1 {
			return [][]byte{respond(t, req, AccessChallenge, s.secret, Attribute{AttrEAPMessage, []byte{1, 2, 0, 6, 4, 0}})}
		}
		return [][]byte{respond(t, req, AccessReject, s.secret, Attribute{AttrEAPMessage, []byte{4, 2, 0, 4}})}
	}
	m, log := newTestMethod(t, s, Options{IDPrefix: "pre-"})
	if _, st := m.Initiate(); st != eap.NeedMore {
		t.Fatalf("initiate: %v", st)
	}
	if v, _ := s.requests[0].Get(AttrUserName); string(v) != "pre-carol" {
		t.Errorf("User-Name %q", v)
	}
	if typ, _ := m.Type(); typ != eap.TypeMD5 {
		t.Errorf("type %d", typ)
	}
	if _, st := m.Process([]byte{2, 2, 0, 6, 4, 0}); st != eap.Failed {
		t.Errorf("process: %v", st)
	}
	if !log.has("RADIUS authentication of 'carol' failed") {
		t.Errorf("log %q", *log)
	}
	if _, st := m.MSK(); st != eap.NotSupported {
		t.Errorf("MSK: %v", st)
	}
}

// An Access-Accept to the identity alone (no method ran) fails, as does
// an Access-Challenge without an EAP-Message.
func TestMethodInitiateFails(t *testing.T) {
	for _, code := range []Code{AccessAccept, AccessChallenge, AccessReject} {
		s := &fakeServer{t: t, secret: []byte("gv6URkSs")}
		s.handle = func(_ int, req *Message) [][]byte { return [][]byte{respond(t, req, code, s.secret)} }
		m, _ := newTestMethod(t, s, Options{EAPStart: true})
		if _, st := m.Initiate(); st != eap.Failed {
			t.Errorf("%v: %v", code, st)
		}
		// eap_start sends an empty EAP-Message.
		if v, ok := s.requests[0].Get(AttrEAPMessage); !ok || len(v) != 0 {
			t.Errorf("EAP-Start %x %v", v, ok)
		}
	}
}
