package daemon

import (
	"net/netip"
	"runtime"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// StatusSource is everything `ipsec status`, `statusall`, `leases` and the
// list commands read from the running daemon: what charon's stroke_list.c
// takes from its globals (lib->processor, lib->scheduler, lib->plugins,
// charon->kernel, charon->backends, charon->shunts, charon->traps,
// charon->ike_sa_manager, the stroke attribute provider).
//
// The renderers call the methods from the goroutine of one stroke client,
// several clients at once, so implementations must be safe for concurrent
// use. Every slice returned is only read.
type StatusSource interface {
	ListSource

	// Now is the current time on the clock the IKE_SAs and CHILD_SAs take
	// their timestamps from (sa.Env.Clock): every "N seconds ago" and
	// "rekeying in N minutes" is a difference against it.
	Now() time.Time

	// Daemon describes the daemon for the statusall header. It is called
	// only for statusall.
	Daemon() DaemonInfo

	// Pools are the virtual IP pools (rightsourceip=), in the order of
	// their creation; none yet.
	Pools() []Pool
	// Leases are the leases of one pool, in the pool's order; nil for an
	// unknown pool.
	Leases(pool string) []Lease

	// ListenAddresses are the local addresses IKE can use: the kernel's
	// regular addresses (kernel.Net.Addresses(kernel.AddrRegular)), in the
	// kernel's order.
	ListenAddresses() []netip.Addr

	// Peers are the loaded connections in load order
	// (config.Backends.Peers).
	Peers() []*config.PeerCfg

	// Shunts are the installed PASS and DROP policies (type=passthrough or
	// type=drop conns with auto=route), in installation order.
	Shunts() []*config.ChildCfg

	// Routed are the installed trap policies (auto=route, dpdaction=hold,
	// closeaction=hold), in installation order; traps still being
	// installed are left out, as charon's trap enumerator does.
	Routed() []RoutedEntry

	// IKESACount returns the number of IKE_SAs and how many of them are
	// half-open: in state CONNECTING when last checked in, initiators
	// and responders alike (ike_sa_manager's half_open_count). Both
	// count every IKE_SA, whatever the name filter.
	IKESACount() (total, halfOpen int)

	// EachIKESA calls fn for every IKE_SA in the manager's order, each
	// checked out for the duration of the call (sa.Manager.Each). With
	// wait false, IKE_SAs another job holds are skipped instead of waited
	// for (statusall-nb).
	EachIKESA(wait bool, fn func(ike *sa.IKESA))
}

// ListSource is what the list commands need.
type ListSource interface {
	// Plugins are the loaded plugins in load order: their names make
	// statusall's "loaded plugins:" line, their features the listplugins
	// output.
	Plugins() []Plugin
}

// DaemonInfo is the daemon-wide state the statusall header shows.
type DaemonInfo struct {
	// Started is when the daemon started, on the clock of Now; the
	// "since" date is shown in local time.
	Started time.Time
	// Uname is sysname, release and machine; nil leaves the part out, as
	// charon does when uname(2) fails.
	Uname *Uname
	// WeakSwan is charon.i_dont_care_about_security_and_use_aggressive_mode_psk,
	// which makes the header say weakSwan.
	WeakSwan bool
	// Memory fills the "malloc:" line; nil leaves the line out, as charon
	// does when built without mallinfo.
	Memory *MemInfo
	// Workers are the worker pool's counters (processing.Pool.Stats).
	Workers processing.Stats
	// Scheduled is the number of jobs waiting for their time
	// (processing.Scheduler.Scheduled).
	Scheduled int
}

// Uname is what uname(2) reports (internal/version.Uname).
type Uname struct {
	Sysname, Release, Machine string
}

// MemInfo fills the "malloc: sbrk %zu, mmap %zu, used %zu, free %zu" line,
// which charon fills from glibc's mallinfo2.
type MemInfo struct {
	Sbrk, Mmap, Used, Free uint64
}

// RuntimeMemInfo maps the Go runtime's heap statistics onto the malloc line
// the way they correspond to glibc's arena: sbrk is the heap obtained from
// the OS, used what live objects occupy, free the rest of the heap, and mmap
// the memory the runtime maps beside the heap (stacks, GC metadata).
func RuntimeMemInfo() MemInfo {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return MemInfo{Sbrk: m.HeapSys, Mmap: m.Sys - m.HeapSys, Used: m.HeapAlloc, Free: m.HeapSys - m.HeapAlloc}
}

// Pool is one virtual IP pool with its lease counters.
type Pool struct {
	Name                  string
	Size, Online, Offline uint32
}

// Lease is an address of a pool handed to a peer.
type Lease struct {
	ID     *credentials.Identity
	Addr   netip.Addr
	Online bool
}

// RoutedEntry is one installed trap policy: the trap manager's CHILD_SA,
// reduced to what status shows.
type RoutedEntry struct {
	Name     string
	UniqueID uint32
	// State is ROUTED, or CREATED for a conn with installpolicy=no, whose
	// trap holds a reqid but installs no policy (charon shows the state).
	State sa.ChildState
	Mode  kernel.Mode
	// Proxy is set for transport_proxy mode (OptProxyMode).
	Proxy             bool
	ReqID             uint32
	LocalTS, RemoteTS []selectors.TS
}

// RoutedFromChild describes the trap manager's CHILD_SA of a trap; the
// caller must own c (trap CHILD_SAs do not change once installed).
func RoutedFromChild(c *sa.ChildSA) RoutedEntry {
	return RoutedEntry{Name: c.Name(), UniqueID: c.UniqueID(), State: c.State(), Mode: c.Mode(),
		Proxy: c.Config().Has(config.OptProxyMode), ReqID: c.ReqID(),
		LocalTS: c.TS(true), RemoteTS: c.TS(false)}
}

// FeatureKind says how a plugin relates to a feature.
type FeatureKind uint8

const (
	// FeatureProvide: the plugin provides the feature.
	FeatureProvide FeatureKind = iota
	// FeatureDepends: the provided feature above needs this one.
	FeatureDepends
	// FeatureSoftDepends: it uses this one if present.
	FeatureSoftDepends
)

// Feature is one line of listplugins: "CRYPTER:AES_CBC-16",
// "CUSTOM:kernel-ipsec", "NONCE_GEN".
type Feature struct {
	Kind FeatureKind
	Name string
	// NotLoaded marks a provided feature that failed to load.
	NotLoaded bool
}

// Plugin is one loaded plugin: the name shown in "loaded plugins:" and
// the features listplugins shows, each provided feature followed by its
// dependencies.
type Plugin struct {
	Name     string
	Features []Feature
}
