package kernel_libipsec

import (
	"net/netip"
	"testing"

	"github.com/goswan/goswan/kernel"
)

// TestSADViewOutboundBySPI: the sharded view finds an outbound SA by the
// destination and SPI a policy names, follows UpdateSA to the new
// destination in the same change (the old key finds nothing), and drops the
// SA when it is deleted; a policy without SPI still takes the reqid's SA.
func TestSADViewOutboundBySPI(t *testing.T) {
	tp := topo4
	mc, _ := newMemPair()
	moon := newHost(t, nil, mc)
	c := defaultChild(tp, algos[2], kernel.ModeTunnel)
	id := c.addSA(t, moon.k, tp.moon, tp.sun, c.spiSun, false, 2)
	lookup := func(peer netip.Addr, spi uint32) *sa {
		return moon.k.sad.Load().outbound(&policy{spi: spi, peer: peer, saProto: kernel.ProtoESP, reqid: c.reqid})
	}
	s := lookup(tp.sun, c.spiSun)
	if s == nil || lookup(tp.sun, 0) != s {
		t.Fatalf("outbound SA not found by SPI (%v) or by reqid", s)
	}
	if lookup(tp.sun, c.spiSun+1) != nil {
		t.Fatal("found by another SPI")
	}
	moved := netip.MustParseAddr("192.168.0.9")
	if err := moon.k.UpdateSA(id, kernel.UpdateSA{NewSrc: tp.moon, NewDst: moved, NewSrcPort: 4500, NewDstPort: 4500,
		Encap: true, NewEncap: true}); err != nil {
		t.Fatal(err)
	}
	if lookup(tp.sun, c.spiSun) != nil || lookup(moved, c.spiSun) != s {
		t.Fatal("the view did not follow UpdateSA's new destination")
	}
	id.Dst = moved
	if err := moon.k.DelSA(id, 0); err != nil {
		t.Fatal(err)
	}
	if lookup(moved, c.spiSun) != nil || lookup(moved, 0) != nil {
		t.Fatal("deleted SA still in the view")
	}
}
