package kernel_netlink

import (
	"net/netip"
	"testing"

	"github.com/goswan/goswan/kernel"
)

// TestSALifetimesSinceAdd (seeds/000, kernel_netlink_ipsec.c add_sa: "we
// use lifetimes since added, not since used": soft_add_expires_seconds =
// lifetime->time.rekey, hard_add_expires_seconds = lifetime->time.life,
// the use_expires 0; soft and hard byte and packet limits from
// bytes.rekey/life and packets.rekey/life, XFRM_LIMIT turning 0 into
// XFRM_INF): struct xfrm_lifetime_cfg as the SA is sent to the kernel.
func TestSALifetimesSinceAdd(t *testing.T) {
	id := kernel.SAID{Src: netip.MustParseAddr("192.168.0.2"), Dst: netip.MustParseAddr("192.168.0.1"),
		SPI: 0xc14f1c0a, Proto: kernel.ProtoESP}
	for _, c := range []struct {
		name string
		lt   kernel.Lifetime
		want [8]uint64 // soft/hard bytes, soft/hard packets, soft/hard add, soft/hard use
	}{
		{"seed's inbound SA", kernel.Lifetime{Time: kernel.LifetimeLimit{Life: 10, Rekey: 5}},
			[8]uint64{xfrmInf, xfrmInf, xfrmInf, xfrmInf, 5, 10, 0, 0}},
		{"seed's outbound SA", kernel.Lifetime{Time: kernel.LifetimeLimit{Life: 10}},
			[8]uint64{xfrmInf, xfrmInf, xfrmInf, xfrmInf, 0, 10, 0, 0}},
		{"bytes and packets", kernel.Lifetime{
			Time:    kernel.LifetimeLimit{Life: 3600, Rekey: 3060},
			Bytes:   kernel.LifetimeLimit{Life: 1_000_000, Rekey: 900_000},
			Packets: kernel.LifetimeLimit{Life: 10_000, Rekey: 9_000}},
			[8]uint64{900_000, 1_000_000, 9_000, 10_000, 3060, 3600, 0, 0}},
	} {
		info := (&IPsec{}).newSAInfo(id, kernel.AddSA{ReqID: 1, Mode: kernel.ModeTunnel, Lifetime: c.lt}, kernel.ModeTunnel)
		l := info.lft()
		for i, w := range c.want {
			if got := native.Uint64(l[i*8:]); got != w {
				t.Errorf("%s: xfrm_lifetime_cfg field %d = %d, want %d", c.name, i, got, w)
			}
		}
	}
}
