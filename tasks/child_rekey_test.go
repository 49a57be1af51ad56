package tasks_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/ikesim"
)

// rekeyPair is net-net with moon's CHILD_SA lifetime 10 s, margin 5 s and
// rekeyfuzz 0 (seeds/000): moon's kernel raises the soft expire at 5 s.
func rekeyPair(t *testing.T, mod func(moon, sun *ikesim.ConnOpts)) *ikesim.Pair {
	return ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.Lifetime, moon.Margin = 10, 5
		if mod != nil {
			mod(moon, sun)
		}
	})
}

// callIndex finds the first recorded kernel call whose String() contains
// all parts, after index from; -1 if none.
func callIndex(calls []fakekernel.Call, from int, parts ...string) int {
	for i := max(from, 0); i < len(calls); i++ {
		s := calls[i].String()
		ok := true
		for _, p := range parts {
			if !strings.Contains(s, p) {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// wantCallOrder fails unless the calls (each given by substrings) were
// made in this order.
func wantCallOrder(t *testing.T, n *ikesim.Node, calls ...[]string) {
	t.Helper()
	all := n.Kern.Calls()
	at := -1
	for _, c := range calls {
		i := callIndex(all, at+1, c...)
		if i < 0 {
			t.Errorf("%s: no kernel call %q after call %d:\n%s", n.Name, c, at, n.Kern.Log())
			return
		}
		at = i
	}
}

// wantNoPolicyGap fails if a policy was ever removed while the CHILD_SA
// existed: every policy change during rekeys must be an update in place
// (seeds/003).
func wantNoPolicyGap(t *testing.T, n *ikesim.Node) {
	t.Helper()
	for _, c := range n.Kern.Calls() {
		if (c.Op == "AddPolicy" || c.Op == "DelPolicy") && c.PolicyOp == kernel.PolicyRemove {
			t.Errorf("%s: policy removed: %s\n%s", n.Name, c, n.Kern.Log())
			return
		}
	}
}

// TestChildRekey (seeds/000, 002, 003): the soft expire at 5 s starts a
// rekey as charon does: a rekey job, CREATE_CHILD_SA with N(REKEY_SA) in
// charon's payload order, the same reqid, the new inbound SA before the
// outbound switch, the old outbound SA removed once the new one is in,
// policies never removed, and the old SA deleted with an INFORMATIONAL.
func TestChildRekey(t *testing.T) {
	p := rekeyPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.Kern.ResetCalls()
	p.Sun.Kern.ResetCalls()
	p.AdvanceTo(5*time.Second + time.Millisecond)
	p.Moon.WantLogOrder(t,
		"[KNL] creating rekey job for CHILD_SA ESP/0xc0000001/192.168.0.1",
		"[IKE] establishing CHILD_SA net-net{2} reqid 1",
		"[ENC] generating CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No TSi TSr ]",
		"[ENC] parsed CREATE_CHILD_SA response 2 [ SA No TSi TSr ]",
		"[CHD]   using AES_GCM_16 for encryption",
		"[CHD] adding inbound ESP SA",
		"[CHD] registering outbound ESP SA",
		"[IKE] inbound CHILD_SA net-net{2} established with SPIs c0000002_i c0000002_o and TS 10.1.0.0/16 === 10.2.0.0/16",
		"[CHD] adding outbound ESP SA",
		"[IKE] outbound CHILD_SA net-net{2} established with SPIs c0000002_i c0000002_o and TS 10.1.0.0/16 === 10.2.0.0/16",
		"[IKE] closing CHILD_SA net-net{1} with SPIs c0000001_i (0 bytes) c0000001_o (0 bytes) and TS 10.1.0.0/16 === 10.2.0.0/16",
		"[IKE] sending DELETE for ESP CHILD_SA with SPI c0000001",
		"[ENC] generating INFORMATIONAL request 3 [ D ]",
		"[ENC] parsed INFORMATIONAL response 3 [ D ]",
		"[IKE] received DELETE for ESP CHILD_SA with SPI c0000001",
		"[IKE] CHILD_SA closed",
	)
	p.Sun.WantLogOrder(t,
		"[ENC] parsed CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No TSi TSr ]",
		"[CHD] adding inbound ESP SA",
		"[CHD] registering outbound ESP SA",
		"[IKE] inbound CHILD_SA net-net{2} established with SPIs c0000002_i c0000002_o and TS 10.2.0.0/16 === 10.1.0.0/16",
		"[ENC] generating CREATE_CHILD_SA response 2 [ SA No TSi TSr ]",
		"[ENC] parsed INFORMATIONAL request 3 [ D ]",
		"[IKE] received DELETE for ESP CHILD_SA with SPI c0000001",
		"[IKE] closing CHILD_SA net-net{1} with SPIs c0000001_i (0 bytes) c0000001_o (0 bytes) and TS 10.2.0.0/16 === 10.1.0.0/16",
		"[IKE] sending DELETE for ESP CHILD_SA with SPI c0000001",
		"[IKE] CHILD_SA closed",
		"[CHD] adding outbound ESP SA",
		"[IKE] outbound CHILD_SA net-net{2} established with SPIs c0000002_i c0000002_o and TS 10.2.0.0/16 === 10.1.0.0/16",
		"[ENC] generating INFORMATIONAL response 3 [ D ]",
	)
	// Make-before-break on moon: new inbound SA, then the new outbound SA
	// and the outbound policy pointing at it, then the old outbound SA
	// goes; the old inbound SA stays (for late packets) until later.
	wantCallOrder(t, p.Moon,
		[]string{"GetSPI 192.168.0.2->192.168.0.1"},
		[]string{"AddSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000002 in reqid 1 TUNNEL (update)"},
		[]string{"AddPolicy 10.2.0.0/16 === 10.1.0.0/16 in reqid 1 spi 0xc0000002 (update)"},
		[]string{"AddPolicy 10.2.0.0/16 === 10.1.0.0/16 fwd reqid 1 spi 0xc0000002 (update)"},
		[]string{"AddSA 192.168.0.1->192.168.0.2 proto 50 spi 0xc0000002 out reqid 1 TUNNEL"},
		[]string{"AddPolicy 10.1.0.0/16 === 10.2.0.0/16 out reqid 1 spi 0xc0000002 (update)"},
		// The old SA's hold on the outbound policy goes (silently: the
		// policy already points at the new SA), then the old SA.
		[]string{"DelSA 192.168.0.1->192.168.0.2 proto 50 spi 0xc0000001"},
	)
	if i := callIndex(p.Moon.Kern.Calls(), 0, "DelSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001"); i >= 0 {
		t.Errorf("moon removed the old inbound SA right away:\n%s", p.Moon.Kern.Log())
	}
	// sun switches its outbound SA only when the DELETE arrives.
	wantCallOrder(t, p.Sun,
		[]string{"AddSA 192.168.0.1->192.168.0.2 proto 50 spi 0xc0000002 in reqid 1 TUNNEL (update)"},
		[]string{"AddSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000002 out reqid 1 TUNNEL"},
		[]string{"AddPolicy 10.2.0.0/16 === 10.1.0.0/16 out reqid 1 spi 0xc0000002 (update)"},
		[]string{"DelSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001"},
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.OnlyIKESA(t)
		cs := ike.Children()
		if len(cs) != 2 || cs[0].State() != sa.ChildDeleted || cs[1].State() != sa.ChildInstalled {
			t.Fatalf("%s: children %v", n.Name, childStates(cs))
		}
		if cs[1].ReqID() != 1 || cs[0].ReqID() != 1 {
			t.Errorf("%s: reqids %d, %d", n.Name, cs[0].ReqID(), cs[1].ReqID())
		}
		if got := len(n.Kern.Policies()); got != 3 {
			t.Errorf("%s: %d policies", n.Name, got)
		}
		wantNoPolicyGap(t, n)
	}
	// The old inbound SAs go after the rekeyed SA's delay: sun keeps it
	// charon.delete_rekeyed_delay (5 s), moon until its hard lifetime of
	// 10 s, which comes at the same time (as does the next rekey).
	p.AdvanceTo(10*time.Second - time.Millisecond)
	if _, ok := p.Sun.Kern.SA(p.Sun.Addr, 0xc0000001, kernel.ProtoESP); !ok {
		t.Error("sun removed the old inbound SA before delete_rekeyed_delay")
	}
	p.AdvanceTo(10*time.Second + time.Millisecond)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		// Left: the rekeyed inbound SA 2 and the SA pair 3 of the next
		// rekey; nothing of SA 1.
		if got := fmt.Sprint(n.Kern.SAs()); len(n.Kern.SAs()) != 3 || strings.Contains(got, "spi 0xc0000001") {
			t.Errorf("%s: SAs at 10 s: %s", n.Name, got)
		}
		if got := len(n.Kern.Policies()); got != 3 {
			t.Errorf("%s: %d policies", n.Name, got)
		}
		wantNoPolicyGap(t, n)
	}
}

func childStates(cs []*sa.ChildSA) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprintf("%s{%d}:%s", c.Name(), c.UniqueID(), c.State()))
	}
	return strings.Join(s, " ")
}

// TestChildRekeyDeleteDelay: with a lifetime long enough, the rekeyed
// inbound SA is removed charon.delete_rekeyed_delay after the rekey, on
// both ends.
func TestChildRekeyDeleteDelay(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) { moon.Lifetime, moon.Margin = 20, 10 })
	p.Moon.Env.Settings.DeleteRekeyedDelay = 2 // as in net2net-rekey's strongswan.conf
	p.Up()
	p.AdvanceTo(12*time.Second - time.Millisecond)
	if _, ok := p.Moon.Kern.SA(p.Moon.Addr, 0xc0000001, kernel.ProtoESP); !ok {
		t.Fatal("moon removed the old inbound SA before the delay")
	}
	p.AdvanceTo(12 * time.Second)
	if _, ok := p.Moon.Kern.SA(p.Moon.Addr, 0xc0000001, kernel.ProtoESP); ok {
		t.Error("moon kept the old inbound SA after the delay")
	}
	p.AdvanceTo(15*time.Second - time.Millisecond)
	if _, ok := p.Sun.Kern.SA(p.Sun.Addr, 0xc0000001, kernel.ProtoESP); !ok {
		t.Fatal("sun removed the old inbound SA before its delay")
	}
	p.AdvanceTo(15 * time.Second)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if c := ike.Children()[0]; c.SPI(true) != 0xc0000002 {
			t.Errorf("%s: CHILD_SA %08x left", n.Name, c.SPI(true))
		}
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs", n.Name, got)
		}
		wantNoPolicyGap(t, n)
	}
	// No exchange is needed for the delayed removal.
	p.Moon.NoLog(t, "generating INFORMATIONAL request 4")
}

// TestChildRekeyOutboundDelay: with goswan's
// charon.delete_rekeyed_outbound_delay the replaced outbound SA stays that
// long after its replacement is in, on the initiator (child_rekey) and on
// the responder (child_delete), so that packets the kernel had bound to it
// still leave; without the setting both remove it at once, as charon does.
// Either way no policy is ever removed and no SA is left behind.
func TestChildRekeyOutboundDelay(t *testing.T) {
	for _, delay := range []float64{0, 0.1} {
		t.Run(fmt.Sprint(delay), func(t *testing.T) {
			p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) { moon.Lifetime, moon.Margin = 20, 10 })
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.Env.Settings.DeleteRekeyedDelay = 2
				n.Env.Settings.DeleteRekeyedOutboundDelay = delay
			}
			p.Up()
			// moon rekeys at 10 s; the exchanges take no virtual time.
			p.AdvanceTo(10*time.Second + 99*time.Millisecond)
			// The outbound SAs are keyed by the peer's address.
			peerOf := map[*ikesim.Node]netip.Addr{p.Moon: p.Sun.Addr, p.Sun: p.Moon.Addr}
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				peer := peerOf[n]
				if _, ok := n.Kern.SA(peer, 0xc0000002, kernel.ProtoESP); !ok {
					t.Fatalf("%s: the new outbound SA is not installed\n%s", n.Name, n.Kern.Log())
				}
				if _, ok := n.Kern.SA(peer, 0xc0000001, kernel.ProtoESP); ok != (delay > 0) {
					t.Errorf("%s: old outbound SA present %v 99 ms after the rekey, with a delay of %vs", n.Name, ok, delay)
				}
			}
			p.AdvanceTo(10*time.Second + 100*time.Millisecond)
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				if _, ok := n.Kern.SA(peerOf[n], 0xc0000001, kernel.ProtoESP); ok {
					t.Errorf("%s: old outbound SA still there after the delay of %vs", n.Name, delay)
				}
			}
			p.AdvanceTo(13 * time.Second)
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.WantEstablished(t, 1)
				if got := len(n.Kern.SAs()); got != 2 {
					t.Errorf("%s: %d SAs\n%s", n.Name, got, n.Kern.Log())
				}
				wantNoPolicyGap(t, n)
			}
		})
	}
}

// TestChildRekeyRepeated: the CHILD_SA is rekeyed every 5 s, each time
// with the same reqid and a fresh pair of SPIs, without ever leaving the
// traffic without a policy, and old SAs do not pile up in the kernel.
func TestChildRekeyRepeated(t *testing.T) {
	p := rekeyPair(t, nil)
	p.Up()
	p.AdvanceTo(30*time.Second + time.Millisecond)
	if n := p.Moon.CountLog("generating CREATE_CHILD_SA request"); n != 6 {
		t.Errorf("%d rekeys in 30 s, want 6 (at 5, 10, ..., 30 s)", n)
	}
	for i := 2; i <= 7; i++ {
		p.Moon.WantLog(t, fmt.Sprintf("[IKE] establishing CHILD_SA net-net{%d} reqid 1", i))
	}
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.OnlyIKESA(t)
		var installed []*sa.ChildSA
		for _, c := range ike.Children() {
			if c.State() == sa.ChildInstalled {
				installed = append(installed, c)
			}
			if c.ReqID() != 1 {
				t.Errorf("%s: %s{%d} reqid %d", n.Name, c.Name(), c.UniqueID(), c.ReqID())
			}
		}
		if len(installed) != 1 || installed[0].SPI(true) != 0xc0000007 {
			t.Errorf("%s: children %s", n.Name, childStates(ike.Children()))
		}
		if got := len(n.Kern.SAs()); got > 3 {
			t.Errorf("%s: %d SAs piled up: %v", n.Name, got, n.Kern.SAs())
		}
		wantNoPolicyGap(t, n)
		for _, c := range n.Kern.Calls() {
			if c.Op == "AddSA" && c.Add.ReqID != 1 {
				t.Errorf("%s: %s", n.Name, c)
			}
		}
	}
}

// TestChildRekeyPFSReusesGroup: RFC 7296 §1.3.3: a rekey may use PFS. The
// first rekey proposes the configured group, sun asks for another one
// with INVALID_KE_PAYLOAD; the next rekey reuses the group negotiated for
// the CHILD_SA and needs no retry (child_rekey.c use_dh_group).
func TestChildRekeyPFSReusesGroup(t *testing.T) {
	p := rekeyPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.ESP = "aes128gcm16-ecp256-modp2048!"
		sun.ESP = "aes128gcm16-modp2048!"
	})
	p.Up()
	p.AdvanceTo(10*time.Second + time.Millisecond)
	p.Moon.WantLogOrder(t,
		"[ENC] generating CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]",
		"[IKE] peer didn't accept DH group ECP_256, it requested MODP_2048",
		"[ENC] generating CREATE_CHILD_SA request 3 [ N(REKEY_SA) SA No KE TSi TSr ]",
		"[ENC] parsed CREATE_CHILD_SA response 3 [ SA No KE TSi TSr ]",
		"[CFG] selected proposal: ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ",
		"[ENC] generating INFORMATIONAL request 4 [ D ]",
		"[KNL] creating rekey job for CHILD_SA ESP/0xc0000003/192.168.0.1",
		"[ENC] generating CREATE_CHILD_SA request 5 [ N(REKEY_SA) SA No KE TSi TSr ]",
		"[ENC] parsed CREATE_CHILD_SA response 5 [ SA No KE TSi TSr ]",
	)
	if n := p.Moon.CountLog("peer didn't accept DH group"); n != 1 {
		t.Errorf("%d INVALID_KE_PAYLOAD retries, want 1", n)
	}
	for _, c := range p.Moon.OnlyIKESA(t).Children() {
		if c.State() == sa.ChildInstalled && c.Proposal().String() != "ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ" {
			t.Errorf("installed CHILD_SA with %s", c.Proposal())
		}
	}
}
