package kernel_netlink

import "net/netip"

// routeEntry is a route installed in the IPsec routing table, strongSwan's
// route_entry_t. It is comparable: two requests for the same route are ==.
type routeEntry struct {
	dst     netip.Prefix
	gateway netip.Addr // may be invalid (no gateway)
	src     netip.Addr // source address (virtual IP), may be unspecified for bypass routes
	ifname  string
	pass    bool // a throw route for a bypass policy
}
