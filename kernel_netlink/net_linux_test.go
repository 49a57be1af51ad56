package kernel_netlink

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
)

func addrs(t *testing.T, n *Net, which kernel.AddrType) []string {
	t.Helper()
	as, err := n.Addresses(which)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	slices.Sort(s)
	return s
}

func TestNetAddressesAndInterfaces(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	ns.ip(t, "link", "add", "gsn-down0", "type", "veth", "peer", "name", "gsn-down1")
	ns.ip(t, "addr", "add", "172.16.0.1/24", "dev", "gsn-down0")
	_, n, rec, _ := newBackend(t, ns, Options{})

	if got, want := addrs(t, n, kernel.AddrRegular), []string{"10.1.0.1", "192.168.0.1", "fec0::1"}; !slices.Equal(got, want) {
		t.Errorf("regular addresses %v, want %v", got, want)
	}
	got := addrs(t, n, kernel.AddrAll)
	// loopback addresses have host scope and are never listed, as in charon
	for _, w := range []string{"172.16.0.1"} {
		if !slices.Contains(got, w) {
			t.Errorf("all addresses %v lack %s", got, w)
		}
	}
	for _, a := range got {
		if strings.HasPrefix(a, "fe80:") || a == "127.0.0.1" {
			t.Errorf("link-local %s listed", a)
		}
	}
	if name, ok := n.Interface(netip.MustParseAddr("10.1.0.1")); !ok || name != "eth0" {
		t.Errorf("Interface(10.1.0.1) = %q %v", name, ok)
	}
	rec.has(t, "[KNL] 10.1.0.1 is on interface eth0")
	if _, ok := n.Interface(netip.MustParseAddr("192.168.0.2")); ok {
		t.Error("a remote address is local")
	}
	rec.has(t, "[KNL] 192.168.0.2 is not a local address or the interface is down")
	if _, ok := n.Interface(netip.MustParseAddr("172.16.0.1")); ok {
		t.Error("an address on a down interface is usable")
	}

	// charon.interfaces_ignore / interfaces_use
	for _, o := range []Options{{InterfacesIgnore: []string{"eth0"}}, {InterfacesUse: []string{"lo"}}} {
		o.NoEvents = true
		o.NoRoutingTable = true
		o.Log = &logRecorder{}
		o.NetNS = ns.h
		n2, err := NewNet(o)
		if err != nil {
			t.Fatal(err)
		}
		if got := addrs(t, n2, kernel.AddrRegular); len(got) != 0 {
			t.Errorf("%+v: addresses %v, want none", o, got)
		}
		if got := addrs(t, n2, kernel.AddrRegular|kernel.AddrIgnored); !slices.Contains(got, "192.168.0.1") {
			t.Errorf("ignored addresses %v lack 192.168.0.1", got)
		}
		if _, ok := n2.Interface(netip.MustParseAddr("192.168.0.1")); ok {
			t.Error("address on an ignored interface is usable")
		}
		n2.Close()
	}
}

func TestNetSourceAddrAndNextHop(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	ns.ip(t, "route", "add", "10.5.0.0/16", "via", "192.168.0.254")
	ns.ip(t, "-6", "route", "add", "fec5::/16", "via", "fec0::fe")
	_, n, rec, _ := newBackend(t, ns, Options{})
	a := netip.MustParseAddr

	check := func(got netip.Addr, err error, want string) {
		t.Helper()
		if err != nil || got.String() != want {
			t.Errorf("got %v (%v), want %s", got, err, want)
		}
	}
	src, err := n.SourceAddr(a("192.168.0.2"), netip.Addr{})
	check(src, err, "192.168.0.1")
	src, err = n.SourceAddr(a("10.5.0.1"), netip.Addr{})
	check(src, err, "192.168.0.1")
	// a candidate on the outgoing interface is kept
	src, err = n.SourceAddr(a("10.5.0.1"), a("10.1.0.1"))
	check(src, err, "10.1.0.1")
	src, err = n.SourceAddr(a("fec5::1"), netip.Addr{})
	check(src, err, "fec0::1")
	if _, err := n.SourceAddr(a("203.0.113.1"), netip.Addr{}); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("no route: %v", err)
	}
	rec.has(t, "[KNL] no address found to reach 203.0.113.1/32")

	gw, dev, err := n.NextHop(a("10.5.0.1"), -1, netip.Addr{})
	check(gw, err, "192.168.0.254")
	if dev != "eth0" {
		t.Errorf("dev %q", dev)
	}
	rec.has(t, "[KNL] using 192.168.0.254 as nexthop and eth0 as dev to reach 10.5.0.1/32")
	gw, _, err = n.NextHop(a("192.168.0.2"), -1, netip.Addr{})
	check(gw, err, "192.168.0.2") // directly connected: the peer itself
	// a subnet: no gateway for a connected one
	if gw, _, err := n.NextHop(a("192.168.0.0"), 24, netip.Addr{}); err == nil {
		t.Errorf("next hop for a connected subnet: %v", gw)
	}
	gw, _, err = n.NextHop(a("10.5.0.0"), 16, netip.Addr{})
	check(gw, err, "192.168.0.254")
}

func TestNetVirtualIPAndRoutes(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	_, n, rec, _ := newBackend(t, ns, Options{})
	vip := netip.MustParseAddr("10.3.0.5")
	if err := n.AddIP(vip, 32, "eth0"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ns.ip(t, "addr", "show", "dev", "eth0"), "inet 10.3.0.5/32") {
		t.Error("virtual IP not on eth0")
	}
	rec.has(t, "[KNL] virtual IP 10.3.0.5 installed on eth0")
	if got := addrs(t, n, kernel.AddrVirtual); !slices.Equal(got, []string{"10.3.0.5"}) {
		t.Errorf("virtual addresses %v", got)
	}
	if got := addrs(t, n, kernel.AddrRegular); slices.Contains(got, "10.3.0.5") {
		t.Errorf("virtual IP among regular addresses %v", got)
	}
	// a second user
	if err := n.AddIP(vip, 32, "eth0"); err != nil {
		t.Fatal(err)
	}
	checkRoutesWithVirtualIP(t, ns, n, vip)
	checkDelIP(t, ns, n, rec, vip)
	// an address that exists already is not managed as virtual
	if err := n.AddIP(netip.MustParseAddr("10.1.0.1"), 32, "eth0"); err != nil {
		t.Fatal(err)
	}
	rec.has(t, "[KNL] virtual IP 10.1.0.1 is already installed on eth0")
	if err := n.DelIP(netip.MustParseAddr("10.1.0.1"), 32, true); err != nil {
		t.Fatal(err)
	}
	rec.has(t, "[KNL] not deleting existing IP 10.1.0.1 on eth0")

	// IPv6 virtual IP
	vip6 := netip.MustParseAddr("fec3::5")
	if err := n.AddIP(vip6, 128, "eth0"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ns.ip(t, "-6", "addr", "show", "dev", "eth0"), "fec3::5/128") {
		t.Error("IPv6 virtual IP not installed")
	}
	if err := n.DelIP(vip6, 128, true); err != nil {
		t.Fatal(err)
	}

	// closing removes charon's rules
	n.Close()
	if rules := ns.ip(t, "rule"); strings.Contains(rules, "lookup 220") {
		t.Errorf("rule left after Close:\n%s", rules)
	}
}

// checkRoutesWithVirtualIP: routes into table 220 with the virtual IP as
// source take precedence over those from a regular address.
func checkRoutesWithVirtualIP(t *testing.T, ns *testNS, n *Net, vip netip.Addr) {
	t.Helper()
	dst := netip.MustParsePrefix("10.2.0.0/16")
	gw := netip.MustParseAddr("192.168.0.2")
	if err := n.AddRoute(dst, gw, vip, "eth0", false); err != nil {
		t.Fatal(err)
	}
	if r := routes220(t, ns); r != "10.2.0.0/16 via 192.168.0.2 dev eth0 proto static src 10.3.0.5" {
		t.Errorf("table 220: %q", r)
	}
	if err := n.AddRoute(dst, gw, vip, "eth0", false); !errors.Is(err, ErrAlreadyDone) {
		t.Errorf("second AddRoute: %v, want ErrAlreadyDone", err)
	}
	// a route to the same net from a regular address does not replace the
	// one with the virtual IP
	if err := n.AddRoute(dst, gw, netip.MustParseAddr("10.1.0.1"), "eth0", false); err != nil {
		t.Fatal(err)
	}
	if r := routes220(t, ns); !strings.HasSuffix(r, "src 10.3.0.5") {
		t.Errorf("table 220: %q", r)
	}
	if err := n.DelRoute(dst, gw, vip, "eth0", false); err != nil {
		t.Fatal(err)
	}
	// ... but takes over when it goes
	if r := routes220(t, ns); !strings.HasSuffix(r, "src 10.1.0.1") {
		t.Errorf("table 220 after deleting the VIP route: %q", r)
	}
	if err := n.DelRoute(dst, gw, netip.MustParseAddr("10.1.0.1"), "eth0", false); err != nil {
		t.Fatal(err)
	}
	if r := routes220(t, ns); r != "" {
		t.Errorf("table 220 not empty: %q", r)
	}
	if err := n.DelRoute(dst, gw, vip, "eth0", false); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("deleting a deleted route: %v", err)
	}
	// 0.0.0.0/0 goes into table 220 as it is
	any := netip.MustParsePrefix("0.0.0.0/0")
	if err := n.AddRoute(any, gw, vip, "eth0", false); err != nil {
		t.Fatal(err)
	}
	if r := routes220(t, ns); r != "default via 192.168.0.2 dev eth0 proto static src 10.3.0.5" {
		t.Errorf("table 220: %q", r)
	}
	if err := n.DelRoute(any, gw, vip, "eth0", false); err != nil {
		t.Fatal(err)
	}
}

// checkDelIP: a virtual IP with two users goes with the second DelIP.
func checkDelIP(t *testing.T, ns *testNS, n *Net, rec *logRecorder, vip netip.Addr) {
	t.Helper()
	if err := n.DelIP(vip, 32, true); err != nil {
		t.Fatal(err)
	}
	rec.has(t, "[KNL] virtual IP 10.3.0.5 used by other SAs, not deleting")
	if !strings.Contains(ns.ip(t, "addr", "show", "dev", "eth0"), "10.3.0.5") {
		t.Error("virtual IP deleted while still used")
	}
	if err := n.DelIP(vip, 32, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ns.ip(t, "addr", "show", "dev", "eth0"), "10.3.0.5") {
		t.Error("virtual IP still there")
	}
	if got := addrs(t, n, kernel.AddrVirtual); len(got) != 0 {
		t.Errorf("virtual addresses %v after DelIP", got)
	}
	if err := n.DelIP(vip, 32, true); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("deleting an unknown virtual IP: %v", err)
	}
}

func TestNetRoamEvents(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	_, _, rec, ev := newBackend(t, ns, Options{})
	ns.ip(t, "addr", "add", "10.9.0.1/24", "dev", "eth0")
	if got := ev.wait(t, 5*time.Second); got != "roam address true" {
		t.Errorf("event %q", got)
	}
	rec.has(t, "[KNL] 10.9.0.1 appeared on eth0")
	// wait out the roam delay, then a route change roams without address
	time.Sleep(2 * roamDelay)
	ns.ip(t, "route", "add", "10.7.0.0/16", "via", "192.168.0.254")
	if got := ev.wait(t, 5*time.Second); got != "roam address false" {
		t.Errorf("event %q", got)
	}
	time.Sleep(2 * roamDelay)
	ns.ip(t, "addr", "del", "10.9.0.1/24", "dev", "eth0")
	if got := ev.wait(t, 5*time.Second); got != "roam address true" {
		t.Errorf("event %q", got)
	}
	rec.has(t, "[KNL] 10.9.0.1 disappeared from eth0")
	time.Sleep(2 * roamDelay)
	ns.ip(t, "link", "set", "eth0", "down")
	if got := ev.wait(t, 5*time.Second); got != "roam address true" {
		t.Errorf("event %q", got)
	}
	rec.has(t, "[KNL] interface eth0 deactivated")
}
