// Package ikesim runs several goswan daemons in one process for tests: one
// virtual clock, one job queue that runs jobs one at a time in order, fake
// kernels, and an in-memory network that can drop packets. Every run of a
// test is identical, and a lifetime of hours passes in microseconds.
package ikesim

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/internal/vclock"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/kernel/fake"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/tasks"
)

// Sim runs several daemons in one process: one virtual clock, one job
// queue that runs jobs one at a time in order, and an in-memory network
// that can drop packets. Every run is identical.
type Sim struct {
	t     testing.TB
	Clock *vclock.Clock
	Q     *processing.Inline
	Nodes map[netip.Addr]*Node
	// Drop, when set, decides whether a packet is lost.
	Drop func(p sa.Packet) bool
	mu   sync.Mutex
	wire []WireRecord
}

// WireRecord is one packet seen on the simulated wire.
type WireRecord struct {
	At      time.Duration
	From    string
	Summary string
	Dropped bool
}

// Node is one daemon of a Sim.
type Node struct {
	s     *Sim
	Name  string
	Addr  netip.Addr
	Env   *sa.Env
	Mgr   *sa.Manager
	Kern  *fake.Kernel
	log   *bytes.Buffer
	logMu sync.Mutex
}

// lockedWriter serialises writes from the bus.
type lockedWriter struct {
	n *Node
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.n.logMu.Lock()
	defer w.n.logMu.Unlock()
	return w.n.log.Write(p)
}

// New returns an empty simulation.
func New(t testing.TB) *Sim {
	return &Sim{t: t, Clock: vclock.New(), Q: &processing.Inline{Thread: 1}, Nodes: map[netip.Addr]*Node{}}
}

// addNode creates a daemon at addr. seed makes its randomness (SPIs,
// nonces, keys) repeatable.
func (s *Sim) AddNode(name, addr string, seed int64, settings func(*sa.Settings)) *Node {
	n := &Node{s: s, Name: name, Addr: netip.MustParseAddr(addr), log: &bytes.Buffer{}}
	b := bus.New()
	levels := bus.DefaultLevels()
	levels[bus.IKE], levels[bus.CHD], levels[bus.CFG], levels[bus.ENC] = bus.Diag, bus.Diag, bus.Diag, bus.Control
	b.SetSinks(bus.NewWriterLogger(lockedWriter{n}, bus.FileOptions{}, levels))
	n.Kern = fake.New(fake.Options{Timers: s.Clock, Addresses: []netip.Addr{n.Addr}})
	st := sa.DefaultSettings()
	if settings != nil {
		settings(&st)
	}
	n.Env = &sa.Env{
		Clock:          s.Clock,
		Rand:           rand.New(rand.NewSource(seed)),
		Sender:         senderFunc(func(p sa.Packet) { s.deliver(n, p) }),
		Bus:            b,
		Kernel:         n.Kern,
		Net:            fake.Net{Kernel: n.Kern},
		Backends:       &config.Backends{},
		Creds:          credentials.NewStore(),
		Settings:       st,
		NewTaskManager: tasks.New,
	}
	tasks.Install(n.Env)
	sched := processing.NewScheduler(s.Clock, s.Q)
	n.Mgr = sa.NewManager(n.Env, sched, s.Q)
	n.Kern.SetListener(sa.NewKernelHandler(n.Env))
	s.Nodes[n.Addr] = n
	return n
}

type senderFunc func(p sa.Packet)

func (f senderFunc) Send(p sa.Packet) { f(p) }

// deliver puts a packet on the wire: recorded, maybe dropped, else queued
// as a job on the receiving daemon.
func (s *Sim) deliver(from *Node, p sa.Packet) {
	summary := "?"
	data := p.Data
	if len(data) >= 4 && bytes.Equal(data[:4], []byte{0, 0, 0, 0}) {
		data = data[4:]
	}
	if m, err := encoding.Decode(data); m != nil && err == nil {
		summary = m.String()
		if m.Encrypted() {
			summary = fmt.Sprintf("%s %s %d (encrypted)", m.Exchange, map[bool]string{true: "response", false: "request"}[m.Response], m.MessageID)
		}
	}
	dropped := s.Drop != nil && s.Drop(p)
	s.mu.Lock()
	s.wire = append(s.wire, WireRecord{At: s.Clock.Since(), From: from.Name, Summary: summary, Dropped: dropped})
	s.mu.Unlock()
	if dropped {
		return
	}
	to := s.Nodes[p.Dst.Addr()]
	if to == nil {
		return
	}
	pkt := sa.Packet{Data: append([]byte(nil), p.Data...), Src: p.Src, Dst: p.Dst}
	s.Q.Queue(processing.Func{Prio: processing.High, Name: "receive", Fn: func(c processing.Ctx) {
		to.Mgr.ProcessPacket(c.Thread, pkt)
	}})
}

// run queues fn as a job on the node (a stroke command, say).
func (n *Node) Run(fn func(thread int)) {
	n.s.Q.Queue(processing.Func{Prio: processing.Critical, Fn: func(c processing.Ctx) { fn(c.Thread) }})
}

// initiate starts a connection as `ipsec up` does.
func (n *Node) Initiate(peer *config.PeerCfg, child *config.ChildCfg) {
	n.Run(func(thread int) {
		ike := n.Mgr.CheckoutByConfig(peer, thread)
		n.Mgr.Release(ike, ike.Initiate(child, nil))
	})
}

func (n *Node) LogText() string {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return n.log.String()
}

// wantLog fails unless every line is in the node's log.
func (n *Node) WantLog(t testing.TB, lines ...string) {
	t.Helper()
	l := n.LogText()
	for _, want := range lines {
		if !strings.Contains(l, want) {
			t.Errorf("%s: log lacks %q\n--- log ---\n%s", n.Name, want, l)
			return
		}
	}
}

// ikeSAs returns the IKE_SAs of a node with their states.
func (n *Node) IKESAs() []*sa.IKESA {
	var out []*sa.IKESA
	n.Mgr.Each(0, true, func(ike *sa.IKESA) { out = append(out, ike) })
	return out
}

// psk adds a shared secret for two ids.
func (n *Node) PSK(secret string, owners ...string) {
	n.Env.Creds.Add(credentials.NewSharedKey(credentials.SharedIKE, []byte(secret), owners...))
}

func MustProposals(t testing.TB, proto config.Protocol, s string) []*config.Proposal {
	t.Helper()
	ps, err := config.ParseProposals(proto, s)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func MustTS(t testing.TB, s string) selectors.TS {
	t.Helper()
	ts, err := selectors.ParseCIDR(s, 0, 0, 0xffff)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// connOpts describes a net-net style connection.
type ConnOpts struct {
	name                string
	local, remote       string // addresses
	localID, remoteID   string
	localNet, remoteNet string // "" for host-to-host (dynamic)
	ike, esp            string
	lifetime, margin    uint32 // CHILD_SA, seconds
	ikeLifetime         uint32
	mode                kernel.Mode
	keyingTries         uint32
	dpdDelay            uint32
	dpdAction           config.Action
	reqid               uint32
}

// conn builds the configs stroke_config would build for such an
// ipsec.conf conn with authby=secret.
func (n *Node) Conn(t testing.TB, o ConnOpts) (*config.PeerCfg, *config.ChildCfg) {
	t.Helper()
	if o.ike == "" {
		o.ike = "aes128-sha256-x25519!"
	}
	if o.esp == "" {
		o.esp = "aes128gcm16!"
	}
	if o.lifetime == 0 {
		o.lifetime = 3600
	}
	if o.margin == 0 {
		o.margin = 540
	}
	if o.ikeLifetime == 0 {
		o.ikeLifetime = 10800
	}
	if o.mode == 0 {
		o.mode = kernel.ModeTunnel
	}
	if o.keyingTries == 0 {
		o.keyingTries = 1
	}
	ike := config.NewIKECfg(config.IKECfg{Version: config.IKEv2, CertReq: true, Local: o.local, Remote: o.remote,
		LocalPort: 500, RemotePort: 500, Fragmentation: config.FragmentationYes, Proposals: MustProposals(t, config.ProtoIKE, o.ike)})
	peer := &config.PeerCfg{Name: o.name, IKE: ike, Unique: config.UniqueNo, KeyingTries: o.keyingTries,
		RekeyTime: o.ikeLifetime - 540, OverTime: 540, DPDDelay: o.dpdDelay,
		LocalAuth:  []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(o.localID)}},
		RemoteAuth: []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(o.remoteID)}}}
	ts := func(s string) []selectors.TS {
		if s == "" {
			return []selectors.TS{selectors.Dynamic(0, 0, 0xffff)}
		}
		return []selectors.TS{MustTS(t, s)}
	}
	child := &config.ChildCfg{Name: o.name, Proposals: MustProposals(t, config.ProtoESP, o.esp),
		LocalTS: ts(o.localNet), RemoteTS: ts(o.remoteNet), Mode: o.mode, ReqID: o.reqid,
		DPDAction: o.dpdAction, CloseAction: config.ActionNone,
		Lifetime:     kernel.Lifetime{Time: kernel.LifetimeLimit{Life: uint64(o.lifetime), Rekey: uint64(o.lifetime - o.margin)}},
		ReplayWindow: 32}
	used, _ := n.Env.Backends.Add(peer, child)
	return used, child
}

// netNet sets up moon and sun with the classic net2net PSK connection.
func NetNet(t testing.TB, mod func(o *ConnOpts)) (s *Sim, moon, sun *Node, moonPeer *config.PeerCfg, moonChild *config.ChildCfg) {
	s = New(t)
	moon = s.AddNode("moon", "192.168.0.1", 1, nil)
	sun = s.AddNode("sun", "192.168.0.2", 2, nil)
	mo := ConnOpts{name: "net-net", local: "192.168.0.1", remote: "192.168.0.2", localID: "@moon.strongswan.org",
		remoteID: "@sun.strongswan.org", localNet: "10.1.0.0/16", remoteNet: "10.2.0.0/16"}
	so := ConnOpts{name: "net-net", local: "192.168.0.2", remote: "192.168.0.1", localID: "@sun.strongswan.org",
		remoteID: "@moon.strongswan.org", localNet: "10.2.0.0/16", remoteNet: "10.1.0.0/16"}
	if mod != nil {
		mod(&mo)
		so.ike, so.esp, so.lifetime, so.margin, so.mode = mo.ike, mo.esp, mo.lifetime, mo.margin, mo.mode
	}
	moonPeer, moonChild = moon.Conn(t, mo)
	sun.Conn(t, so)
	secret := "0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL"
	moon.PSK(secret, "@moon.strongswan.org", "@sun.strongswan.org")
	sun.PSK(secret, "@moon.strongswan.org", "@sun.strongswan.org")
	return s, moon, sun, moonPeer, moonChild
}

// Wire returns the packets seen so far.
func (s *Sim) Wire() []WireRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WireRecord(nil), s.wire...)
}
