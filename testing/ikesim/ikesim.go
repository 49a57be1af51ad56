// Package ikesim runs several goswan daemons in one process for tests: one
// virtual clock, one job queue that runs jobs one at a time in order, fake
// kernels, and an in-memory network that can drop, hold, reorder and alter
// packets. Every run of a test is identical, and a lifetime of hours passes
// in microseconds.
package ikesim

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/tasks"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/vclock"
)

// Sim runs several daemons in one process: one virtual clock, one job
// queue that runs jobs one at a time in order, and an in-memory network.
// Every run is identical.
type Sim struct {
	t     testing.TB
	Clock *vclock.Clock
	Q     *processing.Inline
	Nodes map[netip.Addr]*Node
	// DropIf, when set, decides whether a packet is lost on the wire,
	// knowing its header and endpoints; Drop decides on the bare packet.
	DropIf func(r WireRecord) bool
	Drop   func(p sa.Packet) bool
	// Alter, when set, may replace a packet's bytes before delivery (the
	// handshake fuzzer swaps one message for fuzz data this way).
	Alter func(p WireRecord) []byte
	// Hold, when set, keeps every packet on the wire until the test
	// delivers it with Deliver: the test controls the order of delivery
	// (rekey collisions).
	Hold bool
	// AlterPlain, when set, sees every message a daemon generates before
	// it is encrypted and may change it: the receiver then gets an
	// authentic but odd message. seq counts the generated messages of all
	// nodes from 0.
	AlterPlain func(seq int, from *Node, m *encoding.Message)
	// bench: no packet is recorded or summarised and the daemons log at
	// charon's default levels into nothing, as a production daemon with
	// filelog default=1 formats its lines (NewBench).
	bench bool
	// PolicySPI gives the nodes added afterwards fake kernels whose
	// outbound policies name their SA's SPI, as XFRM's do (the daemon
	// then installs a rekey's outbound SA at once and switches the
	// policy later); without it they route by reqid, as the userspace
	// data plane does.
	PolicySPI bool
	// Quiet makes the nodes added afterwards log nothing (sweeps that run
	// thousands of cases rerun a failing one with logs).
	Quiet bool

	mu        sync.Mutex
	wire      []WireRecord
	held      []WireRecord
	generated int
}

// plainHook passes generated messages to Sim.AlterPlain.
type plainHook struct{ n *Node }

func (h plainHook) Message(_ *sa.IKESA, m *encoding.Message, incoming, plain bool) bool {
	s := h.n.s
	if incoming || !plain {
		return true
	}
	s.mu.Lock()
	seq := s.generated
	s.generated++
	s.mu.Unlock()
	if s.AlterPlain != nil {
		s.AlterPlain(seq, h.n, m)
	}
	return true
}

// WireRecord is one packet seen on the simulated wire.
type WireRecord struct {
	// Seq numbers the packets in the order they were sent, from 0.
	Seq      int
	At       time.Duration // virtual time since the start
	From, To string        // node names
	Packet   sa.Packet
	// The IKE header, if it parsed.
	SPIi, SPIr uint64
	Exchange   encoding.ExchangeType
	MessageID  uint32
	Response   bool
	Summary    string
	Dropped    bool
}

// Message names the IKE message a packet carries, the same for every
// retransmission of it: sender, IKE_SA, exchange, message id and
// direction.
func (r WireRecord) Message() string {
	return fmt.Sprintf("%s %016x_i %s", r.From, r.SPIi, r.Summary)
}

func (r WireRecord) String() string {
	d := ""
	if r.Dropped {
		d = " (dropped)"
	}
	return fmt.Sprintf("%8.3fs %s->%s %s%s", r.At.Seconds(), r.From, r.To, r.Summary, d)
}

// Node is one daemon of a Sim.
type Node struct {
	s     *Sim
	Name  string
	Addr  netip.Addr
	Env   *sa.Env
	Mgr   *sa.Manager
	Kern  *fakekernel.Kernel
	Traps *sa.TrapManager
	Sched *processing.Scheduler
	log   *bytes.Buffer
	logMu sync.Mutex
}

// lockedWriter serialises writes from the bus.
type lockedWriter struct{ n *Node }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.n.logMu.Lock()
	defer w.n.logMu.Unlock()
	return w.n.log.Write(p)
}

// New returns an empty simulation.
func New(t testing.TB) *Sim {
	return &Sim{t: t, Clock: vclock.New(), Q: &processing.Inline{Thread: 1}, Nodes: map[netip.Addr]*Node{}}
}

// NewBench returns an empty simulation for benchmarks: like New, but the
// wire is not recorded (Wire stays empty unless DropIf, Alter or Hold is
// set) and the
// daemons log at charon's default levels to io.Discard, so that what is
// measured is the daemons' work and not the test's bookkeeping.
func NewBench(t testing.TB) *Sim {
	s := New(t)
	s.bench = true
	return s
}

// AddNode creates a daemon at addr. seed makes its randomness (SPIs,
// nonces, keys) repeatable; settings may change charon's defaults.
func (s *Sim) AddNode(name, addr string, seed int64, settings func(*sa.Settings)) *Node {
	n := &Node{s: s, Name: name, Addr: netip.MustParseAddr(addr), log: &bytes.Buffer{}}
	b := bus.New()
	if s.bench {
		b.SetSinks(bus.NewWriterLogger(io.Discard, bus.FileOptions{}, bus.DefaultLevels()))
	} else {
		levels := bus.DefaultLevels()
		levels[bus.IKE], levels[bus.CHD], levels[bus.CFG], levels[bus.ENC] = bus.Diag, bus.Diag, bus.Diag, bus.Control
		levels[bus.JOB], levels[bus.MGR], levels[bus.NET] = bus.Diag, bus.Control, bus.Diag
		if s.Quiet {
			for g := range levels {
				levels[g] = bus.Silent
			}
		}
		b.SetSinks(bus.NewWriterLogger(lockedWriter{n}, bus.FileOptions{}, levels))
	}
	n.Kern = fakekernel.New(fakekernel.Options{Timers: s.Clock, Addresses: []netip.Addr{n.Addr}, NoCalls: s.bench, PolicySPI: s.PolicySPI})
	st := sa.DefaultSettings()
	if settings != nil {
		settings(&st)
	}
	n.Env = &sa.Env{
		Clock:      s.Clock,
		Rand:       rand.New(rand.NewSource(seed)),
		Sender:     senderFunc(func(p sa.Packet) { s.send(n, p) }),
		Bus:        b,
		Kernel:     n.Kern,
		Net:        fakekernel.Net{Kernel: n.Kern},
		Backends:   &config.Backends{},
		Creds:      credentials.NewStore(),
		Certs:      credentials.NewManager(),
		Attributes: attributes.NewManager(),
		Settings:   st,

		NewTaskManager: tasks.New,
	}
	n.Env.Certs.Now = s.Clock.Now
	n.Env.Certs.Rand = n.Env.Rand
	// The EAP methods of Debian's default plugins.
	n.Env.EAP = eap.NewManager(&eap.Env{Rand: n.Env.Rand, Creds: n.Env.Creds, Certs: n.Env.Certs,
		Now: s.Clock.Now, TLS: eap.DefaultTLSSettings()})
	for _, p := range []string{"eap-identity", "eap-md5", "eap-mschapv2", "eap-tls"} {
		n.Env.EAP.Load(p)
	}
	n.Sched = processing.NewScheduler(s.Clock, s.Q)
	n.Mgr = sa.NewManager(n.Env, n.Sched, s.Q)
	n.Env.Events.Add(plainHook{n})
	// As the daemon: a trap manager (auto=route, dpdaction=hold,
	// closeaction=hold) that gets the kernel's acquires.
	n.Traps = sa.NewTrapManager(n.Env)
	kh := sa.NewKernelHandler(n.Env)
	kh.OnAcquire = n.Traps.Acquire
	n.Kern.SetListener(kh)
	s.Nodes[n.Addr] = n
	return n
}

type senderFunc func(p sa.Packet)

func (f senderFunc) Send(p sa.Packet) { f(p) }

func (s *Sim) nodeName(a netip.Addr) string {
	if n := s.Nodes[a]; n != nil {
		return n.Name
	}
	return a.String()
}

// send puts a packet on the wire: recorded, then dropped, held or
// delivered.
func (s *Sim) send(from *Node, p sa.Packet) {
	if s.bench && s.DropIf == nil && s.Alter == nil && !s.Hold {
		s.sendBench(p)
		return
	}
	p.Data = bytes.Clone(p.Data)
	r := WireRecord{At: s.Clock.Since(), From: from.Name, To: s.nodeName(p.Dst.Addr()), Packet: p, Summary: "?"}
	data := p.Data
	if len(data) >= 4 && bytes.Equal(data[:4], []byte{0, 0, 0, 0}) {
		data = data[4:]
	}
	if m, _ := encoding.Decode(data); m != nil {
		r.Exchange, r.MessageID, r.Response = m.Exchange, m.MessageID, m.Response
		r.SPIi, r.SPIr = m.SPIi, m.SPIr
		kind := "request"
		if m.Response {
			kind = "response"
		}
		r.Summary = fmt.Sprintf("%s %s %d", m.Exchange, kind, m.MessageID)
	}
	if len(data) == 1 && data[0] == 0xff {
		r.Summary = "NAT-T keepalive"
	}
	s.mu.Lock()
	r.Seq = len(s.wire)
	s.mu.Unlock()
	if s.Alter != nil {
		if b := s.Alter(r); b != nil {
			r.Packet.Data = b
		}
	}
	// a host cannot send from an address it does not have (any more)
	src := r.Packet.Src.Addr()
	foreign := src.IsValid() && !src.IsUnspecified() && s.Nodes[src] != from
	r.Dropped = foreign || (s.DropIf != nil && s.DropIf(r)) || (s.Drop != nil && s.Drop(r.Packet))
	s.mu.Lock()
	s.wire = append(s.wire, r)
	hold := s.Hold && !r.Dropped
	if hold {
		s.held = append(s.held, r)
	}
	s.mu.Unlock()
	if r.Dropped || hold {
		return
	}
	s.deliver(r)
}

// sendBench is send without the record: dropped or delivered (deliver
// copies the bytes).
func (s *Sim) sendBench(p sa.Packet) {
	if s.Drop != nil && s.Drop(p) {
		return
	}
	s.deliver(WireRecord{Packet: p})
}

// deliver queues a packet as a job on the receiving daemon.
func (s *Sim) deliver(r WireRecord) {
	to := s.Nodes[r.Packet.Dst.Addr()]
	if to == nil {
		return
	}
	pkt := sa.Packet{Data: bytes.Clone(r.Packet.Data), Src: r.Packet.Src, Dst: r.Packet.Dst}
	s.Q.Queue(processing.Func{Prio: processing.High, Name: "receive", Fn: func(c processing.Ctx) {
		to.Mgr.ProcessPacket(c.Thread, pkt)
	}})
}

// Held lists the packets held on the wire (Hold), oldest first.
func (s *Sim) Held() []WireRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WireRecord(nil), s.held...)
}

// Deliver delivers the held packet with sequence number seq (and removes
// it from the held ones); it reports whether there was one.
func (s *Sim) Deliver(seq int) bool {
	s.mu.Lock()
	var r WireRecord
	found := false
	for i, h := range s.held {
		if h.Seq == seq {
			r, found = h, true
			s.held = append(s.held[:i:i], s.held[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if found {
		s.deliver(r)
	}
	return found
}

// Take removes the held packet with sequence number seq and returns it
// undelivered, for a test that hands it to a daemon itself (to process
// it on an IKE_SA the test holds checked out, say).
func (s *Sim) Take(seq int) (WireRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range s.held {
		if h.Seq == seq {
			s.held = append(s.held[:i:i], s.held[i+1:]...)
			return h, true
		}
	}
	return WireRecord{}, false
}

// DeliverAll delivers every held packet in the order sent, including those
// sent in reaction, until nothing is held.
func (s *Sim) DeliverAll() {
	for {
		h := s.Held()
		if len(h) == 0 {
			return
		}
		s.Deliver(h[0].Seq)
	}
}

// DropHeld discards a held packet.
func (s *Sim) DropHeld(seq int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range s.held {
		if h.Seq == seq {
			s.held = append(s.held[:i:i], s.held[i+1:]...)
			for j := range s.wire {
				if s.wire[j].Seq == seq {
					s.wire[j].Dropped = true
				}
			}
			return
		}
	}
}

// Wire returns the packets seen so far.
func (s *Sim) Wire() []WireRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WireRecord(nil), s.wire...)
}

// WireText prints the packets seen so far, one per line.
func (s *Sim) WireText() string {
	var b strings.Builder
	for _, r := range s.Wire() {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// RunHeld runs the simulation with Hold set until virtual time until
// (since the start): while packets are held, pick chooses which one is
// delivered next (an index into Held); when none is, the clock moves to
// the next timer. Packets sent meanwhile are held too (or lost, as
// DropIf and Drop say).
func (s *Sim) RunHeld(until time.Duration, pick func(held []WireRecord) int) {
	s.Hold = true
	end := vclock.Epoch.Add(until)
	for {
		if h := s.Held(); len(h) > 0 {
			i := 0
			if pick != nil {
				i = pick(h)
			}
			s.Deliver(h[i].Seq)
			continue
		}
		next, ok := s.Clock.Next()
		if !ok || next.After(end) {
			break
		}
		s.Clock.AdvanceTo(next)
	}
	s.Clock.AdvanceTo(end)
}

// Advance moves virtual time forward, running what falls due.
func (s *Sim) Advance(d time.Duration) { s.Clock.Advance(d) }

// AdvanceTo moves virtual time to d after the start of the simulation.
func (s *Sim) AdvanceTo(d time.Duration) { s.Clock.AdvanceTo(vclock.Epoch.Add(d)) }

// Run queues fn as a job on the node (a stroke command, say).
func (n *Node) Run(fn func(thread int)) {
	n.s.Q.Queue(processing.Func{Prio: processing.Critical, Fn: func(c processing.Ctx) { fn(c.Thread) }})
}

// Initiate starts a connection as `ipsec up` does.
func (n *Node) Initiate(peer *config.PeerCfg, child *config.ChildCfg) {
	n.Run(func(thread int) {
		ike := n.Mgr.CheckoutByConfig(peer, thread)
		n.Mgr.Release(ike, ike.Initiate(child, nil))
	})
}

// WithIKESA runs fn on the node's only IKE_SA (or the one with unique id
// uid if uid is not 0), checked out as a job does, and releases it with
// the status fn returns.
func (n *Node) WithIKESA(t testing.TB, uid uint32, fn func(ike *sa.IKESA) sa.Status) {
	t.Helper()
	if uid == 0 {
		sas := n.SAs(t)
		if len(sas) != 1 {
			t.Fatalf("%s: %d IKE_SAs, want 1", n.Name, len(sas))
		}
		uid = sas[0].UniqueID()
	}
	ran := false
	n.Run(func(thread int) {
		ike := n.Mgr.CheckoutByUniqueID(uid, thread)
		if ike == nil {
			return
		}
		ran = true
		n.Mgr.Release(ike, fn(ike))
	})
	if !ran {
		t.Fatalf("%s: IKE_SA [%d] not found", n.Name, uid)
	}
}

// LogText returns everything the node logged.
func (n *Node) LogText() string {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return n.log.String()
}

// IKESAs returns the IKE_SAs of a node that are checked in.
func (n *Node) IKESAs() []*sa.IKESA {
	var out []*sa.IKESA
	n.Mgr.Each(0, false, func(ike *sa.IKESA) { out = append(out, ike) })
	return out
}

// SAs returns the IKE_SAs of a node. It fails the test if an SA was left
// checked out between jobs, which would block every later job on it.
func (n *Node) SAs(t testing.TB) []*sa.IKESA {
	t.Helper()
	out := n.IKESAs()
	if c := n.Mgr.Count(); c != len(out) {
		t.Fatalf("%s: %d IKE_SAs, but only %d checked in", n.Name, c, len(out))
	}
	return out
}

// PSK adds a shared secret for ids.
func (n *Node) PSK(secret string, owners ...string) {
	n.Env.Creds.Add(credentials.NewSharedKey(credentials.SharedIKE, []byte(secret), owners...))
}

// nonceSource hands out nonces from the node's randomness, with the first
// byte taken from a queue the test fills (strongSwan's exchange tests do
// the same with nonce_first_byte).
type nonceSource struct {
	n     *Node
	first []byte
}

func (s *nonceSource) Read(b []byte) (int, error) {
	if _, err := s.n.Env.Rand.Read(b); err != nil {
		return 0, err
	}
	if len(s.first) > 0 && len(b) > 0 {
		b[0], s.first = s.first[0], s.first[1:]
	}
	return len(b), nil
}

// PinNonces makes the next nonces the node generates start with these
// bytes, in order (later ones are random again).
func (n *Node) PinNonces(first ...byte) {
	src, ok := n.Env.NonceSource.(*nonceSource)
	if !ok {
		src = &nonceSource{n: n}
		n.Env.NonceSource = src
	}
	src.first = append(src.first, first...)
}

// PendingNonces is how many pinned nonce bytes were not used yet.
func (n *Node) PendingNonces() int {
	if src, ok := n.Env.NonceSource.(*nonceSource); ok {
		return len(src.first)
	}
	return 0
}

// DeliverNextTo delivers the oldest held packet addressed to the node and
// returns it; it fails the test if there is none.
func (s *Sim) DeliverNextTo(t testing.TB, to *Node) WireRecord {
	t.Helper()
	for _, h := range s.Held() {
		if h.To == to.Name {
			s.Deliver(h.Seq)
			return h
		}
	}
	t.Fatalf("no packet for %s on the wire:\n%s", to.Name, s.WireText())
	return WireRecord{}
}

// SetAddresses gives the node new addresses (the first is its primary
// one): packets to the old ones are no longer delivered to it, and its
// kernel reports a roam event.
func (n *Node) SetAddresses(addrs ...string) {
	s := n.s
	var list []netip.Addr
	for a, x := range s.Nodes {
		if x == n {
			delete(s.Nodes, a)
		}
	}
	for _, a := range addrs {
		ip := netip.MustParseAddr(a)
		list = append(list, ip)
		s.Nodes[ip] = n
	}
	n.Addr = list[0]
	n.Kern.SetAddresses(list)
}
