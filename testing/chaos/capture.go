package chaos

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// capture reads IPv4 UDP datagrams on an interface through AF_PACKET,
// including those addressed to others (the answers to spoofed sources
// arrive at the attacker without being its own).
type capture struct {
	fd  int
	buf []byte
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func newCapture(iface string) (*capture, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_IP)))
	if err != nil {
		return nil, fmt.Errorf("packet socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	return &capture{fd: fd, buf: make([]byte, 65536)}, nil
}

// next returns the next IKE datagram (UDP from port 500 or 4500, the
// non-ESP marker removed) received within timeout.
func (c *capture) next(timeout time.Duration) (src, dst netip.Addr, ike []byte, ok bool) {
	s, d, ike, ok := c.nextPorts(timeout)
	return s.Addr(), d.Addr(), ike, ok
}

// nextPorts is next with the ports.
func (c *capture) nextPorts(timeout time.Duration) (src, dst netip.AddrPort, ike []byte, ok bool) {
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	_ = unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	for {
		n, from, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			return src, dst, nil, false
		}
		if ll, isLL := from.(*unix.SockaddrLinklayer); isLL && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		p := c.buf[:n]
		if len(p) < 28 || p[0]>>4 != 4 || p[9] != unix.IPPROTO_UDP {
			continue
		}
		ihl := int(p[0]&0x0f) * 4
		if len(p) < ihl+8 {
			continue
		}
		sport := binary.BigEndian.Uint16(p[ihl:])
		src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[12:16])), sport)
		dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[16:20])), binary.BigEndian.Uint16(p[ihl+2:]))
		body := p[ihl+8:]
		switch sport {
		case 500:
		case 4500:
			if len(body) < 4 || binary.BigEndian.Uint32(body) != 0 {
				continue
			}
			body = body[4:]
		default:
			continue
		}
		return src, dst, body, true
	}
}

func (c *capture) close() { unix.Close(c.fd) }
