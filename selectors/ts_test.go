package selectors

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func mustCIDR(t *testing.T, s string, proto uint8, fp, tp uint16) TS {
	t.Helper()
	ts, err := ParseCIDR(s, proto, fp, tp)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// withNetdb points the protocol/service lookups at fixed files so that the
// printed names do not depend on the test host.
func withNetdb(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	protos := "ip 0 IP\nicmp 1 ICMP\ntcp 6 TCP\nudp 17 UDP\nipv6-icmp 58 IPv6-ICMP\n"
	servs := "ssh 22/tcp\nhttp 80/tcp www\ndomain 53/udp\n"
	if err := os.WriteFile(filepath.Join(dir, "protocols"), []byte(protos), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "services"), []byte(servs), 0o644); err != nil {
		t.Fatal(err)
	}
	oldP, oldS := protocolsPath, servicesPath
	protocolsPath, servicesPath = filepath.Join(dir, "protocols"), filepath.Join(dir, "services")
	loadNetdb()
	t.Cleanup(func() { protocolsPath, servicesPath = oldP, oldS; loadNetdb() })
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
