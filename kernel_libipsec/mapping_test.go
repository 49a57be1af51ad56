package kernel_libipsec

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/network"
)

// TestNATMappingChange: moon's NAT rebinds its ESP-in-UDP flow to another
// port; sun's data plane reports the new mapping of its inbound SA once
// (not for every packet), not for a forged packet from the new mapping,
// and no more once the SA was moved there.
func TestNATMappingChange(t *testing.T) {
	tp := topo4
	mc, sc := newMemPair()
	moon, sun := newHost(t, nil, mc), newHost(t, nil, sc)
	c := defaultChild(tp, algos[2], kernel.ModeTunnel)
	_, _, sunIn, _ := c.install(t, tp, moon, sun)
	p := udpPacket(tp.alice, tp.bob, 1, 2, []byte("before"))
	moon.send(t, p)
	sun.expectNext(t, p)
	if ev := sun.exp.events(); len(ev) != 0 {
		t.Fatalf("events before the NAT rebinding: %v", ev)
	}

	// a packet sun never gets, forged and sent from yet another port:
	// it fails authentication and reports nothing
	mc.mu.Lock()
	mc.record = true
	mc.tap = func([]network.Packet) []network.Packet { return nil }
	mc.mu.Unlock()
	moon.send(t, udpPacket(tp.alice, tp.bob, 1, 2, []byte("forged")))
	waitFor(t, func() bool { mc.mu.Lock(); defer mc.mu.Unlock(); return len(mc.sent) == 1 })
	mc.mu.Lock()
	forged := append([]byte(nil), mc.sent[0]...)
	mc.mu.Unlock()
	forged[len(forged)-1] ^= 1
	sc.deliver([]network.Packet{{Data: forged, Src: netip.AddrPortFrom(tp.moon, 1026), Dst: netip.AddrPortFrom(tp.sun, 4500)}})

	// moon's NAT rebinds the flow to port 1025
	rebound := netip.AddrPortFrom(tp.moon, 1025)
	mc.mu.Lock()
	mc.tap = func(pk []network.Packet) []network.Packet {
		for i := range pk {
			pk[i].Src = rebound
		}
		return pk
	}
	mc.mu.Unlock()
	for _, s := range []string{"one", "two", "three"} {
		p := udpPacket(tp.alice, tp.bob, 1, 2, []byte(s))
		moon.send(t, p)
		sun.expectNext(t, p)
	}
	want := []string{"mapping " + spiString(c.spiSun) + " -> " + rebound.String()}
	if ev := sun.exp.events(); !slices.Equal(ev, want) {
		t.Fatalf("events %v, want %v", ev, want)
	}

	// the engine moves the SA to the new mapping: no more reports
	if err := sun.k.UpdateSA(sunIn, kernel.UpdateSA{NewSrc: tp.moon, NewSrcPort: 1025, Encap: true, NewEncap: true}); err != nil {
		t.Fatal(err)
	}
	p = udpPacket(tp.alice, tp.bob, 1, 2, []byte("after"))
	moon.send(t, p)
	sun.expectNext(t, p)
	if ev := sun.exp.events(); len(ev) != 1 {
		t.Errorf("events after the update %v", ev)
	}
}
