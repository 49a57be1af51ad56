package kernel_netlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
)

// maxRouteRecursion bounds the lookups of a gateway's own route.
const maxRouteRecursion = 2

// SourceAddr implements kernel.Net (get_source_addr).
func (n *Net) SourceAddr(dst, src netip.Addr) (netip.Addr, error) {
	a, _ := n.getRoute(dst, -1, false, src, 0)
	if !a.IsValid() {
		return netip.Addr{}, fmt.Errorf("no address found to reach %s: %w", dst, kernel.ErrNotFound)
	}
	return a, nil
}

// NextHop implements kernel.Net (get_nexthop): the gateway towards dst (or
// dst itself when it is directly reachable and no prefix is given) and the
// interface.
func (n *Net) NextHop(dst netip.Addr, prefix int, src netip.Addr) (netip.Addr, string, error) {
	if prefix < 0 {
		prefix = -1
	}
	a, iface := n.getRoute(dst, prefix, true, src, 0)
	if !a.IsValid() {
		return netip.Addr{}, "", fmt.Errorf("no nexthop found to reach %s: %w", dst, kernel.ErrNotFound)
	}
	return a, iface, nil
}

// getRoute is strongSwan's get_route: it dumps the routes (unless routes
// are not installed, then it asks the kernel's lookup), keeps those that
// contain dest, are not in charon's own or an ignored table, not on a down
// or ignored interface and not for one of our virtual IPs, sorts them by
// prefix length and metric, and picks a source address for the best one,
// preferring candidate.
func (n *Net) getRoute(dest netip.Addr, prefix int, nexthop bool, candidate netip.Addr, recursion int) (netip.Addr, string) {
	if recursion > maxRouteRecursion || !dest.IsValid() {
		return netip.Addr{}, ""
	}
	dest = dest.Unmap()
	bits := dest.BitLen()
	if prefix < 0 || prefix > bits {
		prefix = bits
	}
	matchNet := prefix != bits
	what := "address"
	if nexthop {
		what = "nexthop"
	}
	msgs, err := n.queryRoutes(dest, matchNet, candidate)
	if err != nil {
		n.log.Logf(bus.KNL, bus.Diag, "getting %s to reach %s/%d failed", what, hostString(dest), prefix)
		return netip.Addr{}, ""
	}
	n.mu.RLock()
	routes := n.candidateRoutesLocked(msgs, netip.PrefixFrom(dest, prefix))
	best := n.bestRouteLocked(routes, dest, candidate, recursion)
	var addr netip.Addr
	iface := ""
	if nexthop {
		if best == nil && len(routes) > 0 {
			best = routes[0]
		}
		if best != nil {
			addr = best.gateway
			if best.oif != 0 {
				iface = n.ifnameOfLocked(best.oif)
			}
		}
		if !addr.IsValid() && !matchNet {
			addr = dest // directly connected
		}
	} else if best != nil {
		addr = best.srcHost
	}
	n.mu.RUnlock()
	switch {
	case addr.IsValid() && nexthop && iface != "":
		n.log.Logf(bus.KNL, bus.Diag, "using %s as nexthop and %s as dev to reach %s/%d", hostString(addr), iface, hostString(dest), prefix)
	case addr.IsValid():
		n.log.Logf(bus.KNL, bus.Diag, "using %s as %s to reach %s/%d", hostString(addr), what, hostString(dest), prefix)
	case recursion == 0:
		n.log.Logf(bus.KNL, bus.Diag, "no %s found to reach %s/%d", what, hostString(dest), prefix)
	}
	return addr, iface
}

// queryRoutes asks for the routes towards dest: a dump, which lets
// getRoute skip the routes of virtual IPs and of charon's own table that a
// plain lookup could return, unless routes are not installed.
func (n *Net) queryRoutes(dest netip.Addr, matchNet bool, candidate netip.Addr) ([][]byte, error) {
	flags := 0
	if !n.o.NoInstallRoutes {
		flags = unix.NLM_F_DUMP
	}
	req := n.rt.newRequest(rtmGetRoute, flags)
	rtm := make([]byte, sizeRtMsg)
	rtm[0] = uint8(familyOf(dest))
	addRaw(req, rtm)
	if candidate.IsValid() {
		t := rtaSrc
		if flags&unix.NLM_F_DUMP != 0 {
			t = rtaPrefsrc
		}
		req.AddData(nl.NewRtAttr(t, candidate.Unmap().AsSlice()))
	}
	if !matchNet {
		req.AddData(nl.NewRtAttr(rtaDst, dest.AsSlice()))
	}
	return n.rt.query(req, rtmNewRoute)
}

// candidateRoutesLocked parses the routes and keeps those getRoute may use,
// sorted by prefix length (longest first), then metric.
func (n *Net) candidateRoutesLocked(msgs [][]byte, destNet netip.Prefix) []*rtEntry {
	var routes []*rtEntry
	for _, m := range msgs {
		r, err := parseRoute(m)
		if err != nil || !n.usableRouteLocked(&r, destNet) {
			continue
		}
		at := len(routes)
		for i, o := range routes {
			if r.dstLen > o.dstLen || (r.dstLen == o.dstLen && r.priority < o.priority) {
				at = i
				break
			}
		}
		routes = slices.Insert(routes, at, &r)
	}
	return routes
}

// usableRouteLocked filters one route: not in an ignored table or charon's
// own, not on a down or ignored interface, covering destNet, and not with
// one of our virtual IPs as its preferred source, which becomes the route's
// source address otherwise.
func (n *Net) usableRouteLocked(r *rtEntry, destNet netip.Prefix) bool {
	switch {
	case !r.usable(true), slices.Contains(n.o.IgnoreRoutingTables, r.table):
		return false
	case n.o.RoutingTable != 0 && r.table == n.o.RoutingTable:
		return false // our own IPsec routes
	case !routeContains(*r, destNet):
		return false
	}
	if r.oif != 0 {
		if i := n.ifaceByIndex(r.oif); i == nil || !i.upAndUsable() {
			return false
		}
	}
	if r.prefsrc.IsValid() {
		if n.isKnownVIPLocked(r.prefsrc) {
			return false // installed by us
		}
		r.srcHost = r.prefsrc
	}
	return true
}

// bestRouteLocked looks for a source address for each route in order: a
// route whose source address is the candidate (or any, without a candidate)
// wins; otherwise the first route for which an address was found.
func (n *Net) bestRouteLocked(routes []*rtEntry, dest, candidate netip.Addr, recursion int) *rtEntry {
	var best *rtEntry
	for _, r := range routes {
		found, preferred := n.routeSourceLocked(r, dest, candidate, recursion)
		if preferred {
			return r
		}
		if found && best == nil {
			best = r
		}
	}
	return best
}

// routeSourceLocked finds the source address of one route into r.srcHost:
// the preferred source it came with, an address in its source selector, one
// on its interface, or the source towards its gateway. found reports an
// address, preferred that it is the candidate (or that there is none).
func (n *Net) routeSourceLocked(r *rtEntry, dest, candidate netip.Addr, recursion int) (found, preferred bool) {
	family := uint8(familyOf(dest))
	matches := func() bool { return !candidate.IsValid() || candidate == r.srcHost }
	if r.srcHost.IsValid() {
		if matches() {
			return true, true
		}
		if r.oif != 0 {
			// maybe the candidate is on the same interface
			if src := n.interfaceAddressLocked(r.oif, family, dest, candidate); src.IsValid() && src == candidate {
				r.srcHost = src
				return true, true
			}
		}
		return true, false
	}
	if r.src.IsValid() {
		if p, err := r.src.Prefix(int(r.srcLen)); err == nil {
			r.srcHost = n.matchingAddressLocked(nil, family, p, dest, candidate)
		}
		if r.srcHost.IsValid() {
			return true, matches()
		}
	}
	if r.oif != 0 {
		r.srcHost = n.interfaceAddressLocked(r.oif, family, dest, candidate)
		if r.srcHost.IsValid() {
			return true, matches()
		}
	}
	if r.gateway.IsValid() && r.gateway != dest {
		n.mu.RUnlock()
		r.srcHost, _ = n.getRoute(r.gateway, -1, false, candidate, recursion+1)
		n.mu.RLock()
		if r.srcHost.IsValid() {
			return true, matches()
		}
	}
	return false, false
}

// routeContains reports whether the route's destination covers net.
func routeContains(r rtEntry, net netip.Prefix) bool {
	if r.dstLen == 0 {
		return true
	}
	if !r.dst.IsValid() || r.dst.Is4() != net.Addr().Is4() || int(r.dstLen) > net.Bits() {
		return false
	}
	p, err := r.dst.Prefix(int(r.dstLen))
	return err == nil && p.Contains(net.Addr())
}

func (n *Net) ifnameOfLocked(idx int32) string {
	n.log.Logf(bus.KNL, bus.Diag, "getting iface name for index %d", idx)
	if i := n.ifaceByIndex(idx); i != nil {
		return i.name
	}
	n.log.Logf(bus.KNL, bus.Control, "unable to get interface name for %d", idx)
	return ""
}

// manageSrcroute adds (replaces) or deletes a route in charon's table.
func (n *Net) manageSrcroute(typ int, flags int, r routeEntry) error {
	if n.o.RoutingTable == 0 && r.dst.Bits() == 0 {
		// 0.0.0.0/0 in the main table would replace the default route:
		// install the two halves instead
		lo := netip.PrefixFrom(r.dst.Addr(), 1)
		hiAddr := r.dst.Addr().AsSlice()
		hiAddr[0] |= 0x80
		ha, _ := netip.AddrFromSlice(hiAddr)
		a, b := r, r
		a.dst, a.pass = lo, false
		b.dst, b.pass = netip.PrefixFrom(ha, 1), false
		return errors.Join(n.manageSrcroute(typ, flags, a), n.manageSrcroute(typ, flags, b))
	}
	req := n.rt.newRequest(typ, flags)
	rtm := make([]byte, sizeRtMsg)
	rtm[0] = uint8(familyOf(r.dst.Addr()))
	rtm[1] = uint8(r.dst.Bits())
	rtm[5] = rtprotStatic
	rtm[6] = rtScopeUniverse
	rtm[7] = rtnUnicast
	if r.pass {
		rtm[7] = rtnThrow
	}
	var tableAttr *nl.RtAttr
	if n.o.RoutingTable < 256 {
		rtm[4] = uint8(n.o.RoutingTable)
	} else {
		tableAttr = nl.NewRtAttr(rtaTable, u32(n.o.RoutingTable))
	}
	addRaw(req, rtm)
	if tableAttr != nil {
		req.AddData(tableAttr)
	}
	req.AddData(nl.NewRtAttr(rtaDst, r.dst.Addr().AsSlice()))
	// deletes go by destination; throw routes need nothing else either
	if typ == rtmNewRoute && !r.pass {
		if r.src.IsValid() {
			req.AddData(nl.NewRtAttr(rtaPrefsrc, r.src.Unmap().AsSlice()))
		}
		if r.gateway.IsValid() && r.gateway.Is4() == r.src.Is4() {
			req.AddData(nl.NewRtAttr(rtaGateway, r.gateway.Unmap().AsSlice()))
		}
		req.AddData(nl.NewRtAttr(rtaOif, u32(uint32(n.ifindexOf(r.ifname)))))
		if n.o.MTU != 0 || n.o.MSS != 0 {
			metrics := nl.NewRtAttr(rtaMetrics, nil)
			if n.o.MTU != 0 {
				metrics.AddRtAttr(rtaxMTU, u32(n.o.MTU))
			}
			if n.o.MSS != 0 {
				metrics.AddRtAttr(rtaxAdvMSS, u32(n.o.MSS))
			}
			req.AddData(metrics)
		}
	}
	return n.rt.ack(req)
}

// routeWithVIPLocked finds another route to the same destination whose
// source is one of our virtual IPs.
func (n *Net) routeWithVIPLocked(dst netip.Prefix) (routeEntry, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, r := range n.routes {
		if r.dst == dst && n.isKnownVIPLocked(r.src) {
			return r, true
		}
	}
	return routeEntry{}, false
}

// AddRoute implements kernel.Net (add_route). It returns an error wrapping
// ErrAlreadyDone if this exact route was installed already.
func (n *Net) AddRoute(dst netip.Prefix, gateway, src netip.Addr, iface string, pass bool) error {
	if n.o.RoutingTable == 0 {
		pass = false // regular routes in the main table
	}
	r := routeEntry{dst: dst.Masked(), gateway: gateway, src: src, ifname: iface, pass: pass}
	n.routesMu.Lock()
	defer n.routesMu.Unlock()
	if slices.Contains(n.routes, r) {
		return fmt.Errorf("route to %s: %w", dst, ErrAlreadyDone)
	}
	// a route with a virtual IP as source stays; this one is only recorded
	// in case that route goes away
	n.mu.RLock()
	vip := n.isKnownVIPLocked(src)
	n.mu.RUnlock()
	if !vip {
		if _, ok := n.routeWithVIPLocked(r.dst); ok {
			n.routes = append(n.routes, r)
			return nil
		}
	}
	if err := n.manageSrcroute(rtmNewRoute, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, r); err != nil {
		return fmt.Errorf("route to %s: %w", dst, err)
	}
	n.routes = append(n.routes, r)
	return nil
}

// DelRoute implements kernel.Net (del_route): if another route to the same
// destination is still wanted, it replaces this one instead.
func (n *Net) DelRoute(dst netip.Prefix, gateway, src netip.Addr, iface string, pass bool) error {
	if n.o.RoutingTable == 0 {
		pass = false
	}
	r := routeEntry{dst: dst.Masked(), gateway: gateway, src: src, ifname: iface, pass: pass}
	n.routesMu.Lock()
	defer n.routesMu.Unlock()
	i := slices.Index(n.routes, r)
	if i < 0 {
		return fmt.Errorf("route to %s: %w", dst, kernel.ErrNotFound)
	}
	n.routes = slices.Delete(n.routes, i, i+1)
	other, ok := n.routeWithVIPLocked(r.dst)
	if !ok {
		for _, o := range n.routes {
			if o.dst == r.dst {
				other, ok = o, true
				break
			}
		}
	}
	var err error
	if ok {
		err = n.manageSrcroute(rtmNewRoute, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, other)
	} else {
		err = n.manageSrcroute(rtmDelRoute, 0, r)
	}
	if err != nil {
		return fmt.Errorf("route to %s: %w", dst, err)
	}
	return nil
}

// parseFWMark parses charon.plugins.kernel-netlink.fwmark: "[!]mark[/mask]",
// the mask defaulting to all ones; "!" makes the rule apply to packets
// without the mark (so that marked IKE packets skip the IPsec routes).
func parseFWMark(s string) (mark, mask uint32, invert, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, false, false
	}
	if strings.HasPrefix(s, "!") {
		invert = true
		s = s[1:]
	}
	v, m, hasMask := strings.Cut(s, "/")
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return 0, 0, false, false
	}
	mask = 0xffffffff
	if hasMask {
		x, err := strconv.ParseUint(m, 0, 32)
		if err != nil {
			return 0, 0, false, false
		}
		mask = uint32(x)
	}
	return uint32(n) & mask, mask, invert, true
}

// manageRule adds or deletes the rule "from all lookup <table>" with
// charon's priority.
func (n *Net) manageRule(typ int, family uint8) error {
	flags := 0
	if typ == rtmNewRule {
		flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	req := n.rt.newRequest(typ, flags)
	rtm := make([]byte, sizeRtMsg)
	rtm[0] = family
	rtm[5] = rtprotBoot
	rtm[6] = rtScopeUniverse
	rtm[7] = rtnUnicast
	var tableAttr *nl.RtAttr
	if n.o.RoutingTable < 256 {
		rtm[4] = uint8(n.o.RoutingTable)
	} else {
		tableAttr = nl.NewRtAttr(fraTable, u32(n.o.RoutingTable))
	}
	mark, mask, invert, hasMark := parseFWMark(n.o.FWMark)
	if hasMark && invert {
		binary.NativeEndian.PutUint32(rtm[8:], fibRuleInvert)
	}
	addRaw(req, rtm)
	if tableAttr != nil {
		req.AddData(tableAttr)
	}
	req.AddData(nl.NewRtAttr(rtaPriority, u32(n.o.RoutingTablePrio)))
	if hasMark {
		req.AddData(nl.NewRtAttr(fraFwmark, u32(mark)))
		req.AddData(nl.NewRtAttr(fraFwmask, u32(mask)))
	}
	return n.rt.ack(req)
}

// queueRouteReinstall notes an interface that came up or got an address;
// shortly after, routes over it are installed again (the kernel drops
// routes whose device or source went away).
func (n *Net) queueRouteReinstall(ifname string) {
	n.changesMu.Lock()
	defer n.changesMu.Unlock()
	n.netChanges[ifname] = true
	now := time.Now()
	if !now.After(n.lastReinstall) {
		return
	}
	n.lastReinstall = now.Add(routeDelay)
	n.reinstall = time.AfterFunc(routeDelay, n.reinstallRoutes)
}

func (n *Net) reinstallRoutes() {
	n.changesMu.Lock()
	changes := n.netChanges
	n.netChanges = map[string]bool{}
	n.changesMu.Unlock()
	n.routesMu.Lock()
	defer n.routesMu.Unlock()
	for _, r := range n.routes {
		if r.pass || r.ifname == "" {
			continue
		}
		changed := changes[r.ifname]
		if !changed {
			// the source address may be on another interface
			n.mu.RLock()
			for _, i := range n.ifaces {
				for _, a := range i.addrs {
					if a.ip == r.src && i.name != r.ifname && changes[i.name] {
						changed = true
					}
				}
			}
			n.mu.RUnlock()
		}
		if changed {
			_ = n.manageSrcroute(rtmNewRoute, unix.NLM_F_CREATE|unix.NLM_F_EXCL, r)
		}
	}
}
