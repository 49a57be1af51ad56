package selectors

import (
	"net/netip"
	"testing"

	"github.com/goswan/goswan/internal/netdb"
)

func mustCIDR(t *testing.T, s string, proto uint8, fp, tp uint16) TS {
	t.Helper()
	ts, err := ParseCIDR(s, proto, fp, tp)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// withNetdb hands the selectors a fixed table, so that the printed names
// do not depend on the test host.
func withNetdb(t *testing.T) {
	t.Helper()
	protos := "ip 0 IP\nicmp 1 ICMP\ntcp 6 TCP\nudp 17 UDP\nipv6-icmp 58 IPv6-ICMP\n"
	servs := "ssh 22/tcp\nhttp 80/tcp www\ndomain 53/udp\n"
	withNames(t, netdb.Parse(protos, servs))
}

// withNames hands in n for the test and restores the names after it.
func withNames(t *testing.T, n Names) {
	t.Helper()
	saved := currentNames()
	SetNames(n)
	t.Cleanup(func() { SetNames(saved) })
}

func TestString(t *testing.T) {
	withNetdb(t)
	r, _ := FromRange(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.9"), 0, 0, 0xffff)
	cases := []struct {
		ts   TS
		want string
	}{
		{mustCIDR(t, "10.1.0.0/16", 0, 0, 0xffff), "10.1.0.0/16"},
		{mustCIDR(t, "192.168.0.1", 0, 0, 0xffff), "192.168.0.1/32"},
		{mustCIDR(t, "fec1::/16", 0, 0, 0xffff), "fec1::/16"},
		{mustCIDR(t, "10.1.0.0/16", ProtoTCP, 22, 22), "10.1.0.0/16[tcp/ssh]"},
		{mustCIDR(t, "10.1.0.0/16", ProtoTCP, 1000, 2000), "10.1.0.0/16[tcp/1000-2000]"},
		{mustCIDR(t, "10.1.0.0/16", ProtoUDP, 4242, 4242), "10.1.0.0/16[udp/4242]"},
		{mustCIDR(t, "10.1.0.0/16", ProtoICMP, 0, 0xffff), "10.1.0.0/16[icmp]"},
		{mustCIDR(t, "10.1.0.0/16", ProtoICMP, 8, 8), "10.1.0.0/16[icmp/8]"},
		{mustCIDR(t, "10.1.0.0/16", ProtoICMP, 0x0301, 0x0301), "10.1.0.0/16[icmp/3(1)]"},
		{mustCIDR(t, "10.1.0.0/16", 0, 80, 80), "10.1.0.0/16[0/http]"},
		{mustCIDR(t, "10.1.0.0/16", 99, 0, 0xffff), "10.1.0.0/16[99]"},
		{mustCIDR(t, "10.1.0.0/16", ProtoTCP, 0xffff, 0), "10.1.0.0/16[tcp/OPAQUE]"},
		{r, "10.0.0.1..10.0.0.9"},
		{Dynamic(0, 0, 0xffff), "dynamic"},
		{Dynamic(ProtoTCP, 22, 22), "dynamic[tcp/ssh]"},
		{mustCIDR(t, "0.0.0.0/0", 0, 0, 0xffff), "0.0.0.0/0"},
		{mustCIDR(t, "::/0", 0, 0, 0xffff), "::/0"},
	}
	for _, c := range cases {
		if got := c.ts.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	if got := List([]TS{cases[0].ts, cases[1].ts}); got != "10.1.0.0/16 192.168.0.1/32" {
		t.Errorf("List = %q", got)
	}
}

func TestSubset(t *testing.T) {
	withNetdb(t)
	cases := []struct {
		a, b TS
		want string // "" for no subset
	}{
		{mustCIDR(t, "10.0.0.0/8", 0, 0, 0xffff), mustCIDR(t, "10.1.0.0/16", 0, 0, 0xffff), "10.1.0.0/16"},
		{mustCIDR(t, "10.1.0.0/16", 0, 0, 0xffff), mustCIDR(t, "10.2.0.0/16", 0, 0, 0xffff), ""},
		{mustCIDR(t, "10.1.0.0/16", ProtoTCP, 0, 0xffff), mustCIDR(t, "10.1.0.0/24", 0, 22, 22), "10.1.0.0/24[tcp/ssh]"},
		{mustCIDR(t, "10.1.0.0/16", ProtoTCP, 0, 0xffff), mustCIDR(t, "10.1.0.0/16", ProtoUDP, 0, 0xffff), ""},
		{mustCIDR(t, "10.1.0.0/16", 0, 100, 200), mustCIDR(t, "10.1.0.0/16", 0, 300, 400), ""},
		{mustCIDR(t, "10.1.0.0/16", 0, 0, 0xffff), mustCIDR(t, "fec1::/16", 0, 0, 0xffff), ""},
		{Dynamic(0, 0, 0xffff), mustCIDR(t, "10.1.0.0/16", 0, 0, 0xffff), ""},
		{mustCIDR(t, "10.1.0.0/16", ProtoTCP, 0xffff, 0), mustCIDR(t, "10.1.0.0/16", ProtoTCP, 0, 0xffff), "10.1.0.0/16[tcp/OPAQUE]"},
	}
	for i, c := range cases {
		s, ok := c.a.Subset(c.b)
		if c.want == "" {
			if ok {
				t.Errorf("%d: %v ∩ %v = %v, want none", i, c.a, c.b, s)
			}
			continue
		}
		if !ok || s.String() != c.want {
			t.Errorf("%d: %v ∩ %v = %v (%v), want %s", i, c.a, c.b, s, ok, c.want)
		}
	}
	// Intersection of ranges that are not subnets prints as a range.
	a, _ := FromRange(netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.20"), 0, 0, 0xffff)
	s, ok := a.Subset(mustCIDR(t, "10.0.0.0/28", 0, 0, 0xffff))
	if !ok || s.String() != "10.0.0.5..10.0.0.15" {
		t.Errorf("range subset = %v %v", s, ok)
	}
}

func TestDynamicAndHost(t *testing.T) {
	d := Dynamic(0, 0, 0xffff)
	if !d.IsDynamic() || !d.IsHost(netip.Addr{}) {
		t.Fatal("dynamic selector must be dynamic and count as host")
	}
	h := d.SetAddress(netip.MustParseAddr("192.168.0.1"))
	if h.IsDynamic() || h.String() != "192.168.0.1/32" || !h.IsHost(netip.MustParseAddr("192.168.0.1")) {
		t.Fatalf("SetAddress: %v", h)
	}
	h6 := d.SetAddress(netip.MustParseAddr("fec0::1"))
	if h6.String() != "fec0::1/128" || h6.Is4() {
		t.Fatalf("SetAddress v6: %v", h6)
	}
	if got := d.SetAddress(netip.IPv6Unspecified()).String(); got != "::/0" {
		t.Fatalf("SetAddress(::) = %s", got)
	}
	n := mustCIDR(t, "10.1.0.0/16", 0, 0, 0xffff)
	if !n.Includes(netip.MustParseAddr("10.1.255.255")) || n.Includes(netip.MustParseAddr("10.2.0.0")) {
		t.Fatal("Includes")
	}
	if !mustCIDR(t, "10.1.2.0/24", 0, 0, 0xffff).ContainedIn(n) || n.ContainedIn(mustCIDR(t, "10.1.2.0/24", 0, 0, 0xffff)) {
		t.Fatal("ContainedIn")
	}
	if p, exact := n.Prefix(); !exact || p.String() != "10.1.0.0/16" {
		t.Fatalf("Prefix = %v %v", p, exact)
	}
}

func TestCompareOrder(t *testing.T) {
	a := mustCIDR(t, "10.1.0.0/16", 0, 0, 0xffff)
	b := mustCIDR(t, "10.1.0.0/24", 0, 0, 0xffff)
	c := mustCIDR(t, "fec1::/16", 0, 0, 0xffff)
	if Compare(a, b) >= 0 || Compare(b, c) >= 0 || Compare(c, a) <= 0 || Compare(a, a) != 0 {
		t.Fatal("Compare does not follow strongSwan's order")
	}
}

func TestRangeErrors(t *testing.T) {
	if _, err := FromRange(netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("10.0.0.1"), 0, 0, 0xffff); err == nil {
		t.Error("reversed range accepted")
	}
	if _, err := FromRange(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("::1"), 0, 0, 0xffff); err == nil {
		t.Error("mixed families accepted")
	}
	if _, err := ParseCIDR("10.0.0.0/33", 0, 0, 0xffff); err == nil {
		t.Error("bad prefix accepted")
	}
}

// TestWithoutNames: with no names handed in (a host without netbase, or a
// daemon that read none), selectors print numbers and only numbers parse,
// as charon's getprotobynumber/getservbyport calls fail there.
func TestWithoutNames(t *testing.T) {
	withNames(t, nil)
	for ts, want := range map[TS]string{
		mustCIDR(t, "10.1.0.0/16", ProtoTCP, 22, 22):          "10.1.0.0/16[6/22]",
		mustCIDR(t, "10.1.0.0/16", ProtoUDP, 0, 0xffff):       "10.1.0.0/16[17]",
		mustCIDR(t, "10.1.0.0/16", ProtoICMP, 0x0800, 0x0800): "10.1.0.0/16[1/8]",
	} {
		if got := ts.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
	if _, ok := ProtocolNumber("tcp"); ok {
		t.Error("tcp resolved without names")
	}
	if p, ok := ProtocolNumber("6"); !ok || p != 6 {
		t.Errorf("ProtocolNumber(6) = %d %v", p, ok)
	}
	if _, ok := ServicePort("http", ""); ok {
		t.Error("http resolved without names")
	}
	// The same with names: the NULL protocol (no protocol name known)
	// takes the first entry for the port.
	withNames(t, netdb.Parse("tcp 6 TCP\n", "echo 7/udp\nsecho 7/tcp\n"))
	if got := mustCIDR(t, "10.1.0.0/16", 0, 7, 7).String(); got != "10.1.0.0/16[0/echo]" {
		t.Errorf("String() = %q", got)
	}
	if got := mustCIDR(t, "10.1.0.0/16", ProtoTCP, 7, 7).String(); got != "10.1.0.0/16[tcp/secho]" {
		t.Errorf("String() = %q", got)
	}
	if p, ok := ServicePort("secho", "udp"); ok {
		t.Errorf("secho/udp = %d", p)
	}
}
