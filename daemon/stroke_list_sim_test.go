package daemon

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/ikesim"
)

// These tests build real IKE_SAs and CHILD_SAs with two in-process daemons
// (testing/ikesim, virtual time), bring them into the situations of the
// captures in testdata/charon-5.9.8 and compare goswan's status output with
// charon's.

// simSource is the StatusSource of one simulated daemon.
type simSource struct {
	s       *ikesim.Sim
	n       *ikesim.Node
	started time.Time
	routed  []RoutedEntry
	pools   []Pool
	plugins []Plugin // nil: the live captures' plugins
}

func (x *simSource) Now() time.Time { return x.s.Clock.Now() }
func (x *simSource) Daemon() DaemonInfo {
	d := captureDaemon(x.started)
	d.Scheduled = 4
	return d
}
func (x *simSource) Plugins() []Plugin {
	if x.plugins != nil {
		return x.plugins
	}
	return capturePlugins
}
func (x *simSource) Pools() []Pool              { return x.pools }
func (x *simSource) Leases(string) []Lease      { return nil }
func (x *simSource) Peers() []*config.PeerCfg   { return x.n.Env.Backends.Peers() }
func (x *simSource) Shunts() []*config.ChildCfg { return nil }
func (x *simSource) Routed() []RoutedEntry      { return x.routed }
func (x *simSource) ListenAddresses() []netip.Addr {
	a, err := x.n.Env.Net.Addresses(kernel.AddrRegular)
	if err != nil {
		panic(err)
	}
	return a
}

// IKESACount counts as charon does: half-open are the IKE_SAs in state
// CONNECTING, whichever side initiated them.
func (x *simSource) IKESACount() (total, halfOpen int) {
	x.n.Mgr.Each(0, true, func(ike *sa.IKESA) {
		total++
		if ike.State() == sa.IKEConnecting {
			halfOpen++
		}
	})
	return total, halfOpen
}

func (x *simSource) EachIKESA(wait bool, fn func(*sa.IKESA)) { x.n.Mgr.Each(0, wait, fn) }
func (x *simSource) EachIKESANamed(wait bool, name string, fn func(*sa.IKESA)) {
	x.n.Mgr.EachNamed(0, wait, name, fn)
}

func (x *simSource) status(t testing.TB, all bool, name ...string) string {
	t.Helper()
	n := stroke.Str{}
	if len(name) > 0 {
		n = stroke.S(name[0])
	}
	return render(t, x, all, n)
}

const liveSecret = "0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL"

// liveHosts are moon and sun of captures/live: net-net between the two
// subnets, host-host in transport mode, trap-http for TCP to port 80, all
// in one peer config per host. moon forces UDP encapsulation, which is
// what kernel-libipsec made charon do in the capture ("ESP in UDP").
type liveHosts struct {
	s                  *ikesim.Sim
	moon, sun          *simSource
	moonPeer           *config.PeerCfg
	moonConns, sunConn map[string]*config.ChildCfg
}

func liveConns(me, other, myNet, otherNet, myID, otherID string, encap bool) []connSpec {
	base := connSpec{left: me, right: other, leftID: myID, rightID: otherID, forceEncap: encap}
	netnet, hosthost, trap := base, base, base
	netnet.name, netnet.leftSubnet, netnet.rightSubnet = "net-net", myNet, otherNet
	hosthost.name, hosthost.mode = "host-host", kernel.ModeTransport
	trap.name, trap.leftSubnet, trap.rightSubnet = "trap-http", myNet+"[tcp]", otherNet+"[tcp/http]"
	return []connSpec{netnet, hosthost, trap}
}

func newLiveHosts(t *testing.T) *liveHosts {
	s := ikesim.New(t)
	h := &liveHosts{s: s, moonConns: map[string]*config.ChildCfg{}, sunConn: map[string]*config.ChildCfg{}}
	moon := s.AddNode("moon", "192.168.0.1", 1, nil)
	sun := s.AddNode("sun", "192.168.0.2", 2, nil)
	h.moon = &simSource{s: s, n: moon, started: s.Clock.Now()}
	h.sun = &simSource{s: s, n: sun, started: s.Clock.Now()}
	for _, c := range liveConns("192.168.0.1", "192.168.0.2", "10.1.0.0/16", "10.2.0.0/16",
		"@moon.strongswan.org", "@sun.strongswan.org", true) {
		peer, child := c.build(t)
		h.moonConns[c.name] = child
		if c.name == "trap-http" {
			continue // added by `ipsec update` later
		}
		used, _ := moon.Env.Backends.Add(peer, child)
		h.moonPeer = used
	}
	for _, c := range liveConns("192.168.0.2", "192.168.0.1", "10.2.0.0/16", "10.1.0.0/16",
		"@sun.strongswan.org", "@moon.strongswan.org", false) {
		if c.name == "trap-http" {
			continue // moon only
		}
		peer, child := c.build(t)
		h.sunConn[c.name] = child
		sun.Env.Backends.Add(peer, child)
	}
	moon.PSK(liveSecret, "@moon.strongswan.org", "@sun.strongswan.org")
	sun.PSK(liveSecret, "@moon.strongswan.org", "@sun.strongswan.org")
	return h
}

// route installs a trap policy for a CHILD_SA config as charon's trap
// manager does: a CHILD_SA on a throwaway IKE_SA between the configured
// hosts, its policies installed without SAs (state ROUTED).
func route(t testing.TB, n *ikesim.Node, peer *config.PeerCfg, cfg *config.ChildCfg) *sa.ChildSA {
	t.Helper()
	me, _ := peer.IKE.ResolveMe(0, nil)
	other, _ := peer.IKE.ResolveOther(0, nil)
	ike := sa.NewIKESA(n.Env, sa.IKESAID{Initiator: true}, 0)
	ike.SetPeerCfg(peer)
	ike.SetMyHost(netip.AddrPortFrom(me, 500))
	ike.SetOtherHost(netip.AddrPortFrom(other, 500))
	c := sa.NewChildSA(ike, cfg, sa.ChildSAArgs{})
	c.SetMode(cfg.Mode)
	local, _ := cfg.TrafficSelectors(true, nil, []netip.Addr{me})
	remote, _ := cfg.TrafficSelectors(false, nil, []netip.Addr{other})
	c.SetPolicies(local, remote)
	if err := c.InstallPolicies(); err != nil {
		t.Fatal(err)
	}
	if c.State() != sa.ChildRouted {
		t.Fatalf("trap CHILD_SA in state %s", c.State())
	}
	return c
}

// onlyIKESA returns the single IKE_SA of a node and its CHILD_SAs.
func onlyIKESA(t testing.TB, n *ikesim.Node) *sa.IKESA {
	t.Helper()
	sas := n.IKESAs()
	if len(sas) != 1 {
		t.Fatalf("%s: %d IKE_SAs\n%s", n.Name, len(sas), n.LogText())
	}
	return sas[0]
}

// initiate brings a CHILD_SA config up, on the existing IKE_SA if there
// is one, reusing a reqid as charon does for a routed connection.
func initiate(n *ikesim.Node, peer *config.PeerCfg, cfg *config.ChildCfg, reqid uint32) {
	n.Run(func(thread int) {
		ike := n.Mgr.CheckoutByConfig(peer, thread)
		var args *sa.ChildInitArgs
		if reqid != 0 {
			args = &sa.ChildInitArgs{ReqID: reqid}
		}
		n.Mgr.Release(ike, ike.Initiate(cfg, args))
	})
}

func TestStatusLiveCaptures(t *testing.T) {
	h := newLiveHosts(t)
	s, moon, sun := h.s, h.moon, h.sun

	s.Clock.Advance(7 * time.Second)
	wantNormalized(t, "statusall before up", moon.status(t, true), readCapture(t, "live/moon.01_statusall_before.txt"))
	wantText(t, "status before up", moon.status(t, false), readCapture(t, "live/moon.02_status_before.txt"))

	initiate(moon.n, h.moonPeer, h.moonConns["net-net"], 0)
	ike := onlyIKESA(t, moon.n)
	if ike.State() != sa.IKEEstablished {
		t.Fatalf("IKE_SA %s\n%s", ike.State(), moon.n.LogText())
	}
	wantNormalized(t, "status after up", moon.status(t, false), readCapture(t, "live/moon.04_status.txt"))
	wantNormalized(t, "statusall after up", moon.status(t, true), readCapture(t, "live/moon.05_statusall.txt"))
	wantNormalized(t, "sun status after up", sun.status(t, false), readCapture(t, "live/sun.06_status.txt"))
	wantNormalized(t, "sun statusall after up", sun.status(t, true), readCapture(t, "live/sun.07_statusall.txt"))

	// three pings each way, as moon.08 did
	s.Clock.Advance(2 * time.Second)
	child := ike.Children()[0]
	now := s.Clock.Now()
	moon.n.Kern.SetUsage(netip.MustParseAddr("192.168.0.1"), child.SPI(true), kernel.ProtoESP,
		kernel.Usage{Bytes: 252, Packets: 3, LastUse: now})
	moon.n.Kern.SetUsage(netip.MustParseAddr("192.168.0.2"), child.SPI(false), kernel.ProtoESP,
		kernel.Usage{Bytes: 252, Packets: 3, LastUse: now})
	s.Clock.Advance(4 * time.Second)
	traffic := moon.status(t, true)
	wantNormalized(t, "statusall after traffic", traffic, readCapture(t, "live/moon.10_statusall_after_traffic.txt"))
	// normalize keeps the counters; check the seconds too
	if !strings.Contains(traffic, "252 bytes_i (3 pkts, 4s ago), 252 bytes_o (3 pkts, 4s ago)") {
		t.Errorf("traffic counters:\n%s", traffic)
	}
	wantNormalized(t, "status net-net", moon.status(t, false, "net-net"), readCapture(t, "live/moon.11_status_named.txt"))
	wantNormalized(t, "statusall host-host", moon.status(t, true, "host-host"), readCapture(t, "live/moon.12_statusall_named.txt"))
	wantNormalized(t, "status nosuch", moon.status(t, false, "nosuch"), readCapture(t, "live/moon.13_status_nomatch.txt"))

	// ipsec update: trap-http joins the peer config and is routed
	s.Clock.Advance(10 * time.Second)
	trapCfg := h.moonConns["trap-http"]
	h.moonPeer.AddChild(trapCfg)
	trap := route(t, moon.n, h.moonPeer, trapCfg)
	moon.routed = []RoutedEntry{RoutedFromChild(trap)}
	s.Clock.Advance(7 * time.Second)
	wantNormalized(t, "status routed", moon.status(t, false), readCapture(t, "live/moon.17_status_routed.txt"))
	wantNormalized(t, "statusall routed", moon.status(t, true), readCapture(t, "live/moon.18_statusall_routed.txt"))

	// ipsec up trap-http: a second CHILD_SA with the trap's reqid
	s.Clock.Advance(14 * time.Second)
	initiate(moon.n, h.moonPeer, trapCfg, trap.ReqID())
	wantNormalized(t, "status two children", moon.status(t, false), readCapture(t, "live/moon.23_status_two_children.txt"))

	// ipsec stroke rekey net-net{N}
	s.Clock.Advance(2 * time.Second)
	moon.n.Run(func(thread int) {
		x := moon.n.Mgr.Checkout(ike.ID(), thread)
		moon.n.Mgr.Release(x, x.RekeyChild(kernel.ProtoESP, child.SPI(true)))
	})
	wantNormalized(t, "status after rekey", moon.status(t, false), readCapture(t, "live/moon.25_status_after_rekey.txt"))
	s.Clock.Advance(7 * time.Second)
	// statusall came 7 s later in the capture, when charon still showed
	// the old SA; goswan has removed it after delete_rekeyed_delay (5 s).
	wantNormalized(t, "statusall after rekey", moon.status(t, true),
		dropChild(readCapture(t, "live/moon.26_statusall_after_rekey.txt"), "net-net{2}"))

	// ipsec down trap-http{N}, then ipsec down net-net
	moon.n.Run(func(thread int) {
		x := moon.n.Mgr.Checkout(ike.ID(), thread)
		for _, c := range x.Children() {
			if c.Name() == "trap-http" {
				moon.n.Mgr.Release(x, x.DeleteChild(c.Protocol(), c.SPI(true), false))
				return
			}
		}
		moon.n.Mgr.Release(x, sa.Success)
	})
	moon.n.Run(func(thread int) {
		x := moon.n.Mgr.Checkout(ike.ID(), thread)
		moon.n.Mgr.Release(x, x.Delete(false))
	})
	s.Clock.Advance(time.Second)
	wantNormalized(t, "status after down", moon.status(t, false), readCapture(t, "live/moon.33_status_after_down.txt"))
}

// dropChild removes the two lines of a CHILD_SA from a capture.
func dropChild(s, prefix string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(strings.TrimLeft(l, " "), prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// statusOut renders with an explicit wait flag.
func statusOut(t testing.TB, src StatusSource, all, wait bool, name stroke.Str) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteStatus(&b, src, all, wait, name); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
