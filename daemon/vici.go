package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/vici"
)

// loadVici starts the vici plugin (vici_plugin.c): its socket, its
// commands and events, its conns and shared keys beside stroke's. A socket
// that cannot be created unloads the plugin, as in charon, where the rest
// of the daemon runs on.
func (d *Daemon) loadVici() {
	s := d.Settings()
	uri := s.Str("charon.plugins.vici.socket", "unix://"+filepath.Join(d.opts.PidDir, "charon.vici"))
	deps := vici.Deps{
		Env:     d.env,
		Traps:   d.traps,
		Shunts:  d.shunts,
		Control: viciControl{d.controller},
		Daemon:  viciDaemon{d},
	}
	deps.Features.Certs = &vici.ManagerStore{M: d.certs, Log: (&strokeCred{d: d}).credLog, Opts: credentials.ConstraintOptions{
		RSAPSS:                   s.Bool("charon.rsa_pss", false),
		SignatureAuthConstraints: s.Bool("charon.signature_authentication_constraints", true),
	}}
	// A nil *Counters in the interface would look like a loaded plugin.
	if d.counters != nil {
		deps.Counters = d.counters
	}
	if d.viciPools != nil {
		deps.Features.Pools = d.viciPools
	}
	p, err := vici.Start(vici.ServerConfig{URI: uri, UID: -1, GID: -1, Log: bus.Ctx{Bus: d.bus}}, deps)
	if err != nil {
		d.logf(bus.LIB, bus.Control, "feature CUSTOM:vici in plugin 'vici' failed to load")
		d.logf(bus.LIB, bus.Control, "unloading plugin 'vici' without loaded features")
		if d.viciPools != nil {
			d.attrs.RemoveProvider(d.viciPools)
			d.viciPools = nil
		}
		for i, name := range d.plugins {
			if name == "vici" {
				d.plugins = append(d.plugins[:i:i], d.plugins[i+1:]...)
				break
			}
		}
		return
	}
	d.vici = p
	d.onClose(p.Close)
}

// viciControl adapts the controller to the plugin's interface.
type viciControl struct{ c *Controller }

// ViciControl gives the vici plugin a controller (for tests that run the
// plugin on a simulated daemon).
func ViciControl(c *Controller) vici.Controller { return viciControl{c} }

func viciResult(r Result) vici.Result {
	switch r {
	case ResultSuccess:
		return vici.Success
	case ResultTimeout:
		return vici.Timeout
	case ResultNotFound:
		return vici.NotFound
	case ResultInvalidState:
		return vici.InvalidState
	}
	return vici.Failed
}

func viciLog(cb vici.LogFunc) LogFunc {
	if cb == nil {
		return nil
	}
	return func(g bus.Group, l bus.Level, sa bus.SAInfo, msg string) bool { return cb(g, l, sa, msg) }
}

func (v viciControl) Initiate(ctx context.Context, peer *config.PeerCfg, child *config.ChildCfg, cb vici.LogFunc, timeout time.Duration, limits bool) vici.Result {
	return viciResult(v.c.Initiate(ctx, peer, child, viciLog(cb), timeout, limits))
}

func (v viciControl) TerminateIKE(ctx context.Context, id uint32, force bool, cb vici.LogFunc, timeout time.Duration) vici.Result {
	return viciResult(v.c.TerminateIKE(ctx, id, force, viciLog(cb), timeout))
}

func (v viciControl) TerminateChild(ctx context.Context, id uint32, cb vici.LogFunc, timeout time.Duration) vici.Result {
	return viciResult(v.c.TerminateChild(ctx, id, viciLog(cb), timeout))
}

// viciDaemon gives the plugin the daemon's figures and settings.
type viciDaemon struct{ d *Daemon }

func (v viciDaemon) Stats() vici.Stats {
	d := v.d
	st := vici.Stats{Started: d.started, StartedWall: d.started, Plugins: append([]string(nil), d.plugins...)}
	if d.pool != nil {
		st.Workers = d.pool.Stats()
	}
	if d.sched != nil {
		st.Scheduled = d.sched.Scheduled()
	}
	m := RuntimeMemInfo()
	st.Mallinfo = &[4]uint64{m.Sbrk, m.Mmap, m.Used, m.Free}
	return st
}

func (v viciDaemon) ReloadSettings() error { return v.d.reloadSettings() }

func (v viciDaemon) ConfPath() string { return v.d.opts.ConfPath }

// algorithmSections are get-algorithms' section names in listalgs' order.
var algorithmSections = [numAlgorithmClasses]string{"encryption", "integrity", "aead", "hasher", "prf", "xof",
	"kdf", "drbg", "dh", "rng", "nonce-gen"}

func (v viciDaemon) Algorithms() []vici.AlgorithmSection {
	reg := RegisteredAlgorithms()
	out := make([]vici.AlgorithmSection, 0, len(reg))
	for i, algs := range reg {
		s := vici.AlgorithmSection{Name: algorithmSections[i]}
		for _, a := range algs {
			s.Algs = append(s.Algs, vici.Algorithm{Name: a.Name, Provider: a.Provider})
		}
		out = append(out, s)
	}
	return out
}

func (v viciDaemon) SocketPort() uint16 { return v.d.socketPort() }

// errReload says strongswan.conf could not be read.
var errReload = errors.New("reloading strongswan.conf failed")
