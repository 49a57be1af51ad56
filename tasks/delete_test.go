package tasks_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// addChild adds a second conn that stroke merges into the peer config of
// net-net, as "conn net-net2 ... also=net-net" with other subnets would.
func addChild(t *testing.T, p *ikesim.Pair, name, moonNet, sunNet string) (*config.PeerCfg, *config.ChildCfg) {
	t.Helper()
	mo := ikesim.ConnOpts{Name: name, Local: "192.168.0.1", Remote: "192.168.0.2", LocalID: "@moon.strongswan.org",
		RemoteID: "@sun.strongswan.org", LocalNet: []string{moonNet}, RemoteNet: []string{sunNet}}
	so := ikesim.ConnOpts{Name: name, Local: "192.168.0.2", Remote: "192.168.0.1", LocalID: "@sun.strongswan.org",
		RemoteID: "@moon.strongswan.org", LocalNet: []string{sunNet}, RemoteNet: []string{moonNet}}
	peer, child := p.Moon.Conn(t, mo)
	if sunPeer, _ := p.Sun.Conn(t, so); peer != p.MoonPeer || sunPeer != p.SunPeer {
		t.Fatal("conn not merged into net-net's peer config")
	}
	return peer, child
}

func childByName(t *testing.T, ike *sa.IKESA, name string) *sa.ChildSA {
	t.Helper()
	for _, c := range ike.Children() {
		if c.Name() == name {
			return c
		}
	}
	t.Fatalf("no CHILD_SA %s", name)
	return nil
}

// TestSeveralChildSAs: RFC 7296 §1.3.1: further CHILD_SAs are created with
// CREATE_CHILD_SA over the same IKE_SA, each with its own reqid and
// policies; deleting one (from either side, §1.4.1) leaves the others.
func TestSeveralChildSAs(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	_, c2 := addChild(t, p, "net-net2", "10.3.0.0/16", "10.4.0.0/16")
	_, c3 := addChild(t, p, "net-net3", "10.5.0.0/16", "10.6.0.0/16")
	p.Up()
	p.Advance(time.Second)
	p.Moon.Initiate(p.MoonPeer, c2)
	p.Moon.Initiate(p.MoonPeer, c3)
	p.Advance(time.Second)
	moon := p.Moon.WantEstablished(t, 3)
	p.Sun.WantEstablished(t, 3)
	p.Moon.WantLogOrder(t,
		"[IKE] establishing CHILD_SA net-net2{2}",
		"[ENC] generating CREATE_CHILD_SA request 2 [ SA No TSi TSr ]",
		"[ENC] parsed CREATE_CHILD_SA response 2 [ SA No TSi TSr ]",
		"[IKE] CHILD_SA net-net2{2} established with SPIs c0000002_i c0000002_o and TS 10.3.0.0/16 === 10.4.0.0/16",
		"[IKE] establishing CHILD_SA net-net3{3}",
		"[ENC] generating CREATE_CHILD_SA request 3 [ SA No TSi TSr ]",
		"[IKE] CHILD_SA net-net3{3} established with SPIs c0000003_i c0000003_o and TS 10.5.0.0/16 === 10.6.0.0/16",
	)
	p.Sun.WantLog(t, "[IKE] CHILD_SA net-net2{2} established with SPIs c0000002_i c0000002_o and TS 10.4.0.0/16 === 10.3.0.0/16")
	reqids := map[uint32]bool{}
	for _, c := range moon.Children() {
		reqids[c.ReqID()] = true
	}
	if len(reqids) != 3 {
		t.Errorf("reqids %v, want three different", reqids)
	}
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		if got := len(n.Kern.SAs()); got != 6 {
			t.Errorf("%s: %d SAs, want 6", n.Name, got)
		}
		if got := len(n.Kern.Policies()); got != 9 {
			t.Errorf("%s: %d policies, want 9", n.Name, got)
		}
	}

	// moon deletes net-net2.
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := childByName(t, ike, "net-net2")
		return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
	})
	p.Advance(time.Second)
	p.Moon.WantLogOrder(t,
		"[IKE] closing CHILD_SA net-net2{2} with SPIs c0000002_i (0 bytes) c0000002_o (0 bytes) and TS 10.3.0.0/16 === 10.4.0.0/16",
		"[IKE] sending DELETE for ESP CHILD_SA with SPI c0000002",
		"[ENC] generating INFORMATIONAL request 4 [ D ]",
		"[ENC] parsed INFORMATIONAL response 4 [ D ]",
		"[IKE] received DELETE for ESP CHILD_SA with SPI c0000002",
		"[IKE] CHILD_SA closed",
	)
	p.Sun.WantLogOrder(t,
		"[ENC] parsed INFORMATIONAL request 4 [ D ]",
		"[IKE] received DELETE for ESP CHILD_SA with SPI c0000002",
		"[IKE] closing CHILD_SA net-net2{2} with SPIs c0000002_i (0 bytes) c0000002_o (0 bytes) and TS 10.4.0.0/16 === 10.3.0.0/16",
		"[IKE] sending DELETE for ESP CHILD_SA with SPI c0000002",
		"[IKE] CHILD_SA closed",
		"[ENC] generating INFORMATIONAL response 4 [ D ]",
	)
	// sun deletes net-net3.
	p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := childByName(t, ike, "net-net3")
		return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
	})
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[ENC] generating INFORMATIONAL request 0 [ D ]", "[ENC] parsed INFORMATIONAL response 0 [ D ]")
	p.Moon.WantLog(t, "[ENC] parsed INFORMATIONAL request 0 [ D ]",
		"[IKE] closing CHILD_SA net-net3{3} with SPIs c0000003_i (0 bytes) c0000003_o (0 bytes) and TS 10.5.0.0/16 === 10.6.0.0/16")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if c := ike.Children()[0]; c.Name() != "net-net" {
			t.Errorf("%s: %s left", n.Name, c.Name())
		}
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs, want 2:\n%s", n.Name, got, n.Kern.Log())
		}
		if got := len(n.Kern.Policies()); got != 3 {
			t.Errorf("%s: %d policies, want 3", n.Name, got)
		}
	}
}

// TestDeleteIKESA: RFC 7296 §1.4.1: deleting the IKE_SA closes its
// CHILD_SAs implicitly; both ends remove everything from the kernel. Each
// side is tried as the deleting one.
func TestDeleteIKESA(t *testing.T) {
	for _, who := range []string{"moon", "sun"} {
		t.Run(who, func(t *testing.T) {
			p := ikesim.NewPair(t, nil)
			p.Up()
			p.Advance(time.Second)
			del, other := p.Moon, p.Sun
			mid, local, remote := 2, "192.168.0.1[moon.strongswan.org]", "192.168.0.2[sun.strongswan.org]"
			if who == "sun" {
				del, other = p.Sun, p.Moon
				mid, local, remote = 0, remote, local
			}
			del.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
			p.Advance(time.Second)
			del.WantLogOrder(t,
				"[IKE] deleting IKE_SA net-net[1] between "+local+"..."+remote,
				"[IKE] sending DELETE for IKE_SA net-net[1]",
				"[ENC] generating INFORMATIONAL request "+strconv.Itoa(mid)+" [ D ]",
				"[ENC] parsed INFORMATIONAL response "+strconv.Itoa(mid)+" [ ]",
				"[IKE] IKE_SA deleted",
			)
			other.WantLogOrder(t,
				"[ENC] parsed INFORMATIONAL request "+strconv.Itoa(mid)+" [ D ]",
				"[IKE] received DELETE for IKE_SA net-net[1]",
				"[IKE] deleting IKE_SA net-net[1] between "+remote+"..."+local,
				"[IKE] IKE_SA deleted",
				"[ENC] generating INFORMATIONAL response "+strconv.Itoa(mid)+" [ ]",
			)
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.WantNoIKESA(t)
				n.KernelEmpty(t)
			}
		})
	}
}

// TestDeleteUnansweredIsForced: RFC 7296 §2.4: when the peer does not
// answer the DELETE, the IKE_SA is removed anyway after the retransmits.
func TestDeleteUnansweredIsForced(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.DropIf = func(r ikesim.WireRecord) bool { return r.To == "sun" }
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.Advance(166 * time.Second)
	p.Moon.WantLog(t, "[IKE] giving up after 5 retransmits", "[IKE] proper IKE_SA delete failed, peer not responding")
	p.Moon.WantNoIKESA(t)
	p.Moon.KernelEmpty(t)
}

// TestHardExpireDeletes: a CHILD_SA that reaches its hard lifetime (here
// with rekeying disabled) is deleted with an INFORMATIONAL and, since it
// was not rekeyed, created anew (child_delete with expired).
func TestHardExpireDeletes(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.Lifetime, moon.NoChildRekey = 10, true
	})
	p.Up()
	p.AdvanceTo(11 * time.Second)
	p.Moon.WantLogOrder(t,
		"[KNL] creating delete job for CHILD_SA ESP/0xc0000001/192.168.0.1",
		"[IKE] closing expired CHILD_SA net-net{1} with SPIs c0000001_i c0000001_o and TS 10.1.0.0/16 === 10.2.0.0/16",
		"[IKE] sending DELETE for ESP CHILD_SA with SPI c0000001",
		"[IKE] scheduling CHILD_SA recreate after hard expire",
		"[ENC] generating INFORMATIONAL request 2 [ D ]",
		"[IKE] CHILD_SA closed",
		"[IKE] establishing CHILD_SA net-net{2}",
		"[ENC] generating CREATE_CHILD_SA request 3 [ SA No TSi TSr ]",
		"[IKE] CHILD_SA net-net{2} established with SPIs c0000002_i c0000002_o",
	)
	p.Sun.WantLog(t, "[IKE] received DELETE for ESP CHILD_SA with SPI c0000001")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if c := ike.Children()[0]; c.SPI(true) != 0xc0000002 {
			t.Errorf("%s: CHILD_SA with SPI %08x left", n.Name, c.SPI(true))
		}
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs, want 2:\n%s", n.Name, got, n.Kern.Log())
		}
	}
}

// TestCloseActionRestart: closeaction=restart makes the side whose
// CHILD_SA the peer deleted create it again (child_delete's
// check_delete_action), with its reqid.
func TestCloseActionRestart(t *testing.T) {
	p := ikesim.NewPair(t, func(_, sun *ikesim.ConnOpts) { sun.CloseAction = config.ActionStart })
	p.Up()
	p.Advance(time.Second)
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := ike.Children()[0]
		return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
	})
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[IKE] received DELETE for ESP CHILD_SA with SPI c0000001",
		"[IKE] CHILD_SA closed",
		"[IKE] establishing CHILD_SA net-net{2} reqid 1",
		"[ENC] generating CREATE_CHILD_SA request 0 [ SA No TSi TSr ]",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if c := ike.Children()[0]; c.UniqueID() != 2 || c.ReqID() != 1 {
			t.Errorf("%s: %s{%d} reqid %d", n.Name, c.Name(), c.UniqueID(), c.ReqID())
		}
	}
}

// TestInactivity: inactivity=30 closes a CHILD_SA without traffic 30 s
// after it was installed; traffic in between postpones it.
func TestInactivity(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.MoonChild.Inactivity = 30
	p.Up()
	p.AdvanceTo(20 * time.Second)
	c := p.Moon.WantEstablished(t, 1).Children()[0]
	// Traffic arrives at 20 s: the SA's counters move.
	p.Moon.Kern.SetUsage(p.Moon.Addr, c.SPI(true), kernel.ProtoESP, kernel.Usage{Bytes: 84, Packets: 1, LastUse: p.Clock.Now()})
	p.AdvanceTo(49 * time.Second)
	p.Moon.WantEstablished(t, 1)
	p.AdvanceTo(50 * time.Second)
	p.Moon.WantLog(t, "[JOB] deleting CHILD_SA after 30 seconds of inactivity",
		"[IKE] closing CHILD_SA net-net{1} with SPIs c0000001_i (84 bytes) c0000001_o (0 bytes) and TS 10.1.0.0/16 === 10.2.0.0/16")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}
