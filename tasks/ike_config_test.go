package tasks_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/ikesim"
)

// rwLab is moon as a gateway with conn rw (right=%any, a pool) and
// roadwarriors that ask for a virtual IP (leftsourceip=%config).
type rwLab struct {
	*ikesim.Sim
	moon  *ikesim.Node
	pools *attributes.Pools
	peers map[*ikesim.Node]*config.PeerCfg
	child map[*ikesim.Node]*config.ChildCfg
}

func newRWLab(t *testing.T, moonMod func(o *ikesim.ConnOpts)) *rwLab {
	s := ikesim.New(t)
	l := &rwLab{Sim: s, peers: map[*ikesim.Node]*config.PeerCfg{}, child: map[*ikesim.Node]*config.ChildCfg{}}
	l.moon = s.AddNode("moon", "192.168.0.1", 1, nil)
	l.pools = attributes.NewPools()
	l.pools.Add(attributes.NewSubnetPool("10.3.0.0/28", netip.MustParseAddr("10.3.0.0"), 28, nil))
	l.moon.Env.Attributes.AddProvider(l.pools)
	o := ikesim.ConnOpts{Name: "rw", Local: "192.168.0.1", Remote: "%any", LocalID: "@moon.strongswan.org",
		RemoteID: "%any", LocalNet: []string{"10.1.0.0/16"}, Pools: []string{"10.3.0.0/28"}}
	if moonMod != nil {
		moonMod(&o)
	}
	l.moon.Conn(t, o)
	return l
}

// roadwarrior adds a client asking for vips (nil: none) with its own PSK.
func (l *rwLab) roadwarrior(t *testing.T, name, addr string, seed int64, vips ...string) *ikesim.Node {
	n := l.AddNode(name, addr, seed, nil)
	id := name + "@strongswan.org"
	psk := "0s" + name + "secretsecretsecret"
	l.peers[n], l.child[n] = n.Conn(t, ikesim.ConnOpts{Name: "home", Local: addr, Remote: "192.168.0.1", LocalID: id,
		RemoteID: "@moon.strongswan.org", RemoteNet: []string{"10.1.0.0/16"}, VirtualIPs: vips, PSK: psk})
	l.moon.PSK(psk, id, "@moon.strongswan.org")
	return n
}

func (l *rwLab) up(n *ikesim.Node) {
	n.Initiate(l.peers[n], l.child[n])
	l.Advance(time.Second)
}

func tsList(ts []selectors.TS) string { return selectors.List(ts) }

// TestVirtualIPFromPool: carol and dave ask for %config and get the first
// addresses of moon's 10.3.0.0/28, installed on their side; the CHILD_SAs
// are narrowed to them; the messages carry CPRQ(ADDR) and CPRP(ADDR).
func TestVirtualIPFromPool(t *testing.T) {
	l := newRWLab(t, nil)
	carol := l.roadwarrior(t, "carol", "192.168.0.100", 2, "0.0.0.0")
	dave := l.roadwarrior(t, "dave", "192.168.0.200", 3, "0.0.0.0")
	l.up(carol)
	l.up(dave)
	for _, c := range []struct {
		n   *ikesim.Node
		vip string
	}{{carol, "10.3.0.1"}, {dave, "10.3.0.2"}} {
		ike := c.n.WantEstablished(t, 1)
		if got := ike.VirtualIPs(true); len(got) != 1 || got[0].String() != c.vip {
			t.Fatalf("%s: virtual IPs %v, want %s", c.n.Name, got, c.vip)
		}
		if got := c.n.Kern.VirtualIPs(); got[netip.MustParseAddr(c.vip)] != 1 || len(got) != 1 {
			t.Errorf("%s: installed virtual IPs %v", c.n.Name, got)
		}
		child := ike.Children()[0]
		if got := tsList(child.TS(true)) + " === " + tsList(child.TS(false)); got != c.vip+"/32 === 10.1.0.0/16" {
			t.Errorf("%s: CHILD_SA TS %s", c.n.Name, got)
		}
		c.n.WantLog(t, "[IKE] installing new virtual IP "+c.vip)
		wantMessages(t, c.n,
			"generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
			"parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
			"generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH CPRQ(ADDR) SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
			"parsed IKE_AUTH response 1 [ IDr AUTH CPRP(ADDR) SA TSi TSr ]")
	}
	l.moon.WantLogOrder(t,
		"[IKE] peer requested virtual IP %any",
		"[CFG] assigning new lease to 'carol@strongswan.org'",
		"[IKE] assigning virtual IP 10.3.0.1 to peer 'carol@strongswan.org'",
		"[IKE] peer requested virtual IP %any",
		"[CFG] assigning new lease to 'dave@strongswan.org'",
		"[IKE] assigning virtual IP 10.3.0.2 to peer 'dave@strongswan.org'")
	infos := l.pools.List()
	if len(infos) != 1 || infos[0].Online != 2 || infos[0].Offline != 0 || infos[0].Size != 14 {
		t.Errorf("pool %+v", infos)
	}

	// carol goes: her lease goes offline and her address off her interface
	carol.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	l.Advance(time.Second)
	carol.WantNoIKESA(t)
	if got := carol.Kern.VirtualIPs(); len(got) != 0 {
		t.Errorf("carol still has %v", got)
	}
	l.moon.WantLog(t, "[CFG] lease 10.3.0.1 by 'carol@strongswan.org' went offline")
	if infos := l.pools.List(); infos[0].Online != 1 || infos[0].Offline != 1 {
		t.Errorf("pool after carol left %+v", infos)
	}
	// and she gets it back
	l.up(carol)
	if got := carol.WantEstablished(t, 1).VirtualIPs(true); len(got) != 1 || got[0].String() != "10.3.0.1" {
		t.Errorf("carol got %v back", got)
	}
	l.moon.WantLog(t, "[CFG] reassigning offline lease to 'carol@strongswan.org'")
}

// TestFailedCPRequired: a gateway with a pool refuses a peer that asks for
// no virtual IP; the peer reports the notify and nothing is installed.
func TestFailedCPRequired(t *testing.T) {
	l := newRWLab(t, nil)
	carol := l.roadwarrior(t, "carol", "192.168.0.100", 2)
	l.up(carol)
	l.moon.WantLog(t, "[IKE] expected a virtual IP request, sending FAILED_CP_REQUIRED")
	carol.WantLog(t, "received FAILED_CP_REQUIRED notify, no CHILD_SA built")
	if n := len(carol.Kern.SAs()); n != 0 {
		t.Errorf("carol has %d SAs", n)
	}
	if n := len(l.moon.Kern.SAs()); n != 0 {
		t.Errorf("moon has %d SAs", n)
	}
}

// TestInternalAddressFailure: a pool with one address serves carol; dave
// gets INTERNAL_ADDRESS_FAILURE while carol is online.
func TestInternalAddressFailure(t *testing.T) {
	l := newRWLab(t, func(o *ikesim.ConnOpts) { o.Pools = []string{"10.3.0.9"} })
	l.pools.Add(attributes.NewSubnetPool("10.3.0.9", netip.MustParseAddr("10.3.0.9"), 32, nil))
	carol := l.roadwarrior(t, "carol", "192.168.0.100", 2, "0.0.0.0")
	dave := l.roadwarrior(t, "dave", "192.168.0.200", 3, "0.0.0.0")
	l.up(carol)
	carol.WantEstablished(t, 1)
	l.up(dave)
	l.moon.WantLogOrder(t,
		"[CFG] pool '10.3.0.9' is full, unable to assign address",
		"[IKE] no virtual IP found for %any requested by 'dave@strongswan.org'",
		"[IKE] no virtual IP found, sending INTERNAL_ADDRESS_FAILURE")
	dave.WantLog(t, "received INTERNAL_ADDRESS_FAILURE notify, no CHILD_SA built")
	if got := dave.Kern.VirtualIPs(); len(got) != 0 {
		t.Errorf("dave installed %v", got)
	}
}

// dnsHandler records what it handles, as the resolve plugin would write
// resolv.conf.
type dnsHandler struct{ handled, released []string }

func (h *dnsHandler) Handle(_ attributes.SA, a attributes.Attribute) bool {
	if a.Type != encoding.AttrInternalIP4DNS {
		return false
	}
	ip, _ := netip.AddrFromSlice(a.Value)
	h.handled = append(h.handled, ip.String())
	return true
}

func (h *dnsHandler) Release(_ attributes.SA, a attributes.Attribute) {
	ip, _ := netip.AddrFromSlice(a.Value)
	h.released = append(h.released, ip.String())
}

func (h *dnsHandler) Request(_ attributes.SA, vips []netip.Addr) []attributes.Attribute {
	return []attributes.Attribute{{Type: encoding.AttrInternalIP4DNS}}
}

// TestDNSAttributes: the gateway adds rightdns= and charon.plugins.attr
// servers; the client requests DNS, its handler takes them and gives them
// back when the SA goes; NBNS, which no handler takes, is reported.
func TestDNSAttributes(t *testing.T) {
	l := newRWLab(t, nil)
	l.pools.AddConnAttributes("rw", []attributes.Attribute{
		attributes.AddressAttribute(encoding.AttrInternalIP4DNS, encoding.AttrInternalIP6DNS, netip.MustParseAddr("192.168.0.150"))})
	l.moon.Env.Attributes.AddProvider(attributes.NewAttr(attributes.Legacy{NBNS: [2]string{"10.1.0.20"}},
		[]attributes.KeyValue{{Key: "dns", Value: "10.1.0.20"}, {Key: "subnet", Value: "10.1.0.0/16"}}, nil))
	carol := l.roadwarrior(t, "carol", "192.168.0.100", 2, "0.0.0.0")
	h := &dnsHandler{}
	carol.Env.Attributes.AddHandler(h)
	l.up(carol)
	ike := carol.WantEstablished(t, 1)
	wantMessages(t, carol,
		"generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		"parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
		"generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH CPRQ(ADDR DNS) SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"parsed IKE_AUTH response 1 [ IDr AUTH CPRP(ADDR DNS NBNS DNS SUBNET) SA TSi TSr ]")
	if !slices.Equal(h.handled, []string{"192.168.0.150", "10.1.0.20"}) {
		t.Errorf("handled %v", h.handled)
	}
	carol.WantLog(t, "[CFG] handling INTERNAL_IP4_NBNS attribute failed", "[CFG] handling INTERNAL_IP4_SUBNET attribute failed")
	attrs, handled := ike.ConfigurationAttributes()
	if len(attrs) != 4 || !slices.Equal(handled, []bool{true, false, true, false}) {
		t.Errorf("attributes %v handled %v", attrs, handled)
	}
	carol.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	l.Advance(time.Second)
	if !slices.Equal(h.released, []string{"10.1.0.20", "192.168.0.150"}) {
		t.Errorf("released %v", h.released)
	}
}

// TestRequestedAddress: a client that asks for a particular address
// (leftsourceip=10.3.0.5) against rightsourceip=%config gets exactly it.
func TestRequestedStaticAddress(t *testing.T) {
	l := newRWLab(t, func(o *ikesim.ConnOpts) { o.Pools = []string{"rw"} })
	l.pools.Add(attributes.NewEmptyPool("rw"))
	carol := l.roadwarrior(t, "carol", "192.168.0.100", 2, "10.3.0.5")
	l.up(carol)
	if got := carol.WantEstablished(t, 1).VirtualIPs(true); len(got) != 1 || got[0].String() != "10.3.0.5" {
		t.Errorf("carol got %v", got)
	}
	l.moon.WantLog(t, "[IKE] peer requested virtual IP 10.3.0.5", "[IKE] assigning virtual IP 10.3.0.5 to peer 'carol@strongswan.org'")
}
