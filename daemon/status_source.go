package daemon

import (
	"net/netip"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/internal/version"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
)

// The daemon is the source of ipsec status/statusall and the list
// commands.
var _ StatusSource = (*Daemon)(nil)

// lister answers status and list requests.
func (d *Daemon) lister() StrokeList { return StrokeList{Src: d} }

// pluginFeatures are the features listplugins shows for the plugins whose
// function goswan has, named as charon names them.
var pluginFeatures = map[string][]Feature{
	"random":          {{Kind: FeatureProvide, Name: "RNG:STRONG"}, {Kind: FeatureProvide, Name: "RNG:TRUE"}},
	"nonce":           {{Kind: FeatureProvide, Name: "NONCE_GEN"}, {Kind: FeatureDepends, Name: "RNG:WEAK"}},
	"kdf":             {{Kind: FeatureProvide, Name: "KDF:KDF_PRF"}, {Kind: FeatureProvide, Name: "KDF:KDF_PRF_PLUS"}},
	"stroke":          {{Kind: FeatureProvide, Name: "CUSTOM:stroke"}, {Kind: FeatureDepends, Name: "CUSTOM:kernel-ipsec"}},
	"kernel-netlink":  {{Kind: FeatureProvide, Name: "CUSTOM:kernel-ipsec"}, {Kind: FeatureProvide, Name: "CUSTOM:kernel-net"}},
	"kernel-libipsec": {{Kind: FeatureProvide, Name: "CUSTOM:kernel-ipsec"}},
	"socket-default":  {{Kind: FeatureProvide, Name: "CUSTOM:socket"}, {Kind: FeatureSoftDepends, Name: "CUSTOM:kernel-ipsec"}},
	"updown":          {{Kind: FeatureProvide, Name: "CUSTOM:updown"}},
	"resolve":         {{Kind: FeatureProvide, Name: "CUSTOM:resolve"}},
}

// Plugins implements ListSource.
func (d *Daemon) Plugins() []Plugin {
	out := make([]Plugin, 0, len(d.plugins))
	for _, name := range d.plugins {
		out = append(out, Plugin{Name: name, Features: pluginFeatures[name]})
	}
	return out
}

// Now implements StatusSource.
func (d *Daemon) Now() time.Time { return d.env.Clock.Now() }

// Daemon implements StatusSource.
func (d *Daemon) Daemon() DaemonInfo {
	info := DaemonInfo{
		Started:  d.started,
		WeakSwan: d.Settings().Bool("charon.i_dont_care_about_security_and_use_aggressive_mode_psk", false),
	}
	if sys, rel, machine, ok := version.Uname(); ok {
		info.Uname = &Uname{Sysname: sys, Release: rel, Machine: machine}
	}
	mem := RuntimeMemInfo()
	info.Memory = &mem
	if d.pool != nil {
		info.Workers = d.pool.Stats()
	}
	if d.sched != nil {
		info.Scheduled = d.sched.Scheduled()
	}
	return info
}

// Pools implements StatusSource: the stroke plugin's pools that hold
// addresses.
func (d *Daemon) Pools() []Pool {
	if d.pools == nil {
		return nil
	}
	var out []Pool
	for _, p := range d.pools.List() {
		out = append(out, Pool{Name: p.Name, Size: p.Size, Online: p.Online, Offline: p.Offline})
	}
	return out
}

// Leases implements StatusSource.
func (d *Daemon) Leases(pool string) []Lease {
	if d.pools == nil {
		return nil
	}
	leases, _ := d.pools.Leases(pool)
	out := make([]Lease, len(leases))
	for i, l := range leases {
		out[i] = Lease{ID: l.ID, Addr: l.Addr, Online: l.Online}
	}
	return out
}

// ListenAddresses implements StatusSource.
func (d *Daemon) ListenAddresses() []netip.Addr {
	if d.net == nil {
		return nil
	}
	addrs, err := d.net.Addresses(kernel.AddrRegular)
	if err != nil {
		return nil
	}
	return addrs
}

// Peers implements StatusSource.
func (d *Daemon) Peers() []*config.PeerCfg { return d.backends.Peers() }

// Shunts implements StatusSource.
func (d *Daemon) Shunts() []*config.ChildCfg {
	var out []*config.ChildCfg
	for _, s := range d.shunts.Shunts() {
		out = append(out, s.Config)
	}
	return out
}

// Routed implements StatusSource, oldest trap first.
func (d *Daemon) Routed() []RoutedEntry {
	traps := d.traps.Traps()
	out := make([]RoutedEntry, 0, len(traps))
	for i := len(traps) - 1; i >= 0; i-- {
		out = append(out, RoutedFromChild(traps[i].Child))
	}
	return out
}

// IKESACount implements StatusSource.
func (d *Daemon) IKESACount() (total, halfOpen int) {
	return d.manager.Count(), d.manager.HalfOpen()
}

// EachIKESA implements StatusSource.
func (d *Daemon) EachIKESA(wait bool, fn func(*sa.IKESA)) { d.manager.Each(0, wait, fn) }

// EachIKESANamed implements namedSource.
func (d *Daemon) EachIKESANamed(wait bool, name string, fn func(*sa.IKESA)) {
	d.manager.EachNamed(0, wait, name, fn)
}
