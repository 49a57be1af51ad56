package kernel_netlink

import (
	"net/netip"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// toXsel turns the shared selector computation (kernel.SelFromTS, which is
// strongSwan's ts2selector) into the kernel's struct.
func toXsel(s kernel.Sel) xsel {
	x := xsel{
		dport: s.DPort, dportMask: s.DPortMask,
		sport: s.SPort, sportMask: s.SPortMask,
		proto: s.Proto, ifindex: s.Ifindex,
		prefixlenD: uint8(s.Dst.Bits()), prefixlenS: uint8(s.Src.Bits()),
		family: familyOf(s.Src.Addr()),
	}
	putAddr(x.daddr[:], s.Dst.Addr())
	putAddr(x.saddr[:], s.Src.Addr())
	return x
}

// selToTS converts one side of a selector from the kernel into a traffic
// selector, as strongSwan's selector2ts: ICMP type and code come back in
// the source and destination port fields.
func selToTS(s xsel, src bool) (selectors.TS, bool) {
	addr, prefixlen := s.daddr[:], s.prefixlenD
	var port uint16
	if src {
		addr, prefixlen = s.saddr[:], s.prefixlenS
		if s.sportMask != 0 {
			port = s.sport
		}
	} else if s.dportMask != 0 {
		port = s.dport
	}
	if s.proto == selectors.ProtoICMP || s.proto == selectors.ProtoICMPv6 {
		port = s.sport<<8 | s.dport&0xff
	}
	var a netip.Addr
	// Old kernels leave the family unset: guess it from the prefix length,
	// as strongSwan does.
	switch {
	case s.family == afInet || s.prefixlenS == 32:
		a = netip.AddrFrom4([4]byte(addr[:4]))
		if prefixlen > 32 {
			return selectors.TS{}, false
		}
	case s.family == afInet6 || s.prefixlenS == 128:
		a = netip.AddrFrom16([16]byte(addr[:16]))
		if prefixlen > 128 {
			return selectors.TS{}, false
		}
	default:
		return selectors.TS{}, false
	}
	to := port
	if port == 0 {
		to = 0xffff
	}
	p, err := a.Prefix(int(prefixlen))
	if err != nil {
		return selectors.TS{}, false
	}
	return selectors.FromPrefix(p, s.proto, port, to), true
}

// policyDir maps our direction onto XFRM's (they are the same numbers).
func policyDir(d kernel.PolicyDir) uint8 {
	switch d {
	case kernel.DirIn:
		return dirIn
	case kernel.DirOut:
		return dirOut
	}
	return dirFwd
}

func modeToKernel(m kernel.Mode) uint8 {
	switch m {
	case kernel.ModeTransport:
		return xmodeTransport
	case kernel.ModeTunnel:
		return xmodeTunnel
	case kernel.ModeBEET:
		return xmodeBEET
	}
	return uint8(m)
}

// hostString formats an address as charon's %H: "(null)" when unset and
// "%any"/"%any6" for the unspecified address.
func hostString(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "(null)"
	case a == netip.IPv4Unspecified():
		return "%any"
	case a == netip.IPv6Unspecified():
		return "%any6"
	}
	return a.Unmap().String()
}

// markString formats a mark for log messages, as strongSwan's format_mark.
func markString(m kernel.Mark) string {
	if m.Value|m.Mask == 0 {
		return ""
	}
	return " (mark " + uitoa(m.Value) + "/0x" + hex8(m.Mask) + ")"
}

func uitoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}
