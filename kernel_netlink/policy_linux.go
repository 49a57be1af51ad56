package kernel_netlink

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink/nl"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// policyName is "%R === %R %N%s" of strongSwan's policy log lines.
func policyName(id kernel.PolicyID) string {
	return fmt.Sprintf("%s === %s %s%s", id.Src, id.Dst, id.Dir, markString(id.Mark))
}

// AddPolicy implements kernel.IPsec (add_policy). The users of a policy
// are counted in a kernel.PolicyTable; the kernel is only told when the
// best (lowest priority value) user changes, and then with UPDPOLICY, so a
// rekey never opens a window without policy.
func (ip *IPsec) AddPolicy(id kernel.PolicyID, d kernel.ManagePolicy) error {
	ip.policyMu.Lock()
	defer ip.policyMu.Unlock()
	name := policyName(id)
	existing := ip.policies.Users(id)
	if existing > 0 {
		ip.log.Logf(bus.KNL, bus.Diag, "policy %s already exists, increasing refcount", name)
	}
	applied := false
	err := ip.policies.Add(id, d, func(op kernel.PolicyOp, best kernel.ManagePolicy, prio uint32) error {
		applied = true
		found := op == kernel.PolicyUpdate
		if found {
			ip.noteReqid(id, best.SA.ReqID)
		}
		ip.polReqid[id] = best.SA.ReqID
		verb := "adding"
		if found || ip.o.PolicyUpdate {
			verb = "updating"
		}
		ip.log.Logf(bus.KNL, bus.Diag, "%s policy %s [priority %d, refcount %d]", verb, name, prio, existing+1)
		if err := ip.installPolicy(id, best, prio, found || ip.o.PolicyUpdate); err != nil {
			verb = "add"
			if found || ip.o.PolicyUpdate {
				verb = "update"
			}
			ip.log.Logf(bus.KNL, bus.Control, "unable to %s policy %s", verb, name)
			return err
		}
		return nil
	})
	if err != nil {
		if existing == 0 {
			delete(ip.polReqid, id)
		}
		return fmt.Errorf("policy %s: %w", id, err)
	}
	if !applied {
		_, cur, _ := ip.policies.Installed(id)
		ip.log.Logf(bus.KNL, bus.Diag, "not updating policy %s [priority %d, refcount %d]", name, cur, existing+1)
	}
	return nil
}

// noteReqid logs a change of the reqid an installed policy points at.
func (ip *IPsec) noteReqid(id kernel.PolicyID, reqid uint32) {
	if old, ok := ip.polReqid[id]; ok && old != reqid {
		ip.log.Logf(bus.CFG, bus.Control, "updating reqid for policy %s from %d to %d", policyName(id), old, reqid)
	}
}

// installPolicy sends NEWPOLICY (or UPDPOLICY) for the user d of id and
// installs the route of an outbound policy.
func (ip *IPsec) installPolicy(id kernel.PolicyID, d kernel.ManagePolicy, prio uint32, update bool) error {
	sel := toXsel(kernel.SelFromTS(id.Src, id.Dst, ip.ifindex(id.Interface)))
	typ := msgNewPolicy
	if update {
		typ = msgUpdPolicy
	}
	action := uint8(policyAllow)
	if d.Type == kernel.PolicyDrop {
		action = policyBlock
	}
	req := ip.xfrm.newRequest(typ, 0)
	addRaw(req, polInfo(sel, policyDir(id.Dir), prio, action))
	if d.Type == kernel.PolicyIPsec && d.SA.ReqID != 0 {
		if t := policyTemplates(id.Dir, d); len(t) > 0 {
			req.AddData(nl.NewRtAttr(attrTmpl, t))
		}
	}
	addIDAttrs(req, id.Mark, id.IfID)
	err := ip.xfrm.ack(req)
	if err != nil && isExists(err) && !update {
		ip.log.Logf(bus.KNL, bus.Control, "policy already exists, try to update it")
		req.Type = msgUpdPolicy
		err = ip.xfrm.ack(req)
	}
	if err != nil {
		return err
	}
	// A route goes with an outbound policy that is not for a protocol or
	// port, has no XFRM interface, and is a bypass or a tunnel/BEET policy.
	if id.Dir == kernel.DirOut && !ip.o.NoInstallRoutes && ip.routes != nil &&
		sel.proto == 0 && sel.dport == 0 && sel.sport == 0 && id.IfID == 0 &&
		(d.Type == kernel.PolicyPass || (d.Type == kernel.PolicyIPsec && d.SA.Mode != kernel.ModeTransport)) {
		ip.installRoute(id, d, sel)
	}
	return nil
}

// policyTemplates builds the XFRMA_TMPL list: IPComp, ESP, AH in this order,
// the first in the SA's mode and the others in transport mode inside it.
func policyTemplates(dir kernel.PolicyDir, d kernel.ManagePolicy) []byte {
	type proto struct {
		p   uint8
		spi uint32
		use bool
	}
	protos := []proto{
		{kernel.ProtoIPComp, uint32(d.SA.IPComp.CPI), d.SA.IPComp.Transform != 0},
		{kernel.ProtoESP, d.SA.ESP.SPI, d.SA.ESP.Use},
		{kernel.ProtoAH, d.SA.AH.SPI, d.SA.AH.Use},
	}
	mode := d.SA.Mode
	var out []byte
	for _, p := range protos {
		if !p.use {
			continue
		}
		t := tmpl{proto: p.p, reqid: d.SA.ReqID, mode: modeToKernel(mode), family: familyOf(d.Src),
			optional: p.p == kernel.ProtoIPComp && dir != kernel.DirOut}
		if dir == kernel.DirOut {
			t.spi = p.spi
		}
		if mode == kernel.ModeTunnel || mode == kernel.ModeBEET {
			t.saddr, t.daddr = d.Src, d.Dst
		}
		b := make([]byte, sizeUserTmpl)
		t.put(b)
		out = append(out, b...)
		mode = kernel.ModeTransport
	}
	return out
}

// QueryPolicy implements kernel.IPsec: the time the policy last matched a
// packet (zero if never), read with a raw GETPOLICY for its lifetime.
func (ip *IPsec) QueryPolicy(id kernel.PolicyID) (time.Time, error) {
	sel := toXsel(kernel.SelFromTS(id.Src, id.Dst, ip.ifindex(id.Interface)))
	req := ip.xfrm.newRequest(msgGetPolicy, 0)
	addRaw(req, polID(sel, policyDir(id.Dir)))
	addIDAttrs(req, id.Mark, id.IfID)
	msgs, err := ip.xfrm.query(req, msgNewPolicy)
	if err != nil {
		if ne, ok := err.(*NetlinkError); ok {
			ip.log.Logf(bus.KNL, bus.Control, "querying policy failed: %s (%d)", strerror(ne.Errno), int(ne.Errno))
		}
	}
	for _, m := range msgs {
		use, err := policyUseTime(m)
		if err != nil {
			continue
		}
		if use == 0 {
			return time.Time{}, nil
		}
		return time.Unix(int64(use), 0), nil
	}
	ip.log.Logf(bus.KNL, bus.Diag, "unable to query policy %s", policyName(id))
	if err == nil {
		err = kernel.ErrNotFound
	}
	return time.Time{}, fmt.Errorf("policy %s: %w", id, err)
}

// policyUseTime reads curlft.use_time of a XFRM_MSG_NEWPOLICY payload.
func policyUseTime(m []byte) (uint64, error) {
	if len(m) < sizeUserpolInfo {
		return 0, errShort
	}
	return native.Uint64(m[144:]), nil
}

// DelPolicy implements kernel.IPsec (del_policy).
func (ip *IPsec) DelPolicy(id kernel.PolicyID, d kernel.ManagePolicy) error {
	ip.policyMu.Lock()
	defer ip.policyMu.Unlock()
	name := policyName(id)
	before := ip.policies.Users(id)
	if d.HandOver && before <= 1 {
		// Nobody to hand the policy to: it stays, and nothing is logged,
		// as nothing happened (the CHILD_SA deletes it when destroyed).
		return kernel.ErrLastUser
	}
	ip.log.Logf(bus.KNL, bus.Diag, "deleting policy %s", name)
	if before == 0 {
		ip.log.Logf(bus.KNL, bus.Control, "deleting policy %s failed, not found", name)
		return fmt.Errorf("policy %s: %w", id, kernel.ErrNotFound)
	}
	applied := false
	var delErr error
	err := ip.policies.Del(id, d, func(op kernel.PolicyOp, best kernel.ManagePolicy, prio uint32) error {
		applied = true
		if op == kernel.PolicyUpdate {
			ip.log.Logf(bus.KNL, bus.Diag, "policy still used by another CHILD_SA, not removed")
			ip.noteReqid(id, best.SA.ReqID)
			ip.polReqid[id] = best.SA.ReqID
			ip.log.Logf(bus.KNL, bus.Diag, "updating policy %s [priority %d, refcount %d]", name, prio, before-1)
			if err := ip.installPolicy(id, best, prio, true); err != nil {
				ip.log.Logf(bus.KNL, bus.Control, "unable to update policy %s", name)
				return err
			}
			return nil
		}
		// strongSwan forgets the policy even if the kernel refused to
		// delete it, and reports the failure
		delErr = ip.removePolicy(id)
		return nil
	})
	if err == nil {
		err = delErr
	}
	if err != nil {
		return fmt.Errorf("policy %s: %w", id, err)
	}
	if !applied {
		ip.log.Logf(bus.KNL, bus.Diag, "policy still used by another CHILD_SA, not removed")
		_, cur, _ := ip.policies.Installed(id)
		ip.log.Logf(bus.KNL, bus.Diag, "not updating policy %s [priority %d, refcount %d]", name, cur, ip.policies.Users(id))
	}
	return nil
}

// removePolicy deletes the last user's policy and its route.
func (ip *IPsec) removePolicy(id kernel.PolicyID) error {
	name := policyName(id)
	if r := ip.polRoutes[id]; r != nil {
		if ip.routes.DelRoute(r.dst, r.gateway, r.src, r.ifname, r.pass) != nil {
			ip.log.Logf(bus.KNL, bus.Control, "error uninstalling route installed with policy %s", name)
		}
		delete(ip.polRoutes, id)
	}
	delete(ip.polReqid, id)
	sel := toXsel(kernel.SelFromTS(id.Src, id.Dst, ip.ifindex(id.Interface)))
	req := ip.xfrm.newRequest(msgDelPolicy, 0)
	addRaw(req, polID(sel, policyDir(id.Dir)))
	addIDAttrs(req, id.Mark, id.IfID)
	if err := ip.xfrm.ack(req); err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to delete policy %s", name)
		return err
	}
	return nil
}

// FlushPolicies implements kernel.IPsec. It also forgets the reference
// counts and removes the routes installed with the policies.
func (ip *IPsec) FlushPolicies() error {
	ip.policyMu.Lock()
	defer ip.policyMu.Unlock()
	ip.log.Logf(bus.KNL, bus.Diag, "flushing all policies from SPD")
	req := ip.xfrm.newRequest(msgFlushPolicy, 0)
	if err := ip.xfrm.ack(req); err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to flush SPD entries")
		return fmt.Errorf("unable to flush SPD entries: %w", err)
	}
	for id, r := range ip.polRoutes {
		_ = ip.routes.DelRoute(r.dst, r.gateway, r.src, r.ifname, r.pass)
		delete(ip.polRoutes, id)
	}
	clear(ip.polReqid)
	ip.policies.Reset()
	return nil
}

// getAddressByTS finds a local address inside ts, virtual IPs first, as
// charon's kernel interface does; a selector that contains the loopback
// address yields the unspecified address.
func (ip *IPsec) getAddressByTS(ts selectors.TS) (netip.Addr, bool) {
	ip.log.Logf(bus.KNL, bus.Diag, "getting a local address in traffic selector %s", ts)
	lo, any := netip.MustParseAddr("127.0.0.1"), netip.IPv4Unspecified()
	if !ts.Is4() {
		lo, any = netip.IPv6Loopback(), netip.IPv6Unspecified()
	}
	if ts.Includes(lo) {
		ip.log.Logf(bus.KNL, bus.Diag, "using host %s", hostString(any))
		return any, true
	}
	for _, which := range []kernel.AddrType{kernel.AddrAll ^ kernel.AddrRegular, kernel.AddrAll ^ kernel.AddrVirtual} {
		addrs, err := ip.routes.Addresses(which)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ts.Includes(a) {
				ip.log.Logf(bus.KNL, bus.Diag, "using host %s", hostString(a))
				return a, true
			}
		}
	}
	ip.log.Logf(bus.KNL, bus.Diag, "no local address found in traffic selector %s", ts)
	return netip.Addr{}, false
}

// installRoute installs the route of an outbound policy into the IPsec
// routing table (install_route): towards the selector's destination, with
// a local address inside the source selector as source, over the interface
// and next hop that lead to the peer.
func (ip *IPsec) installRoute(id kernel.PolicyID, d kernel.ManagePolicy, sel xsel) {
	dst, _ := addrFrom(sel.family, sel.daddr[:])
	r := &routeEntry{dst: netip.PrefixFrom(dst, int(sel.prefixlenD)), pass: d.Type == kernel.PolicyPass}
	src, ok := ip.getAddressByTS(id.Src)
	if !ok {
		if !r.pass {
			return
		}
		// a bypass route needs no source address
		src = netip.IPv4Unspecified()
		if sel.family == afInet6 {
			src = netip.IPv6Unspecified()
		}
	}
	r.src = src
	if d.Dst.IsValid() && !d.Dst.IsUnspecified() {
		r.gateway, r.ifname, _ = ip.routes.NextHop(d.Dst, -1, d.Src)
	} else {
		// shunt policies: the route to the selector's destination
		r.gateway, r.ifname, _ = ip.routes.NextHop(dst, int(sel.prefixlenD), r.src)
	}
	if r.ifname == "" {
		local := d.Src
		if !local.IsValid() || local.IsUnspecified() {
			local = r.src
		}
		name, ok := ip.routes.Interface(local)
		if !ok && !r.pass {
			return
		}
		r.ifname = name
	}
	if old := ip.polRoutes[id]; old != nil {
		if *old == *r {
			return
		}
		if ip.routes.DelRoute(old.dst, old.gateway, old.src, old.ifname, old.pass) != nil {
			ip.log.Logf(bus.KNL, bus.Control, "error uninstalling route installed with policy %s === %s %s",
				id.Src, id.Dst, id.Dir)
		}
		delete(ip.polRoutes, id)
	}
	ip.log.Logf(bus.KNL, bus.Diag, "installing route: %s via %s src %s dev %s", id.Dst,
		hostString(r.gateway), hostString(r.src), r.ifname)
	err := ip.routes.AddRoute(r.dst, r.gateway, r.src, r.ifname, r.pass)
	switch {
	case err == nil:
		ip.polRoutes[id] = r
	case isExists(err):
		// the route exists already: it is not ours to remove
	default:
		ip.log.Logf(bus.KNL, bus.Control, "unable to install source route for %s", hostString(r.src))
	}
}
