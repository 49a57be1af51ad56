package kernel_netlink

import "net/netip"

// Source address selection among the addresses of one interface, as
// kernel_netlink_net.c approximates RFC 6724 (its is_address_better).

// addrScope is the RFC 6724 scope of a unicast address (not rtm_scope).
func addrScope(a netip.Addr) uint8 {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		if b[0] == 127 || (b[0] == 169 && b[1] == 254) {
			return 2 // link-local, as the IPv6 loopback
		}
		return 14
	}
	switch {
	case a.IsLoopback(), a.IsLinkLocalUnicast():
		return 2
	case netip.MustParsePrefix("fec0::/10").Contains(a):
		return 5 // deprecated site-local
	}
	return 14
}

var labelTable = []struct {
	p     netip.Prefix
	label uint8
}{
	{netip.MustParsePrefix("::1/128"), 0},
	{netip.MustParsePrefix("::ffff:0:0/96"), 4},
	{netip.MustParsePrefix("::/96"), 3},
	{netip.MustParsePrefix("2001::/32"), 5},
	{netip.MustParsePrefix("2002::/16"), 2},
	{netip.MustParsePrefix("3ffe::/16"), 12},
	{netip.MustParsePrefix("fec0::/10"), 11},
	{netip.MustParsePrefix("fc00::/7"), 13},
}

// addrLabel is the RFC 6724 default policy table label.
func addrLabel(a netip.Addr) uint8 {
	// strongSwan compares 4-byte addresses against the 16-byte nets, which
	// never match: IPv4 addresses get the label of ::/0
	if a.Is6() {
		for _, e := range labelTable {
			if e.p.Contains(a) {
				return e.label
			}
		}
	}
	return 1
}

// commonPrefix is the length of the common prefix within the first 64 bits.
func commonPrefix(a, b netip.Addr) int {
	as, bs := a.AsSlice(), b.AsSlice()
	n := min(len(as), len(bs), 8)
	for i := 0; i < n; i++ {
		if x := as[i] ^ bs[i]; x != 0 {
			bits := 8
			for ; x != 0; x >>= 1 {
				bits--
			}
			return i*8 + bits
		}
	}
	return n * 8
}

// addressBetter reports whether b is a better source than a to reach d (d
// may be invalid).
func addressBetter(a, b *addrEntry, d netip.Addr, preferTemporary bool) bool {
	if d.IsValid() {
		sa, sb, sd := addrScope(a.ip), addrScope(b.ip), addrScope(d)
		if sa < sb {
			return sa < sd
		} else if sb < sa {
			return sb >= sd
		}
	}
	if a.ip.Is4() {
		return false // IPv4 stops here and keeps the earlier address
	}
	if (a.flags & ifaFDeprecated) != (b.flags & ifaFDeprecated) {
		return a.flags&ifaFDeprecated != 0
	}
	if d.IsValid() {
		la, lb, ld := addrLabel(a.ip), addrLabel(b.ip), addrLabel(d)
		if la == ld && lb != ld {
			return false
		} else if lb == ld && la != ld {
			return true
		}
	}
	if (a.flags & ifaFTemporary) != (b.flags & ifaFTemporary) {
		// charon prefers public addresses unless configured otherwise
		if preferTemporary {
			return b.flags&ifaFTemporary != 0
		}
		return a.flags&ifaFTemporary != 0
	}
	if d.IsValid() {
		pa, pb := commonPrefix(a.ip, d), commonPrefix(b.ip, d)
		if pa != pb {
			return pb > pa
		}
	}
	return false
}
