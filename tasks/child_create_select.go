package tasks

import (
	"net/netip"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// dynamicHosts are the hosts that replace dynamic selectors: virtual IPs
// if assigned, else the IKE address.
func (t *ChildCreate) dynamicHosts(local bool) []netip.Addr {
	if v := t.ike.VirtualIPs(local); len(v) > 0 {
		return slices.Clone(v)
	}
	if local {
		return []netip.Addr{t.ike.MyHost().Addr()}
	}
	if t.ike.PeerCfg() != nil && len(t.ike.PeerCfg().Pools) > 0 {
		return nil
	}
	return []netip.Addr{t.ike.OtherHost().Addr()}
}

// initiatorHosts replace our dynamic selectors in a request: with a
// virtual IP configured (not on a rekey) we propose 0.0.0.0/0 or ::/0 and
// let the responder narrow it to the address it assigns.
func (t *ChildCreate) initiatorHosts() []netip.Addr {
	if !t.rekey && t.ike.PeerCfg() != nil {
		var any []netip.Addr
		for _, vip := range t.ike.PeerCfg().VirtualIPs {
			if vip.Unmap().Is4() {
				any = append(any, netip.IPv4Unspecified())
			} else {
				any = append(any, netip.IPv6Unspecified())
			}
		}
		if len(any) > 0 {
			return any
		}
	}
	return t.dynamicHosts(true)
}

// childKEGroup is the first key exchange method of the CHILD_SA's
// proposals (PFS), KENone without.
func childKEGroup(c *config.ChildCfg) crypto.KeyExchangeMethod {
	for _, p := range c.Proposals {
		if g, ok := p.Algorithm(crypto.TransformKeyExchange); ok {
			return crypto.KeyExchangeMethod(g.ID)
		}
	}
	return crypto.KENone
}

// deferChild decides whether the CHILD_SA waits for after IKE_AUTH
// (childless initiation, RFC 6023).
func (t *ChildCreate) deferChild() sa.Status {
	policy := t.ike.IKECfg().Childless
	if t.ike.Supports(sa.ExtIKEChildless) {
		if policy == config.ChildlessForce {
			return sa.NeedMore
		}
	} else if policy == config.ChildlessForce {
		t.ike.Log(bus.IKE, bus.Control, "peer does not support childless IKE_SA initiation")
		return sa.DestroyMe
	}
	return sa.Success
}

// duplicate reports an installed CHILD_SA for the same config and marks.
func (t *ChildCreate) duplicate() bool {
	for _, c := range t.ike.Children() {
		if c.State() != sa.ChildInstalled || !c.Config().Equal(t.child.Config()) {
			continue
		}
		if c.ReqID() != 0 && t.child.ReqID() != 0 && c.ReqID() != t.child.ReqID() {
			continue
		}
		if c.Mark(true).Value != t.child.Mark(true).Value || c.Mark(false).Value != t.child.Mark(false).Value ||
			c.IfID(true) != t.child.IfID(true) || c.IfID(false) != t.child.IfID(false) {
			continue
		}
		t.ike.Log(bus.IKE, bus.Control, "not establishing CHILD_SA %s{%d} due to existing duplicate {%d} with SPIs %08x_i %08x_o and TS %s === %s",
			t.child.Name(), t.child.UniqueID(), c.UniqueID(), c.SPI(true), c.SPI(false),
			selectors.List(c.TS(true)), selectors.List(c.TS(false)))
		t.child.Destroy()
		t.child = nil
		return true
	}
	return false
}

// selectChildCfg finds the child config that best fits the proposed
// selectors (peer_cfg select_child_cfg with get_ts_match's scoring).
func (t *ChildCreate) selectChildCfg() *config.ChildCfg {
	peer := t.ike.PeerCfg()
	if peer == nil || !t.haveTSi || !t.haveTSr {
		return nil
	}
	myHosts, otherHosts := t.dynamicHosts(true), t.dynamicHosts(false)
	score := func(c *config.ChildCfg, local bool, sup []selectors.TS, hosts []netip.Addr) int {
		cfgTS, _ := c.TrafficSelectors(local, nil, hosts)
		match, round := 0, len(sup)
		for _, s := range sup {
			for _, ct := range cfgTS {
				if ct.Equal(s) {
					match += round * 5
				} else if _, ok := ct.Subset(s); ok {
					match += round
				}
			}
			round--
		}
		return match
	}
	pick := func(myTS, otherTS []selectors.TS) *config.ChildCfg {
		t.ike.Log(bus.CFG, bus.Diag, "looking for a child config for %s === %s", selectors.List(myTS), selectors.List(otherTS))
		var best *config.ChildCfg
		bestScore := 0
		for _, c := range peer.Children() {
			mp := score(c, true, myTS, myHosts)
			if mp == 0 {
				continue
			}
			op := score(c, false, otherTS, otherHosts)
			if op == 0 {
				continue
			}
			t.ike.Log(bus.CFG, bus.Diag, "  candidate \"%s\" with prio %d+%d", c.Name, mp, op)
			if mp+op > bestScore {
				best, bestScore = c, mp+op
			}
		}
		if best != nil {
			t.ike.Log(bus.CFG, bus.Diag, "found matching child config \"%s\" with prio %d", best.Name, bestScore)
		}
		return best
	}
	var natTSr, natTSi []selectors.TS
	if t.mode == kernel.ModeTransport {
		if t.ike.Has(sa.CondNATHere) {
			natTSr = t.transportNATTS(true, t.tsr)
		}
		if t.ike.Has(sa.CondNATThere) {
			natTSi = t.transportNATTS(false, t.tsi)
		}
	}
	if len(natTSr) > 0 || len(natTSi) > 0 {
		r, i := t.tsr, t.tsi
		if len(natTSr) > 0 {
			r = natTSr
		}
		if len(natTSi) > 0 {
			i = natTSi
		}
		if c := pick(r, i); c != nil && c.Mode == kernel.ModeTransport {
			return c
		}
	}
	return pick(t.tsr, t.tsi)
}
