// Package hosts is the address plan of strongSwan's test topology: the eight
// hosts, their interfaces and addresses, and the extra names of
// testing/hosts/default/etc/hosts. The scenario placeholders (PH_IP_*) and the
// namespace topology are both derived from this one table.
package hosts

import "slices"

// Network is one broadcast segment of the topology.
type Network string

const (
	// Internet is 192.168.0.0/24 (fec0::/16), shared by the gateways, the
	// roadwarriors and winnetou.
	Internet Network = "internet"
	// Net1 is 10.1.0.0/16 (fec1::/16) behind moon.
	Net1 Network = "net1"
	// Net2 is 10.2.0.0/16 (fec2::/16) behind sun.
	Net2 Network = "net2"
)

// Iface is one interface of a host. Addresses carry their prefix length.
type Iface struct {
	Name string // eth0, eth1
	Net  Network
	IPv4 string
	IPv6 string
	// Manual interfaces exist but are down and unaddressed, like a Debian
	// interface without "auto": alice's eth1 on the internet segment would
	// otherwise answer roadwarriors directly, around moon's tunnel. A
	// scenario that needs one configures it itself.
	Manual bool
}

// Host is one machine of the topology.
type Host struct {
	Name string
	// IPv4 and IPv6 are the addresses that PH_IP_<HOST> and PH_IP6_<HOST>
	// stand for; IPv4b and IPv6b are PH_IP_<HOST>1 and PH_IP6_<HOST>1 (for
	// carol and dave these are their virtual IPs, not interface addresses).
	IPv4, IPv4b string
	IPv6, IPv6b string
	Ifaces      []Iface
	Gateway4    string // default route, "" for none
	Gateway6    string
	Forward     bool // routes between its interfaces (the gateways)
}

// All lists the hosts in the order of strongSwan's STRONGSWANHOSTS, which is
// also the order in which placeholders are substituted.
var All = []Host{
	{Name: "alice", IPv4: "10.1.0.10", IPv4b: "192.168.0.50", IPv6: "fec1::10", IPv6b: "fec0::5",
		Ifaces: []Iface{
			{Name: "eth0", Net: Net1, IPv4: "10.1.0.10/16", IPv6: "fec1::10/16"},
			{Name: "eth1", Net: Internet, IPv4: "192.168.0.50/24", IPv6: "fec0::5/16", Manual: true},
		},
		Gateway4: "10.1.0.1", Gateway6: "fec1::1"},
	{Name: "bob", IPv4: "10.2.0.10", IPv6: "fec2::10",
		Ifaces:   []Iface{{Name: "eth0", Net: Net2, IPv4: "10.2.0.10/16", IPv6: "fec2::10/16"}},
		Gateway4: "10.2.0.1", Gateway6: "fec2::1"},
	{Name: "carol", IPv4: "192.168.0.100", IPv4b: "10.3.0.1", IPv6: "fec0::10", IPv6b: "fec3::1",
		Ifaces: []Iface{{Name: "eth0", Net: Internet, IPv4: "192.168.0.100/24", IPv6: "fec0::10/16"}}},
	{Name: "dave", IPv4: "192.168.0.200", IPv4b: "10.3.0.2", IPv6: "fec0::20", IPv6b: "fec3::2",
		Ifaces: []Iface{{Name: "eth0", Net: Internet, IPv4: "192.168.0.200/24", IPv6: "fec0::20/16"}}},
	{Name: "moon", IPv4: "192.168.0.1", IPv4b: "10.1.0.1", IPv6: "fec0::1", IPv6b: "fec1::1",
		Ifaces: []Iface{
			{Name: "eth0", Net: Internet, IPv4: "192.168.0.1/24", IPv6: "fec0::1/16"},
			{Name: "eth1", Net: Net1, IPv4: "10.1.0.1/16", IPv6: "fec1::1/16"},
		},
		Forward: true},
	{Name: "sun", IPv4: "192.168.0.2", IPv4b: "10.2.0.1", IPv6: "fec0::2", IPv6b: "fec2::1",
		Ifaces: []Iface{
			{Name: "eth0", Net: Internet, IPv4: "192.168.0.2/24", IPv6: "fec0::2/16"},
			{Name: "eth1", Net: Net2, IPv4: "10.2.0.1/16", IPv6: "fec2::1/16"},
		},
		Forward: true},
	{Name: "venus", IPv4: "10.1.0.20", IPv6: "fec1::20",
		Ifaces:   []Iface{{Name: "eth0", Net: Net1, IPv4: "10.1.0.20/16", IPv6: "fec1::20/16"}},
		Gateway4: "10.1.0.1", Gateway6: "fec1::1"},
	{Name: "winnetou", IPv4: "192.168.0.150", IPv6: "fec0::15",
		Ifaces: []Iface{{Name: "eth0", Net: Internet, IPv4: "192.168.0.150/24", IPv6: "fec0::15/16"}}},
}

// Names returns the host names in All's order.
func Names() []string {
	n := make([]string, len(All))
	for i, h := range All {
		n[i] = h.Name
	}
	return n
}

// Lookup finds a host by name.
func Lookup(name string) (Host, bool) {
	i := slices.IndexFunc(All, func(h Host) bool { return h.Name == name })
	if i < 0 {
		return Host{}, false
	}
	return All[i], true
}
