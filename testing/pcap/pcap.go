// Package pcap reads the UDP datagrams of the capture files tcpdump writes
// in the labs (classic pcap, Ethernet link type, IPv4 or IPv6), and picks
// the IKE messages out of them. One reader for every test that checks a
// capture: the IKE captures, the keying captures and libipsec's ESP.
package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Datagram is one UDP datagram of a capture.
type Datagram struct {
	Frame    int // 1-based, as tcpdump and tshark number frames
	Src, Dst netip.AddrPort
	Payload  []byte
}

const (
	magicMicro = 0xa1b2c3d4
	magicNano  = 0xa1b23c4d
	linkEther  = 1
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	protoUDP   = 17
)

// UDP returns the UDP datagrams of a pcap file in capture order. Frames of
// other protocols are passed over. A file that is not pcap, a link type
// other than Ethernet, a truncated record or an IPv4 fragment is an error:
// a datagram the capture holds only in part must not be read as whole.
func UDP(b []byte) ([]Datagram, error) {
	if len(b) < 24 {
		return nil, errors.New("pcap: shorter than its file header")
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(b) == magicMicro || binary.LittleEndian.Uint32(b) == magicNano:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint32(b) == magicMicro || binary.BigEndian.Uint32(b) == magicNano:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("pcap: magic %08x is not classic pcap (pcapng is not read)", binary.BigEndian.Uint32(b))
	}
	if lt := bo.Uint32(b[20:]) & 0x0fffffff; lt != linkEther {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet (1)", lt)
	}
	var out []Datagram
	for frame, rest := 1, b[24:]; len(rest) > 0; frame++ {
		if len(rest) < 16 {
			return nil, fmt.Errorf("pcap: frame %d: truncated record header", frame)
		}
		incl, orig := int(bo.Uint32(rest[8:])), int(bo.Uint32(rest[12:]))
		if incl > len(rest)-16 {
			return nil, fmt.Errorf("pcap: frame %d: %d bytes recorded, %d left in the file", frame, incl, len(rest)-16)
		}
		data := rest[16 : 16+incl]
		rest = rest[16+incl:]
		d, ok, err := udpOf(data)
		if err != nil {
			return nil, fmt.Errorf("pcap: frame %d: %w", frame, err)
		}
		if !ok {
			continue
		}
		if incl < orig {
			return nil, fmt.Errorf("pcap: frame %d: UDP datagram cut to %d of %d bytes (capture with -s 0)", frame, incl, orig)
		}
		d.Frame = frame
		out = append(out, d)
	}
	return out, nil
}

// udpOf decodes an Ethernet frame; ok is false for anything but UDP.
func udpOf(f []byte) (d Datagram, ok bool, err error) {
	if len(f) < 14 {
		return d, false, nil
	}
	var src, dst netip.Addr
	var udp []byte
	switch binary.BigEndian.Uint16(f[12:]) {
	case etherIPv4:
		ip := f[14:]
		if len(ip) < 20 || ip[0]>>4 != 4 {
			return d, false, errors.New("malformed IPv4 header")
		}
		hl, total := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:]))
		if hl < 20 || total < hl || total > len(ip) {
			return d, false, fmt.Errorf("IPv4 lengths %d/%d in %d bytes", hl, total, len(ip))
		}
		if ip[9] != protoUDP {
			return d, false, nil
		}
		if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return d, false, errors.New("IPv4 fragment")
		}
		src, dst = netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
		udp = ip[hl:total]
	case etherIPv6:
		ip := f[14:]
		if len(ip) < 40 || ip[0]>>4 != 6 {
			return d, false, errors.New("malformed IPv6 header")
		}
		pl := int(binary.BigEndian.Uint16(ip[4:]))
		if 40+pl > len(ip) {
			return d, false, fmt.Errorf("IPv6 payload length %d in %d bytes", pl, len(ip)-40)
		}
		// Extension headers do not occur in the labs' IKE and ESP
		// traffic; such a packet is passed over, not misread.
		if ip[6] != protoUDP {
			return d, false, nil
		}
		src, dst = netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
		udp = ip[40 : 40+pl]
	default:
		return d, false, nil
	}
	if len(udp) < 8 {
		return d, false, errors.New("truncated UDP header")
	}
	ul := int(binary.BigEndian.Uint16(udp[4:]))
	if ul < 8 || ul > len(udp) {
		return d, false, fmt.Errorf("UDP length %d in %d bytes", ul, len(udp))
	}
	d.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp[0:]))
	d.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:]))
	d.Payload = udp[8:ul]
	return d, true, nil
}

// IKE returns the IKE message a datagram carries: on port 500 the payload,
// on 4500 the payload after the non-ESP marker. ok is false for ESP in UDP,
// NAT keepalives, other ports, and anything shorter than an IKE header.
func IKE(d Datagram) (msg []byte, ok bool) {
	p := d.Payload
	switch {
	case d.Src.Port() == 500 || d.Dst.Port() == 500:
	case d.Src.Port() == 4500 || d.Dst.Port() == 4500:
		if len(p) < 4 || binary.BigEndian.Uint32(p) != 0 {
			return nil, false
		}
		p = p[4:]
	default:
		return nil, false
	}
	if len(p) < 28 {
		return nil, false
	}
	return p, true
}
