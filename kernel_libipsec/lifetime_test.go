package kernel_libipsec

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/network"
	"github.com/goswan/goswan/testing/vclock"
)

// TestTimeLifetime: soft expiry at Rekey seconds, hard at Life seconds,
// exactly, on virtual time; the hard expiry removes the SA.
func TestTimeLifetime(t *testing.T) {
	clk := vclock.New()
	mc, sc := newMemPair()
	moon, sun := newHost(t, clk, mc), newHost(t, clk, sc)
	c := defaultChild(topo4, algos[2], kernel.ModeTunnel)
	c.lifetime.Time = kernel.LifetimeLimit{Rekey: 2700, Life: 3600}
	_, moonOut, _, _ := c.install(t, topo4, moon, sun)

	clk.Advance(2699 * time.Second)
	if ev := moon.exp.events(); len(ev) != 0 {
		t.Fatalf("early expiry: %v", ev)
	}
	clk.Advance(time.Second)
	want := []string{"soft c1000001 @45m0s", "soft c2000001 @45m0s"}
	if ev := moon.exp.events(); !reflect.DeepEqual(ev, want) {
		t.Fatalf("got %v, want %v", ev, want)
	}
	clk.Advance(15 * time.Minute)
	want = append(want, "hard c1000001 @1h0m0s", "hard c2000001 @1h0m0s")
	if ev := moon.exp.events(); !reflect.DeepEqual(ev, want) {
		t.Fatalf("got %v, want %v", ev, want)
	}
	if _, err := moon.k.QuerySA(moonOut); !errors.Is(err, kernel.ErrNotFound) {
		t.Fatalf("hard-expired SA still there: %v", err)
	}
	if err := moon.k.DelSA(moonOut, 0); !errors.Is(err, kernel.ErrNotFound) {
		t.Fatalf("DelSA after hard expiry: %v", err)
	}
}

// TestPacketAndByteLimits: the soft expiry comes with the packet after the
// soft limit was reached, the hard one drops the packet after the hard
// limit, as XFRM's xfrm_state_check_expire.
func TestPacketAndByteLimits(t *testing.T) {
	clk := vclock.New()
	mc, sc := newMemPair()
	moon, sun := newHost(t, clk, mc), newHost(t, clk, sc)
	c := defaultChild(topo4, algos[4], kernel.ModeTunnel)
	c.lifetime.Packets = kernel.LifetimeLimit{Rekey: 3, Life: 5}
	_, moonOut, _, _ := c.install(t, topo4, moon, sun)
	p := udpPacket(topo4.alice, topo4.bob, 1, 2, []byte("x"))
	for i := 1; i <= 5; i++ {
		moon.send(t, p)
		sun.expectNext(t, p)
		ev := moon.exp.events()
		if i <= 3 && len(ev) != 0 || i > 3 && len(ev) != 1 {
			t.Fatalf("after packet %d: %v", i, ev)
		}
	}
	// Sixth packet: the hard limit is reached, it is dropped.
	moon.send(t, p)
	for moon.k.Stats().OutExpired == 0 {
		time.Sleep(time.Millisecond) // the pipeline is asynchronous; nothing here is timed
	}
	want := []string{"soft c2000001 @0s", "hard c2000001 @0s"}
	if ev := moon.exp.events(); !reflect.DeepEqual(ev, want) {
		t.Fatalf("got %v, want %v", ev, want)
	}
	if _, err := moon.k.QuerySA(moonOut); !errors.Is(err, kernel.ErrNotFound) {
		t.Fatalf("SA not removed: %v", err)
	}

	// Bytes: a 100-byte limit on the inbound SA of sun's side.
	clk2 := vclock.New()
	mc2, sc2 := newMemPair()
	moon2, sun2 := newHost(t, clk2, mc2), newHost(t, clk2, sc2)
	c2 := defaultChild(topo4, algos[0], kernel.ModeTunnel)
	c2.lifetime.Bytes = kernel.LifetimeLimit{Rekey: 50, Life: 100}
	c2.install(t, topo4, moon2, sun2)
	q := udpPacket(topo4.alice, topo4.bob, 1, 2, make([]byte, 12)) // 40 bytes
	for range 3 {
		moon2.send(t, q)
		sun2.expectNext(t, q)
	}
	// 40, 80, then the third packet finds 80 >= 50: soft on both sides
	// (moon's outbound and sun's inbound SA share the SPI c2000001).
	for _, h := range []*host{moon2, sun2} {
		if ev := h.exp.events(); !reflect.DeepEqual(ev, []string{"soft c2000001 @0s"}) {
			t.Fatalf("soft by bytes: %v", ev)
		}
	}
	// The fourth finds 120 >= 100 at moon: hard expiry, dropped.
	moon2.send(t, q)
	waitFor(t, func() bool { return moon2.k.Stats().OutExpired == 1 })
	if ev := moon2.exp.events(); len(ev) != 2 || ev[1] != "hard c2000001 @0s" {
		t.Fatalf("hard by bytes: %v", ev)
	}
}

// TestRekeyOverlap: make-before-break. The new inbound SA is live before
// the outbound switches, the old inbound SA keeps decrypting late packets
// until it is deleted, and the policies are updated in place.
func TestRekeyOverlap(t *testing.T) {
	tp := topo4
	mc, sc := newMemPair()
	moon, sun := newHost(t, nil, mc), newHost(t, nil, sc)
	old := defaultChild(tp, algos[2], kernel.ModeTunnel)
	_, moonOldOut, sunOldIn, _ := old.install(t, tp, moon, sun)
	mc.record = true
	p := udpPacket(tp.alice, tp.bob, 1, 2, []byte("before"))
	moon.send(t, p)
	sun.expectNext(t, p)

	// A packet sent with the old SA but delivered late.
	late := udpPacket(tp.alice, tp.bob, 1, 2, []byte("late"))
	mc.mu.Lock()
	mc.tap = func(pk []network.Packet) []network.Packet { return nil }
	mc.mu.Unlock()
	moon.send(t, late)
	waitFor(t, func() bool { mc.mu.Lock(); defer mc.mu.Unlock(); return len(mc.sent) == 2 })
	mc.mu.Lock()
	lateESP := mc.sent[1]
	mc.tap = nil
	mc.mu.Unlock()

	// Rekey: sun (responder) installs its new inbound and outbound SAs;
	// moon installs inbound, then outbound, then the old SAs go.
	nw := old
	nw.spiMoon, nw.spiSun = 0xc1000002, 0xc2000002
	nw.addSA(t, sun.k, tp.moon, tp.sun, nw.spiSun, true, 22)
	nw.addSA(t, moon.k, tp.sun, tp.moon, nw.spiMoon, true, 11)
	nw.addSA(t, moon.k, tp.moon, tp.sun, nw.spiSun, false, 22)
	nw.addSA(t, sun.k, tp.sun, tp.moon, nw.spiMoon, false, 11)
	nw.policies(t, moon.k, tp.moon, tp.sun, nw.tsMoon, nw.tsSun, true)
	nw.policies(t, sun.k, tp.sun, tp.moon, nw.tsSun, nw.tsMoon, true)

	after := udpPacket(tp.alice, tp.bob, 1, 2, []byte("after"))
	moon.send(t, after)
	sun.expectNext(t, after)
	mc.mu.Lock()
	spi, _ := parseSPI(mc.sent[len(mc.sent)-1])
	mc.mu.Unlock()
	if spi != nw.spiSun {
		t.Fatalf("outbound still on SPI %08x", spi)
	}
	// The late packet of the old SA still decrypts.
	sun.conn.deliverFrom(lateESP, tp)
	sun.expectNext(t, late)

	// Delete the old CHILD_SA: policies stay (the new SA holds them).
	if err := moon.k.DelSA(moonOldOut, 0); err != nil {
		t.Fatal(err)
	}
	if err := sun.k.DelSA(sunOldIn, 0); err != nil {
		t.Fatal(err)
	}
	old.policies(t, moon.k, tp.moon, tp.sun, old.tsMoon, old.tsSun, false)
	old.policies(t, sun.k, tp.sun, tp.moon, old.tsSun, old.tsMoon, false)
	moon.send(t, after)
	sun.expectNext(t, after)
	// The old inbound SA is gone: its late packets are dropped now.
	sun.conn.deliverFrom(lateESP, tp)
	moon.send(t, p)
	sun.expectNext(t, p)
	if st := sun.k.Stats(); st.InNoSA != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSequenceExhaustion: without ESN an SA stops at 2^32-1 and counts the
// packets it refuses; with ESN it carries on into the next subspace.
func TestSequenceExhaustion(t *testing.T) {
	for _, esn := range []bool{false, true} {
		tp := topo4
		mc, sc := newMemPair()
		moon, sun := newHost(t, nil, mc), newHost(t, nil, sc)
		c := defaultChild(tp, algos[2], kernel.ModeTunnel)
		c.esn = esn
		_, moonOut, sunIn, _ := c.install(t, tp, moon, sun)
		s := moon.k.sas[saKey{moonOut.Dst, moonOut.SPI, moonOut.Proto}]
		s.seq.Store(1<<32 - 2)
		// The receiver has seen the neighbourhood already.
		r := sun.k.sas[saKey{sunIn.Dst, sunIn.SPI, sunIn.Proto}]
		r.replay.accept(1<<32 - 3)
		r.top.Store(r.replay.top)
		p := udpPacket(tp.alice, tp.bob, 1, 2, []byte("x"))
		moon.send(t, p) // seq 2^32-1
		sun.expectNext(t, p)
		moon.send(t, p) // seq 2^32: only with ESN
		if esn {
			sun.expectNext(t, p)
			if st, _ := sun.k.SAStats(sunIn); st.Seq != 1<<32 {
				t.Fatalf("ESN receiver at %d", st.Seq)
			}
			continue
		}
		waitFor(t, func() bool { return moon.k.Stats().OutSeqExhausted == 1 })
		if st, _ := moon.k.SAStats(moonOut); st.SeqExhausted != 1 || st.Seq != 1<<32-1 {
			t.Fatalf("SA stats %+v", st)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
