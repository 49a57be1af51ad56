package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// redirectLab is strongSwan's ikev2/redirect-active: the gateways alice
// (192.168.0.5) and moon both identify as mars.strongswan.org; carol
// connects to alice.
func redirectLab(t *testing.T) (s *ikesim.Sim, carol, alice, moon *ikesim.Node, up func()) {
	return redirectLabWith(t, false)
}

// redirectLabWith is redirectLab with mobike=yes on every side when
// mobike is set: carol's IKE_SA with alice then moves to port 4500.
func redirectLabWith(t *testing.T, mobike bool) (s *ikesim.Sim, carol, alice, moon *ikesim.Node, up func()) {
	s = ikesim.New(t)
	carol = s.AddNode("carol", "192.168.0.100", 1, nil)
	alice = s.AddNode("alice", "192.168.0.5", 2, nil)
	moon = s.AddNode("moon", "192.168.0.1", 3, nil)
	cp, cc := carol.Conn(t, ikesim.ConnOpts{Name: "home", Local: "192.168.0.100", Remote: "192.168.0.5",
		LocalID: "carol@strongswan.org", RemoteID: "mars.strongswan.org", RemoteNet: []string{"10.1.0.0/16"}, MOBIKE: mobike})
	for _, gw := range []*ikesim.Node{alice, moon} {
		gw.Conn(t, ikesim.ConnOpts{Name: "rw", Local: gw.Addr.String(), Remote: "%any",
			LocalID: "mars.strongswan.org", RemoteID: "carol@strongswan.org", LocalNet: []string{"10.1.0.0/16"}, MOBIKE: mobike})
	}
	return s, carol, alice, moon, func() {
		carol.Initiate(cp, cc)
		s.Advance(time.Second)
	}
}

// TestRedirectActive: alice redirects the established carol to moon;
// carol sets up a new IKE_SA with moon, announcing where she comes from,
// with her CHILD_SA, and deletes the old one.
func TestRedirectActive(t *testing.T) {
	s, carol, alice, moon, up := redirectLab(t)
	up()
	if ike := alice.WantEstablished(t, 1); !ike.Supports(sa.ExtIKERedirection) {
		t.Fatal("carol did not announce REDIRECT_SUPPORTED")
	}
	alice.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		return ike.Redirect(credentials.ParseIdentity("192.168.0.1"))
	})
	s.Advance(2 * time.Second)
	ike := carol.WantEstablished(t, 1)
	if got := hosts(ike); got != "192.168.0.100[500] - 192.168.0.1[500]" {
		t.Errorf("carol's IKE_SA: %s", got)
	}
	moon.WantEstablished(t, 1)
	alice.WantNoIKESA(t)
	alice.WantLog(t, "[IKE] redirecting peer to 192.168.0.1", "[ENC] generating INFORMATIONAL request 0 [ N(REDIR) ]")
	carol.WantLogOrder(t,
		"[IKE] redirected to 192.168.0.1",
		"[IKE] restarting CHILD_SA home",
		"[ENC] generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_FROM) ]",
		"[IKE] IKE_SA home[2] established between 192.168.0.100[carol@strongswan.org]...192.168.0.1[mars.strongswan.org]",
		"[IKE] deleting IKE_SA home[1] between 192.168.0.100[carol@strongswan.org]...192.168.0.5[mars.strongswan.org]")
	moon.WantLog(t, "[IKE] client got redirected from 192.168.0.5")
	if len(alice.Kern.SAs()) != 0 {
		t.Errorf("alice still has SAs")
	}
}

// TestRedirectFromPort4500: an IKE_SA that moved to port 4500 (MOBIKE
// does that in IKE_AUTH) is redirected; the new IKE_SA starts on port 500
// again, as charon's resolve_hosts has it. It went out from 4500 to the
// new gateway's port 500, whose answer to 4500 (without the non-ESP
// marker) the kernel lane's carol never read.
func TestRedirectFromPort4500(t *testing.T) {
	s, carol, alice, moon, up := redirectLabWith(t, true)
	up()
	if got := hosts(carol.WantEstablished(t, 1)); got != "192.168.0.100[4500] - 192.168.0.5[4500]" {
		t.Fatalf("carol's IKE_SA with alice: %s, want it on port 4500", got)
	}
	alice.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		return ike.Redirect(credentials.ParseIdentity("192.168.0.1"))
	})
	s.Advance(2 * time.Second)
	if got := hosts(carol.WantEstablished(t, 1)); got != "192.168.0.100[4500] - 192.168.0.1[4500]" {
		t.Errorf("carol's IKE_SA with moon: %s", got)
	}
	moon.WantEstablished(t, 1)
	moon.WantLog(t, "[NET] received packet: from 192.168.0.100[500] to 192.168.0.1[500]")
}

// TestRedirectRefused: a client that does not follow redirects
// (charon.follow_redirects = no) does not announce it, and the gateway
// cannot redirect it.
func TestRedirectRefused(t *testing.T) {
	s, carol, alice, _, up := redirectLab(t)
	carol.Env.Settings.FollowRedirects = false
	up()
	var st sa.Status
	alice.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		st = ike.Redirect(credentials.ParseIdentity("192.168.0.1"))
		return sa.Success
	})
	s.Advance(time.Second)
	if st != sa.Failed {
		t.Errorf("Redirect returned %s", st)
	}
	alice.WantLog(t, "[IKE] client does not support IKE redirection")
	carol.WantEstablished(t, 1)
}

// TestRedirectOnInit: a REDIRECT in the IKE_SA_INIT response with our
// nonce sends the connecting SA to the new gateway; one with another
// nonce is ignored.
func TestRedirectOnInit(t *testing.T) {
	for _, good := range []bool{true, false} {
		s, carol, alice, moon, up := redirectLab(t)
		defer func() {
			if t.Failed() {
				t.Log(alice.LogText())
			}
		}()
		// alice answers as a gateway with a redirect provider would: the
		// response carries nothing but the REDIRECT
		s.Alter = func(r ikesim.WireRecord) []byte {
			if r.From != "alice" || r.Exchange != encoding.ExchangeIKESAInit || !r.Response {
				return nil
			}
			var nonce []byte
			for _, w := range s.Wire() {
				if w.From == "carol" && w.Exchange == encoding.ExchangeIKESAInit {
					req, err := encoding.Decode(w.Packet.Data)
					if err != nil {
						t.Fatalf("decoding carol's request: %v", err)
					}
					nonce = req.First(encoding.PayloadNonce).(*encoding.Nonce).Data
				}
			}
			if !good {
				nonce = []byte("not the nonce")
			}
			orig, _ := encoding.Decode(r.Packet.Data)
			data, _ := encoding.RedirectData{GatewayType: encoding.GatewayIPv4, Gateway: []byte{192, 168, 0, 1}, Nonce: nonce}.Encode()
			m := encoding.NewMessage(encoding.ExchangeIKESAInit, 0)
			m.SPIi, m.SPIr, m.Response = orig.SPIi, orig.SPIr, true
			m.AddNotify(encoding.NotifyRedirect, data)
			b, err := m.Encode(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		up()
		if good {
			carol.WantLog(t, "[IKE] redirected to 192.168.0.1")
			moon.WantEstablished(t, 1)
			if got := hosts(carol.WantEstablished(t, 1)); got != "192.168.0.100[500] - 192.168.0.1[500]" {
				t.Errorf("carol: %s", got)
			}
		} else {
			carol.WantLog(t, "[IKE] received invalid REDIRECT notify")
			moon.WantNoIKESA(t)
		}
	}
}
