// The MSK of TLS 1.2 without the extended master secret (RFC 5216).
//go:debug tlsunsafeekm=1

package eap

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"testing"
	"time"

	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/testing/testpki"
)

// tlsContext is one end of an EAP-TLS conversation between the client
// moon and the server sun, with its certificate and key and the root CA.
func tlsContext(t *testing.T, h *testpki.Hierarchy, own *testpki.Cert, set TLSSettings) *Context {
	t.Helper()
	m := credentials.NewManager()
	parse := func(c *testpki.Cert) *credentials.Certificate {
		x, err := credentials.ParseCertificate(c.DER)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	m.ReplaceCACerts([]*credentials.Certificate{parse(h.Root)})
	m.AddCert(parse(own), true)
	k, err := credentials.NewPrivateKey(own.Key)
	if err != nil {
		t.Fatal(err)
	}
	m.ReplaceKeys([]*credentials.PrivateKey{k})
	return &Context{
		Env:    &Env{Rand: rand.Reader, Certs: m, Now: func() time.Time { return h.Root.X.NotBefore.Add(time.Hour) }, TLS: set},
		Server: credentials.ParseIdentity("sun.strongswan.org"), Peer: credentials.ParseIdentity("moon.strongswan.org"),
	}
}

// converse runs server and peer against each other; it returns every
// packet sent, in order, and whether the server succeeded.
func converse(t *testing.T, server, peer Method) ([][]byte, bool) {
	t.Helper()
	req, st := server.Initiate()
	packets := [][]byte{req}
	for range 64 {
		if st != NeedMore {
			t.Fatalf("server: %v", st)
		}
		resp, pst := peer.Process(req)
		if pst != NeedMore {
			return packets, false
		}
		packets = append(packets, resp)
		req, st = server.Process(resp)
		if st == Success {
			return packets, true
		}
		if st == Failed {
			return packets, false
		}
		packets = append(packets, req)
	}
	t.Fatal("no end")
	return nil, false
}

// TestTLSFragments: with 200-octet packets the certificate flights go in
// first, further and final fragments, each acknowledged by an empty
// packet; the first fragment carries the message length, further ones do
// not; both ends derive the same MSK.
func TestTLSFragments(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, time.Now(), nil)
	set := DefaultTLSSettings()
	set.FragmentSize = 200
	set.MaxMessageCount = 0
	sctx, pctx := tlsContext(t, h, h.Sun, set), tlsContext(t, h, h.Moon, set)
	server, peer := NewTLSServer(sctx), NewTLSPeer(pctx)
	defer server.Destroy()
	defer peer.Destroy()
	packets, ok := converse(t, server, peer)
	if !ok {
		t.Fatal("EAP-TLS failed")
	}
	var acks, firsts, more int
	for i, p := range packets {
		if len(p) > 200 || int(binary.BigEndian.Uint16(p[2:])) != len(p) || p[4] != byte(TypeTLS) {
			t.Fatalf("packet %d: %x", i, p)
		}
		flags := p[5]
		switch {
		case len(p) == tlsHeader && flags == 0:
			acks++
		case flags&tlsFlagMore != 0 && flags&tlsFlagLength != 0:
			firsts++
		case flags&tlsFlagMore != 0:
			more++
		}
	}
	if acks == 0 || firsts == 0 || more == 0 {
		t.Errorf("%d acknowledgments, %d first and %d further fragments in %d packets", acks, firsts, more, len(packets))
	}
	smsk, sst := server.MSK()
	pmsk, pst := peer.MSK()
	if sst != Success || pst != Success || len(smsk) != 64 || !bytes.Equal(smsk, pmsk) {
		t.Errorf("MSKs %v %x / %v %x", sst, smsk, pst, pmsk)
	}
	auth := server.(AuthProvider).Auth()
	if auth == nil || auth.Rules.Subject() == nil || auth.Rules.Subject().Subject().String() != "C=CH, O=strongSwan Project, CN=moon.strongswan.org" {
		t.Errorf("server's auth %+v", auth)
	}
	if !server.IsMutual() {
		t.Error("EAP-TLS is mutual")
	}
}

// TestTLSWrongServer: the peer expects another server identity (its
// aaa_identity) and refuses the server's certificate.
func TestTLSWrongServer(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, time.Now(), nil)
	set := DefaultTLSSettings()
	sctx, pctx := tlsContext(t, h, h.Sun, set), tlsContext(t, h, h.Moon, set)
	pctx.Server = credentials.ParseIdentity("aaa.strongswan.org")
	server, peer := NewTLSServer(sctx), NewTLSPeer(pctx)
	defer server.Destroy()
	defer peer.Destroy()
	if _, ok := converse(t, server, peer); ok {
		t.Fatal("EAP-TLS succeeded with the wrong server")
	}
	if _, st := peer.MSK(); st != Failed {
		t.Errorf("peer MSK: %v", st)
	}
}

// TestTLSMessageCount: max_message_count ends a conversation that takes
// more packets.
func TestTLSMessageCount(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, time.Now(), nil)
	set := DefaultTLSSettings()
	set.FragmentSize = 100
	set.MaxMessageCount = 4
	server, peer := NewTLSServer(tlsContext(t, h, h.Sun, set)), NewTLSPeer(tlsContext(t, h, h.Moon, set))
	defer server.Destroy()
	defer peer.Destroy()
	if _, ok := converse(t, server, peer); ok {
		t.Fatal("EAP-TLS went past max_message_count")
	}
}

// A peer's packet whose length field disagrees, or whose message length
// is beyond the limit, fails the conversation.
func TestTLSBadPackets(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, time.Now(), nil)
	for _, p := range [][]byte{
		{byte(encoding.EAPResponse), 1, 0, 7, byte(TypeTLS), 0},
		{byte(encoding.EAPResponse), 1, 0, 8, byte(TypeTLS), tlsFlagLength, 0, 0},
		{byte(encoding.EAPResponse), 1, 0, 11, byte(TypeTLS), tlsFlagLength, 0xff, 0xff, 0xff, 0xff, 0x16},
	} {
		server := NewTLSServer(tlsContext(t, h, h.Sun, DefaultTLSSettings()))
		server.Initiate()
		if _, st := server.Process(p); st != Failed {
			t.Errorf("%x: %v", p, st)
		}
		server.Destroy()
	}
}
