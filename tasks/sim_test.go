package tasks_test

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

// sim runs several daemons in one process: one virtual clock, one job
// queue that runs jobs one at a time in order, and an in-memory network
// that can drop packets. Every run is identical.
type sim struct {
	t     testing.TB
	clock *vclock.Clock
	q     *processing.Inline
	nodes map[netip.Addr]*node
	// drop, when set, decides whether a packet is lost.
	drop func(p sa.Packet) bool
	mu   sync.Mutex
	wire []wireRecord
}

type wireRecord struct {
	at      time.Duration
	from    string
	summary string
	dropped bool
}

type node struct {
	s     *sim
	name  string
	addr  netip.Addr
	env   *sa.Env
	mgr   *sa.Manager
	kern  *fake.Kernel
	log   *bytes.Buffer
	logMu sync.Mutex
}

// lockedBuffer serialises writes from the bus.
type lockedWriter struct {
	n *node
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.n.logMu.Lock()
	defer w.n.logMu.Unlock()
	return w.n.log.Write(p)
}

func newSim(t testing.TB) *sim {
	return &sim{t: t, clock: vclock.New(), q: &processing.Inline{Thread: 1}, nodes: map[netip.Addr]*node{}}
}

// addNode creates a daemon at addr. seed makes its randomness (SPIs,
// nonces, keys) repeatable.
func (s *sim) addNode(name, addr string, seed int64, settings func(*sa.Settings)) *node {
	n := &node{s: s, name: name, addr: netip.MustParseAddr(addr), log: &bytes.Buffer{}}
	b := bus.New()
	levels := bus.DefaultLevels()
	levels[bus.IKE], levels[bus.CHD], levels[bus.CFG], levels[bus.ENC] = bus.Diag, bus.Diag, bus.Diag, bus.Control
	b.SetSinks(bus.NewWriterLogger(lockedWriter{n}, bus.FileOptions{}, levels))
	n.kern = fake.New(fake.Options{Timers: s.clock, Addresses: []netip.Addr{n.addr}})
	st := sa.DefaultSettings()
	if settings != nil {
		settings(&st)
	}
	n.env = &sa.Env{
		Clock:          s.clock,
		Rand:           rand.New(rand.NewSource(seed)),
		Sender:         senderFunc(func(p sa.Packet) { s.deliver(n, p) }),
		Bus:            b,
		Kernel:         n.kern,
		Net:            fake.Net{Kernel: n.kern},
		Backends:       &config.Backends{},
		Creds:          credentials.NewStore(),
		Settings:       st,
		NewTaskManager: tasks.New,
	}
	tasks.Install(n.env)
	sched := processing.NewScheduler(s.clock, s.q)
	n.mgr = sa.NewManager(n.env, sched, s.q)
	n.kern.SetListener(sa.NewKernelHandler(n.env))
	s.nodes[n.addr] = n
	return n
}

type senderFunc func(p sa.Packet)

func (f senderFunc) Send(p sa.Packet) { f(p) }

// deliver puts a packet on the wire: recorded, maybe dropped, else queued
// as a job on the receiving daemon.
func (s *sim) deliver(from *node, p sa.Packet) {
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
	dropped := s.drop != nil && s.drop(p)
	s.mu.Lock()
	s.wire = append(s.wire, wireRecord{at: s.clock.Since(), from: from.name, summary: summary, dropped: dropped})
	s.mu.Unlock()
	if dropped {
		return
	}
	to := s.nodes[p.Dst.Addr()]
	if to == nil {
		return
	}
	pkt := sa.Packet{Data: append([]byte(nil), p.Data...), Src: p.Src, Dst: p.Dst}
	s.q.Queue(processing.Func{Prio: processing.High, Name: "receive", Fn: func(c processing.Ctx) {
		to.mgr.ProcessPacket(c.Thread, pkt)
	}})
}

// run queues fn as a job on the node (a stroke command, say).
func (n *node) run(fn func(thread int)) {
	n.s.q.Queue(processing.Func{Prio: processing.Critical, Fn: func(c processing.Ctx) { fn(c.Thread) }})
}

// initiate starts a connection as `ipsec up` does.
func (n *node) initiate(peer *config.PeerCfg, child *config.ChildCfg) {
	n.run(func(thread int) {
		ike := n.mgr.CheckoutByConfig(peer, thread)
		n.mgr.Release(ike, ike.Initiate(child, nil))
	})
}

func (n *node) logText() string {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return n.log.String()
}

// wantLog fails unless every line is in the node's log.
func (n *node) wantLog(t testing.TB, lines ...string) {
	t.Helper()
	l := n.logText()
	for _, want := range lines {
		if !strings.Contains(l, want) {
			t.Errorf("%s: log lacks %q\n--- log ---\n%s", n.name, want, l)
			return
		}
	}
}

// ikeSAs returns the IKE_SAs of a node with their states.
func (n *node) ikeSAs() []*sa.IKESA {
	var out []*sa.IKESA
	n.mgr.Each(0, true, func(ike *sa.IKESA) { out = append(out, ike) })
	return out
}

// psk adds a shared secret for two ids.
func (n *node) psk(secret string, owners ...string) {
	n.env.Creds.Add(credentials.NewSharedKey(credentials.SharedIKE, []byte(secret), owners...))
}

func mustProposals(t testing.TB, proto config.Protocol, s string) []*config.Proposal {
	t.Helper()
	ps, err := config.ParseProposals(proto, s)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func mustTS(t testing.TB, s string) selectors.TS {
	t.Helper()
	ts, err := selectors.ParseCIDR(s, 0, 0, 0xffff)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// connOpts describes a net-net style connection.
type connOpts struct {
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
func (n *node) conn(t testing.TB, o connOpts) (*config.PeerCfg, *config.ChildCfg) {
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
		LocalPort: 500, RemotePort: 500, Fragmentation: config.FragmentationYes, Proposals: mustProposals(t, config.ProtoIKE, o.ike)})
	peer := &config.PeerCfg{Name: o.name, IKE: ike, Unique: config.UniqueNo, KeyingTries: o.keyingTries,
		RekeyTime: o.ikeLifetime - 540, OverTime: 540, DPDDelay: o.dpdDelay,
		LocalAuth:  []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(o.localID)}},
		RemoteAuth: []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(o.remoteID)}}}
	ts := func(s string) []selectors.TS {
		if s == "" {
			return []selectors.TS{selectors.Dynamic(0, 0, 0xffff)}
		}
		return []selectors.TS{mustTS(t, s)}
	}
	child := &config.ChildCfg{Name: o.name, Proposals: mustProposals(t, config.ProtoESP, o.esp),
		LocalTS: ts(o.localNet), RemoteTS: ts(o.remoteNet), Mode: o.mode, ReqID: o.reqid,
		DPDAction: o.dpdAction, CloseAction: config.ActionNone,
		Lifetime:     kernel.Lifetime{Time: kernel.LifetimeLimit{Life: uint64(o.lifetime), Rekey: uint64(o.lifetime - o.margin)}},
		ReplayWindow: 32}
	used, _ := n.env.Backends.Add(peer, child)
	return used, child
}

// netNet sets up moon and sun with the classic net2net PSK connection.
func netNet(t testing.TB, mod func(o *connOpts)) (s *sim, moon, sun *node, moonPeer *config.PeerCfg, moonChild *config.ChildCfg) {
	s = newSim(t)
	moon = s.addNode("moon", "192.168.0.1", 1, nil)
	sun = s.addNode("sun", "192.168.0.2", 2, nil)
	mo := connOpts{name: "net-net", local: "192.168.0.1", remote: "192.168.0.2", localID: "@moon.strongswan.org",
		remoteID: "@sun.strongswan.org", localNet: "10.1.0.0/16", remoteNet: "10.2.0.0/16"}
	so := connOpts{name: "net-net", local: "192.168.0.2", remote: "192.168.0.1", localID: "@sun.strongswan.org",
		remoteID: "@moon.strongswan.org", localNet: "10.2.0.0/16", remoteNet: "10.1.0.0/16"}
	if mod != nil {
		mod(&mo)
		so.ike, so.esp, so.lifetime, so.margin, so.mode = mo.ike, mo.esp, mo.lifetime, mo.margin, mo.mode
	}
	moonPeer, moonChild = moon.conn(t, mo)
	sun.conn(t, so)
	secret := "0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL"
	moon.psk(secret, "@moon.strongswan.org", "@sun.strongswan.org")
	sun.psk(secret, "@moon.strongswan.org", "@sun.strongswan.org")
	return s, moon, sun, moonPeer, moonChild
}

func TestEstablishPSK(t *testing.T) {
	s, moon, sun, peer, child := netNet(t, nil)
	moon.initiate(peer, child)
	s.clock.Advance(time.Second)
	for _, n := range []*node{moon, sun} {
		sas := n.ikeSAs()
		if len(sas) != 1 || sas[0].State() != sa.IKEEstablished || sas[0].ChildCount() != 1 {
			t.Fatalf("%s: IKE_SAs %v\n%s", n.name, sas, n.logText())
		}
		c := sas[0].Children()[0]
		if c.State() != sa.ChildInstalled {
			t.Fatalf("%s: CHILD_SA state %s", n.name, c.State())
		}
		if got := len(n.kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs in the kernel, want 2:\n%s", n.name, got, n.kern.Log())
		}
		if got := len(n.kern.Policies()); got != 3 {
			t.Errorf("%s: %d policies, want 3 (in, fwd, out):\n%s", n.name, got, n.kern.Log())
		}
	}
	moon.wantLog(t,
		"[IKE] initiating IKE_SA net-net[1] to 192.168.0.2",
		"[ENC] generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		"[ENC] parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
		"[IKE] authentication of 'moon.strongswan.org' (myself) with pre-shared key",
		"[IKE] establishing CHILD_SA net-net{1}",
		"[ENC] generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"[IKE] authentication of 'sun.strongswan.org' with pre-shared key successful",
		"[IKE] IKE_SA net-net[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"[CFG] selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ",
		"[IKE] CHILD_SA net-net{1} established with SPIs",
	)
	sun.wantLog(t,
		"[IKE] 192.168.0.1 is initiating an IKE_SA",
		"[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519",
		"[CFG] looking for peer configs matching 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[CFG] selected peer config 'net-net'",
		"[ENC] generating IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
	)
	t.Logf("moon:\n%s", moon.logText())
}
