package daemon

import (
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/load_tester"
)

// loadTesterEnabled is what load_tester_plugin_create checks first: the
// plugin exists only with charon.plugins.load-tester.enable.
func (d *Daemon) loadTesterEnabled() bool {
	if d.Settings().Bool("charon.plugins.load-tester.enable", false) {
		return true
	}
	d.logf(bus.CFG, bus.Control, "disabling load-tester plugin, not configured")
	return false
}

// loadTesterKernel is the load tester's fake IPsec kernel if it is
// configured (fake_kernel) and its plugin loads before the real kernel
// interfaces: as in charon, the first IPsec backend registered wins.
func (d *Daemon) loadTesterKernel(plugins []string) kernel.IPsec {
	if !d.Settings().Bool("charon.plugins.load-tester.fake_kernel", false) {
		return nil
	}
	i := slices.Index(plugins, "load-tester")
	if i < 0 {
		return nil
	}
	for _, k := range []string{"kernel-libipsec", "kernel-netlink"} {
		if j := slices.Index(plugins, k); j >= 0 && j < i {
			return nil
		}
	}
	return load_tester.NewKernel()
}

// startLoadTester starts the plugin's backend, credentials, listener and
// initiators. Authentication goswan does not do yet leaves it off, said so
// in the log, rather than half working.
func (d *Daemon) startLoadTester() {
	o := load_tester.OptionsFrom(d.Settings())
	for _, auth := range []string{o.InitiatorAuth, o.ResponderAuth} {
		for _, m := range strings.FieldsFunc(auth, func(r rune) bool { return r == '|' || r == ' ' }) {
			f := feature.Certificates
			switch {
			case m == "psk":
				continue
			case strings.HasPrefix(m, "eap"):
				f = feature.EAP
			case strings.HasPrefix(m, "xauth"):
				f = feature.XAuth
			}
			if !f.Supported {
				d.logf(bus.CFG, bus.Control, "load-tester authentication '%s' needs %s, which goswan does not do yet; load-tester not started", m, f.Name)
				return
			}
		}
	}
	d.loadTester = load_tester.Start(o, load_tester.Deps{
		Env: d.env,
		Log: bus.Ctx{Bus: d.bus},
		Shutdown: func() {
			// charon raises SIGTERM, which ends it as any SIGTERM does
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		},
	})
	d.onClose(func() error { d.loadTester.Stop(); return nil })
}
