package udploss

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// memNet is an in-memory UDP network between memConns (no socket, no
// namespace): deliver decides per packet how many copies arrive.
type memNet struct {
	mu      sync.Mutex
	conns   map[netip.AddrPort]*memConn
	deliver func(from netip.AddrPort, p Packet) int
}

type memPkt struct {
	b    []byte
	from netip.AddrPort
}

type memConn struct {
	net    *memNet
	addr   netip.AddrPort
	in     chan memPkt
	closed chan struct{}
	once   sync.Once
}

func (n *memNet) listen(addr string) *memConn {
	c := &memConn{net: n, addr: netip.MustParseAddrPort(addr), in: make(chan memPkt, 1<<16), closed: make(chan struct{})}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns == nil {
		n.conns = map[netip.AddrPort]*memConn{}
	}
	n.conns[c.addr] = c
	return c
}

func (c *memConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-c.in:
		return copy(b, p.b), net.UDPAddrFromAddrPort(p.from), nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *memConn) WriteTo(b []byte, to net.Addr) (int, error) {
	dst := to.(*net.UDPAddr).AddrPort()
	c.net.mu.Lock()
	peer := c.net.conns[dst]
	c.net.mu.Unlock()
	copies := 1
	if p, err := Unmarshal(b); err == nil && c.net.deliver != nil {
		copies = c.net.deliver(c.addr, p)
	}
	for i := 0; peer != nil && i < copies; i++ {
		peer.in <- memPkt{append([]byte(nil), b...), c.addr}
	}
	return len(b), nil
}

func (c *memConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *memConn) LocalAddr() net.Addr              { return net.UDPAddrFromAddrPort(c.addr) }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// pair runs both endpoints of a short stream over n.
func pair(t *testing.T, n *memNet) (alice, bob Result) {
	t.Helper()
	a, b := n.listen("10.1.0.10:7777"), n.listen("10.2.0.10:7777")
	cfg := Config{Rate: 2000, Duration: 300 * time.Millisecond, Handshake: 5 * time.Second, Linger: 5 * time.Second}
	ca, cb := cfg, cfg
	ca.Peer, cb.Peer = b.addr, a.addr
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(2)
	go func() { defer wg.Done(); alice, errA = Run(context.Background(), a, ca) }()
	go func() { defer wg.Done(); bob, errB = Run(context.Background(), b, cb) }()
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("runs: %v, %v", errA, errB)
	}
	return alice, bob
}

func TestRunBothDirectionsClean(t *testing.T) {
	alice, bob := pair(t, &memNet{})
	for _, r := range []Result{alice, bob} {
		if r.Sent.Packets != 600 || !r.Received.Clean() || r.Received.Sent != 600 {
			t.Errorf("%s", r)
		}
	}
}

func TestRunCountsWhatThePathDoes(t *testing.T) {
	alice := netip.MustParseAddrPort("10.1.0.10:7777")
	n := &memNet{deliver: func(from netip.AddrPort, p Packet) int {
		if from != alice || p.Kind != Data {
			return 1
		}
		switch {
		case p.Seq >= 100 && p.Seq <= 104:
			return 0
		case p.Seq == 200:
			return 2
		}
		return 1
	}}
	a, b := pair(t, n)
	if !a.Received.Clean() {
		t.Errorf("bob to alice was clean:\n%s", a)
	}
	rep := b.Received
	if rep.Lost != 5 || rep.Duplicated != 1 || len(rep.Gaps) != 1 || rep.Gaps[0].First != 100 || rep.Gaps[0].Last != 104 {
		t.Errorf("alice to bob:\n%s", b)
	}
}

func TestRunGivesUpWithoutPeer(t *testing.T) {
	n := &memNet{}
	c := n.listen("10.1.0.10:7777")
	_, err := Run(context.Background(), c, Config{Peer: netip.MustParseAddrPort("10.2.0.10:7777"), Handshake: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("no error without a peer")
	}
}
