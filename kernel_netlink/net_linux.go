package kernel_netlink

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
)

// Delays before a roam event fires and before routes are reinstalled after
// a burst of changes (ROAM_DELAY, ROUTE_DELAY).
const (
	roamDelay  = 100 * time.Millisecond
	routeDelay = 100 * time.Millisecond
)

// addrEntry is an address of an interface (addr_entry_t).
type addrEntry struct {
	ip    netip.Addr
	flags uint8
	scope uint8
	// refcount > 0 marks a virtual IP installed by us, counted per user.
	refcount  int
	installed bool
}

// ifaceEntry is an interface and its addresses (iface_entry_t).
type ifaceEntry struct {
	index  int32
	name   string
	flags  uint32
	addrs  []*addrEntry
	usable bool
}

func (i *ifaceEntry) up() bool          { return i.flags&iffUp != 0 }
func (i *ifaceEntry) upAndUsable() bool { return i.usable && i.up() }

// Net is kernel.Net over rtnetlink (kernel_netlink_net.c): a cache of
// interfaces and addresses kept current by rtnetlink events, route lookups,
// virtual IPs, and the routes of IPsec policies in charon's routing table.
type Net struct {
	o   Options
	log bus.Logger
	rt  *nlSocket

	mu     sync.RWMutex
	ifaces []*ifaceEntry
	// vipChanged is closed and replaced whenever a virtual IP appears or
	// disappears, for AddIP/DelIP waiting for the kernel's confirmation.
	vipChanged chan struct{}

	routesMu sync.Mutex
	routes   []routeEntry

	roamMu      sync.Mutex
	nextRoam    time.Time
	roamAddress bool
	roamTimer   *time.Timer

	changesMu     sync.Mutex
	netChanges    map[string]bool
	lastReinstall time.Time
	reinstall     *time.Timer

	listenerMu sync.RWMutex
	listener   kernel.Listener

	events *eventLoop
}

// NewNet opens the rtnetlink sockets, reads the interfaces and addresses
// (logging them as charon does at start-up) and installs the rules that
// send traffic to charon's routing table.
func NewNet(o Options) (*Net, error) {
	o.setDefaults()
	rt, err := openSocket(o.NetNS, unix.NETLINK_ROUTE, o.Log)
	if err != nil {
		return nil, err
	}
	n := &Net{o: o, log: o.Log, rt: rt, listener: o.Listener, vipChanged: make(chan struct{}),
		netChanges: map[string]bool{}}
	if !o.NoEvents {
		groups := []uint{grpIPv4IfAddr, grpIPv6IfAddr, grpLink}
		if !o.NoProcessRoute {
			groups = append(groups, grpIPv4Route, grpIPv6Route)
		}
		if o.ProcessRules {
			groups = append(groups, grpIPv4Rule, grpIPv6Rule)
		}
		ns := o.NetNS
		if ns <= 0 {
			ns = -1
		}
		s, err := nl.SubscribeAt(ns, -1, unix.NETLINK_ROUTE, groups...)
		if err != nil {
			n.log.Logf(bus.KNL, bus.Control, "unable to bind RT event socket: %v", err)
			rt.close()
			return nil, err
		}
		n.events = startEventLoop(s, n.log, "RT", n.handleEvent)
	}
	if err := n.initAddressList(); err != nil {
		n.log.Logf(bus.KNL, bus.Control, "unable to get interface list")
		n.Close()
		return nil, err
	}
	if n.o.RoutingTable != 0 {
		if n.manageRule(rtmNewRule, afInet) != nil {
			n.log.Logf(bus.KNL, bus.Control, "unable to create IPv4 routing table rule")
		}
		if n.manageRule(rtmNewRule, afInet6) != nil {
			n.log.Logf(bus.KNL, bus.Control, "unable to create IPv6 routing table rule")
		}
	}
	return n, nil
}

// SetListener sets where roam events go.
func (n *Net) SetListener(l kernel.Listener) {
	n.listenerMu.Lock()
	n.listener = l
	n.listenerMu.Unlock()
}

// Features implements kernel.Net.
func (n *Net) Features() kernel.Feature { return 0 }

// Close implements kernel.Net: it removes the routing rules and the routes
// it installed (as charon does on shutdown) and closes the sockets.
func (n *Net) Close() error {
	if n.events != nil {
		n.events.stop()
	}
	n.roamMu.Lock()
	if n.roamTimer != nil {
		n.roamTimer.Stop()
	}
	n.roamMu.Unlock()
	n.changesMu.Lock()
	if n.reinstall != nil {
		n.reinstall.Stop()
	}
	n.changesMu.Unlock()
	if n.o.RoutingTable != 0 {
		_ = n.manageRule(rtmDelRule, afInet)
		_ = n.manageRule(rtmDelRule, afInet6)
	}
	n.routesMu.Lock()
	for _, r := range n.routes {
		_ = n.manageSrcroute(rtmDelRoute, 0, r)
	}
	n.routes = nil
	n.routesMu.Unlock()
	n.rt.close()
	return nil
}

// isUsable applies charon.interfaces_use / interfaces_ignore.
func (n *Net) isUsable(name string) bool {
	if len(n.o.InterfacesUse) > 0 {
		return slices.Contains(n.o.InterfacesUse, name)
	}
	return !slices.Contains(n.o.InterfacesIgnore, name)
}

func (n *Net) initAddressList() error {
	n.log.Logf(bus.KNL, bus.Diag, "known interfaces and IP addresses:")
	for _, typ := range []int{rtmGetLink, rtmGetAddr} {
		req := n.rt.newRequest(typ, unix.NLM_F_DUMP)
		addRaw(req, []byte{0}) // struct rtgenmsg, AF_UNSPEC
		res := uint16(rtmNewLink)
		if typ == rtmGetAddr {
			res = rtmNewAddr
		}
		msgs, err := n.rt.query(req, res)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if typ == rtmGetLink {
				n.processLink(rtmNewLink, m, false)
			} else {
				n.processAddr(rtmNewAddr, m, false)
			}
		}
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, i := range n.ifaces {
		if i.upAndUsable() {
			n.log.Logf(bus.KNL, bus.Diag, "  %s", i.name)
			for _, a := range i.addrs {
				n.log.Logf(bus.KNL, bus.Diag, "    %s", hostString(a.ip))
			}
		}
	}
	return nil
}

func (n *Net) handleEvent(typ uint16, m []byte) {
	switch typ {
	case rtmNewAddr, rtmDelAddr:
		n.processAddr(typ, m, true)
	case rtmNewLink, rtmDelLink:
		n.processLink(typ, m, true)
	case rtmNewRoute, rtmDelRoute:
		if !n.o.NoProcessRoute {
			n.processRoute(m)
		}
	case rtmNewRule, rtmDelRule:
		if n.o.ProcessRules {
			n.processRule(m)
		}
	}
}

func (n *Net) ifaceByIndex(idx int32) *ifaceEntry {
	for _, i := range n.ifaces {
		if i.index == idx {
			return i
		}
	}
	return nil
}

func (n *Net) ifaceByName(name string) *ifaceEntry {
	for _, i := range n.ifaces {
		if i.name == name {
			return i
		}
	}
	return nil
}

// vipsChangedLocked wakes AddIP/DelIP waiters; n.mu must be write-locked.
func (n *Net) vipsChangedLocked() {
	close(n.vipChanged)
	n.vipChanged = make(chan struct{})
}

func (n *Net) processLink(typ uint16, m []byte, event bool) {
	msg, err := parseLink(m)
	if err != nil {
		return
	}
	name := msg.name
	if name == "" {
		name = "(unknown)"
	}
	update, updateRoutes := false, false
	n.mu.Lock()
	switch typ {
	case rtmNewLink:
		e := n.ifaceByIndex(msg.index)
		if e == nil {
			e = &ifaceEntry{index: msg.index}
			n.ifaces = append(n.ifaces, e)
		}
		e.name = name
		e.usable = n.isUsable(name)
		if event && e.usable {
			if !e.up() && msg.flags&iffUp != 0 {
				update, updateRoutes = true, true
				n.log.Logf(bus.KNL, bus.Control, "interface %s activated", name)
			}
			if e.up() && msg.flags&iffUp == 0 {
				update = true
				n.log.Logf(bus.KNL, bus.Control, "interface %s deactivated", name)
			}
		}
		e.flags = msg.flags
	case rtmDelLink:
		for i, e := range n.ifaces {
			if e.index != msg.index {
				continue
			}
			if event && e.usable {
				update = true
				n.log.Logf(bus.KNL, bus.Control, "interface %s deleted", e.name)
			}
			n.ifaces = slices.Delete(n.ifaces, i, i+1)
			for _, a := range e.addrs {
				if a.refcount > 0 {
					n.vipsChangedLocked()
					break
				}
			}
			break
		}
	}
	n.mu.Unlock()
	if updateRoutes && event {
		n.queueRouteReinstall(name)
	}
	if update && event {
		n.fireRoamEvent(true)
	}
}

func (n *Net) processAddr(typ uint16, m []byte, event bool) {
	msg, err := parseAddr(m)
	if err != nil || !msg.addr.IsValid() {
		return
	}
	host := msg.addr
	update, found, changed := false, false, false
	routeIfname := ""
	n.mu.Lock()
	iface := n.ifaceByIndex(msg.index)
	if iface == nil {
		n.mu.Unlock()
		return
	}
	idx := slices.IndexFunc(iface.addrs, func(a *addrEntry) bool { return a.ip == host })
	if idx >= 0 && iface.addrs[idx].refcount > 0 {
		// a virtual IP of ours: mark it installed or drop it, no roaming
		if typ == rtmNewAddr {
			iface.addrs[idx].installed = true
		} else {
			iface.addrs = slices.Delete(iface.addrs, idx, idx+1)
		}
		n.vipsChangedLocked()
		n.mu.Unlock()
		return
	}
	if idx >= 0 {
		a := iface.addrs[idx]
		if typ == rtmDelAddr {
			found = true
			iface.addrs = slices.Delete(iface.addrs, idx, idx+1)
			if iface.usable {
				changed = true
				n.log.Logf(bus.KNL, bus.Control, "%s disappeared from %s", hostString(host), iface.name)
			}
		} else if a.flags != msg.flags {
			found = true
			a.flags = msg.flags
			if event && iface.usable {
				changed = true
				n.log.Logf(bus.KNL, bus.Control, "flags changed for %s on %s", hostString(host), iface.name)
			}
		}
	} else if typ == rtmNewAddr {
		found, changed = true, true
		routeIfname = iface.name
		iface.addrs = append(iface.addrs, &addrEntry{ip: host, flags: msg.flags, scope: msg.scope})
		if event && iface.usable {
			n.log.Logf(bus.KNL, bus.Control, "%s appeared on %s", hostString(host), iface.name)
		}
	}
	if found && iface.up() {
		update = true
	}
	if !iface.usable {
		update, changed = false, false
	}
	n.mu.Unlock()
	if update && event && routeIfname != "" {
		n.queueRouteReinstall(routeIfname)
	}
	if update && event && changed {
		n.fireRoamEvent(true)
	}
}

func (n *Net) processRoute(m []byte) {
	r, err := parseRoute(m)
	if err != nil {
		return
	}
	// routes of our own table and of the local table, and cached clones,
	// are no reason to roam
	if r.table != 0 && (r.table == n.o.RoutingTable || r.table == rtTableLocal) {
		return
	}
	if r.flags&rtmFCloned != 0 {
		return
	}
	host := r.prefsrc
	n.mu.RLock()
	if r.oif != 0 {
		if i := n.ifaceByIndex(r.oif); i == nil || !i.upAndUsable() {
			n.mu.RUnlock()
			return
		}
	}
	if !host.IsValid() && r.oif != 0 {
		host = n.interfaceAddressLocked(r.oif, r.family, netip.Addr{}, netip.Addr{})
	}
	if !host.IsValid() || n.isKnownVIPLocked(host) {
		n.mu.RUnlock()
		return
	}
	n.mu.RUnlock()
	n.fireRoamEvent(false)
}

func (n *Net) processRule(m []byte) {
	table, err := parseRuleTable(m)
	if err != nil || table == n.o.RoutingTable || table == rtTableLocal {
		return
	}
	n.fireRoamEvent(false)
}

// fireRoamEvent delays the roam event a little and merges bursts of
// changes into one event.
func (n *Net) fireRoamEvent(address bool) {
	if n.o.NoRoamEvents {
		return
	}
	now := time.Now()
	n.roamMu.Lock()
	defer n.roamMu.Unlock()
	n.roamAddress = n.roamAddress || address
	if !now.After(n.nextRoam) {
		return
	}
	n.nextRoam = now.Add(roamDelay)
	n.roamTimer = time.AfterFunc(roamDelay, func() {
		n.roamMu.Lock()
		addr := n.roamAddress
		n.roamAddress = false
		n.roamMu.Unlock()
		n.listenerMu.RLock()
		l := n.listener
		n.listenerMu.RUnlock()
		if l != nil {
			l.Roam(addr)
		}
	})
}

// isKnownVIPLocked reports whether ip is a virtual IP of ours.
func (n *Net) isKnownVIPLocked(ip netip.Addr) bool {
	for _, i := range n.ifaces {
		for _, a := range i.addrs {
			if a.refcount > 0 && a.ip == ip {
				return true
			}
		}
	}
	return false
}

// Addresses implements kernel.Net (create_address_enumerator).
func (n *Net) Addresses(which kernel.AddrType) ([]netip.Addr, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []netip.Addr
	for _, i := range n.ifaces {
		if which&kernel.AddrIgnored == 0 && !i.usable {
			continue
		}
		if which&kernel.AddrLoopback == 0 && i.flags&iffLoopback != 0 {
			continue
		}
		if which&kernel.AddrDown == 0 && !i.up() {
			continue
		}
		for _, a := range i.addrs {
			if which&kernel.AddrVirtual == 0 && a.refcount > 0 {
				continue
			}
			if which&kernel.AddrRegular == 0 && a.refcount == 0 {
				continue
			}
			if a.flags&ifaFDeprecated != 0 || a.scope >= rtScopeLink {
				continue
			}
			if a.refcount == 0 && a.ip.Is6() && (a.flags&ifaFTemporary != 0) != n.o.PreferTemporaryAddrs {
				continue
			}
			out = append(out, a.ip)
		}
	}
	return out, nil
}

// Interface implements kernel.Net (get_interface_name).
func (n *Net) Interface(ip netip.Addr) (string, bool) {
	if !ip.IsValid() || ip.IsUnspecified() {
		return "", false
	}
	ip = ip.Unmap()
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, vip := range []bool{false, true} {
		for _, i := range n.ifaces {
			if !i.upAndUsable() {
				continue
			}
			for _, a := range i.addrs {
				if a.ip == ip && (a.refcount > 0) == vip {
					if vip {
						n.log.Logf(bus.KNL, bus.Diag, "virtual IP %s is on interface %s", hostString(ip), i.name)
					} else {
						n.log.Logf(bus.KNL, bus.Diag, "%s is on interface %s", hostString(ip), i.name)
					}
					return i.name, true
				}
			}
		}
	}
	onIgnored := false
	for _, i := range n.ifaces {
		for _, a := range i.addrs {
			if a.ip == ip && a.refcount == 0 && i.up() {
				onIgnored = true
			}
		}
	}
	if !onIgnored {
		n.log.Logf(bus.KNL, bus.Diag, "%s is not a local address or the interface is down", hostString(ip))
	}
	return "", false
}

// interfaceAddressLocked picks a regular address of the given family on
// interface idx (get_interface_address); n.mu must be held.
func (n *Net) interfaceAddressLocked(idx int32, family uint8, dest, candidate netip.Addr) netip.Addr {
	return n.matchingAddressLocked(&idx, family, netip.Prefix{}, dest, candidate)
}

// matchingAddressLocked is get_matching_address: the best non-virtual
// address of the family on usable interfaces (one interface if idx is
// set), optionally inside net; a non-deprecated candidate wins.
func (n *Net) matchingAddressLocked(idx *int32, family uint8, net netip.Prefix, dest, candidate netip.Addr) netip.Addr {
	var best *addrEntry
	for _, i := range n.ifaces {
		if !i.usable || (idx != nil && i.index != *idx) {
			continue
		}
		matched := false
		for _, a := range i.addrs {
			if a.refcount > 0 || (a.ip.Is4() != (family == afInet)) {
				continue
			}
			if net.IsValid() && !net.Contains(a.ip) {
				continue
			}
			if candidate.IsValid() && candidate == a.ip && a.flags&ifaFDeprecated == 0 {
				best, matched = a, true
				break
			}
			if best == nil || addressBetter(best, a, dest, n.o.PreferTemporaryAddrs) {
				best = a
			}
		}
		if idx != nil || matched {
			break
		}
	}
	if best == nil {
		return netip.Addr{}
	}
	return best.ip
}

func (n *Net) ifindexOf(name string) int32 {
	n.log.Logf(bus.KNL, bus.Diag, "getting iface index for %s", name)
	n.mu.RLock()
	i := n.ifaceByName(name)
	n.mu.RUnlock()
	if i == nil {
		n.log.Logf(bus.KNL, bus.Control, "unable to get interface index for %s", name)
		return 0
	}
	return i.index
}

// linkIndex asks the kernel for the index of an interface (if_nametoindex
// in the socket's namespace).
func linkIndex(rt *nlSocket, name string) (int32, error) {
	req := rt.newRequest(rtmGetLink, 0)
	addRaw(req, make([]byte, sizeIfInfoMsg))
	req.AddData(nl.NewRtAttr(iflaIfname, nl.ZeroTerminated(name)))
	msgs, err := rt.query(req, rtmNewLink)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if l, err := parseLink(m); err == nil {
			return l.index, nil
		}
	}
	return 0, fmt.Errorf("interface %s: %w", name, kernel.ErrNotFound)
}
