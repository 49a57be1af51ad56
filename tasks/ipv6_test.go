package tasks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// ipv6Pair is moon (fec0::1, fec1::/16) and sun (fec0::2, fec2::/16) of
// strongSwan's IPv6 test network; mod may change either conn.
func ipv6Pair(t *testing.T, mod func(moon, sun *ikesim.ConnOpts)) *ikesim.Pair {
	t.Helper()
	s := ikesim.New(t)
	p := &ikesim.Pair{Sim: s}
	p.Moon = s.AddNode("moon", "fec0::1", 1, nil)
	p.Sun = s.AddNode("sun", "fec0::2", 2, nil)
	mo := ikesim.ConnOpts{Name: "net-net", Local: "fec0::1", Remote: "fec0::2", LocalID: "@moon.strongswan.org",
		RemoteID: "@sun.strongswan.org", LocalNet: []string{"fec1::/16"}, RemoteNet: []string{"fec2::/16"}}
	so := ikesim.ConnOpts{Name: "net-net", Local: "fec0::2", Remote: "fec0::1", LocalID: "@sun.strongswan.org",
		RemoteID: "@moon.strongswan.org", LocalNet: []string{"fec2::/16"}, RemoteNet: []string{"fec1::/16"}}
	if mod != nil {
		mod(&mo, &so)
	}
	p.MoonPeer, p.MoonChild = p.Moon.Conn(t, mo)
	p.SunPeer, p.SunChild = p.Sun.Conn(t, so)
	return p
}

// TestIPv6NetNet: IKE over IPv6 (ipv6-stroke/net2net-ikev2 in process):
// the IKE_SA's endpoints, the SAs' and the policies are IPv6, on port 500
// without NAT.
func TestIPv6NetNet(t *testing.T) {
	p := ipv6Pair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] initiating IKE_SA net-net[1] to fec0::2",
		"[NET] sending packet: from fec0::1[500] to fec0::2[500]",
		"[IKE] IKE_SA net-net[1] established between fec0::1[moon.strongswan.org]...fec0::2[sun.strongswan.org]",
		"[IKE] CHILD_SA net-net{1} established with SPIs c0000001_i c0000001_o and TS fec1::/16 === fec2::/16")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if ike.Has(sa.CondNATAny) || ike.MyHost().Port() != 500 {
			t.Errorf("%s: NAT %v, port %d", n.Name, ike.Has(sa.CondNATAny), ike.MyHost().Port())
		}
		n.CheckSane(t)
	}
	if log := p.Moon.Kern.Log(); !strings.Contains(log, "AddSA fec0::2->fec0::1 proto 50 spi 0xc0000001") ||
		!strings.Contains(log, "fec1::/16 === fec2::/16 out reqid 1") {
		t.Errorf("kernel calls:\n%s", log)
	}
}

// TestIPv6NATTraversal: NAT-T over IPv6: with forceencaps the NAT
// detection hashes over the IPv6 endpoints make both sides float to 4500,
// with the non-ESP marker, and the SAs are UDP-encapsulated.
func TestIPv6NATTraversal(t *testing.T) {
	p := ipv6Pair(t, nil)
	p.MoonPeer.IKE.ForceEncap = true
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] faking NAT situation to enforce UDP encapsulation",
		"[NET] sending packet: from fec0::1[4500] to fec0::2[4500]")
	p.Sun.WantLog(t, "[IKE] remote host is behind NAT")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if ike.MyHost().Port() != 4500 || ike.OtherHost().Port() != 4500 {
			t.Errorf("%s: %s...%s", n.Name, ike.MyHost(), ike.OtherHost())
		}
		if c := ike.Children()[0]; !c.Encap() {
			t.Errorf("%s: CHILD_SA not UDP-encapsulated", n.Name)
		}
	}
}

// TestIPv6DefaultRouteAndAny6: starter turns left=%defaultroute into %any:
// moon then takes the source address towards its IPv6 peer; sun, with
// left=%any6 and right=%any, answers on IPv6.
func TestIPv6DefaultRouteAndAny6(t *testing.T) {
	p := ipv6Pair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.Local = "%any"
		sun.Local, sun.Remote = "%any6", "%any"
	})
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] IKE_SA net-net[1] established between fec0::1[moon.strongswan.org]...fec0::2[sun.strongswan.org]")
	p.Sun.WantLog(t, "[IKE] IKE_SA net-net[1] established between fec0::2[sun.strongswan.org]...fec0::1[moon.strongswan.org]")
	p.Sun.WantEstablished(t, 1)
}
