// Package daemon assembles charon: settings, loggers, the kernel
// interface, the IKE socket, the IKE_SA manager, the stroke socket and its
// handlers, and runs them until shutdown (strongSwan's daemon.c, charon.c
// and the stroke plugin). cmd/charon is a thin shell around it.
package daemon

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/counters"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/ha_state"
	"github.com/goswan/goswan/internal/version"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/load_tester"
	"github.com/goswan/goswan/network"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/tasks"
	"github.com/goswan/goswan/vici"
)

// DefaultPidDir is strongSwan's IPSEC_PIDDIR: the PID file and the stroke
// socket live there.
const DefaultPidDir = "/var/run"

// Options are what charon's command line and environment decide.
type Options struct {
	// ConfPath is strongswan.conf (STRONGSWAN_CONF, else the default).
	ConfPath string
	// Levels are the --debug-<group> levels; they apply to the default
	// loggers used when strongswan.conf configures none.
	Levels bus.Levels
	// UseSyslog (--use-syslog) keeps the default loggers off stderr.
	UseSyslog bool
	// PidDir holds the PID file (charon.pid) and, unless strongswan.conf
	// names another, the stroke socket (charon.ctl); "" means
	// DefaultPidDir. goswan's ipsec passes GOSWAN_PIDDIR here, so that a
	// non-standard layout (tests, several daemons on one host) works.
	PidDir string
	// PidFile is the PID file; "" means PidDir/charon.pid, "-" none.
	PidFile string
}

// Daemon is a running charon.
type Daemon struct {
	opts Options
	// conf is strongswan.conf, swapped as a whole on SIGHUP while stroke
	// requests read it.
	conf    atomic.Pointer[settings.Settings]
	bus     *bus.Bus
	sinkMu  sync.Mutex // sinks change on SIGHUP and ipsec stroke loglevel
	sinks   []bus.Sink
	plugins []string

	pool  *processing.Pool
	sched *processing.Scheduler
	// poolStop starts the workers' stop once; poolStopped closes when
	// the last running job has returned.
	poolStop    sync.Once
	poolStopped chan struct{}
	env         *sa.Env
	manager     *sa.Manager
	backends    *config.Backends
	creds       *credentials.Store
	certs       *credentials.Manager
	// ipsecDir is /etc/ipsec.d (tests use their own).
	ipsecDir string

	// attrs is charon's attribute manager; the stroke plugin adds its
	// pools (rightsourceip=, rightdns=) and connRequests (leftdns=), the
	// attr plugin attrPlugin, the resolve plugin resolve.
	attrs        *attributes.Manager
	pools        *attributes.Pools
	haState      *ha_state.Plugin
	connRequests *attributes.ConnRequests
	attrPlugin   *attributes.Attr
	resolve      *resolveHandler
	viciPools    *vici.Pools
	loadTester   *load_tester.Plugin

	ipsec kernel.IPsec
	net   kernel.Net
	sock  *network.Socket

	traps      *sa.TrapManager
	shunts     *sa.ShuntManager
	controller *Controller
	stroke     *stroke.Server
	cred       *strokeCred
	ca         *strokeCA
	vici       *vici.Plugin
	counters   *counters.Counters

	started time.Time
	pidFile *os.File

	closeOnce sync.Once
	closers   []func() error // in reverse order of creation
}

func (d *Daemon) logf(g bus.Group, l bus.Level, format string, args ...any) {
	d.bus.Log(0, nil, g, l, format, args...)
}

// New loads the configuration and sets up every part of the daemon; Run
// starts it. On error, whatever was set up is torn down again.
func New(opts Options) (d *Daemon, err error) {
	if opts.ConfPath == "" {
		opts.ConfPath = settings.Path()
	}
	if opts.PidDir == "" {
		opts.PidDir = DefaultPidDir
	}
	if opts.PidFile == "" {
		opts.PidFile = filepath.Join(opts.PidDir, "charon.pid")
	}
	d = &Daemon{opts: opts, bus: bus.New(), started: time.Now()}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	var conf *settings.Settings
	conf, err = settings.Load(opts.ConfPath, nil)
	if err != nil {
		// charon goes on with what it could read; a missing file is no
		// problem (the defaults apply).
		if conf == nil {
			conf = settings.Empty()
		}
		if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "00[LIB] %v\n", err)
		}
	}
	d.conf.Store(conf)
	if err = d.loadLoggers(); err != nil {
		return d, err
	}
	if sys, rel, machine, ok := version.Uname(); ok {
		d.logf(bus.DMN, bus.Control, "Starting IKE charon daemon (strongSwan %s, %s %s, %s)", version.StrongSwan, sys, rel, machine)
	} else {
		d.logf(bus.DMN, bus.Control, "Starting IKE charon daemon (strongSwan %s)", version.StrongSwan)
	}
	d.logf(bus.DMN, bus.Diag, "goswan %s", version.Goswan)
	if err = d.initialize(); err != nil {
		d.logf(bus.DMN, bus.Control, "initialization failed - aborting charon")
		return d, err
	}
	if err = d.checkPidFile(); err != nil {
		return d, err
	}
	return d, nil
}

func (d *Daemon) onClose(f func() error) { d.closers = append(d.closers, f) }

// initialize loads the "plugins" charon.load names, as charon's
// initialize does: first the parts the core needs (the IKE socket, the
// kernel interfaces), then the core on them, then what hangs off it
// (kernel events, received packets, updown, stroke and the credentials).
func (d *Daemon) initialize() error {
	s := d.Settings()
	d.logUnsupported(s)
	st := readSettings(s)
	d.backends = &config.Backends{Resolve: resolveHost}
	d.creds = credentials.NewStore()
	d.attrs = attributes.NewManager()
	d.certs = credentials.NewManager()
	d.certs.Rand = rand.Reader
	d.pool = processing.NewPool(s.Int("charon.threads", 16))
	d.onClose(func() error { d.stopJobs(jobsStopTimeout); return nil })
	d.sched = processing.NewScheduler(processing.RealClock{}, d.pool)
	plugins, err := d.pluginList()
	if err != nil {
		return err
	}
	// a gateway that takes up saved IKE_SAs announces RFC 6311 support
	st.MIDSyncResponder = slices.Contains(plugins, "ha-state")
	if err := d.openBackends(plugins, st); err != nil {
		return err
	}
	d.env = &sa.Env{
		Clock:          processing.RealClock{},
		Rand:           rand.Reader,
		Sender:         senderFunc(d.sendIKE),
		Bus:            d.bus,
		Kernel:         d.ipsec,
		Net:            d.net,
		Backends:       d.backends,
		Creds:          d.creds,
		Attributes:     d.attrs,
		Certs:          d.certs,
		Settings:       st,
		EAP:            d.newEAP(plugins),
		Resolve:        resolveHost,
		NewTaskManager: tasks.New,
	}
	d.manager = sa.NewManager(d.env, d.sched, d.pool)
	if st.DOSProtection && st.CookieThresholdIP >= st.BlockThreshold {
		// As charon's receiver says it when it is created; the core
		// raises the threshold the same way on every check.
		d.logf(bus.NET, bus.Control, "increasing block threshold to %d due to per-IP cookie threshold of %d",
			st.CookieThresholdIP+1, st.CookieThresholdIP)
	}
	d.traps = sa.NewTrapManager(d.env)
	d.traps.IgnoreAcquireTS = s.Bool("charon.ignore_acquire_ts", false)
	d.shunts = sa.NewShuntManager(d.env)
	d.controller = NewController(d.env)
	return d.startPlugins(plugins)
}

// logUnsupported logs the options of strongswan.conf that ask for what
// goswan does not do yet; the core reads them as unset.
func (d *Daemon) logUnsupported(s *settings.Settings) {
	for _, r := range s.Unsupported("charon") {
		d.logf(bus.CFG, bus.Control, "%s; ignored", r.Reason())
	}
}

// socketPort is the IKE port of the socket (charon.port).
func (d *Daemon) socketPort() uint16 {
	if d.sock != nil {
		return d.sock.Port(false)
	}
	return d.env.Settings.Port
}

// readSettings reads the charon.* options the protocol core uses.
func readSettings(s *settings.Settings) sa.Settings {
	st := sa.DefaultSettings()
	st.RetransmitTries = uint32(s.Int("charon.retransmit_tries", int(st.RetransmitTries)))
	st.RetransmitTimeout = s.Double("charon.retransmit_timeout", st.RetransmitTimeout)
	st.RetransmitBase = s.Double("charon.retransmit_base", st.RetransmitBase)
	st.RetransmitJitter = uint32(min(max(s.Int("charon.retransmit_jitter", 0), 0), 20))
	st.RetransmitLimit = uint32(max(s.Int("charon.retransmit_limit", 0), 0))
	st.DeleteRekeyedDelay = s.Time("charon.delete_rekeyed_delay", st.DeleteRekeyedDelay)
	st.DeleteRekeyedOutboundDelay = max(s.Double("charon.delete_rekeyed_outbound_delay", st.DeleteRekeyedOutboundDelay), 0)
	st.HalfOpenTimeout = s.Time("charon.half_open_timeout", st.HalfOpenTimeout)
	st.ReuseIKESA = s.Bool("charon.reuse_ikesa", st.ReuseIKESA)
	// Refused in initialize when set: goswan reauthenticates break-before-make.
	st.MakeBeforeBreak = feature.MakeBeforeBreak.Supported && s.Bool("charon.make_before_break", st.MakeBeforeBreak)
	st.KeepReqIDs = s.Bool("charon.keep_reqids", st.KeepReqIDs)
	st.FragmentSize = s.Int("charon.fragment_size", st.FragmentSize)
	if st.FragmentSize == 0 {
		st.FragmentSize = 1280
	}
	st.PreferConfiguredProposals = s.Bool("charon.prefer_configured_proposals", st.PreferConfiguredProposals)
	st.AcceptPrivateAlgs = s.Bool("charon.accept_private_algs", st.AcceptPrivateAlgs)
	st.SendVendorID = s.Bool("charon.send_vendor_id", st.SendVendorID)
	st.MultipleAuthentication = s.Bool("charon.multiple_authentication", st.MultipleAuthentication)
	st.SignatureAuthentication = s.Bool("charon.signature_authentication", st.SignatureAuthentication)
	st.ForceEAPOnlyAuthentication = s.Bool("charon.force_eap_only_authentication", false)
	st.FollowRedirects = s.Bool("charon.follow_redirects", st.FollowRedirects)
	st.KeepAlive = s.Time("charon.keep_alive", st.KeepAlive)
	st.ReplayWindow = uint32(s.Int("charon.replay_window", int(st.ReplayWindow)))
	st.InstallRoutes = s.Bool("charon.install_routes", st.InstallRoutes)
	st.InstallVirtualIP = s.Bool("charon.install_virtual_ip", st.InstallVirtualIP)
	st.CloseIKEOnChildFailure = s.Bool("charon.close_ike_on_child_failure", st.CloseIKEOnChildFailure)
	st.InactivityCloseIKE = s.Bool("charon.inactivity_close_ike", st.InactivityCloseIKE)
	st.SPIMin = uint32(s.Uint64("charon.spi_min", uint64(st.SPIMin)))
	st.SPIMax = uint32(s.Uint64("charon.spi_max", uint64(st.SPIMax)))
	st.IKESALimit = uint32(s.Int("charon.ikesa_limit", 0))
	st.InitLimitHalfOpen = uint32(s.Int("charon.init_limit_half_open", 0))
	st.InitLimitJobLoad = uint32(s.Int("charon.init_limit_job_load", 0))
	st.MaxPacket = s.Int("charon.max_packet", st.MaxPacket)
	st.CookieThreshold = uint32(s.Int("charon.cookie_threshold", int(st.CookieThreshold)))
	st.BlockThreshold = uint32(s.Int("charon.block_threshold", int(st.BlockThreshold)))
	st.CookieThresholdIP = uint32(s.Int("charon.cookie_threshold_ip", int(st.CookieThresholdIP)))
	st.DOSProtection = s.Bool("charon.dos_protection", st.DOSProtection)
	st.InitiatorOnly = s.Bool("charon.initiator_only", st.InitiatorOnly)
	st.Port = uint16(s.Int("charon.port", int(st.Port)))
	st.NATTPort = uint16(s.Int("charon.port_nat_t", int(st.NATTPort)))
	st.PreferBestPath = s.Bool("charon.prefer_best_path", false)
	st.CheckCurrentPath = s.Bool("charon.check_current_path", false)
	v4 := s.Bool("charon.plugins.socket-default.use_ipv4", true)
	v6 := s.Bool("charon.plugins.socket-default.use_ipv6", true)
	switch {
	case v4 && !v6:
		st.SocketFamily = 4
	case v6 && !v4:
		st.SocketFamily = 6
	}
	return st
}

// resolveHost resolves a host name from a configuration with a bounded
// DNS lookup (charon's host_create_from_dns).
func resolveHost(name string, want4, want6 bool) (netip.Addr, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	network := "ip"
	switch {
	case want4 && !want6:
		network = "ip4"
	case want6 && !want4:
		network = "ip6"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, network, name)
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, false
	}
	return addrs[0].Unmap(), true
}

// Run starts the workers' input (sockets, stroke) and serves until ctx is
// done, then shuts down as charon does on SIGTERM.
func (d *Daemon) Run(ctx context.Context) error {
	d.logf(bus.JOB, bus.Control, "spawning %d worker threads", d.Settings().Int("charon.threads", 16))
	errc := make(chan error, 1)
	go trimMemory(ctx)
	if d.stroke != nil {
		go func() { errc <- d.stroke.Serve() }()
	}
	if d.vici != nil {
		go func() {
			if err := d.vici.Serve(); err != nil {
				d.logf(bus.CFG, bus.Control, "vici socket failed: %v", err)
			}
		}()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil {
			d.logf(bus.CFG, bus.Control, "stroke socket failed: %v", err)
		}
		<-ctx.Done()
	}
	d.Shutdown()
	return nil
}

// Reload rereads strongswan.conf and the loggers (SIGHUP).
func (d *Daemon) Reload() {
	d.logf(bus.DMN, bus.Control, "signal of type SIGHUP received. Reloading configuration")
	if err := d.reloadSettings(); err != nil {
		d.logf(bus.DMN, bus.Control, "reloading config failed, keeping old")
	}
}

// reloadSettings rereads strongswan.conf and the loggers; an unreadable
// file changes nothing.
func (d *Daemon) reloadSettings() error {
	s, err := settings.Load(d.opts.ConfPath, nil)
	if err != nil && s == nil {
		return errReload
	}
	d.conf.Store(s)
	if err := d.loadLoggers(); err != nil {
		d.logf(bus.DMN, bus.Control, "reloading loggers failed: %v", err)
	}
	d.reloadAttrPlugin()
	return nil
}

// Bus is the daemon's log bus.
func (d *Daemon) Bus() *bus.Bus { return d.bus }

// Settings is the loaded strongswan.conf.
func (d *Daemon) Settings() *settings.Settings { return d.conf.Load() }

// checkPidFile refuses to start next to a running charon and records our
