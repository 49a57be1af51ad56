package stroke

import (
	"context"

	"github.com/goswan/goswan/bus"
)

// Handlers are the daemon's parts that act on stroke requests, split as
// charon's stroke plugin splits them (stroke_control, stroke_config,
// stroke_ca, stroke_cred, stroke_list, stroke_counter). The daemon fills them
// in; a nil handler makes its requests no-ops that are only logged, except
// Counters, for which nil answers as charon does without the counters
// plugin.
//
// Every method runs on the goroutine of one client connection, up to
// ServerConfig.MaxConcurrent at once, so implementations must be safe for
// concurrent use. The context is cancelled when the server closes. A
// handler that gets an out *Reply writes its answer there; the connection is
// closed when the method returns.
type Handlers struct {
	Control     Control
	Config      Configs
	CA          CAs
	Credentials Credentials
	List        Lister
	Counters    IKECounters
	LogLevels   LogLevels
	MemUsage    MemUsager
}

// Control brings SAs up and down (stroke_control_t). For Initiate and
// Terminate, out.Verbosity says which log lines the client wants streamed
// while the operation runs (out.Log), and a negative verbosity means the
// client does not wait: start the operation and return at once, as charon
// does for up-nb, down-nb and starter.
type Control interface {
	// Initiate brings up the connection name: "connection 'x' established
	// successfully", "establishing connection 'x' failed", "no config
	// named 'x'" (stroke_wire.md §6).
	Initiate(ctx context.Context, name Str, out *Reply)
	// Terminate takes down "conn", "conn[N]", "conn{N}", "conn[*]" or
	// "conn{*}": "IKE_SA [N] closed successfully" and the like.
	Terminate(ctx context.Context, name Str, out *Reply)
	// TerminateSrcIP takes down the IKE_SAs whose peer has the virtual IP
	// start, or one in start..end.
	TerminateSrcIP(ctx context.Context, start, end Str, out *Reply)
	// Rekey queues rekeying of the SAs name selects; it writes nothing.
	Rekey(ctx context.Context, name Str, out *Reply)
	// Route installs trap policies: "'x' routed" and the like.
	Route(ctx context.Context, name Str, out *Reply)
	// Unroute removes them: "trap policy 'x' unrouted" and the like.
	Unroute(ctx context.Context, name Str, out *Reply)
	// PurgeIKE deletes the IKE_SAs that have no CHILD_SA.
	PurgeIKE(ctx context.Context, out *Reply)
}

// Configs holds the connections starter loads (stroke_config_t, with the
// attribute provider and handler that take add_conn and del_conn too).
// Results go to the log only; starter reads no answer.
type Configs interface {
	AddConn(ctx context.Context, c *AddConn)
	DelConn(ctx context.Context, name Str)
	// UserCreds sets XAuth/EAP credentials for a connection, prompting
	// with out.Prompt("Password:") when c.Password is NULL.
	UserCreds(ctx context.Context, c *UserCreds, out *Reply)
}

// CAs holds the ca sections of ipsec.conf (stroke_ca_t).
type CAs interface {
	AddCA(ctx context.Context, ca *AddCA)
	DelCA(ctx context.Context, name Str)
	// ListCAInfos prints the ca sections for listcainfos and listall.
	ListCAInfos(ctx context.Context, utc bool, out *Reply)
}

// Credentials loads and caches secrets and certificates (stroke_cred_t and
// the credential manager's caches).
type Credentials interface {
	// Reread reloads what flags select; it may prompt ("Passphrase:",
	// "PIN:") for %prompt secrets.
	Reread(ctx context.Context, flags RereadFlags, out *Reply)
	// CacheCRLs switches CRL caching (config setup cachecrls=yes).
	CacheCRLs(ctx context.Context, enabled bool)
	// FlushCache empties the OCSP, CRL and certificate caches flags
	// select; PurgeIKE is passed to Control instead.
	FlushCache(ctx context.Context, flags PurgeFlags)
	// Export prints certificates as PEM.
	Export(ctx context.Context, flags ExportFlags, selector Str, out *Reply)
}

// Lister answers status and list requests (stroke_list_t).
type Lister interface {
	// Status prints ipsec status (all false) or statusall; wait false is
	// statusall-nb, which must not block on SAs in use.
	Status(ctx context.Context, name Str, all, wait bool, out *Reply)
	// List prints what flags select (ListCAInfos is handled by CAs, and
	// then List is called too, as charon does).
	List(ctx context.Context, flags ListFlags, utc bool, out *Reply)
	// Leases prints the leases of address pools.
	Leases(ctx context.Context, pool, address Str, out *Reply)
}

// IKECounters are the IKE event counters (stroke_counter_t, counters plugin).
type IKECounters interface {
	Reset(ctx context.Context, name Str)
	Print(ctx context.Context, name Str, out *Reply)
}

// LogLevels changes the daemon's log levels at run time.
type LogLevels interface {
	SetLevel(g bus.Group, l bus.Level)
}

// MemUsager reports memory usage, which charon only does when built with
// its leak detective.
type MemUsager interface {
	MemUsage(ctx context.Context, out *Reply)
}
