package network

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of recvmmsg(2)/sendmmsg(2); x/sys/unix has no
// wrapper, so the system calls are made directly.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

const (
	bufSize = 1 << 16
	// Batches: the NAT-T sockets carry ESP, the IKE sockets a few messages.
	nattBatch = 64
	ikeBatch  = 8
	// The kernel refuses more segments than this in one GSO send.
	maxGSOSegments = 64
	maxGSOPayload  = 65000
	// nattRcvBuf is the receive buffer of the NAT-T sockets, which carry
	// the userspace data plane's ESP.
	nattRcvBuf = 4 << 20
	// ikeRcvBuf is the IKE port's receive buffer (see listen).
	ikeRcvBuf = 1 << 20
	oobSize   = 128
)

type udpSock struct {
	conn      *net.UDPConn
	rc        syscall.RawConn
	fd        int
	is6, natt bool
	port      uint16
	gro       bool

	sendMu sync.Mutex // guards gso and the send scratch space below
	gso    bool
	msgs   []mmsghdr
	iovs   []unix.Iovec
	oobs   []byte
	name   unix.RawSockaddrInet6
	marker [4]byte
	// sendmmsg's state for its raw-conn callback.
	sendFn    func(fd uintptr) bool
	sendMsgs  []mmsghdr
	sendN     int
	sendErrno syscall.Errno
}

func (u *udpSock) family() int {
	if u.is6 {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

// openUDP binds one socket; *port 0 is replaced by the port the kernel
// chose, so the other family can take the same one.
func openUDP(is6 bool, port *uint16, natt bool, mark uint32) (*udpSock, error) {
	network, addr := "udp4", "0.0.0.0"
	if is6 {
		network, addr = "udp6", "::"
	}
	var sockErr error
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		err := c.Control(func(fd uintptr) {
			if is6 {
				sockErr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
			} else {
				sockErr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
			}
			if sockErr == nil && mark != 0 {
				sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(mark))
			}
		})
		if err != nil {
			return err
		}
		return sockErr
	}}
	pc, err := lc.ListenPacket(context.Background(), network, net.JoinHostPort(addr, strconv.Itoa(int(*port))))
	if err != nil {
		return nil, err
	}
	conn := pc.(*net.UDPConn)
	rc, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, err
	}
	u := &udpSock{conn: conn, rc: rc, is6: is6, natt: natt}
	u.port = uint16(conn.LocalAddr().(*net.UDPAddr).Port)
	*port = u.port
	_ = rc.Control(func(fd uintptr) {
		u.fd = int(fd)
		_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		u.gso = err == nil
		if natt {
			u.gro = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil
			// ESP-in-UDP arrives here in bursts of GSO super-packets; the
			// default receive buffer (rmem_default, ~200 KiB) overflows
			// while the data plane decrypts, and every drop costs a TCP
			// retransmission inside the tunnel. Root may exceed rmem_max.
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, nattRcvBuf) != nil {
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, nattRcvBuf)
			}
		} else if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, ikeRcvBuf) != nil {
			// A burst of IKE_SA_INITs (a thousand peers after an outage, a
			// load test) overflowed the default buffer while the workers
			// computed their key exchanges; every drop cost the peer a 4 s
			// retransmission.
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, ikeRcvBuf)
		}
	})
	return u, nil
}

func (u *udpSock) close() error { return u.conn.Close() }

// receiver owns one socket's receive buffers; it is used by that socket's
// receive goroutine only.
type receiver struct {
	u *udpSock
	// bufs are slices of mem, mapped outside the Go heap: the receive
	// buffers (up to 4 MiB per NAT-T socket for GRO batches) would
	// otherwise count as live heap and let the garbage collector's goal,
	// twice the live heap, grow by as much under a flood; mapped, only
	// the pages a datagram touched are resident.
	mem   []byte
	bufs  [][]byte
	msgs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	oobs  [][]byte
	pkts  []Packet
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

func newReceiver(u *udpSock) *receiver {
	n := ikeBatch
	if u.natt {
		n = nattBatch
	}
	r := &receiver{u: u, bufs: make([][]byte, n), msgs: make([]mmsghdr, n),
		iovs: make([]unix.Iovec, n), names: make([]unix.RawSockaddrInet6, n), oobs: make([][]byte, n)}
	mem, err := unix.Mmap(-1, 0, n*bufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		mem = make([]byte, n*bufSize) // no mapping: the heap will do
	} else {
		r.mem = mem
	}
	for i := range n {
		r.bufs[i] = mem[i*bufSize : (i+1)*bufSize : (i+1)*bufSize]
		r.oobs[i] = make([]byte, oobSize)
	}
	// With GRO one message may hold up to 64 datagrams.
	r.pkts = make([]Packet, 0, n*maxGSOSegments)
	r.fn = func(fd uintptr) bool {
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.msgs[0])),
			uintptr(len(r.msgs)), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false
		}
		r.n, r.errno = int(n), e
		return true
	}
	return r
}

func (r *receiver) capacity() int { return cap(r.pkts) }

// release unmaps the buffers once nothing reads into or from them.
func (r *receiver) release() {
	if r.mem != nil {
		_ = unix.Munmap(r.mem)
		r.mem = nil
	}
	r.bufs = nil
}

// read receives one batch and returns its datagrams, GRO batches split.
// The returned packets' Data point into the receiver's buffers.
func (r *receiver) read() ([]Packet, error) {
	for i := range r.msgs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(len(r.bufs[i]))
		h := &r.msgs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Namelen = unix.SizeofSockaddrInet6
		h.Iov = &r.iovs[i]
		h.Iovlen = 1
		h.Control = &r.oobs[i][0]
		h.SetControllen(oobSize)
		h.Flags = 0
		r.msgs[i].n = 0
	}
	r.n, r.errno = 0, 0
	if err := r.u.rc.Read(r.fn); err != nil {
		return nil, err
	}
	if r.errno != 0 {
		return nil, r.errno
	}
	r.pkts = r.pkts[:0]
	for i := 0; i < r.n; i++ {
		m := &r.msgs[i]
		src := sockaddrToAddrPort(&r.names[i])
		dstAddr, seg := parseControl(r.oobs[i][:m.hdr.Controllen])
		dst := netip.AddrPortFrom(dstAddr, r.u.port)
		data := r.bufs[i][:m.n]
		if seg <= 0 || seg >= len(data) {
			r.pkts = append(r.pkts, Packet{Data: data, Src: src, Dst: dst})
			continue
		}
		for off := 0; off < len(data); off += seg {
			end := min(off+seg, len(data))
			r.pkts = append(r.pkts, Packet{Data: data[off:end:end], Src: src, Dst: dst})
		}
	}
	return r.pkts, nil
}

func sockaddrToAddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), ntohs(sa4.Port))
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return binary.BigEndian.Uint16(b[:])
}

// parseControl finds the local address (IP_PKTINFO's ipi_addr, the
// address the datagram was sent to, or IPV6_PKTINFO) and the GRO segment
// size in a control buffer.
func parseControl(oob []byte) (dst netip.Addr, seg int) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			break
		}
		data := oob[unix.CmsgLen(0):l]
		switch {
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			info := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
			dst = netip.AddrFrom4(info.Addr)
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			info := (*unix.Inet6Pktinfo)(unsafe.Pointer(&data[0]))
			dst = netip.AddrFrom16(info.Addr).Unmap()
		case h.Level == unix.SOL_UDP && h.Type == unix.UDP_GRO && len(data) >= 2:
			seg = int(*(*uint16)(unsafe.Pointer(&data[0])))
		}
		next := unix.CmsgSpace(l - unix.CmsgLen(0))
		if next > len(oob) {
			break
		}
		oob = oob[next:]
	}
	return dst, seg
}

// sockaddr fills the send sockaddr for dst.
func (u *udpSock) setName(dst netip.AddrPort) (uint32, error) {
	a := dst.Addr()
	if u.is6 {
		sa := &u.name
		*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], dst.Port())
		sa.Addr = a.As16()
		return unix.SizeofSockaddrInet6, nil
	}
	if !a.Unmap().Is4() {
		return 0, fmt.Errorf("%s is not IPv4", a)
	}
	sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&u.name))
	*sa = unix.RawSockaddrInet4{Family: unix.AF_INET}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], dst.Port())
	sa.Addr = a.Unmap().As4()
	return unix.SizeofSockaddrInet4, nil
}

// appendControl writes the source-address cmsg (if src is set) and the GSO
// segment size (if seg > 0) into b and returns the used length.
func (u *udpSock) appendControl(b []byte, src netip.Addr, seg int) int {
	n := 0
	if src.IsValid() && !src.IsUnspecified() {
		if u.is6 {
			h := (*unix.Cmsghdr)(unsafe.Pointer(&b[n]))
			h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
			h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
			info := (*unix.Inet6Pktinfo)(unsafe.Pointer(&b[n+unix.CmsgLen(0)]))
			*info = unix.Inet6Pktinfo{Addr: src.As16()}
			n += unix.CmsgSpace(unix.SizeofInet6Pktinfo)
		} else {
			h := (*unix.Cmsghdr)(unsafe.Pointer(&b[n]))
			h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
			h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
			info := (*unix.Inet4Pktinfo)(unsafe.Pointer(&b[n+unix.CmsgLen(0)]))
			*info = unix.Inet4Pktinfo{Spec_dst: src.Unmap().As4()}
			n += unix.CmsgSpace(unix.SizeofInet4Pktinfo)
		}
	}
	if seg > 0 {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[n]))
		h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
		h.SetLen(unix.CmsgLen(2))
		*(*uint16)(unsafe.Pointer(&b[n+unix.CmsgLen(0)])) = uint16(seg)
		n += unix.CmsgSpace(2)
	}
	return n
}

// sendOne sends one datagram, optionally behind the non-ESP marker.
func (u *udpSock) sendOne(p Packet, marker bool) error {
	u.sendMu.Lock()
	defer u.sendMu.Unlock()
	u.ensure(1, 2)
	iovs := u.iovs[:0]
	if marker {
		u.marker = [4]byte{}
		iovs = append(iovs, unix.Iovec{Base: &u.marker[0]})
		iovs[len(iovs)-1].SetLen(4)
	}
	if len(p.Data) > 0 {
		iovs = append(iovs, unix.Iovec{Base: &p.Data[0]})
		iovs[len(iovs)-1].SetLen(len(p.Data))
	}
	nl, err := u.setName(p.Dst)
	if err != nil {
		return err
	}
	m := &u.msgs[0]
	m.hdr = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&u.name)), Namelen: nl}
	if len(iovs) > 0 {
		m.hdr.Iov = &iovs[0]
		m.hdr.SetIovlen(len(iovs))
	}
	if cl := u.appendControl(u.oobs[:oobSize], p.Src.Addr(), 0); cl > 0 {
		m.hdr.Control = &u.oobs[0]
		m.hdr.SetControllen(cl)
	}
	return u.sendmmsg(u.msgs[:1])
}

// ensure grows the send scratch space.
func (u *udpSock) ensure(msgs, iovs int) {
	if len(u.msgs) < msgs {
		u.msgs = make([]mmsghdr, msgs)
		u.oobs = make([]byte, msgs*oobSize)
	}
	if cap(u.iovs) < iovs {
		u.iovs = make([]unix.Iovec, 0, iovs)
	}
	if len(u.oobs) < oobSize {
		u.oobs = make([]byte, oobSize)
	}
}

// sendBatch sends packets that share source and destination. With GSO,
// runs of equally sized packets (the last of a run may be shorter) become
// one message whose iovecs point at the packets.
func (u *udpSock) sendBatch(pkts []Packet) error {
	u.sendMu.Lock()
	defer u.sendMu.Unlock()
	u.ensure(len(pkts), len(pkts))
	nl, err := u.setName(pkts[0].Dst)
	if err != nil {
		return err
	}
	src := pkts[0].Src.Addr()
	for {
		iovs := u.iovs[:len(pkts)]
		nmsg := 0
		for i := 0; i < len(pkts); {
			size := len(pkts[i].Data)
			j, total := i, 0
			for j < len(pkts) && j-i < maxGSOSegments && total+len(pkts[j].Data) <= maxGSOPayload {
				l := len(pkts[j].Data)
				if l > size || l == 0 {
					break
				}
				iovs[j] = unix.Iovec{Base: &pkts[j].Data[0]}
				iovs[j].SetLen(l)
				total += l
				j++
				if l < size || !u.gso {
					break
				}
			}
			if j == i { // empty packet: send it alone
				iovs[j] = unix.Iovec{}
				j++
			}
			m := &u.msgs[nmsg]
			m.hdr = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&u.name)), Namelen: nl, Iov: &iovs[i]}
			m.hdr.SetIovlen(j - i)
			seg := 0
			if j-i > 1 {
				seg = size
			}
			oob := u.oobs[nmsg*oobSize : (nmsg+1)*oobSize]
			if cl := u.appendControl(oob, src, seg); cl > 0 {
				m.hdr.Control = &oob[0]
				m.hdr.SetControllen(cl)
			}
			nmsg++
			i = j
		}
		err = u.sendmmsg(u.msgs[:nmsg])
		if err != nil && u.gso && errors.Is(err, unix.EIO) {
			// No GSO on this path (e.g. a device without checksum offload):
			// fall back to one datagram per message for good.
			u.gso = false
			continue
		}
		return err
	}
}

func (u *udpSock) sendmmsg(msgs []mmsghdr) error {
	for len(msgs) > 0 {
		// The callback is made once per socket: a closure per call would
		// be an allocation per packet sent.
		if u.sendFn == nil {
			u.sendFn = u.sendmmsgFD
		}
		u.sendMsgs = msgs
		err := u.rc.Write(u.sendFn)
		n, errno := u.sendN, u.sendErrno
		u.sendMsgs = nil
		if err != nil {
			return err
		}
		if errno != 0 {
			return errno
		}
		if n <= 0 {
			return errors.New("sendmmsg sent nothing")
		}
		msgs = msgs[n:]
	}
	return nil
}

// sendmmsgFD is sendmmsg's raw-conn callback; the caller holds sendMu.
func (u *udpSock) sendmmsgFD(fd uintptr) bool {
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&u.sendMsgs[0])),
		uintptr(len(u.sendMsgs)), unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	u.sendN, u.sendErrno = int(r), e
	return true
}
