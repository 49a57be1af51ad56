package kernel_libipsec

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// NetRouter returns a Router that installs the TUN device's routes through
// a networking backend (kernel-netlink's Net), as strongSwan's
// kernel-libipsec does through charon->kernel: the backend puts them in its
// routing table, behind the rule it owns (and that rule's fwmark). When
// allowPeerTS is off and a remote selector covers the IKE peer, an exclude
// route through the real next hop keeps IKE and ESP-in-UDP out of the
// tunnel.
func NetRouter(n kernel.Net, tun string, allowPeerTS bool, log bus.Logger) Router {
	if log == nil {
		log = bus.Discard
	}
	return &netRouter{net: n, tun: tun, allowPeerTS: allowPeerTS, log: log, routes: map[routeKey]*netRoute{},
		policies: map[policyKey]*policyRef{}, excludes: map[netip.Addr]*excludeRoute{}}
}

type netRouter struct {
	net         kernel.Net
	tun         string
	allowPeerTS bool
	log         bus.Logger

	mu sync.Mutex
	// routes are the routes installed, by destination and source: policies
	// of the same destination with another source (a CHILD_SA moved by
	// MOBIKE, a new virtual IP) each have theirs, the newest in the
	// kernel; policies names the route of each outbound policy.
	routes   map[routeKey]*netRoute
	policies map[policyKey]*policyRef
	excludes map[netip.Addr]*excludeRoute
}

// policyRef is the route of a policy, and how often the policy was added.
type policyRef struct {
	key  routeKey
	refs int
}

type routeKey struct {
	dst netip.Prefix
	src netip.Addr
}

type policyKey struct{ src, dst string }

type netRoute struct {
	refs    int
	exclude *excludeRoute
}

type excludeRoute struct {
	refs      int
	dst       netip.Addr
	src, gw   netip.Addr
	ifaceName string
}

// addressIn finds one of our addresses (virtual ones included) inside ts
// (charon's get_address_by_ts).
func (r *netRouter) addressIn(ts selectors.TS) (netip.Addr, bool) {
	addrs, err := r.net.Addresses(kernel.AddrRegular | kernel.AddrVirtual | kernel.AddrLoopback)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		if ts.Includes(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func isMulticastOrBroadcast(ts selectors.TS) bool {
	if ts.Is4() {
		mc := netip.MustParsePrefix("224.0.0.0/4")
		bc := netip.AddrFrom4([4]byte{255, 255, 255, 255})
		return (mc.Contains(ts.From()) && mc.Contains(ts.To())) || (ts.From() == bc && ts.To() == bc)
	}
	mc := netip.MustParsePrefix("ff00::/8")
	return mc.Contains(ts.From()) && mc.Contains(ts.To())
}

// AddRoute implements Router.
func (r *netRouter) AddRoute(src, dst selectors.TS, peer, local netip.Addr) error {
	pfx, _ := dst.Prefix()
	srcIP, ok := r.addressIn(src)
	if !ok {
		if isMulticastOrBroadcast(src) {
			return nil
		}
		r.log.Logf(bus.KNL, bus.Control, "error installing route with policy %s === %s out", src, dst)
		return fmt.Errorf("no local address in %s", src)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	key := routeKey{pfx, srcIP}
	if e, ok := r.routes[key]; ok {
		e.refs++
		r.refPolicyLocked(src, dst, key)
		return nil
	}
	if !r.allowPeerTS && peer.IsValid() && dst.IsHost(peer) {
		// The route would carry the IKE packets into the tunnel.
		r.log.Logf(bus.KNL, bus.Control, "can't install route for %s === %s out, conflicts with IKE traffic", src, dst)
		return fmt.Errorf("route for %s === %s conflicts with IKE traffic", src, dst)
	}
	e := &netRoute{refs: 1}
	if !r.allowPeerTS && peer.IsValid() && dst.Includes(peer) {
		e.exclude = r.addExcludeLocked(peer, local)
	}
	r.log.Logf(bus.KNL, bus.Diag, "installing route: %s src %s dev %s", dst, srcIP, r.tun)
	if err := r.net.AddRoute(pfx, netip.Addr{}, srcIP, r.tun, false); err != nil {
		r.dropExcludeLocked(e.exclude)
		r.log.Logf(bus.KNL, bus.Control, "error installing route with policy %s === %s out", src, dst)
		return err
	}
	r.routes[key] = e
	r.refPolicyLocked(src, dst, key)
	return nil
}

func (r *netRouter) refPolicyLocked(src, dst selectors.TS, key routeKey) {
	pk := policyKey{src.String(), dst.String()}
	if p, ok := r.policies[pk]; ok && p.key == key {
		p.refs++
		return
	}
	r.policies[pk] = &policyRef{key: key, refs: 1}
}

// addExcludeLocked routes the peer itself through its real next hop, so
// that a remote selector covering it does not swallow the IKE traffic.
func (r *netRouter) addExcludeLocked(dst, src netip.Addr) *excludeRoute {
	if x, ok := r.excludes[dst]; ok {
		x.refs++
		return x
	}
	r.log.Logf(bus.KNL, bus.Diag, "installing new exclude route for %s src %s", dst, src)
	gw, _, err := r.net.NextHop(dst, -1, netip.Addr{})
	if err != nil || !gw.IsValid() {
		r.log.Logf(bus.KNL, bus.Control, "gateway lookup for %s failed", dst)
		return nil
	}
	iface, ok := r.net.Interface(src)
	if !ok || r.net.AddRoute(netip.PrefixFrom(dst, dst.BitLen()), gw, src, iface, true) != nil {
		r.log.Logf(bus.KNL, bus.Control, "installing exclude route for %s failed", dst)
		return nil
	}
	x := &excludeRoute{refs: 1, dst: dst, src: src, gw: gw, ifaceName: iface}
	r.excludes[dst] = x
	return x
}

func (r *netRouter) dropExcludeLocked(x *excludeRoute) {
	if x == nil {
		return
	}
	if x.refs--; x.refs > 0 {
		return
	}
	delete(r.excludes, x.dst)
	r.log.Logf(bus.KNL, bus.Diag, "uninstalling exclude route for %s src %s", x.dst, x.src)
	if err := r.net.DelRoute(netip.PrefixFrom(x.dst, x.dst.BitLen()), x.gw, x.src, x.ifaceName, true); err != nil {
		r.log.Logf(bus.KNL, bus.Control, "uninstalling exclude route for %s failed", x.dst)
	}
}

// DelRoute implements Router: the policy's route goes with its last
// policy; the backend then puts back another route to the destination,
// if one is left.
func (r *netRouter) DelRoute(src, dst selectors.TS) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	pk := policyKey{src.String(), dst.String()}
	p, ok := r.policies[pk]
	if !ok {
		return nil
	}
	if p.refs--; p.refs == 0 {
		delete(r.policies, pk)
	}
	key := p.key
	e := r.routes[key]
	if e.refs--; e.refs > 0 {
		return nil
	}
	delete(r.routes, key)
	r.dropExcludeLocked(e.exclude)
	return r.net.DelRoute(key.dst, netip.Addr{}, key.src, r.tun, false)
}

// Close removes the routes still installed.
func (r *netRouter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first error
	for key, e := range r.routes {
		r.dropExcludeLocked(e.exclude)
		if err := r.net.DelRoute(key.dst, netip.Addr{}, key.src, r.tun, false); err != nil && first == nil {
			first = err
		}
		delete(r.routes, key)
	}
	clear(r.policies)
	return first
}
