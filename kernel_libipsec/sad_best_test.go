package kernel_libipsec

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/testing/vclock"
)

// TestSADReqIDBestAfterEveryChange: the outbound SA the view holds for a
// reqid is, after every change, one that no other usable outbound SA of
// that reqid beats (better) — the rule the full comparison applied —
// while SAs of three reqids are added (sometimes at the same instant),
// soft-expired, moved by UpdateSA and deleted in random order. The
// comparison of the view against every SA of k.sas is done here from
// scratch, not with the reqid index the view is built from.
func TestSADReqIDBestAfterEveryChange(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		clk := vclock.New()
		mc, _ := newMemPair()
		h := newHost(t, clk, mc)
		k := h.k
		rng := rand.New(rand.NewPCG(seed, 0))
		c := defaultChild(topo4, algos[2], kernel.ModeTunnel)
		var live []kernel.SAID
		spi := uint32(0xc5000000)
		for step := 0; step < 400; step++ {
			op := rng.IntN(10)
			switch {
			case op < 5 || len(live) == 0:
				if rng.IntN(3) > 0 {
					clk.Advance(time.Second)
				}
				spi++
				c.reqid = uint32(1 + rng.IntN(3))
				live = append(live, c.addSA(t, k, topo4.moon, topo4.sun, spi, false, byte(spi)))
			case op < 7:
				i := rng.IntN(len(live))
				if err := k.DelSA(live[i], 0); err != nil {
					t.Fatal(err)
				}
				live = append(live[:i], live[i+1:]...)
			case op < 9:
				id := live[rng.IntN(len(live))]
				k.mu.Lock()
				s := k.sas[saKey{id.Dst, id.SPI, id.Proto}]
				k.mu.Unlock()
				k.expire(s, false)
			default:
				i := rng.IntN(len(live))
				id := live[i]
				dst := topo4.sun
				if id.Dst == dst {
					dst = netip.MustParseAddr("192.168.0.9")
				}
				if err := k.UpdateSA(id, kernel.UpdateSA{NewSrc: id.Src, NewDst: dst, NewSrcPort: 4500,
					NewDstPort: 4500, Encap: true, NewEncap: true}); err != nil {
					t.Fatal(err)
				}
				live[i].Dst = dst
			}
			checkReqIDBest(t, k, seed, step)
		}
	}
}

func checkReqIDBest(t *testing.T, k *IPsec, seed uint64, step int) {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	view := k.sad.Load()
	for r := uint32(1); r <= 3; r++ {
		got := view.out[r%sadShards][r]
		var any bool
		for _, s := range k.sas {
			if s.inbound || s.reqid.Load() != r || !s.usable() {
				continue
			}
			any = true
			if got != nil && s != got && better(s, got) {
				t.Fatalf("seed %d step %d: reqid %d: the view has SPI %08x, but %08x is better", seed, step, r, got.id.SPI, s.id.SPI)
			}
		}
		if any != (got != nil) {
			t.Fatalf("seed %d step %d: reqid %d: view has %v, usable SAs: %v", seed, step, r, got, any)
		}
		if got != nil && (got.reqid.Load() != r || !got.usable() || k.sas[saKey{got.id.Dst, got.id.SPI, got.id.Proto}] != got) {
			t.Fatalf("seed %d step %d: reqid %d: the view's SA %08x is gone or not the reqid's", seed, step, r, got.id.SPI)
		}
	}
}

// BenchmarkSADSharedReqID: one rekey's SAD changes (add the new outbound
// SA, delete the old one) with 10 000 outbound SAs sharing the reqid, as
// the rekey storm's CHILD_SAs do.
func BenchmarkSADSharedReqID(b *testing.B) {
	clk := vclock.New()
	k := New(Options{Listener: &expiryLog{clk: clk}, Workers: 1, Timers: clk, Now: clk.Now})
	defer k.Close()
	c := defaultChild(topo4, algos[2], kernel.ModeTunnel)
	var ids []kernel.SAID
	spi := uint32(0xc6000000)
	for range 10000 {
		spi++
		ids = append(ids, c.addSA(b, k, topo4.moon, topo4.sun, spi, false, byte(spi)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clk.Advance(time.Millisecond)
		spi++
		ids = append(ids, c.addSA(b, k, topo4.moon, topo4.sun, spi, false, byte(spi)))
		if err := k.DelSA(ids[0], 0); err != nil {
			b.Fatal(err)
		}
		ids = ids[1:]
	}
}
