package kernel

import (
	"net/netip"

	"github.com/goswan/goswan/selectors"
)

// Sel is a pair of traffic selectors in the form an XFRM policy selector
// takes (struct xfrm_selector): subnets, one protocol, and ports with masks.
// A policy is installed for a Sel, so both kernel backends compute it the
// same way, as strongSwan's ts2selector does.
type Sel struct {
	Src, Dst         netip.Prefix
	Proto            uint8
	SPort, SPortMask uint16 // host byte order
	DPort, DPortMask uint16
	Ifindex          int32
}

// portsOf turns a port range into the value/mask pair XFRM can express: a
// single port is exact; a range becomes the longest common prefix.
func portsOf(ts selectors.TS) (port, mask uint16) {
	from, to := ts.FromPort(), ts.ToPort()
	if from == to {
		return from, 0xffff
	}
	for bit := 15; bit >= 0; bit-- {
		b := uint16(1) << bit
		if from&b != to&b {
			return from & mask, mask
		}
		mask |= b
	}
	return from, mask
}

// SelFromTS computes the XFRM selector for traffic from src to dst.
func SelFromTS(src, dst selectors.TS, ifindex int32) Sel {
	s := Sel{Proto: max(src.Protocol(), dst.Protocol()), Ifindex: ifindex}
	s.Src, _ = src.Prefix()
	s.Dst, _ = dst.Prefix()
	s.DPort, s.DPortMask = portsOf(dst)
	s.SPort, s.SPortMask = portsOf(src)
	if (s.Proto == selectors.ProtoICMP || s.Proto == selectors.ProtoICMPv6) && (s.DPort != 0 || s.SPort != 0) {
		// The kernel wants the ICMP type in the source port and the code in
		// the destination port.
		port := max(s.DPort, s.SPort)
		s.SPort, s.DPort = port>>8, port&0xff
		s.SPortMask, s.DPortMask = 0, 0
		if s.SPort != 0 {
			s.SPortMask = 0xffff
		}
		if s.DPort != 0 {
			s.DPortMask = 0xffff
		}
	}
	return s
}

func maskBits(mask uint16) uint32 {
	var bits uint32
	for b := uint16(0x8000); b != 0 && mask&b != 0; b >>= 1 {
		bits++
	}
	return bits
}

// Priority base of strongSwan's automatic policy priorities.
const prioBase = 200000

// AutoPriority is strongSwan's automatic policy priority (kernel_netlink's
// get_priority): more specific selectors get lower values, which the kernel
// prefers; trap policies rank below regular ones of the same selector.
func AutoPriority(sel Sel, prio PolicyPriority, hasInterface bool) uint32 {
	p := uint32(prioBase)
	switch prio {
	case PriorityFallback:
		p += 2 * prioBase
	case PriorityRouted, PriorityDefault:
		p += prioBase
	}
	p -= uint32(sel.Src.Bits()+sel.Dst.Bits()) * 512
	if sel.Proto != 0 {
		p -= 256
	}
	p -= (maskBits(sel.SPortMask) + maskBits(sel.DPortMask)) * 4
	if hasInterface {
		p -= 2
	}
	if prio != PriorityRouted {
		p--
	}
	return p
}
