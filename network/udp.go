package network

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Packet is one UDP datagram. For a received packet Src is the peer and Dst
// the local address and port it arrived on (from IP_PKTINFO /
// IPV6_RECVPKTINFO); for a packet to send Src selects the socket (by port)
// and, if its address is set, the source address.
type Packet struct {
	Data     []byte
	Src, Dst netip.AddrPort
}

// IKE ports of RFC 7296 §2 and RFC 3948.
const (
	PortIKE  = 500
	PortNATT = 4500
)

// SocketOptions configure Open.
type SocketOptions struct {
	// Port and NATTPort are charon.port and charon.port_nat_t; 0 picks a
	// random port. Callers pass PortIKE and PortNATT for the defaults.
	Port, NATTPort uint16
	// NoIPv4 and NoIPv6 are socket-default's use_ipv4 = no / use_ipv6 = no.
	NoIPv4, NoIPv6 bool
	// Mark is socket-default's fwmark (SO_MARK), 0 for none.
	Mark uint32
	// MaxPacket is charon.max_packet (default 10000): larger datagrams,
	// IKE or ESP-in-UDP, are dropped, as charon's socket reads into a
	// buffer of that size and discards what MSG_TRUNC says did not fit.
	MaxPacket int
	// Logf, if set, receives charon's log lines of the socket (NET, level
	// 1).
	Logf func(format string, args ...any)
}

// Socket is the set of IKE sockets.
type Socket struct {
	opts           SocketOptions
	port, nattPort uint16
	socks          []*udpSock
	ike            atomic.Pointer[func(Packet)]
	esp            atomic.Pointer[func([]Packet)]
	wg             sync.WaitGroup
	closeOnce      sync.Once
	stats          Stats
}

// Stats counts what the sockets did; read with Socket.Stats.
type Stats struct {
	IKEIn, ESPIn, KeepalivesIn, ShortIn, TooLongIn atomic.Uint64
	IKEOut, ESPOut, SendErrors                     atomic.Uint64
}

// StatsSnapshot is a copy of Stats.
type StatsSnapshot struct {
	IKEIn, ESPIn, KeepalivesIn, ShortIn, TooLongIn uint64
	IKEOut, ESPOut, SendErrors                     uint64
}

// Stats returns the counters.
func (s *Socket) Stats() StatsSnapshot {
	return StatsSnapshot{
		IKEIn: s.stats.IKEIn.Load(), ESPIn: s.stats.ESPIn.Load(),
		KeepalivesIn: s.stats.KeepalivesIn.Load(), ShortIn: s.stats.ShortIn.Load(),
		TooLongIn: s.stats.TooLongIn.Load(), IKEOut: s.stats.IKEOut.Load(),
		ESPOut: s.stats.ESPOut.Load(), SendErrors: s.stats.SendErrors.Load(),
	}
}

// ErrNoSocket is returned when no socket matches a packet's family and
// source port.
var ErrNoSocket = errors.New("no socket for this family and source port")

// Open binds the sockets and starts receiving. Packets that arrive before a
// handler is set are dropped.
func Open(opts SocketOptions) (*Socket, error) {
	if opts.MaxPacket == 0 {
		opts.MaxPacket = 10000
	}
	if opts.Port != 0 && opts.Port == opts.NATTPort {
		// As socket-default: equal ports make the NAT-T port random.
		opts.NATTPort = 0
	}
	s := &Socket{opts: opts, port: opts.Port, nattPort: opts.NATTPort}
	fams := []bool{false, true} // is6
	var errs []error
	for _, is6 := range fams {
		if (is6 && opts.NoIPv6) || (!is6 && opts.NoIPv4) {
			continue
		}
		ike, err := openUDP(is6, &s.port, false, opts.Mark)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		natt, err := openUDP(is6, &s.nattPort, true, opts.Mark)
		if err != nil {
			ike.close()
			errs = append(errs, err)
			continue
		}
		s.socks = append(s.socks, ike, natt)
	}
	if len(s.socks) == 0 {
		return nil, fmt.Errorf("opening IKE sockets: %w", errors.Join(errs...))
	}
	for _, u := range s.socks {
		s.wg.Add(1)
		go s.routineReceive(u)
	}
	return s, nil
}

// Port returns the bound IKE port (natt=false) or NAT-T port (natt=true).
func (s *Socket) Port(natt bool) uint16 {
	if natt {
		return s.nattPort
	}
	return s.port
}

// SetIKEHandler sets the function that receives IKE messages. It runs on
// the socket's receive goroutine, and a packet's Data points into the
// receive buffer: it is valid during the call only, so that a datagram
// the handler drops (a flood's) costs no copy; the handler copies what it
// keeps.
func (s *Socket) SetIKEHandler(f func(Packet)) { s.ike.Store(&f) }

// SetESPHandler sets the function that receives ESP-in-UDP batches.
func (s *Socket) SetESPHandler(f func([]Packet)) { s.esp.Store(&f) }

// FD is a socket's raw descriptor for setsockopt calls of a kernel backend.
type FD struct {
	FD     int
	Family int // unix.AF_INET or AF_INET6
	Port   uint16
	NATT   bool
}

// FDs lists the sockets' descriptors (for BypassSocket and, on the NAT-T
// sockets, EnableUDPDecap). They stay owned by the Socket.
func (s *Socket) FDs() []FD {
	var fds []FD
	for _, u := range s.socks {
		fds = append(fds, FD{FD: u.fd, Family: u.family(), Port: u.port, NATT: u.natt})
	}
	return fds
}

// hasMarker reports whether IKE between these ports carries the non-ESP
// marker: charon adds and expects it whenever neither port is 500.
func hasMarker(local, remote uint16) bool {
	return local != PortIKE && remote != PortIKE
}

// sockFor picks the socket for a packet from src to dst.
func (s *Socket) sockFor(src, dst netip.AddrPort) *udpSock {
	is6 := dst.Addr().Unmap().Is6()
	natt := src.Port() != 0 && src.Port() != s.port && src.Port() == s.nattPort
	if src.Port() != 0 && src.Port() != s.port && src.Port() != s.nattPort {
		return nil
	}
	for _, u := range s.socks {
		if u.is6 == is6 && u.natt == natt {
			return u
		}
	}
	return nil
}

// SendIKE sends one IKE message.
func (s *Socket) SendIKE(p Packet) error {
	u := s.sockFor(p.Src, p.Dst)
	if u == nil {
		s.stats.SendErrors.Add(1)
		return fmt.Errorf("sending IKE from %s to %s: %w", p.Src, p.Dst, ErrNoSocket)
	}
	// A NAT-T keepalive (the single byte 0xff, RFC 3948 §2.3) never
	// carries the marker; no IKE message is one byte long.
	marker := hasMarker(u.port, p.Dst.Port()) && !(len(p.Data) == 1 && p.Data[0] == 0xff)
	if err := u.sendOne(p, marker); err != nil {
		s.stats.SendErrors.Add(1)
		return fmt.Errorf("sending IKE from %s to %s: %w", p.Src, p.Dst, err)
	}
	s.stats.IKEOut.Add(1)
	return nil
}

// SendESP sends a batch of ESP-in-UDP packets. Packets to the same peer
// from the same address that follow each other go out together.
func (s *Socket) SendESP(batch []Packet) error {
	var errs error
	for i := 0; i < len(batch); {
		j := i + 1
		for j < len(batch) && batch[j].Src == batch[i].Src && batch[j].Dst == batch[i].Dst {
			j++
		}
		u := s.sockFor(batch[i].Src, batch[i].Dst)
		if u == nil {
			s.stats.SendErrors.Add(uint64(j - i))
			errs = errors.Join(errs, fmt.Errorf("sending ESP from %s to %s: %w", batch[i].Src, batch[i].Dst, ErrNoSocket))
		} else if err := u.sendBatch(batch[i:j]); err != nil {
			s.stats.SendErrors.Add(uint64(j - i))
			errs = errors.Join(errs, err)
		} else {
			s.stats.ESPOut.Add(uint64(j - i))
		}
		i = j
	}
	return errs
}

// Close closes the sockets and waits for the receive goroutines.
func (s *Socket) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		for _, u := range s.socks {
			errs = append(errs, u.close())
		}
		s.wg.Wait()
	})
	return errors.Join(errs...)
}

// routineReceive reads batches from one socket until it is closed.
func (s *Socket) routineReceive(u *udpSock) {
	defer s.wg.Done()
	r := newReceiver(u)
	defer r.release()
	esp := make([]Packet, 0, r.capacity())
	for {
		pkts, err := r.read()
		if err != nil {
			return
		}
		esp = esp[:0]
		for _, p := range pkts {
			esp = s.classify(p, esp)
		}
		if len(esp) > 0 {
			s.stats.ESPIn.Add(uint64(len(esp)))
			if h := s.esp.Load(); h != nil {
				(*h)(esp)
			}
		}
		clear(esp)
	}
}

// classify sorts one datagram: keepalive, IKE (marker stripped) or ESP.
func (s *Socket) classify(p Packet, esp []Packet) []Packet {
	d := p.Data
	switch {
	case len(d) == 1 && d[0] == 0xff:
		s.stats.KeepalivesIn.Add(1)
		return esp
	case len(d) > s.opts.MaxPacket:
		s.stats.TooLongIn.Add(1)
		if s.opts.Logf != nil {
			s.opts.Logf("receive buffer too small, packet discarded")
		}
		return esp
	case len(d) < 4:
		s.stats.ShortIn.Add(1)
		return esp
	}
	if hasMarker(p.Dst.Port(), p.Src.Port()) {
		if d[0] != 0 || d[1] != 0 || d[2] != 0 || d[3] != 0 {
			return append(esp, p)
		}
		d = d[4:]
	}
	s.stats.IKEIn.Add(1)
	if h := s.ike.Load(); h != nil {
		(*h)(Packet{Data: d, Src: p.Src, Dst: p.Dst})
	}
	return esp
}
