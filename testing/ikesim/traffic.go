package ikesim

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
)

// Traffic reports whether a packet from src to dst (inner addresses)
// sent through from's kernel would be accepted by to's kernel: from's
// outbound policy picks an SA, to has that SA inbound with the same keys
// and an inbound policy of its reqid (fakekernel's Route and Accept).
func Traffic(from, to *Node, src, dst netip.Addr) error {
	out, err := from.Kern.Route(src, dst)
	if err != nil {
		return fmt.Errorf("%s: %w", from.Name, err)
	}
	if err := to.Kern.Accept(out, src, dst); err != nil {
		return fmt.Errorf("%s: %w", to.Name, err)
	}
	return nil
}

// Alice and Bob are the hosts behind moon and sun in strongSwan's test
// network.
var (
	Alice = netip.MustParseAddr("10.1.0.10")
	Bob   = netip.MustParseAddr("10.2.0.10")
)

// TrafficError reports why alice and bob could not reach each other
// through the moon-sun tunnel (nil: both directions pass).
func (p *Pair) TrafficError() error {
	if err := Traffic(p.Moon, p.Sun, Alice, Bob); err != nil {
		return fmt.Errorf("alice -> bob: %w", err)
	}
	if err := Traffic(p.Sun, p.Moon, Bob, Alice); err != nil {
		return fmt.Errorf("bob -> alice: %w", err)
	}
	return nil
}

// WantTraffic fails unless alice and bob reach each other.
func (p *Pair) WantTraffic(t testing.TB) {
	t.Helper()
	if err := p.TrafficError(); err != nil {
		t.Errorf("%v\n%s", err, p.Dump())
	}
}

// OneChildPairError checks the end state every rekey, collision and loss
// case must reach once the exchanges and delays are over: on each side
// exactly one ESTABLISHED IKE_SA with exactly one CHILD_SA, INSTALLED with
// its outbound SA; the two CHILD_SAs are each other's SAs; each kernel
// holds exactly that in/out pair of SAs and the in, fwd and out policies
// of the CHILD_SA, pointing at its reqid (and, where policies name SPIs,
// its outbound SPI); and traffic passes both ways.
func (p *Pair) OneChildPairError() error {
	var cs [2]*sa.ChildSA
	for i, n := range []*Node{p.Moon, p.Sun} {
		c, err := n.oneChild()
		if err != nil {
			return err
		}
		cs[i] = c
	}
	if cs[0].SPI(true) != cs[1].SPI(false) || cs[0].SPI(false) != cs[1].SPI(true) {
		return fmt.Errorf("CHILD_SAs do not match: moon %08x_i %08x_o, sun %08x_i %08x_o",
			cs[0].SPI(true), cs[0].SPI(false), cs[1].SPI(true), cs[1].SPI(false))
	}
	for i, n := range []*Node{p.Moon, p.Sun} {
		if err := n.kernelHolds(cs[i]); err != nil {
			return err
		}
	}
	return p.TrafficError()
}

// WantOneChildPair fails unless OneChildPairError finds nothing.
func (p *Pair) WantOneChildPair(t testing.TB) {
	t.Helper()
	if err := p.OneChildPairError(); err != nil {
		t.Errorf("%v\n%s", err, p.Dump())
	}
}

func (n *Node) oneChild() (*sa.ChildSA, error) {
	if c := n.Mgr.Count(); c != len(n.IKESAs()) {
		return nil, fmt.Errorf("%s: an IKE_SA is left checked out", n.Name)
	}
	sas := n.IKESAs()
	if len(sas) != 1 {
		return nil, fmt.Errorf("%s: %d IKE_SAs, want 1", n.Name, len(sas))
	}
	ike := sas[0]
	if ike.State() != sa.IKEEstablished {
		return nil, fmt.Errorf("%s: IKE_SA %s[%d] is %s", n.Name, ike.Name(), ike.UniqueID(), ike.State())
	}
	cs := ike.Children()
	if len(cs) != 1 {
		return nil, fmt.Errorf("%s: %d CHILD_SAs, want 1: %s", n.Name, len(cs), ChildList(cs))
	}
	c := cs[0]
	if c.State() != sa.ChildInstalled || c.Outbound() != sa.OutboundInstalled {
		return nil, fmt.Errorf("%s: CHILD_SA %s{%d} is %s with outbound state %#x", n.Name, c.Name(), c.UniqueID(),
			c.State(), uint8(c.Outbound()))
	}
	return c, nil
}

// kernelHolds checks that the kernel holds exactly c's SAs and policies.
func (n *Node) kernelHolds(c *sa.ChildSA) error {
	me, other := c.Addrs()
	ids := n.Kern.SAs()
	if len(ids) != 2 {
		return fmt.Errorf("%s: %d SAs in the kernel, want 2: %v", n.Name, len(ids), ids)
	}
	for _, id := range ids {
		want := kernel.SAID{Src: other, Dst: me, SPI: c.SPI(true), Proto: c.Protocol()}
		if id.Dst == other {
			want = kernel.SAID{Src: me, Dst: other, SPI: c.SPI(false), Proto: c.Protocol()}
		}
		if id.Src != want.Src || id.Dst != want.Dst || id.SPI != want.SPI || id.Proto != want.Proto {
			return fmt.Errorf("%s: kernel SA %s is not one of CHILD_SA %s{%d}'s", n.Name, id, c.Name(), c.UniqueID())
		}
	}
	per := 3
	if c.Mode() == kernel.ModeTransport {
		per = 2
	}
	pols := n.Kern.Policies()
	if want := len(c.PolicyPairs()) * per; len(pols) != want {
		return fmt.Errorf("%s: %d policies in the kernel, want %d: %v", n.Name, len(pols), want, pols)
	}
	for _, id := range pols {
		d, ok := n.Kern.InstalledPolicy(id)
		if !ok || d.Type != kernel.PolicyIPsec || d.SA.ReqID != c.ReqID() {
			return fmt.Errorf("%s: policy %s is %+v, not CHILD_SA %s{%d}'s (reqid %d)", n.Name, id, d, c.Name(),
				c.UniqueID(), c.ReqID())
		}
		if id.Dir == kernel.DirOut && d.SA.ESP.SPI != c.SPI(false) {
			return fmt.Errorf("%s: outbound policy %s names SPI %08x, the CHILD_SA's is %08x", n.Name, id, d.SA.ESP.SPI,
				c.SPI(false))
		}
	}
	return nil
}

// ChildList prints CHILD_SAs as name{id}:STATE.
func ChildList(cs []*sa.ChildSA) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprintf("%s{%d}:%s %08x_i %08x_o", c.Name(), c.UniqueID(), c.State(), c.SPI(true), c.SPI(false)))
	}
	return strings.Join(s, " ")
}

// Dump prints what a failing end-state check needs: the wire, each
// node's SAs and kernel state, and each node's log.
func (p *Pair) Dump() string {
	var b strings.Builder
	b.WriteString("--- wire ---\n")
	b.WriteString(p.WireText())
	for _, n := range []*Node{p.Moon, p.Sun} {
		fmt.Fprintf(&b, "--- %s ---\n", n.Name)
		for _, ike := range n.IKESAs() {
			fmt.Fprintf(&b, "IKE_SA %s[%d] %s: %s\n", ike.Name(), ike.UniqueID(), ike.State(), ChildList(ike.Children()))
		}
		fmt.Fprintf(&b, "SAs: %v\n", n.Kern.SAs())
		for _, id := range n.Kern.Policies() {
			d, _ := n.Kern.InstalledPolicy(id)
			fmt.Fprintf(&b, "policy %s reqid %d spi %08x\n", id, d.SA.ReqID, d.SA.ESP.SPI)
		}
		fmt.Fprintf(&b, "--- %s's log ---\n%s", n.Name, n.LogText())
	}
	return b.String()
}
