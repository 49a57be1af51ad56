package selectors

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// IP protocol numbers that get special treatment.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TS is one traffic selector. It is a value: copy it freely. The zero value
// is not valid; use the constructors.
//
// For ICMP and ICMPv6 the ports carry type and code as RFC 4301 §4.4.1.1
// says: the type in the high byte and the code in the low byte.
type TS struct {
	from, to netip.Addr // same family; to >= from
	proto    uint8
	fromPort uint16
	toPort   uint16
	// dynamic marks a selector that stands for "my (or the peer's) address"
	// until SetAddress replaces it (leftsubnet unset in ipsec.conf).
	dynamic bool
}

// icmpPorts applies strongSwan's convention that a plain ICMP type (below
// 256) given as a port is shifted into the type byte.
func icmpPorts(proto uint8, from, to uint16) (uint16, uint16) {
	if proto == ProtoICMP || proto == ProtoICMPv6 {
		if from < 256 {
			from <<= 8
		}
		if to < 256 {
			to <<= 8
		}
	}
	return from, to
}

// FromRange builds a selector for the addresses from..to (inclusive).
func FromRange(from, to netip.Addr, proto uint8, fromPort, toPort uint16) (TS, error) {
	from, to = from.Unmap(), to.Unmap()
	if !from.IsValid() || !to.IsValid() {
		return TS{}, errors.New("traffic selector: invalid address")
	}
	if from.Is4() != to.Is4() {
		return TS{}, errors.New("traffic selector: mixed address families")
	}
	if to.Less(from) {
		return TS{}, fmt.Errorf("traffic selector: range %s..%s is empty", from, to)
	}
	fp, tp := icmpPorts(proto, fromPort, toPort)
	return TS{from: from, to: to, proto: proto, fromPort: fp, toPort: tp}, nil
}

// FromPrefix builds a selector for a subnet.
func FromPrefix(p netip.Prefix, proto uint8, fromPort, toPort uint16) TS {
	p = p.Masked()
	// An IPv4-mapped subnet (::ffff:10.1.0.0/112) is the IPv4 subnet; any
	// other IPv6 prefix stays IPv6 at both ends, even where its last
	// address looks mapped (::/80 ends at ::ffff:ffff:ffff).
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	from := p.Addr()
	to := lastAddr(p)
	fp, tp := icmpPorts(proto, fromPort, toPort)
	return TS{from: from, to: to, proto: proto, fromPort: fp, toPort: tp}
}

// FromAddr builds a host selector (/32 or /128) for all protocols and ports.
func FromAddr(a netip.Addr) TS {
	a = a.Unmap()
	return FromPrefix(netip.PrefixFrom(a, a.BitLen()), 0, 0, 0xffff)
}

// Dynamic builds a selector that SetAddress later narrows to a host,
// strongSwan's traffic_selector_create_dynamic. It prints as "dynamic".
func Dynamic(proto uint8, fromPort, toPort uint16) TS {
	fp, tp := icmpPorts(proto, fromPort, toPort)
	return TS{from: netip.IPv4Unspecified(), to: netip.AddrFrom4([4]byte{255, 255, 255, 255}),
		proto: proto, fromPort: fp, toPort: tp, dynamic: true}
}

// ParseCIDR parses "10.1.0.0/16", "fec1::/16" or a plain address.
func ParseCIDR(s string, proto uint8, fromPort, toPort uint16) (TS, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return TS{}, fmt.Errorf("traffic selector: %w", err)
		}
		a = a.Unmap()
		s = netip.PrefixFrom(a, a.BitLen()).String()
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return TS{}, fmt.Errorf("traffic selector: %w", err)
	}
	return FromPrefix(p, proto, fromPort, toPort), nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// From is the first address of the range.
func (t TS) From() netip.Addr { return t.from }

// To is the last address of the range.
func (t TS) To() netip.Addr { return t.to }

// Protocol is the IP protocol, 0 for any.
func (t TS) Protocol() uint8 { return t.proto }

// FromPort is the first port (or ICMP type<<8|code).
func (t TS) FromPort() uint16 { return t.fromPort }

// ToPort is the last port.
func (t TS) ToPort() uint16 { return t.toPort }

// IsDynamic reports whether the selector still waits for SetAddress.
func (t TS) IsDynamic() bool { return t.dynamic }

// Is4 reports whether this is an IPv4 selector (TS_IPV4_ADDR_RANGE).
func (t TS) Is4() bool { return t.from.Is4() }

// IsValid reports whether t was built by a constructor.
func (t TS) IsValid() bool { return t.from.IsValid() }

func (t TS) isAnyPort() bool { return t.fromPort == 0 && t.toPort == 0xffff }

// IsOpaque reports the RFC 4301 OPAQUE port selector (from 0xffff to 0).
func (t TS) IsOpaque() bool { return t.fromPort == 0xffff && t.toPort == 0 }

// Bits is the prefix length if the range is a subnet, or -1 if it is not
// (strongSwan's NON_SUBNET_ADDRESS_RANGE).
func (t TS) Bits() int {
	f, to := t.from.AsSlice(), t.to.AsSlice()
	n := len(f) * 8
	// Count the common leading bits, then require the rest of from to be
	// zeros and the rest of to to be ones.
	bits := 0
	for bits < n && bitAt(f, bits) == bitAt(to, bits) {
		bits++
	}
	for i := bits; i < n; i++ {
		if bitAt(f, i) != 0 || bitAt(to, i) != 1 {
			return -1
		}
	}
	return bits
}

func bitAt(b []byte, i int) byte { return (b[i/8] >> (7 - i%8)) & 1 }

// Prefix returns the subnet that best describes the range, as strongSwan's
// to_subnet does (a non-subnet range yields the covering prefix of from) and
// whether the range was a subnet.
func (t TS) Prefix() (netip.Prefix, bool) {
	bits := t.Bits()
	exact := bits >= 0
	if !exact {
		f, to := t.from.AsSlice(), t.to.AsSlice()
		bits = 0
		for bits < len(f)*8 && bitAt(f, bits) == bitAt(to, bits) {
			bits++
		}
	}
	p, _ := t.from.Prefix(bits)
	return p, exact
}

// IsHost reports whether the selector covers exactly one address (or is
// dynamic). With a valid addr it checks that it covers exactly addr.
func (t TS) IsHost(addr netip.Addr) bool {
	if addr.IsValid() {
		addr = addr.Unmap()
		return addr.Is4() == t.from.Is4() && t.from == addr && t.to == addr
	}
	return t.dynamic || t.from == t.to
}

// Includes reports whether addr lies within the range.
func (t TS) Includes(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.Is4() != t.from.Is4() {
		return false
	}
	return t.from.Compare(addr) <= 0 && t.to.Compare(addr) >= 0
}

// SetAddress narrows a dynamic selector to addr (or to everything if addr is
// unspecified), keeping protocol and ports.
func (t TS) SetAddress(addr netip.Addr) TS {
	addr = addr.Unmap()
	if addr.IsUnspecified() {
		if addr.Is4() {
			t.from, t.to = netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255})
		} else {
			t.from, t.to = netip.IPv6Unspecified(), lastAddr(netip.PrefixFrom(netip.IPv6Unspecified(), 0))
		}
	} else {
		t.from, t.to = addr, addr
	}
	t.dynamic = false
	return t
}

// Subset returns the intersection of t and o (strongSwan's get_subset):
// protocols must match unless one is 0, ports and addresses are intersected.
// A dynamic selector has no subset.
func (t TS) Subset(o TS) (TS, bool) {
	if t.dynamic || o.dynamic || t.from.Is4() != o.from.Is4() {
		return TS{}, false
	}
	if t.proto != o.proto && t.proto != 0 && o.proto != 0 {
		return TS{}, false
	}
	proto := max(t.proto, o.proto)
	var fp, tp uint16
	if (t.IsOpaque() && o.IsOpaque()) || (t.IsOpaque() && o.isAnyPort()) || (o.IsOpaque() && t.isAnyPort()) {
		fp, tp = 0xffff, 0
	} else {
		fp, tp = max(t.fromPort, o.fromPort), min(t.toPort, o.toPort)
		if fp > tp {
			return TS{}, false
		}
	}
	from := t.from
	if o.from.Compare(from) > 0 {
		from = o.from
	}
	to := t.to
	if o.to.Compare(to) < 0 {
		to = o.to
	}
	if from.Compare(to) > 0 {
		return TS{}, false
	}
	return TS{from: from, to: to, proto: proto, fromPort: fp, toPort: tp}, true
}

// ContainedIn reports whether t lies entirely within o.
func (t TS) ContainedIn(o TS) bool {
	s, ok := t.Subset(o)
	return ok && s.Equal(t)
}

// Equal compares everything but the dynamic flag, as strongSwan's equals.
func (t TS) Equal(o TS) bool { return Compare(t, o) == 0 }

// Compare orders selectors as strongSwan's traffic_selector_cmp: IPv4 before
// IPv6, lower start first, larger ranges first, lower protocol, lower start
// port, larger port range.
func Compare(a, b TS) int {
	if a.from.Is4() != b.from.Is4() {
		if a.from.Is4() {
			return -1
		}
		return 1
	}
	if c := bytes.Compare(a.from.AsSlice(), b.from.AsSlice()); c != 0 {
		return c
	}
	if c := bytes.Compare(b.to.AsSlice(), a.to.AsSlice()); c != 0 {
		return c
	}
	if a.proto != b.proto {
		return int(a.proto) - int(b.proto)
	}
	if a.fromPort != b.fromPort {
		return int(a.fromPort) - int(b.fromPort)
	}
	return int(b.toPort) - int(a.toPort)
}

// String prints the selector as charon's %R does.
func (t TS) String() string {
	if !t.from.IsValid() {
		return "(null)"
	}
	var sb strings.Builder
	allZero := t.from == netip.IPv4Unspecified() || t.from == netip.IPv6Unspecified()
	if t.dynamic && allZero && t.to == maxOf(t.from) {
		sb.WriteString("dynamic")
	} else if bits := t.Bits(); bits < 0 {
		sb.WriteString(t.from.String())
		sb.WriteString("..")
		sb.WriteString(t.to.String())
	} else {
		sb.WriteString(t.from.String())
		sb.WriteByte('/')
		sb.WriteString(strconv.Itoa(bits))
	}
	hasProto, hasPorts := t.proto != 0, !t.isAnyPort()
	if !hasProto && !hasPorts {
		return sb.String()
	}
	sb.WriteByte('[')
	protoName := ""
	if hasProto {
		if n, ok := protocolName(t.proto); ok {
			sb.WriteString(n)
			protoName = n
		} else {
			sb.WriteString(strconv.Itoa(int(t.proto)))
		}
	} else {
		sb.WriteByte('0')
	}
	if hasPorts {
		sb.WriteByte('/')
		icmp := t.proto == ProtoICMP || t.proto == ProtoICMPv6
		switch {
		case t.fromPort == t.toPort && icmp:
			writeICMP(&sb, t.fromPort)
		case t.fromPort == t.toPort:
			if n, ok := serviceName(t.fromPort, protoName); ok {
				sb.WriteString(n)
			} else {
				sb.WriteString(strconv.Itoa(int(t.fromPort)))
			}
		case t.IsOpaque():
			sb.WriteString("OPAQUE")
		case icmp:
			writeICMP(&sb, t.fromPort)
			sb.WriteByte('-')
			writeICMP(&sb, t.toPort)
		default:
			fmt.Fprintf(&sb, "%d-%d", t.fromPort, t.toPort)
		}
	}
	sb.WriteByte(']')
	return sb.String()
}

func maxOf(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	return lastAddr(netip.PrefixFrom(netip.IPv6Unspecified(), 0))
}

func writeICMP(sb *strings.Builder, port uint16) {
	typ, code := port>>8, port&0xff
	if code != 0 {
		fmt.Fprintf(sb, "%d(%d)", typ, code)
	} else {
		sb.WriteString(strconv.Itoa(int(typ)))
	}
}

// List prints several selectors separated by spaces, as charon's %#R.
func List(ts []TS) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, " ")
}
