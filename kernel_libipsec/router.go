package kernel_libipsec

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/goswan/goswan/selectors"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

// Open creates the TUN device, the routing rule and the data plane on conn
// (the IKE socket): the whole of strongSwan's kernel-libipsec plugin.
func Open(opts Options, conn ESPConn) (*IPsec, error) {
	k := New(opts)
	dev, err := tun.CreateTUN(k.opts.Interface, k.opts.MTU)
	if err != nil {
		return nil, fmt.Errorf("failed to create TUN device %s: %w", k.opts.Interface, err)
	}
	name, _ := dev.Name()
	link, err := netlink.LinkByName(name)
	if err == nil {
		err = netlink.LinkSetUp(link)
	}
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("failed to configure TUN device %s: %w", name, err)
	}
	if !k.opts.NoRoutes {
		r, err := newRouter(link.Attrs().Index, k.opts.RoutingTable, k.opts.RoutingTablePrio)
		if err != nil {
			dev.Close()
			return nil, err
		}
		k.SetRouter(r)
	}
	if err := k.Start(dev, conn); err != nil {
		dev.Close()
		return nil, err
	}
	return k, nil
}

// router installs the routes of outbound policies into the TUN device, in
// a separate routing table consulted by a rule (kernel-netlink's
// routing_table/routing_table_prio, 220/220), as kernel_libipsec_router and
// kernel-netlink do together in strongSwan.
type router struct {
	ifindex     int
	table, prio int
	mu          sync.Mutex
	routes      map[netip.Prefix]*routeEntry
	excludes    map[netip.Addr]int // throw routes for IKE peers inside a remote TS
	rules       []*netlink.Rule
}

type routeEntry struct {
	refs    int
	route   netlink.Route
	exclude netip.Addr
}

func newRouter(ifindex, table, prio int) (*router, error) {
	if table == 0 && prio == 0 {
		table, prio = 220, 220
	}
	r := &router{ifindex: ifindex, table: table, prio: prio,
		routes: map[netip.Prefix]*routeEntry{}, excludes: map[netip.Addr]int{}}
	if table == 0 || table == unix.RT_TABLE_MAIN {
		r.table = unix.RT_TABLE_MAIN
		return r, nil
	}
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		rule := netlink.NewRule()
		rule.Family, rule.Table, rule.Priority = fam, table, prio
		if err := netlink.RuleAdd(rule); err != nil && !errors.Is(err, unix.EEXIST) {
			if fam == unix.AF_INET6 && errors.Is(err, unix.EAFNOSUPPORT) {
				continue
			}
			r.Close()
			return nil, fmt.Errorf("installing routing rule for table %d: %w", table, err)
		}
		r.rules = append(r.rules, rule)
	}
	return r, nil
}

// localAddrIn finds an address of this host inside ts, the route's source
// (charon's get_address_by_ts).
func localAddrIn(ts selectors.TS) (netip.Addr, bool) {
	fam := netlink.FAMILY_V4
	if !ts.Is4() {
		fam = netlink.FAMILY_V6
	}
	addrs, err := netlink.AddrList(nil, fam)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if ok && ts.Includes(ip.Unmap()) {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// AddRoute implements Router.
func (r *router) AddRoute(src, dst selectors.TS, peer, local netip.Addr) error {
	pfx, _ := dst.Prefix()
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.routes[pfx]; ok {
		e.refs++
		return nil
	}
	srcIP, ok := localAddrIn(src)
	if !ok {
		// Multicast and broadcast selectors need no route (strongSwan
		// ignores them); anything else has no usable source address.
		if f := src.From(); f.IsMulticast() || f == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return nil
		}
		return fmt.Errorf("error installing route with policy %s === %s out: no local address in %s", src, dst, src)
	}
	e := &routeEntry{refs: 1}
	if peer.IsValid() && dst.Includes(peer) {
		// The remote selector covers the IKE peer: a throw route keeps the
		// IKE and ESP-in-UDP packets out of the tunnel.
		if r.excludes[peer] == 0 {
			thr := netlink.Route{Dst: ipNet(netip.PrefixFrom(peer, peer.BitLen())), Table: r.table,
				Type: unix.RTN_THROW, Protocol: unix.RTPROT_STATIC}
			if err := netlink.RouteReplace(&thr); err != nil {
				return fmt.Errorf("installing exclude route for %s: %w", peer, err)
			}
		}
		r.excludes[peer]++
		e.exclude = peer
	}
	e.route = netlink.Route{LinkIndex: r.ifindex, Dst: ipNet(pfx), Src: srcIP.AsSlice(),
		Table: r.table, Protocol: unix.RTPROT_STATIC, Scope: netlink.SCOPE_UNIVERSE}
	if err := netlink.RouteReplace(&e.route); err != nil {
		r.dropExcludeLocked(e)
		return fmt.Errorf("installing route %s src %s dev %d: %w", pfx, srcIP, r.ifindex, err)
	}
	r.routes[pfx] = e
	return nil
}

func (r *router) dropExcludeLocked(e *routeEntry) {
	if !e.exclude.IsValid() {
		return
	}
	r.excludes[e.exclude]--
	if r.excludes[e.exclude] > 0 {
		return
	}
	delete(r.excludes, e.exclude)
	thr := netlink.Route{Dst: ipNet(netip.PrefixFrom(e.exclude, e.exclude.BitLen())), Table: r.table,
		Type: unix.RTN_THROW, Protocol: unix.RTPROT_STATIC}
	_ = netlink.RouteDel(&thr)
}

// DelRoute implements Router.
func (r *router) DelRoute(src, dst selectors.TS) error {
	pfx, _ := dst.Prefix()
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.routes[pfx]
	if !ok {
		return nil
	}
	if e.refs--; e.refs > 0 {
		return nil
	}
	delete(r.routes, pfx)
	r.dropExcludeLocked(e)
	if err := netlink.RouteDel(&e.route); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	return nil
}

// Close removes every route and the rules.
func (r *router) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for pfx, e := range r.routes {
		r.dropExcludeLocked(e)
		if err := netlink.RouteDel(&e.route); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, err)
		}
		delete(r.routes, pfx)
	}
	for _, rule := range r.rules {
		if err := netlink.RuleDel(rule); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
		}
	}
	r.rules = nil
	return errors.Join(errs...)
}
