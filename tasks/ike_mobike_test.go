package tasks_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// mobikeLab is strongSwan's ikev2/mobike: alice at 192.168.0.50 (her
// second interface) connects to sun with MOBIKE; later that interface
// goes and she is left with 10.1.0.10.
func mobikeLab(t *testing.T) (s *ikesim.Sim, alice, sun *ikesim.Node, up func()) {
	s = ikesim.New(t)
	alice = s.AddNode("alice", "192.168.0.50", 1, nil)
	sun = s.AddNode("sun", "192.168.0.2", 2, nil)
	ap, ac := alice.Conn(t, ikesim.ConnOpts{Name: "mobike", Local: "192.168.0.50", Remote: "192.168.0.2",
		LocalID: "alice@strongswan.org", RemoteID: "@sun.strongswan.org", RemoteNet: []string{"10.2.0.0/16"}, MOBIKE: true})
	sun.Conn(t, ikesim.ConnOpts{Name: "mobike", Local: "192.168.0.2", Remote: "192.168.0.50",
		LocalID: "@sun.strongswan.org", RemoteID: "alice@strongswan.org", LocalNet: []string{"10.2.0.0/16"}, MOBIKE: true})
	return s, alice, sun, func() {
		alice.Initiate(ap, ac)
		s.Advance(time.Second)
	}
}

func hosts(ike *sa.IKESA) string {
	return sa.FormatHost(ike.MyHost()) + " - " + sa.FormatHost(ike.OtherHost())
}

// TestMOBIKEAddressChange: MOBIKE is negotiated in IKE_AUTH and the SA
// floats to 4500; when alice's address goes, the roam event makes her
// probe the paths, find the new one and move the IKE_SA and the CHILD_SA
// there with UPDATE_SA_ADDRESSES, COOKIE2 and NAT detection.
func TestMOBIKEAddressChange(t *testing.T) {
	s, alice, sun, up := mobikeLab(t)
	up()
	a, b := alice.WantEstablished(t, 1), sun.WantEstablished(t, 1)
	if !a.Supports(sa.ExtMOBIKE) || !b.Supports(sa.ExtMOBIKE) {
		t.Fatal("MOBIKE not negotiated")
	}
	if got := hosts(a); got != "192.168.0.50[4500] - 192.168.0.2[4500]" {
		t.Errorf("alice before: %s", got)
	}
	alice.WantLog(t, "[IKE] peer supports MOBIKE")
	sun.WantLog(t, "[IKE] peer supports MOBIKE")

	alice.SetAddresses("10.1.0.10")
	s.Advance(time.Second)
	a, b = alice.WantEstablished(t, 1), sun.WantEstablished(t, 1)
	if got := hosts(a); got != "10.1.0.10[4500] - 192.168.0.2[4500]" {
		t.Errorf("alice after: %s\n%s", got, alice.LogText())
	}
	if got := hosts(b); got != "192.168.0.2[4500] - 10.1.0.10[4500]" {
		t.Errorf("sun after: %s\n%s", got, sun.LogText())
	}
	for _, n := range []*ikesim.Node{alice, sun} {
		ike := n.OnlyIKESA(t)
		me, other := ike.Children()[0].Addrs()
		if me != ike.MyHost().Addr() || other != ike.OtherHost().Addr() {
			t.Errorf("%s: CHILD_SA still at %s - %s", n.Name, me, other)
		}
		updates := 0
		for _, c := range n.Kern.Calls() {
			if c.Op == "UpdateSA" {
				updates++
			}
		}
		if updates != 2 {
			t.Errorf("%s: %d SA updates, want 2 (in and out)", n.Name, updates)
		}
	}
	alice.WantLogOrder(t,
		"[IKE] old path is not available anymore, try to find another",
		"[IKE] looking for a route to 192.168.0.2 ...",
		"[IKE] requesting address change using MOBIKE",
		"[IKE] checking path 10.1.0.10[4500] - 192.168.0.2[4500]",
		"[IKE] local endpoint changed from 192.168.0.50[4500] to 10.1.0.10[4500]",
		"[ENC] generating INFORMATIONAL request 3 [ N(UPD_SA_ADDR) N(NATD_S_IP) N(NATD_D_IP) N(COOKIE2) N(NO_ADD_ADDR) ]",
		"[ENC] parsed INFORMATIONAL response 3 [ N(NATD_S_IP) N(NATD_D_IP) N(COOKIE2) ]")
	sun.WantLog(t, "[IKE] remote endpoint changed from 192.168.0.50[4500] to 10.1.0.10[4500]")
	if strings.Contains(s.WireText(), "(dropped)") {
		t.Errorf("packets were dropped:\n%s", s.WireText())
	}
}

// TestMOBIKECookie2Mismatch: a response with another COOKIE2 ends the
// IKE_SA, as RFC 4555 §3.5 asks.
func TestMOBIKECookie2Mismatch(t *testing.T) {
	s, alice, _, up := mobikeLab(t)
	up()
	s.AlterPlain = func(_ int, from *ikesim.Node, m *encoding.Message) {
		if from.Name == "sun" && m.Response && m.Exchange == encoding.ExchangeInformational {
			for _, n := range m.Notifies() {
				if n.NotifyType == encoding.NotifyCookie2 {
					n.Data[0] ^= 0xff
				}
			}
		}
	}
	alice.SetAddresses("10.1.0.10")
	s.Advance(time.Second)
	alice.WantLog(t, "[IKE] COOKIE2 mismatch, closing IKE_SA")
	alice.WantNoIKESA(t)
}

// TestMOBIKENoPath: without any route to the peer the update waits, the
// SA is stale; when an address comes back the deferred request goes out.
func TestMOBIKENoPath(t *testing.T) {
	s, alice, sun, up := mobikeLab(t)
	up()
	alice.SetAddresses("fec1::10")
	s.Advance(time.Second)
	alice.WantLog(t, "[IKE] no route found to reach 192.168.0.2, MOBIKE update deferred")
	if !alice.OnlyIKESA(t).Has(sa.CondStale) {
		t.Error("not stale")
	}
	alice.SetAddresses("fec1::10", "10.1.0.10")
	s.Advance(time.Second)
	if got := hosts(sun.WantEstablished(t, 1)); got != "192.168.0.2[4500] - 10.1.0.10[4500]" {
		t.Errorf("sun: %s\n%s", got, alice.LogText())
	}
	if alice.OnlyIKESA(t).Has(sa.CondStale) {
		t.Error("still stale")
	}
}

// TestMOBIKEAddressList: the peer's announced addresses replace the old
// ones, with the address it uses first.
func TestMOBIKEAddressList(t *testing.T) {
	s, alice, sun, up := mobikeLab(t)
	sun.SetAddresses("192.168.0.2", "10.2.0.1", "fec0::2")
	up()
	got := alice.OnlyIKESA(t).PeerAddresses()
	want := []netip.AddrPort{netip.MustParseAddrPort("192.168.0.2:4500"), netip.MustParseAddrPort("10.2.0.1:0"),
		netip.MustParseAddrPort("[fec0::2]:0")}
	if len(got) != len(want) {
		t.Fatalf("peer addresses %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("peer address %d: %s, want %s", i, got[i], want[i])
		}
	}
	_ = s
}
