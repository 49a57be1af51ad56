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

// updateWithPolicies is Update when the policies name the SAs' endpoints:
// drop policies go in while the IPsec policies are replaced, and if the
// kernel cannot move the SAs the old policies come back.
func (c *ChildSA) updateWithPolicies(me, other netip.AddrPort, vips []netip.Addr, encap bool) Status {
	mySA, otherSA := c.saConfigs()
	prio := kernel.PriorityDefault
	if c.trap {
		prio = kernel.PriorityRouted
	}
	outbound := c.outbound&OutboundPolicies != 0 || c.trap
	oldPolicies := c.ipsecPolicies(false, prio)
	drop := policyOp{add: true, me: c.myAddr, other: c.otherAddr, typ: kernel.PolicyDrop, prio: kernel.PriorityDefault}
	var newMy, newOther []selectors.TS
	for _, p := range c.policyPairs() {
		if newMy == nil && me.Addr() != c.myAddr && p[0].IsHost(c.myAddr) {
			newMy = []selectors.TS{}
		}
		if newOther == nil && other.Addr() != c.otherAddr && p[1].IsHost(c.otherAddr) {
			newOther = []selectors.TS{}
		}
		if outbound {
			// No traffic in clear (nor acquires) while the policies change.
			_ = c.policiesOutbound(drop, p[0], p[1], otherSA)
			_ = c.policiesOutbound(oldPolicies, p[0], p[1], otherSA)
		}
		_ = c.policiesInbound(oldPolicies, p[0], p[1], mySA)
	}
	myTS, otherTS := c.myTS, c.otherTS
	if newMy != nil {
		myTS = followHost(c.myAddr, me.Addr(), c.myTS)
	}
	if newOther != nil {
		otherTS = followHost(c.otherAddr, other.Addr(), c.otherTS)
	}
	newReqID := uint32(0)
	if c.reqidAllocated && (newMy != nil || newOther != nil) {
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
		if newReqID != 0 {
			mySA.ReqID, otherSA.ReqID = newReqID, newReqID
		}
		op := policyOp{add: true, me: me.Addr(), other: other.Addr(), typ: kernel.PolicyIPsec, prio: prio}
		for _, p := range pairsOf(myTS, otherTS) {
			_ = c.policiesInbound(op, p[0], p[1], mySA)
			if outbound {
				_ = c.policiesOutbound(op, p[0], p[1], otherSA)
			}
		}
		mySA.ReqID, otherSA.ReqID = c.reqid, c.reqid
	}
	undrop := drop
	undrop.add = false
	for _, p := range c.policyPairs() {
		if state == NotSupported {
			restore := c.ipsecPolicies(true, prio)
			_ = c.policiesInbound(restore, p[0], p[1], mySA)
			if outbound {
				_ = c.policiesOutbound(restore, p[0], p[1], otherSA)
			}
		}
		if outbound {
			_ = c.policiesOutbound(undrop, p[0], p[1], otherSA)
		}
	}
	key := ReqIDKey{nil, nil, c.in.mark, c.out.mark, c.in.ifID, c.out.ifID}
	if state == NotSupported {
		if newReqID != 0 && c.env.ReqIDs.Release(newReqID, key) != nil {
			c.log(bus.CHD, bus.Control, "releasing reqid %d failed", newReqID)
		}
		return NotSupported
	}
	if newReqID != 0 {
		if c.env.ReqIDs.Release(c.reqid, key) != nil {
			c.log(bus.CHD, bus.Control, "releasing reqid %d failed", c.reqid)
		}
		c.log(bus.CHD, bus.Control, "replaced reqid %d with reqid %d for updated CHILD_SA %s{%d}",
			c.reqid, newReqID, c.cfg.Name, c.uniqueID)
		c.reqid = newReqID
	}
	c.myTS, c.otherTS = myTS, otherTS
	return Success
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
