package kernel_libipsec

import (
	"fmt"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/testing/vclock"
)

// TestOutboundPolicyNamesSA: outbound policies name their SA by SPI, as
// XFRM's templates do (FeaturePolicySPI): a newer SA of the same reqid is
// not used until the policy is updated to it, and a standby user
// (make-before-break responder) leaves the policy on the old SA until the
// old user is gone.
func TestOutboundPolicyNamesSA(t *testing.T) {
	tp := topo4
	mc, sc := newMemPair()
	moon, sun := newHost(t, nil, mc), newHost(t, nil, sc)
	if moon.k.Features()&kernel.FeaturePolicySPI == 0 {
		t.Fatal("no FeaturePolicySPI")
	}
	old := defaultChild(tp, algos[2], kernel.ModeTunnel)
	old.addSA(t, sun.k, tp.moon, tp.sun, old.spiSun, true, 2)
	old.addSA(t, moon.k, tp.moon, tp.sun, old.spiSun, false, 2)
	id := kernel.PolicyID{Dir: kernel.DirOut, Src: old.tsMoon, Dst: old.tsSun}
	mp := func(spi uint32, standby bool) kernel.ManagePolicy {
		d := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault, Src: tp.moon, Dst: tp.sun,
			Standby: standby}
		d.SA.Mode, d.SA.ReqID, d.SA.ESP.Use, d.SA.ESP.SPI = kernel.ModeTunnel, old.reqid, true, spi
		return d
	}
	in := kernel.PolicyID{Dir: kernel.DirIn, Src: old.tsMoon, Dst: old.tsSun}
	if err := sun.k.AddPolicy(in, kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault,
		Src: tp.moon, Dst: tp.sun, SA: kernel.SAConfig{Mode: kernel.ModeTunnel, ReqID: old.reqid}}); err != nil {
		t.Fatal(err)
	}
	if err := moon.k.AddPolicy(id, mp(old.spiSun, false)); err != nil {
		t.Fatal(err)
	}
	mc.record = true
	sendVia := func(want uint32) {
		t.Helper()
		p := udpPacket(tp.alice, tp.bob, 1, 2, []byte("x"))
		moon.send(t, p)
		sun.expectNext(t, p)
		mc.mu.Lock()
		spi, _ := parseSPI(mc.sent[len(mc.sent)-1])
		mc.mu.Unlock()
		if spi != want {
			t.Fatalf("packet left with SPI %08x, want %08x", spi, want)
		}
	}
	sendVia(old.spiSun)
	// A newer outbound SA of the reqid: unused while the policy names the
	// old one.
	nw := old
	nw.spiSun = 0xc2000002
	nw.addSA(t, sun.k, tp.moon, tp.sun, nw.spiSun, true, 22)
	nw.addSA(t, moon.k, tp.moon, tp.sun, nw.spiSun, false, 22)
	sendVia(old.spiSun)
	// A standby user naming it: still the old SA.
	if err := moon.k.AddPolicy(id, mp(nw.spiSun, true)); err != nil {
		t.Fatal(err)
	}
	sendVia(old.spiSun)
	// The old user goes: the policy is updated to the new SA.
	if err := moon.k.DelPolicy(id, mp(old.spiSun, false)); err != nil {
		t.Fatal(err)
	}
	sendVia(nw.spiSun)
}

// TestTrapPolicyAcquire: a packet that hits an outbound IPsec policy
// without SA (a trap) raises an acquire with the policy's reqid and the
// packet's addresses, as XFRM does, and is dropped; further packets raise
// none while the first acquire is pending (XFRM's acq_expires, 30 s).
func TestTrapPolicyAcquire(t *testing.T) {
	tp := topo4
	clk := vclock.New()
	mc, _ := newMemPair()
	moon := newHost(t, clk, mc)
	trap := defaultChild(tp, algos[2], kernel.ModeTunnel)
	trap.reqid = 7
	trap.policies(t, moon.k, tp.moon, tp.sun, trap.tsMoon, trap.tsSun, true)
	for i := 0; i < 3; i++ {
		moon.send(t, udpPacket(tp.alice, tp.bob, 1, 2, []byte("x")))
	}
	waitFor(t, func() bool { return moon.k.Stats().OutNoSA == 3 })
	want := fmt.Sprintf("acquire {7} %s/32 === %s/32", tp.alice, tp.bob)
	if got := moon.exp.events(); len(got) != 1 || got[0] != want {
		t.Fatalf("events %q, want [%q]", got, want)
	}
	clk.Advance(30 * time.Second)
	moon.send(t, udpPacket(tp.alice, tp.bob, 1, 2, []byte("x")))
	waitFor(t, func() bool { return len(moon.exp.events()) == 2 })
}
