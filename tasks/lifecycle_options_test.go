package tasks_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// The ipsec.conf options of the SA lifecycle, each as charon 5.9.8 does
// it, on virtual time. Covered elsewhere: dpdaction=clear (TestDPDDeadPeer:
// the IKE_SA and CHILD_SA go, nothing is recreated), dpdaction=restart
// (TestDPDRestart), closeaction=restart (TestCloseActionRestart),
// keyingtries=N (TestKeyingTries), inactivity (TestInactivity), a CHILD_SA
// that only expires (TestHardExpireDeletes), reauth=yes break-before-make
// (TestIKEReauth) and make-before-break (TestIKEReauthMakeBeforeBreak).

// deadSun makes every packet to sun get lost while *dead is true.
func deadSun(p *ikesim.Pair, dead *bool) {
	p.DropIf = func(r ikesim.WireRecord) bool { return *dead && r.To == "sun" }
}

// TestDPDActionHold (dpdaction=hold: ike_sa.c reestablish installs the
// CHILD_SA's config as a trap when DPD declares the peer dead): the trap
// policies replace the CHILD_SA's, traffic to bob raises an acquire, and
// the acquire brings the tunnel back once sun answers again; the trap
// stays installed underneath.
func TestDPDActionHold(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) {
		moon.DPDDelay, moon.DPDAction = 30, config.ActionTrap
	})
	p.Up()
	p.Advance(time.Second)
	dead := true
	deadSun(p, &dead)
	p.AdvanceTo(30*time.Second + 165060*time.Millisecond)
	p.Moon.WantLog(t, "[IKE] giving up after 5 retransmits")
	p.Moon.NoLog(t, "restarting CHILD_SA")
	p.Moon.WantNoIKESA(t)
	if traps := p.Moon.Traps.Traps(); len(traps) != 1 || traps[0].Child.Name() != "net-net" {
		t.Fatalf("traps: %+v", traps)
	}
	for _, id := range p.Moon.Kern.Policies() {
		if d, _ := p.Moon.Kern.InstalledPolicy(id); d.Prio != kernel.PriorityRouted || d.SA.ReqID != 1 {
			t.Errorf("policy %s: %+v, want a trap of reqid 1", id, d)
		}
	}
	if len(p.Moon.Kern.SAs()) != 0 {
		t.Errorf("SAs left: %v", p.Moon.Kern.SAs())
	}
	// alice sends to bob while sun is still dead: an acquire, an attempt.
	dead = false
	if _, err := p.Moon.Kern.Send(ikesim.Alice, ikesim.Bob); err == nil {
		t.Fatal("a packet passed without SA")
	}
	p.Advance(time.Second)
	p.Moon.WantLogOrder(t,
		"[KNL] creating acquire job for policy 10.1.0.10/32 === 10.2.0.10/32 with reqid {1}",
		"[IKE] initiating IKE_SA net-net[2] to 192.168.0.2",
		"[IKE] establishing CHILD_SA net-net{",
		"[IKE] IKE_SA net-net[2] established",
	)
	p.WantOneChildPair(t)
	if traps := p.Moon.Traps.Traps(); len(traps) != 1 {
		t.Errorf("the trap went: %+v", traps)
	}
}

// TestDPDTimeoutIgnored: dpdtimeout is IKEv1's (task_manager_v1.c is its
// only user in charon): with IKEv2 a dead peer is detected by the
// retransmission schedule alone, as without it.
func TestDPDTimeoutIgnored(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) { moon.DPDDelay = 30 })
	p.MoonPeer.DPDTimeout = 40
	p.Up()
	dead := true
	deadSun(p, &dead)
	p.AdvanceTo(30*time.Second + 165060*time.Millisecond - time.Millisecond)
	p.Moon.WantEstablished(t, 1)
	p.AdvanceTo(30*time.Second + 165060*time.Millisecond)
	wantTimes(t, "DPD", sendTimes(p.Sim, "moon", encoding.ExchangeInformational, 2),
		ms(30000, 34000, 41200, 54160, 77488, 119478))
	p.Moon.WantNoIKESA(t)
}

// TestDPDOnlyWithoutTraffic (ike_sa.c send_dpd: a liveness check only if
// nothing arrived for dpddelay; the SA's and its CHILD_SAs' last inbound
// use count, the latter from the kernel): with inbound ESP traffic every
// 10 s no DPD is sent (the timer rearms itself for dpddelay minus the
// time since the last packet); when it stops, the check comes dpddelay
// after the last packet.
func TestDPDOnlyWithoutTraffic(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) { moon.DPDDelay = 30 })
	p.Up()
	p.Advance(time.Second)
	c := p.Moon.WantEstablished(t, 1).Children()[0]
	var bytes uint64
	for at := 10 * time.Second; at <= 100*time.Second; at += 10 * time.Second {
		p.AdvanceTo(at)
		bytes += 100
		p.Moon.Kern.SetUsage(p.Moon.Addr, c.SPI(true), kernel.ProtoESP,
			kernel.Usage{Bytes: bytes, Packets: bytes / 100, LastUse: p.Clock.Now()})
	}
	p.AdvanceTo(100*time.Second + time.Millisecond)
	p.Moon.NoLog(t, "sending DPD request")
	p.AdvanceTo(140 * time.Second)
	// Timers at 30, 50, 70, 90 and 110 s each find a packet 10 s old (the
	// timer runs before the packet of its own second); the one at 130 s
	// finds 30 s of silence.
	if got := sendTimes(p.Sim, "moon", encoding.ExchangeInformational, 2); fmt.Sprint(got) != "[2m10s]" {
		t.Errorf("first DPD at %v, want 130 s", got)
	}
}

// TestCloseActionHold (closeaction=hold: child_delete.c
// destroy_and_reestablish installs a trap for a CHILD_SA the peer deleted;
// ike_sa.c reestablish does so for the CHILD_SAs of an IKE_SA the peer
// deleted): sun routes the config when moon deletes the CHILD_SA, and
// again when moon deletes the IKE_SA; closeaction=clear does nothing.
func TestCloseActionHold(t *testing.T) {
	for _, action := range []config.Action{config.ActionTrap, config.ActionNone} {
		for _, what := range []string{"CHILD_SA", "IKE_SA"} {
			t.Run(fmt.Sprintf("%v/%s", action, what), func(t *testing.T) {
				p := ikesim.NewPair(t, func(_, sun *ikesim.ConnOpts) { sun.CloseAction = action })
				p.Up()
				p.Advance(time.Second)
				if what == "CHILD_SA" {
					onChild(t, p.Moon, opDeleteChild)
				} else {
					onChild(t, p.Moon, opDeleteIKE)
				}
				p.Advance(time.Second)
				traps := p.Sun.Traps.Traps()
				if action == config.ActionTrap {
					if len(traps) != 1 || traps[0].Child.State() != sa.ChildRouted {
						t.Fatalf("sun: traps %+v", traps)
					}
					for _, id := range p.Sun.Kern.Policies() {
						if d, _ := p.Sun.Kern.InstalledPolicy(id); d.Prio != kernel.PriorityRouted {
							t.Errorf("sun: policy %s prio %d, want routed", id, d.Prio)
						}
					}
				} else if len(traps) != 0 || len(p.Sun.Kern.Policies()) != 0 {
					t.Errorf("sun: traps %+v, policies %v", traps, p.Sun.Kern.Policies())
				}
				p.Sun.NoLog(t, "establishing CHILD_SA")
				if len(p.Sun.Kern.SAs()) != 0 {
					t.Errorf("sun: SAs %v", p.Sun.Kern.SAs())
				}
			})
		}
	}
}

// TestKeyingTriesForever (keyingtries=%forever, stroke's 0: ike_sa.c
// retransmit: "peer not responding, trying again (%d/%d)" without end):
// after ten tries of 165 s moon still tries, and once sun answers the
// IKE_SA comes up.
func TestKeyingTriesForever(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) { moon.KeyingTries = ikesim.Forever })
	dead := true
	deadSun(p, &dead)
	p.Up()
	p.AdvanceTo(10*165060*time.Millisecond + time.Second)
	for try := 2; try <= 11; try++ {
		p.Moon.WantLog(t, fmt.Sprintf("[IKE] peer not responding, trying again (%d/0)", try))
	}
	p.Moon.NoLog(t, "establishing IKE_SA failed")
	if ike := p.Moon.OnlyIKESA(t); ike.State() != sa.IKEConnecting {
		t.Fatalf("moon: %s", ike.State())
	}
	dead = false
	p.AdvanceTo(11*165060*time.Millisecond + time.Second)
	p.WantOneChildPair(t)
}

// TestRekeyNo (rekey=no: starter sends no lifetimes, so charon schedules
// neither rekeying nor reauthentication nor a maximum IKE_SA lifetime, and
// the kernel SAs get no limits): after a day the first SAs are still
// there.
func TestRekeyNo(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	for _, peer := range []*config.PeerCfg{p.MoonPeer, p.SunPeer} {
		peer.RekeyTime, peer.ReauthTime, peer.OverTime, peer.JitterTime = 0, 0, 0, 0
	}
	p.MoonChild.Lifetime, p.SunChild.Lifetime = kernel.Lifetime{}, kernel.Lifetime{}
	p.Up()
	p.AdvanceTo(24 * time.Hour)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.NoLog(t, "scheduling rekeying")
		n.NoLog(t, "scheduling reauthentication")
		n.NoLog(t, "maximum IKE_SA lifetime")
		n.NoLog(t, "creating rekey job")
		n.NoLog(t, "CREATE_CHILD_SA")
		for _, c := range n.Kern.Calls() {
			if c.Op == "AddSA" && c.Add.Lifetime != (kernel.Lifetime{}) {
				t.Errorf("%s: %s with lifetime %+v", n.Name, c, c.Add.Lifetime)
			}
		}
		if ike := n.WantEstablished(t, 1); ike.UniqueID() != 1 || ike.Children()[0].SPI(true) != 0xc0000001 {
			t.Errorf("%s: [%d] %08x", n.Name, ike.UniqueID(), ike.Children()[0].SPI(true))
		}
	}
}

// TestInactivityClosesIKE (charon.inactivity_close_ike: inactivity_job
// deletes the IKE_SA instead of its last CHILD_SA): "deleting IKE_SA after
// 30 seconds of CHILD_SA inactivity".
func TestInactivityClosesIKE(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.MoonChild.Inactivity = 30
	p.Moon.Env.Settings.InactivityCloseIKE = true
	p.Up()
	p.AdvanceTo(31 * time.Second)
	p.Moon.WantLog(t, "[JOB] deleting IKE_SA after 30 seconds of CHILD_SA inactivity")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantNoIKESA(t)
		n.KernelEmpty(t)
	}
}

// TestMarginOverLifetime (a margintime larger than ikelifetime: starter's
// rekey time, ikelifetime - margin, wraps as a 32-bit unsigned number):
// charon logs the wrapped times through %d, so negative, and schedules the
// IKE_SA's deletion in 32 bits too, where rekey time plus margin wraps
// back. Without jitter that is ikelifetime: the IKE_SA ends there. With a
// jitter larger than ikelifetime it stays negative, so far in the future
// that the IKE_SA stays (the kernel lane's FINDINGS.md, 3: sun's log).
func TestMarginOverLifetime(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rekey      int64
		logs       []string
		deletedBy  time.Duration
		staysUntil time.Duration
	}{
		{"ikelifetime 90s, margin 540s", 90 - 540,
			[]string{"[IKE] scheduling rekeying in -450s", "[IKE] maximum IKE_SA lifetime 90s"}, 91 * time.Second, 0},
		{"jitter past ikelifetime", -736,
			[]string{"[IKE] scheduling rekeying in -736s", "[IKE] maximum IKE_SA lifetime -196s"}, 0, 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ikesim.NewPair(t, nil)
			p.SunPeer.RekeyTime, p.SunPeer.ReauthTime = uint32(tc.rekey), 0
			p.SunPeer.OverTime, p.SunPeer.JitterTime = 540, 0
			// Only sun's timers act: moon neither rekeys nor expires.
			p.MoonPeer.RekeyTime, p.MoonPeer.ReauthTime, p.MoonPeer.OverTime = 0, 0, 0
			p.Up()
			p.Advance(time.Second)
			p.Sun.WantEstablished(t, 1)
			p.Sun.WantLogOrder(t, tc.logs...)
			if tc.deletedBy != 0 {
				p.AdvanceTo(tc.deletedBy)
				p.Sun.WantNoIKESA(t)
				p.Moon.WantNoIKESA(t)
				return
			}
			p.AdvanceTo(tc.staysUntil)
			p.Sun.WantEstablished(t, 1)
			p.Sun.NoLog(t, "IKE_REKEY")
			p.Sun.NoLog(t, "deleting IKE_SA")
		})
	}
}
