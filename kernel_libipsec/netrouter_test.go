package kernel_libipsec

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/fakekernel"
)

// routeNet records the routes NetRouter asks for.
type routeNet struct {
	fakekernel.Net
	routes []string
}

func (n *routeNet) NextHop(netip.Addr, int, netip.Addr) (netip.Addr, string, error) {
	return netip.MustParseAddr("192.168.0.254"), "eth0", nil
}

func (n *routeNet) Interface(netip.Addr) (string, bool) { return "eth0", true }

func (n *routeNet) AddRoute(dst netip.Prefix, gw, src netip.Addr, iface string, pass bool) error {
	n.routes = append(n.routes, fmt.Sprintf("+%s via %s src %s dev %s pass=%v", dst, gw, src, iface, pass))
	return nil
}

func (n *routeNet) DelRoute(dst netip.Prefix, gw, src netip.Addr, iface string, pass bool) error {
	n.routes = append(n.routes, fmt.Sprintf("-%s via %s src %s dev %s pass=%v", dst, gw, src, iface, pass))
	return nil
}

func TestNetRouter(t *testing.T) {
	moon, sun := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.2")
	local := selectors.FromPrefix(netip.MustParsePrefix("10.1.0.0/16"), 0, 0, 0xffff)
	newNet := func() *routeNet {
		return &routeNet{Net: fakekernel.Net{Kernel: fakekernel.New(fakekernel.Options{
			Addresses: []netip.Addr{moon, netip.MustParseAddr("10.1.0.1")}})}}
	}
	for _, c := range []struct {
		name        string
		remote      string
		allowPeerTS bool
		fails       bool
		want        []string
	}{
		{"subnet", "10.2.0.0/16", false, false, []string{
			"+10.2.0.0/16 via invalid IP src 10.1.0.1 dev ipsec0 pass=false",
			"-10.2.0.0/16 via invalid IP src 10.1.0.1 dev ipsec0 pass=false"}},
		// A remote selector covering the peer: the peer itself is routed
		// through the real next hop first, so that IKE stays outside.
		{"covers the peer", "192.168.0.0/24", false, false, []string{
			"+192.168.0.2/32 via 192.168.0.254 src 192.168.0.1 dev eth0 pass=true",
			"+192.168.0.0/24 via invalid IP src 192.168.0.1 dev ipsec0 pass=false",
			"-192.168.0.2/32 via 192.168.0.254 src 192.168.0.1 dev eth0 pass=true",
			"-192.168.0.0/24 via invalid IP src 192.168.0.1 dev ipsec0 pass=false"}},
		// The peer as the whole remote selector conflicts with IKE unless
		// allow_peer_ts (then fwmarks must keep IKE out, as in strongSwan).
		{"is the peer", "192.168.0.2/32", false, true, nil},
		{"is the peer, allowed", "192.168.0.2/32", true, false, []string{
			"+192.168.0.2/32 via invalid IP src 192.168.0.1 dev ipsec0 pass=false",
			"-192.168.0.2/32 via invalid IP src 192.168.0.1 dev ipsec0 pass=false"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := newNet()
			r := NetRouter(n, "ipsec0", c.allowPeerTS, nil)
			src := local
			if c.remote != "10.2.0.0/16" {
				src = selectors.FromAddr(moon)
			}
			dst := selectors.FromPrefix(netip.MustParsePrefix(c.remote), 0, 0, 0xffff)
			err := r.AddRoute(src, dst, sun, moon)
			if c.fails {
				if err == nil || len(n.routes) != 0 {
					t.Fatalf("want a refusal and no routes, got %v %q", err, n.routes)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// A second policy with the same destination shares the route.
			if err := r.AddRoute(src, dst, sun, moon); err != nil {
				t.Fatal(err)
			}
			_ = r.DelRoute(src, dst)
			_ = r.DelRoute(src, dst)
			if !slices.Equal(n.routes, c.want) {
				t.Errorf("routes\n%q\nwant\n%q", n.routes, c.want)
			}
		})
	}
}

// TestNetRouterMovedSource: a CHILD_SA that moved (MOBIKE) installs the
// policy of its new source before the old one goes; each has its route,
// and removing the old one leaves the new one to the backend.
func TestNetRouterMovedSource(t *testing.T) {
	old, now := netip.MustParseAddr("192.168.0.50"), netip.MustParseAddr("10.1.0.10")
	n := &routeNet{Net: fakekernel.Net{Kernel: fakekernel.New(fakekernel.Options{Addresses: []netip.Addr{old, now}})}}
	r := NetRouter(n, "ipsec0", false, nil)
	dst := selectors.FromPrefix(netip.MustParsePrefix("10.2.0.0/16"), 0, 0, 0xffff)
	sun := netip.MustParseAddr("192.168.0.2")
	if err := r.AddRoute(selectors.FromAddr(old), dst, sun, old); err != nil {
		t.Fatal(err)
	}
	if err := r.AddRoute(selectors.FromAddr(now), dst, sun, now); err != nil {
		t.Fatal(err)
	}
	if err := r.DelRoute(selectors.FromAddr(old), dst); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"+10.2.0.0/16 via invalid IP src 192.168.0.50 dev ipsec0 pass=false",
		"+10.2.0.0/16 via invalid IP src 10.1.0.10 dev ipsec0 pass=false",
		"-10.2.0.0/16 via invalid IP src 192.168.0.50 dev ipsec0 pass=false",
	}
	if !slices.Equal(n.routes, want) {
		t.Errorf("routes\n%q\nwant\n%q", n.routes, want)
	}
}
