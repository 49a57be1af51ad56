package tasks_test

import (
	"slices"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// restartPair is moon and sun with net-net (10.1.0.0/16 === 10.2.0.0/16)
// and net-net2 (10.3.0.0/16 === 10.4.0.0/16) on one IKE_SA, closeaction=
// restart on moon; keep sets charon.keep_reqids on both.
func restartPair(t *testing.T, keep bool) *ikesim.Pair {
	t.Helper()
	p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) { moon.CloseAction = config.ActionStart })
	_, c2 := addChild(t, p, "net-net2", "10.3.0.0/16", "10.4.0.0/16")
	c2.CloseAction = config.ActionStart
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.Env.Settings.KeepReqIDs = keep
	}
	p.Up()
	p.Advance(time.Second)
	p.Moon.Initiate(p.MoonPeer, c2)
	p.Advance(time.Second)
	return p
}

// reqids lists "name=reqid" of the IKE_SA's CHILD_SAs.
func reqids(t *testing.T, n *ikesim.Node) []string {
	t.Helper()
	var out []string
	for _, c := range n.WantEstablished(t, 2).Children() {
		out = append(out, c.Name()+"="+itoa(c.ReqID()))
	}
	slices.Sort(out)
	return out
}

func itoa(u uint32) string { return string(rune('0' + u)) }

// sunDeletesIKESA makes sun delete the IKE_SA: moon restarts both
// CHILD_SAs on a new one (ike_sa.c reestablish), asking for their old
// reqids.
func sunDeletesIKESA(t *testing.T, p *ikesim.Pair) {
	t.Helper()
	p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.Advance(2 * time.Second)
	p.Moon.WantLog(t, "[IKE] restarting CHILD_SA net-net", "[IKE] restarting CHILD_SA net-net2")
}

// TestReqIDRestartCollides is strongSwan 5.9.8's behaviour, kept on
// purpose (strongswan/strongswan#1855): the old IKE_SA releases its
// CHILD_SAs' reqids last to first (released list: 2, 1); the restarted
// net-net asks for 1, which is no longer allocated, and takes the head of
// the released list, 2; net-net2 asks for 2, which net-net now holds, and
// gets it too. Two CHILD_SAs with different selectors share reqid 2.
func TestReqIDRestartCollides(t *testing.T) {
	p := restartPair(t, false)
	if got, want := reqids(t, p.Moon), []string{"net-net2=2", "net-net=1"}; !slices.Equal(got, want) {
		t.Fatalf("before: moon %v, want %v", got, want)
	}
	sunDeletesIKESA(t, p)
	if got, want := reqids(t, p.Moon), []string{"net-net2=2", "net-net=2"}; !slices.Equal(got, want) {
		t.Errorf("after the restart: moon %v, want 5.9.8's collision %v", got, want)
	}
	p.Moon.WantLog(t, "[IKE] establishing CHILD_SA net-net{3} reqid 1", "[IKE] establishing CHILD_SA net-net2{4} reqid 2")
}

// TestReqIDRestartKeepReqIDs: with charon.keep_reqids (5.9.12's fix) the
// old CHILD_SAs' reqids stay referenced until the new ones have them, and
// each keeps its own; when all is down, no reqid is left allocated.
func TestReqIDRestartKeepReqIDs(t *testing.T) {
	p := restartPair(t, true)
	sunDeletesIKESA(t, p)
	if got, want := reqids(t, p.Moon), []string{"net-net2=2", "net-net=1"}; !slices.Equal(got, want) {
		t.Errorf("after the restart: moon %v, want %v", got, want)
	}
	// Rekeying keeps them too.
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		for _, c := range ike.Children() {
			ike.RekeyChild(c.Protocol(), c.SPI(true))
		}
		return sa.Success
	})
	p.Advance(10 * time.Second) // past delete_rekeyed_delay
	if got, want := reqids(t, p.Moon), []string{"net-net2=2", "net-net=1"}; !slices.Equal(got, want) {
		t.Errorf("after rekeying: moon %v, want %v", got, want)
	}
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.Advance(2 * time.Second)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantNoIKESA(t)
		if got := n.Env.ReqIDs.Allocated(); len(got) != 0 {
			t.Errorf("%s: reqids %v still allocated", n.Name, got)
		}
	}
}

// TestReqIDAcquireKeepReqIDs: with charon.keep_reqids the acquire hands
// the trap's reqid to the new CHILD_SA by reference; the CHILD_SA keeps
// the trap's reqid, and once the trap and the IKE_SA are gone no
// reference is left behind.
func TestReqIDAcquireKeepReqIDs(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Moon.Env.Settings.KeepReqIDs = true
	traps := sa.NewTrapManager(p.Moon.Env)
	if reqid := traps.Install(1, p.MoonPeer, p.MoonChild); reqid != 1 {
		t.Fatalf("trap reqid %d", reqid)
	}
	h := sa.NewKernelHandler(p.Moon.Env)
	h.OnAcquire = traps.Acquire
	h.Acquire(1, ikesim.MustTS(t, "10.1.0.10/32"), ikesim.MustTS(t, "10.2.0.10/32"))
	p.Advance(time.Second)
	if c := p.Moon.WantEstablished(t, 1).Children()[0]; c.ReqID() != 1 {
		t.Errorf("CHILD_SA reqid %d, want the trap's 1", c.ReqID())
	}
	if got := p.Moon.Env.ReqIDs.Allocated(); len(got) != 1 || got[0] != 1 {
		t.Errorf("allocated %v", got)
	}
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.Advance(time.Second)
	traps.Uninstall("", "net-net")
	if got := p.Moon.Env.ReqIDs.Allocated(); len(got) != 0 {
		t.Errorf("reqids %v left allocated", got)
	}
}
