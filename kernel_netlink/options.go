package kernel_netlink

import (
	"github.com/vishvananda/netns"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
)

// Options configure the backend. The zero value is charon's defaults as
// Debian builds it (routing table 220 with rule priority 220); the daemon
// fills it from strongswan.conf. Fields name the strongswan.conf key they
// come from.
type Options struct {
	// Log receives KNL messages (nil: discarded).
	Log bus.Logger
	// Listener receives kernel events (acquire, expire, mapping, migrate,
	// roam). It may be nil and set later with SetListener. Its methods are
	// called from the event goroutines, one event at a time, and must not
	// block (queue a job, as charon's kernel handler does): a stalled
	// reader makes the kernel drop events (ENOBUFS).
	Listener kernel.Listener
	// NetNS, when valid (> 0), is the network namespace all sockets are
	// opened in; otherwise the calling thread's namespace is used.
	NetNS netns.NsHandle

	// SPIMin, SPIMax: charon.spi_min/spi_max (default 0xc0000000-0xcfffffff).
	SPIMin, SPIMax uint32

	// RoutingTable and RoutingTablePrio: charon.routing_table (default 220)
	// and charon.routing_table_prio (default 220). NoRoutingTable selects
	// the main table (routing_table = 0), where routes go without a rule.
	RoutingTable, RoutingTablePrio uint32
	NoRoutingTable                 bool
	// NoInstallRoutes: charon.install_routes = no.
	NoInstallRoutes bool
	// NoInstallVirtualIP: charon.install_virtual_ip = no.
	NoInstallVirtualIP bool
	// InstallVirtualIPOn: charon.install_virtual_ip_on.
	InstallVirtualIPOn string
	// InterfacesIgnore / InterfacesUse: charon.interfaces_ignore and
	// charon.interfaces_use (use wins when both are given).
	InterfacesIgnore, InterfacesUse []string
	// IgnoreRoutingTables: charon.ignore_routing_tables.
	IgnoreRoutingTables []uint32
	// NoProcessRoute: charon.process_route = no.
	NoProcessRoute bool
	// PreferTemporaryAddrs: charon.prefer_temporary_addrs.
	PreferTemporaryAddrs bool
	// NoRoamEvents: charon.plugins.kernel-netlink.roam_events = no.
	NoRoamEvents bool
	// ProcessRules: charon.plugins.kernel-netlink.process_rules.
	ProcessRules bool
	// MTU, MSS: charon.plugins.kernel-netlink.mtu/mss on installed routes.
	MTU, MSS uint32

	// PolicyUpdate: charon.plugins.kernel-netlink.policy_update (always
	// install policies with UPDPOLICY).
	PolicyUpdate bool
	// PortBypass: charon.plugins.kernel-netlink.port_bypass (port-based
	// instead of per-socket IKE bypass policies).
	PortBypass bool
	// ProtoPortTransport: charon.plugins.kernel-netlink.set_proto_port_transport_sa.
	ProtoPortTransport bool
	// XfrmAcqExpires: charon.plugins.kernel-netlink.xfrm_acq_expires,
	// written to /proc/sys/net/core/xfrm_acq_expires (default 165, charon's
	// total retransmission timeout with the default retransmit settings).
	// Set NoXfrmAcqExpires to leave the sysctl alone.
	XfrmAcqExpires   uint32
	NoXfrmAcqExpires bool
	// HWOffloadInterface: charon.plugins.kernel-netlink.hw_offload_feature_interface.
	HWOffloadInterface string
	// FWMark: charon.plugins.kernel-netlink.fwmark, "[!]mark[/mask]" on
	// the routing rule of RoutingTable.
	FWMark string
	// NoEvents: do not subscribe to kernel events (starter's mode).
	NoEvents bool
}

// Defaults of the options that are not zero in charon.
const (
	DefaultRoutingTable     = 220
	DefaultRoutingTablePrio = 220
	DefaultXfrmAcqExpires   = 165
)

func (o *Options) setDefaults() {
	if o.Log == nil {
		o.Log = bus.Discard
	}
	if o.SPIMin == 0 && o.SPIMax == 0 {
		o.SPIMin, o.SPIMax = kernel.SPIMin, kernel.SPIMax
	}
	if o.SPIMin > o.SPIMax {
		o.SPIMin, o.SPIMax = o.SPIMax, o.SPIMin
	}
	if o.NoRoutingTable {
		o.RoutingTable = 0
	} else if o.RoutingTable == 0 {
		o.RoutingTable = DefaultRoutingTable
	}
	if o.RoutingTablePrio == 0 {
		o.RoutingTablePrio = DefaultRoutingTablePrio
	}
	if o.XfrmAcqExpires == 0 {
		o.XfrmAcqExpires = DefaultXfrmAcqExpires
	}
	if o.HWOffloadInterface == "" {
		o.HWOffloadInterface = "lo"
	}
}
