package sa

import (
	"errors"
	"net/netip"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// Update moves the SA to new addresses (MOBIKE, a NAT mapping change, a
// kernel MIGRATE), as child_sa.c update does. Policies that name the
// endpoints are replaced, with drop policies covering the gap; selectors
// that are the old host addresses (transport mode) follow them, and so
// does the reqid allocated for them. A transport_proxy mode SA's
// endpoints are the traffic selectors' hosts and never change.
// NotSupported means the kernel cannot update the SAs (the caller then
// rekeys); other kernel failures are logged by the backend and ignored, as
// charon ignores them.
func (c *ChildSA) Update(me, other netip.AddrPort, vips []netip.Addr, encap bool) Status {
	if me.Addr() == c.myAddr && me.Port() == c.myPort && other.Addr() == c.otherAddr &&
		other.Port() == c.otherPort && encap == c.encap {
		return Success // nothing changed: no UPDATING state change either
	}
	old := c.state
	c.SetState(ChildUpdating)
	transportProxy := c.mode == kernel.ModeTransport && c.cfg.Has(config.OptProxyMode)
	switch {
	case !c.cfg.Has(config.OptNoPolicies) && c.env.Kernel.Features()&kernel.FeatureNoPolicyUpdates == 0 &&
		len(c.myTS) > 0 && len(c.otherTS) > 0:
		if c.updateWithPolicies(me, other, vips, encap) == NotSupported {
			c.SetState(old)
			return NotSupported
		}
	case !transportProxy:
		if c.updateSAs(me, other, encap, 0) == NotSupported {
			c.SetState(old)
			return NotSupported
		}
	}
	if !transportProxy {
		c.myAddr, c.otherAddr = me.Addr(), other.Addr()
		c.myPort, c.otherPort = me.Port(), other.Port()
	}
	c.encap = encap
	c.SetState(old)
	return Success
}

// updateSAs moves both SAs, inbound first (child_sa.c update_sas).
func (c *ChildSA) updateSAs(me, other netip.AddrPort, encap bool, reqid uint32) Status {
	for _, inbound := range []bool{true, false} {
		if !c.saInstalled(inbound) {
			continue
		}
		src, dst := me, other
		if inbound {
			src, dst = other, me
		}
		u := kernel.UpdateSA{CPI: c.dir(inbound).cpi, NewSrc: src.Addr(), NewDst: dst.Addr(),
			NewSrcPort: src.Port(), NewDstPort: dst.Port(), Encap: c.encap, NewEncap: encap, NewReqID: reqid}
		if err := c.env.Kernel.UpdateSA(c.saID(inbound), u); errors.Is(err, kernel.ErrNotSupported) {
			return NotSupported
		}
	}
	return Success
}

// followHost copies selectors, moving those that are exactly the old host
// to the new one, sorted as CHILD_SAs keep them (child_sa.c update_ts).
func followHost(old, now netip.Addr, list []selectors.TS) []selectors.TS {
	out := make([]selectors.TS, len(list))
	for i, ts := range list {
		if ts.IsHost(old) {
			ts = ts.SetAddress(now)
		}
		out[i] = ts
	}
	slices.SortStableFunc(out, selectors.Compare)
	return out
}

// policyUpdate is one run of updateWithPolicies: the SA configs the
// policies name, their priority, and whether the outbound ones are ours.
type policyUpdate struct {
	c             *ChildSA
	mySA, otherSA kernel.SAConfig
	prio          kernel.PolicyPriority
	outbound      bool
}

// updateWithPolicies is Update when the policies name the SAs' endpoints:
// drop policies go in while the IPsec policies are replaced, and if the
// kernel cannot move the SAs the old policies come back.
func (c *ChildSA) updateWithPolicies(me, other netip.AddrPort, vips []netip.Addr, encap bool) Status {
	u := policyUpdate{c: c, prio: kernel.PriorityDefault, outbound: c.outbound&OutboundPolicies != 0 || c.trap}
	u.mySA, u.otherSA = c.saConfigs()
	if c.trap {
		u.prio = kernel.PriorityRouted
	}
	myMoves, otherMoves := u.removeOld(me.Addr(), other.Addr())
	myTS, otherTS := c.myTS, c.otherTS
	if myMoves {
		myTS = followHost(c.myAddr, me.Addr(), c.myTS)
	}
	if otherMoves {
		otherTS = followHost(c.otherAddr, other.Addr(), c.otherTS)
	}
	newReqID := uint32(0)
	if c.reqidAllocated && (myMoves || otherMoves) {
		// The reqid was allocated for the old selectors: the new ones need
		// theirs.
		id, err := c.env.ReqIDs.Alloc(0, ReqIDKey{myTS, otherTS, c.in.mark, c.out.mark, c.in.ifID, c.out.ifID})
		if err != nil {
			c.log(bus.CHD, bus.Control, "allocating new reqid for updated SA failed")
		} else {
			newReqID = id
		}
	}
	state := c.updateSAs(me, other, encap, newReqID)
	if state != NotSupported {
		c.reinstallVIPs(vips, me.Addr())
		u.installNew(me.Addr(), other.Addr(), myTS, otherTS, newReqID)
	}
	u.restoreOld(state == NotSupported)
	if state == NotSupported {
		c.releaseReqID(newReqID)
		return NotSupported
	}
	if newReqID != 0 {
		c.releaseReqID(c.reqid)
		c.log(bus.CHD, bus.Control, "replaced reqid %d with reqid %d for updated CHILD_SA %s{%d}",
			c.reqid, newReqID, c.cfg.Name, c.uniqueID)
		c.reqid = newReqID
	}
	c.myTS, c.otherTS = myTS, otherTS
	return Success
}

// drop is the drop policy that covers the outbound IPsec policies' gap.
func (u policyUpdate) drop(add bool) policyOp {
	return policyOp{add: add, me: u.c.myAddr, other: u.c.otherAddr, typ: kernel.PolicyDrop, prio: kernel.PriorityDefault}
}

// removeOld puts drop policies in and the IPsec policies out; it reports
// whether a local or remote selector is the host that moves.
func (u policyUpdate) removeOld(me, other netip.Addr) (myMoves, otherMoves bool) {
	c := u.c
	old := c.ipsecPolicies(false, u.prio)
	for _, p := range c.policyPairs() {
		myMoves = myMoves || (me != c.myAddr && p[0].IsHost(c.myAddr))
		otherMoves = otherMoves || (other != c.otherAddr && p[1].IsHost(c.otherAddr))
		if u.outbound {
			// No traffic in clear (nor acquires) while the policies change.
			_ = c.policiesOutbound(u.drop(true), p[0], p[1], u.otherSA)
			_ = c.policiesOutbound(old, p[0], p[1], u.otherSA)
		}
		_ = c.policiesInbound(old, p[0], p[1], u.mySA)
	}
	return myMoves, otherMoves
}

// installNew installs the IPsec policies between the new endpoints, for
// the selectors and reqid that follow them.
func (u policyUpdate) installNew(me, other netip.Addr, myTS, otherTS []selectors.TS, reqid uint32) {
	mySA, otherSA := u.mySA, u.otherSA
	if reqid != 0 {
		mySA.ReqID, otherSA.ReqID = reqid, reqid
	}
	op := policyOp{add: true, me: me, other: other, typ: kernel.PolicyIPsec, prio: u.prio}
	for _, p := range pairsOf(myTS, otherTS) {
		_ = u.c.policiesInbound(op, p[0], p[1], mySA)
		if u.outbound {
			_ = u.c.policiesOutbound(op, p[0], p[1], otherSA)
		}
	}
}

// restoreOld brings the old IPsec policies back if the SAs could not move,
// and takes the drop policies out.
func (u policyUpdate) restoreOld(failed bool) {
	c := u.c
	for _, p := range c.policyPairs() {
		if failed {
			restore := c.ipsecPolicies(true, u.prio)
			_ = c.policiesInbound(restore, p[0], p[1], u.mySA)
			if u.outbound {
				_ = c.policiesOutbound(restore, p[0], p[1], u.otherSA)
			}
		}
		if u.outbound {
			_ = c.policiesOutbound(u.drop(false), p[0], p[1], u.otherSA)
		}
	}
}

// releaseReqID drops this CHILD_SA's reference to reqid (0: none).
func (c *ChildSA) releaseReqID(reqid uint32) {
	if reqid == 0 {
		return
	}
	if c.env.ReqIDs.Release(reqid, ReqIDKey{nil, nil, c.in.mark, c.out.mark, c.in.ifID, c.out.ifID}) != nil {
		c.log(bus.CHD, bus.Control, "releasing reqid %d failed", reqid)
	}
}

// reinstallVIPs moves virtual IPs to the interface of the new local
// address (roaming between interfaces).
func (c *ChildSA) reinstallVIPs(vips []netip.Addr, me netip.Addr) {
	if c.env.Net == nil {
		return
	}
	for _, vip := range vips {
		if iface, ok := c.env.Net.Interface(me); ok {
			_ = c.env.Net.DelIP(vip, -1, true)
			_ = c.env.Net.AddIP(vip, -1, iface)
		}
	}
}
