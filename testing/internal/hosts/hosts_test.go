package hosts

import (
	"net/netip"
	"testing"
)

// TestPlanIsConsistent checks the address plan: unique names, every
// configured interface address inside its segment, each host's PH_IP_<HOST>
// address on one of its interfaces, and gateways that exist on the host's
// segment.
func TestPlanIsConsistent(t *testing.T) {
	segment := map[Network][2]netip.Prefix{
		Internet: {netip.MustParsePrefix("192.168.0.0/24"), netip.MustParsePrefix("fec0::/16")},
		Net1:     {netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fec1::/16")},
		Net2:     {netip.MustParsePrefix("10.2.0.0/16"), netip.MustParsePrefix("fec2::/16")},
	}
	seen := map[string]bool{}
	for _, h := range All {
		if seen[h.Name] {
			t.Errorf("%s twice", h.Name)
		}
		seen[h.Name] = true
		if got, ok := Lookup(h.Name); !ok || got.Name != h.Name {
			t.Errorf("Lookup(%s) failed", h.Name)
		}
		found := false
		for _, ifc := range h.Ifaces {
			p4, err4 := netip.ParsePrefix(ifc.IPv4)
			p6, err6 := netip.ParsePrefix(ifc.IPv6)
			if err4 != nil || err6 != nil {
				t.Errorf("%s %s: bad addresses %q %q", h.Name, ifc.Name, ifc.IPv4, ifc.IPv6)
				continue
			}
			seg := segment[ifc.Net]
			if p4.Bits() != seg[0].Bits() || !seg[0].Contains(p4.Addr()) || p6.Bits() != seg[1].Bits() || !seg[1].Contains(p6.Addr()) {
				t.Errorf("%s %s: %s %s not in %s", h.Name, ifc.Name, p4, p6, ifc.Net)
			}
			if !ifc.Manual && p4.Addr().String() == h.IPv4 && p6.Addr().String() == h.IPv6 {
				found = true
			}
			if h.Gateway4 != "" && seg[0].Contains(netip.MustParseAddr(h.Gateway4)) && !ifc.Manual {
				if !gatewayExists(h.Gateway4) {
					t.Errorf("%s: gateway %s is no host's address", h.Name, h.Gateway4)
				}
			}
		}
		if !found {
			t.Errorf("%s: PH_IP_%s %s / %s is on no active interface", h.Name, h.Name, h.IPv4, h.IPv6)
		}
	}
	if _, ok := Lookup("mars"); ok {
		t.Error("Lookup found a host that is not in the plan")
	}
	if n := Names(); len(n) != 8 || n[0] != "alice" || n[7] != "winnetou" {
		t.Errorf("Names() = %v", n)
	}
}

func gatewayExists(addr string) bool {
	for _, h := range All {
		for _, ifc := range h.Ifaces {
			if p, err := netip.ParsePrefix(ifc.IPv4); err == nil && p.Addr().String() == addr && h.Forward {
				return true
			}
		}
	}
	return false
}
