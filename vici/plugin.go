package vici

import (
	"context"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
)

// Result is what a controller operation reports (controller.c's status_t).
type Result uint8

const (
	// Failed: the operation did not succeed.
	Failed Result = iota
	// Success: the SA is up (initiate) or gone (terminate).
	Success
	// Timeout: the caller stopped waiting (charon's OUT_OF_RES).
	Timeout
	// NotFound: no SA with the given unique ID.
	NotFound
	// InvalidState: refused by a limit (init_limit_half_open).
	InvalidState
)

// LogFunc receives the log lines of the SA an operation works on; false
// detaches the receiver.
type LogFunc func(g bus.Group, l bus.Level, sa bus.SAInfo, msg string) bool

// Controller starts and stops SAs on behalf of a client (libcharon's
// controller). A nil LogFunc only starts the operation; a timeout of 0
// waits without limit.
type Controller interface {
	Initiate(ctx context.Context, peer *config.PeerCfg, child *config.ChildCfg, cb LogFunc, timeout time.Duration, limits bool) Result
	TerminateIKE(ctx context.Context, id uint32, force bool, cb LogFunc, timeout time.Duration) Result
	TerminateChild(ctx context.Context, id uint32, cb LogFunc, timeout time.Duration) Result
}

// Stats are the figures of the stats command.
type Stats struct {
	// Started is when the daemon started, on the clock of sa.Env.Clock.
	Started time.Time
	// StartedWall is the same instant on the wall clock ("since").
	StartedWall time.Time
	Workers     processing.Stats
	Scheduled   int
	// Plugins are the loaded plugins in load order.
	Plugins []string
	// Mallinfo fills the mallinfo section (sbrk, mmap, used, free); nil
	// leaves it out, as charon built without mallinfo.
	Mallinfo *[4]uint64
}

// Algorithm is one entry of get-algorithms: a name and who implements it.
type Algorithm struct {
	Name, Provider string
}

// AlgorithmSection is one section of get-algorithms ("encryption",
// "integrity", "aead", "hasher", "prf", "xof", "kdf", "drbg", "dh", "rng",
// "nonce-gen").
type AlgorithmSection struct {
	Name string
	Algs []Algorithm
}

// Daemon is what the plugin needs of the daemon beyond the protocol core.
type Daemon interface {
	// Stats returns the figures of the stats command.
	Stats() Stats
	// ReloadSettings rereads strongswan.conf and the loggers; the error
	// says the file could not be read (nothing changed then).
	ReloadSettings() error
	// ConfPath is strongswan.conf's path, for reload-settings' error.
	ConfPath() string
	// Algorithms lists the algorithms in get-algorithms' sections.
	Algorithms() []AlgorithmSection
	// SocketPort is the IKE socket's port (the default local_port).
	SocketPort() uint16
}

// Deps are the daemon's parts the plugin works with: charon's globals that
// the vici plugin reaches through `charon->` and `lib->`.
type Deps struct {
	Env     *sa.Env
	Traps   *sa.TrapManager
	Shunts  *sa.ShuntManager
	Control Controller
	Daemon  Daemon
	// Counters are the counters plugin's, nil when it is not loaded.
	Counters Counters
	// Features says what the vici commands may load beyond what goswan has
	// always done; see Features.
	Features Features
}

// Features switches on commands whose subject goswan gains as it grows.
// Until a feature is there, the commands that need it answer with
// charon's error form and say so.
type Features struct {
	// Certs loads and lists certificates, private keys and authorities
	// (load-cert, load-key, certs/cacerts in load-conn, list-certs,
	// load-authority); nil: not supported.
	Certs CertStore
	// Pools manages virtual IP pools (load-pool, get-pools, pools and
	// vips in load-conn); nil: not supported.
	Pools PoolStore
}

// Plugin is the vici plugin: the socket and everything registered on it.
type Plugin struct {
	deps   Deps
	srv    *Server
	log    bus.Ctx
	conns  *connStore
	shared *credentials.SharedSet
	query  *queryListener
	logger *eventLogger
}

// Start creates the socket and registers the commands, the events, the
// config backend, the credential set and the listeners, as
// vici_plugin.c's register_vici.
func Start(cfg ServerConfig, deps Deps) (*Plugin, error) {
	env := deps.Env
	if cfg.Log == nil {
		cfg.Log = bus.Ctx{Bus: env.Bus}
	}
	srv, err := Listen(cfg)
	if err != nil {
		return nil, err
	}
	p := &Plugin{deps: deps, srv: srv, log: bus.Ctx{Bus: env.Bus}, shared: &credentials.SharedSet{}}
	p.conns = newConnStore(p)
	p.registerQuery()
	p.registerControl()
	p.registerCred()
	p.registerConfig()
	p.registerAuthority()
	p.registerAttribute()
	p.logger = newEventLogger(srv)
	env.Backends.AddBackend(p.conns)
	env.Creds.AddSet(p.shared)
	env.Bus.AddListener(p.logger)
	p.query = &queryListener{p: p}
	env.Events.Add(p.query)
	return p, nil
}

// Serve handles clients until Close.
func (p *Plugin) Serve() error { return p.srv.Serve() }

// Server is the plugin's socket server.
func (p *Plugin) Server() *Server { return p.srv }

// Close unregisters everything and closes the socket (unregister_vici).
func (p *Plugin) Close() error {
	env := p.deps.Env
	env.Events.Remove(p.query)
	env.Bus.RemoveListener(p.logger)
	p.logger.stop()
	env.Backends.RemoveBackend(p.conns)
	env.Creds.RemoveSet(p.shared)
	return p.srv.Close()
}

// logf logs in group CFG outside any IKE_SA, as the plugin's DBGn(DBG_CFG).
func (p *Plugin) logf(l bus.Level, format string, args ...any) {
	p.log.Logf(bus.CFG, l, format, args...)
}

// reply is create_reply/send_reply: success=yes, or success=no with the
// formatted error message.
func reply(errmsg string, args ...any) []byte {
	b := NewBuilder()
	if errmsg == "" {
		b.KV("success", "yes")
	} else {
		b.KV("success", "no")
		b.KVf("errmsg", errmsg, args...)
	}
	return finish(b)
}

// finish finalizes a builder; a builder error (a bug) sends no response, as
// in charon.
func finish(b *Builder) []byte {
	m, err := b.Finalize()
	if err != nil {
		return nil
	}
	return m
}

// empty is an empty response message (the streaming commands' end).
func empty() []byte { return []byte{} }
