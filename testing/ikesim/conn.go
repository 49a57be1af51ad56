package ikesim

import (
	"net/netip"
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// DefaultPSK is the secret NetNet gives both sides.
const DefaultPSK = "0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL"

// ConnOpts describe an ipsec.conf conn with authby=secret as
// stroke_config would build it.
type ConnOpts struct {
	Name                string
	Local, Remote       string // addresses
	LocalID, RemoteID   string
	LocalNet, RemoteNet []string // nil for host-to-host (dynamic)
	IKE, ESP            string   // proposals; defaults "aes128-sha256-x25519!" and "aes128gcm16!"
	// Lifetime and Margin of the CHILD_SA in seconds (lifetime, margintime,
	// rekeyfuzz=0%); defaults 3600 and 540. NoChildRekey: rekey=no, the
	// CHILD_SA only expires.
	Lifetime, Margin uint32
	NoChildRekey     bool
	// Fuzz is rekeyfuzz in percent for the CHILD_SA and the IKE_SA
	// (default 0: no jitter).
	Fuzz uint32
	// IKELifetime of the IKE_SA (ikelifetime, with a margin of 540 s);
	// default 10800. IKERekey 0 disables IKE rekeying.
	IKELifetime uint32
	NoIKERekey  bool
	Mode        kernel.Mode
	KeyingTries uint32 // default 1; use Forever for 0 (%forever)
	DPDDelay    uint32
	DPDAction   config.Action
	CloseAction config.Action
	ReqID       uint32
	Options     config.ChildOption
	// PSK is the secret this side knows for both ids (DefaultPSK if empty).
	PSK string
	// VirtualIPs are requested (leftsourceip=: "0.0.0.0" for %config4,
	// "::" for %config6, or an address); Pools are handed out from
	// (rightsourceip=, the pools must exist in the node's attribute
	// manager).
	VirtualIPs []string
	Pools      []string
	// MOBIKE is mobike=yes (off by default here, so that the message
	// summaries of other tests stay those of mobike=no).
	MOBIKE bool
	// Unique is uniqueids; the zero value (UniqueNever) means no here, as
	// strongSwan's default.
	Unique config.UniquePolicy
	// PKI, if set, makes the conn authenticate with certificates
	// (authby=pubkey) instead of the PSK.
	PKI *PKIOpts
}

// Forever is keyingtries=%forever.
const Forever = ^uint32(0)

// MustProposals parses a proposal string or fails the test.
func MustProposals(t testing.TB, proto config.Protocol, s string) []*config.Proposal {
	t.Helper()
	ps, err := config.ParseProposals(proto, s)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// MustTS parses a subnet or fails the test.
func MustTS(t testing.TB, s string) selectors.TS {
	t.Helper()
	ts, err := selectors.ParseCIDR(s, 0, 0, 0xffff)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// Conn adds the configs stroke_config would build for such a conn and
// the secret, and returns them.
func (n *Node) Conn(t testing.TB, o ConnOpts) (*config.PeerCfg, *config.ChildCfg) {
	t.Helper()
	if o.IKE == "" {
		o.IKE = "aes128-sha256-x25519!"
	}
	if o.ESP == "" {
		o.ESP = "aes128gcm16!"
	}
	if o.Lifetime == 0 {
		o.Lifetime = 3600
	}
	if o.Margin == 0 {
		o.Margin = 540
	}
	if o.IKELifetime == 0 {
		o.IKELifetime = 10800
	}
	if o.Mode == 0 {
		o.Mode = kernel.ModeTunnel
	}
	switch o.KeyingTries {
	case 0:
		o.KeyingTries = 1
	case Forever:
		o.KeyingTries = 0
	}
	if o.PSK == "" {
		o.PSK = DefaultPSK
	}
	if o.Unique == config.UniqueNever {
		o.Unique = config.UniqueNo
	}
	ike := config.NewIKECfg(config.IKECfg{Version: config.IKEv2, CertReq: true, Local: o.Local, Remote: o.Remote,
		LocalPort: 500, RemotePort: 500, Fragmentation: config.FragmentationYes, Proposals: MustProposals(t, config.ProtoIKE, o.IKE)})
	rekey := o.IKELifetime - 540
	if o.NoIKERekey {
		rekey = 0
	}
	peer := &config.PeerCfg{Name: o.Name, IKE: ike, Unique: o.Unique, KeyingTries: o.KeyingTries, Pools: o.Pools, UseMOBIKE: o.MOBIKE,
		RekeyTime: rekey, OverTime: 540, JitterTime: 540 * o.Fuzz / 100, DPDDelay: o.DPDDelay,
		LocalAuth:  []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(o.LocalID)}},
		RemoteAuth: []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(o.RemoteID)}}}
	for _, v := range o.VirtualIPs {
		peer.VirtualIPs = append(peer.VirtualIPs, netip.MustParseAddr(v))
	}
	if o.PKI != nil {
		n.pubkeyAuth(t, o, peer)
	}
	ts := func(nets []string) []selectors.TS {
		if len(nets) == 0 {
			return []selectors.TS{selectors.Dynamic(0, 0, 0xffff)}
		}
		var out []selectors.TS
		for _, s := range nets {
			out = append(out, MustTS(t, s))
		}
		return out
	}
	childRekey, jitter := uint64(o.Lifetime-o.Margin), uint64(o.Margin)*uint64(o.Fuzz)/100
	if o.NoChildRekey {
		childRekey, jitter = 0, 0
	}
	child := &config.ChildCfg{Name: o.Name, Proposals: MustProposals(t, config.ProtoESP, o.ESP),
		LocalTS: ts(o.LocalNet), RemoteTS: ts(o.RemoteNet), Mode: o.Mode, ReqID: o.ReqID,
		DPDAction: o.DPDAction, CloseAction: o.CloseAction, Options: o.Options,
		Lifetime:     kernel.Lifetime{Time: kernel.LifetimeLimit{Life: uint64(o.Lifetime), Rekey: childRekey, Jitter: jitter}},
		ReplayWindow: 32}
	used, _ := n.Env.Backends.Add(peer, child)
	if o.PKI == nil {
		n.PSK(o.PSK, o.LocalID, o.RemoteID)
	}
	return used, child
}

// Pair is the classic moon/sun setup of strongSwan's test network.
type Pair struct {
	*Sim
	Moon, Sun *Node
	// MoonPeer and MoonChild are moon's configs (the usual initiator);
	// SunPeer and SunChild sun's.
	MoonPeer, SunPeer   *config.PeerCfg
	MoonChild, SunChild *config.ChildCfg
}

// NetNet is NewPair with moon's options applied to moon and its
// proposals, lifetimes and mode copied to sun; it returns the parts
// separately.
func NetNet(t testing.TB, mod func(o *ConnOpts)) (s *Sim, moon, sun *Node, moonPeer *config.PeerCfg, moonChild *config.ChildCfg) {
	p := NewPair(t, func(mo, so *ConnOpts) {
		if mod != nil {
			mod(mo)
			so.IKE, so.ESP, so.Lifetime, so.Margin, so.Mode = mo.IKE, mo.ESP, mo.Lifetime, mo.Margin, mo.Mode
		}
	})
	return p.Sim, p.Moon, p.Sun, p.MoonPeer, p.MoonChild
}

// NewPair sets up moon (192.168.0.1, 10.1.0.0/16) and sun (192.168.0.2,
// 10.2.0.0/16) with the net2net PSK connection "net-net"; mod may change
// either side's conn before it is added.
func NewPair(t testing.TB, mod func(moon, sun *ConnOpts)) *Pair {
	return NewPairIn(t, New(t), mod)
}

// NewBenchPair is NewPair on a NewBench simulation, with moon's
// charon.reuse_ikesa = no so that every Up sets up another IKE_SA.
func NewBenchPair(t testing.TB, mod func(moon, sun *ConnOpts)) *Pair {
	return NewPairIn(t, NewBench(t), mod)
}

// NewPairIn is NewPair in a simulation the caller prepared (PolicySPI,
// say).
func NewPairIn(t testing.TB, s *Sim, mod func(moon, sun *ConnOpts)) *Pair {
	p := &Pair{Sim: s}
	var moonSettings func(*sa.Settings)
	if s.bench {
		moonSettings = func(st *sa.Settings) { st.ReuseIKESA = false }
	}
	p.Moon = s.AddNode("moon", "192.168.0.1", 1, moonSettings)
	p.Sun = s.AddNode("sun", "192.168.0.2", 2, nil)
	mo := ConnOpts{Name: "net-net", Local: "192.168.0.1", Remote: "192.168.0.2", LocalID: "@moon.strongswan.org",
		RemoteID: "@sun.strongswan.org", LocalNet: []string{"10.1.0.0/16"}, RemoteNet: []string{"10.2.0.0/16"}}
	so := ConnOpts{Name: "net-net", Local: "192.168.0.2", Remote: "192.168.0.1", LocalID: "@sun.strongswan.org",
		RemoteID: "@moon.strongswan.org", LocalNet: []string{"10.2.0.0/16"}, RemoteNet: []string{"10.1.0.0/16"}}
	if mod != nil {
		mod(&mo, &so)
	}
	p.MoonPeer, p.MoonChild = p.Moon.Conn(t, mo)
	p.SunPeer, p.SunChild = p.Sun.Conn(t, so)
	return p
}

// Up initiates moon's connection and lets the exchanges run.
func (p *Pair) Up() {
	p.Moon.Initiate(p.MoonPeer, p.MoonChild)
}
