package kernel_netlink

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
)

// portBypass is a port-based IKE bypass policy pair (charon's bypass_t).
type portBypass struct {
	family uint16
	proto  uint8
	port   uint16
}

// BypassSocket implements kernel.IPsec: IKE packets of the socket fd skip
// IPsec policies, with per-socket policies (IP_XFRM_POLICY /
// IPV6_XFRM_POLICY, "allow" in both directions) or, with PortBypass, with
// global policies for the socket's port.
func (ip *IPsec) BypassSocket(fd int, family int) error {
	if ip.o.PortBypass {
		return ip.addPortBypass(fd, family)
	}
	var level, opt int
	switch family {
	case unix.AF_INET:
		level, opt = unix.SOL_IP, unix.IP_XFRM_POLICY
	case unix.AF_INET6:
		level, opt = unix.SOL_IPV6, unix.IPV6_XFRM_POLICY
	default:
		return fmt.Errorf("bypass socket: unsupported address family %d", family)
	}
	sel := xsel{family: uint16(family)}
	for _, dir := range []uint8{dirOut, dirIn} {
		pol := polInfo(sel, dir, 0, policyAllow)
		// a per-socket policy has no lifetime limits: the kernel ignores
		// them, charon leaves them zero
		clear(pol[56:120])
		if err := unix.SetsockoptString(fd, level, opt, string(pol)); err != nil {
			ip.log.Logf(bus.KNL, bus.Control, "unable to set IPSEC_POLICY on socket: %s", errnoText(err))
			return fmt.Errorf("unable to set IPSEC_POLICY on socket: %w", err)
		}
	}
	return nil
}

func (ip *IPsec) addPortBypass(fd int, family int) error {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fmt.Errorf("bypass socket: %w", err)
	}
	b := portBypass{family: uint16(family), proto: unix.IPPROTO_UDP}
	if p, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL); err == nil {
		b.proto = uint8(p)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		b.port = uint16(a.Port)
	case *unix.SockaddrInet6:
		b.port = uint16(a.Port)
	default:
		return fmt.Errorf("bypass socket: unsupported address family %d", family)
	}
	if err := ip.manageBypass(msgNewPolicy, dirIn, b); err != nil {
		return fmt.Errorf("bypass policy for port %d: %w", b.port, err)
	}
	if err := ip.manageBypass(msgNewPolicy, dirOut, b); err != nil {
		_ = ip.manageBypass(msgDelPolicy, dirIn, b)
		return fmt.Errorf("bypass policy for port %d: %w", b.port, err)
	}
	ip.bypassMu.Lock()
	ip.bypass = append(ip.bypass, b)
	ip.bypassMu.Unlock()
	return nil
}

// manageBypass adds or deletes one port bypass policy (priority 32, above
// everything charon installs otherwise).
func (ip *IPsec) manageBypass(typ int, dir uint8, b portBypass) error {
	sel := xsel{family: b.family, proto: b.proto}
	if dir == dirIn {
		sel.dport, sel.dportMask = b.port, 0xffff
	} else {
		sel.sport, sel.sportMask = b.port, 0xffff
	}
	req := ip.xfrm.newRequest(typ, 0)
	if typ == msgNewPolicy {
		addRaw(req, polInfo(sel, dir, 32, policyAllow))
	} else {
		addRaw(req, polID(sel, dir))
	}
	return ip.xfrm.ack(req)
}

// EnableUDPDecap implements kernel.IPsec: the kernel takes ESP-in-UDP
// packets (RFC 3948) off the socket and hands the rest to us.
func (ip *IPsec) EnableUDPDecap(fd int, family int, port uint16) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_ENCAP, unix.UDP_ENCAP_ESPINUDP); err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to set UDP_ENCAP: %s", errnoText(err))
		return fmt.Errorf("unable to set UDP_ENCAP: %w", err)
	}
	return nil
}
