package stroke

import (
	"fmt"
	"reflect"
)

// Layout constants of stroke_msg_t on LP64 (stroke_wire.md §4).
const (
	// HeaderLen is offsetof(stroke_msg_t, buffer): the fixed part every
	// message has, and the smallest length charon accepts.
	HeaderLen = 658
	// structSize is sizeof(stroke_msg_t); the senders allocate this much
	// plus buflen, which decides when buflen grows.
	structSize = 664
	// bufLenInc is STROKE_BUF_LEN_INC, the senders' realloc step.
	bufLenInc = 1024
	// MaxLen is the largest message: length is a uint16, and the senders
	// refuse a message that would reach it.
	MaxLen = 65535

	offLength    = 0
	offType      = 4
	offVerbosity = 8
	offBody      = 16
	offBuflen    = 656
)

// Verbosity values a client sends in output_verbosity.
const (
	// VerbositySilent (-1) asks the daemon not to report and not to wait:
	// starter always sends it, stroke for up-nb and down-nb.
	VerbositySilent int32 = -1
	// VerbosityControl (1) is what the stroke client sends by default: log
	// lines up to level CONTROL are streamed back for up and down.
	VerbosityControl int32 = 1
)

// Msg is one stroke message.
type Msg struct {
	Type Type
	// Verbosity is output_verbosity: the highest log level the daemon
	// streams back while it works on the request, -1 for none.
	Verbosity int32
	// Body holds the fields of Type's union member; its Go type must match
	// Type (see BodyFor). A nil Body encodes as an empty one.
	Body Body
	// Order is the order in which the strings are packed after the fixed
	// part, as field names (see Fields). Decode records it so that a
	// message re-encodes to the bytes it came from. Encode packs the set
	// strings named here first, in this order, and then the other set
	// strings in the order starter and stroke push them. Leave it nil for
	// that default order; PushLast covers starter's one deviation.
	Order []string
}

// Body is the typed content of a message, one Go type per member of
// stroke_msg_t's union: *Initiate, *AddConn, *Status, *List, ...
type Body interface {
	// member is the union member's name in stroke_msg.h, e.g. "add_conn".
	member() string
	// walk visits every field at its absolute offset in the message, in
	// the order of the C struct.
	walk(w walker)
}

// walker is the one description of the layout that both the encoder and the
// decoder (and the text dump) follow, so that they cannot disagree.
type walker interface {
	str(off int, name string, p *Str)
	boolean(off int, name string, p *bool)
	u8(off int, name string, p *uint8)
	u16(off int, name string, p *uint16)
	i32(off int, name string, p *int32)
	u32(off int, name string, p *uint32)
	i64(off int, name string, p *int64)
	u64(off int, name string, p *uint64)
}

// BodyFor returns an empty body of the Go type that carries t, or nil for a
// type strongSwan does not define.
func BodyFor(t Type) Body {
	switch t {
	case TypeInitiate:
		return &Initiate{}
	case TypeRoute:
		return &Route{}
	case TypeUnroute:
		return &Unroute{}
	case TypeAddConn:
		return &AddConn{}
	case TypeDelConn:
		return &DelConn{}
	case TypeTerminate:
		return &Terminate{}
	case TypeTerminateSrcIP:
		return &TerminateSrcIP{}
	case TypeRekey:
		return &Rekey{}
	case TypeStatus, TypeStatusAll, TypeStatusAllNoBlock:
		return &Status{}
	case TypeAddCA:
		return &AddCA{}
	case TypeDelCA:
		return &DelCA{}
	case TypeLogLevel:
		return &LogLevel{}
	case TypeConfig:
		return &Config{}
	case TypeList:
		return &List{}
	case TypeReread:
		return &Reread{}
	case TypePurge:
		return &Purge{}
	case TypeLeases:
		return &Leases{}
	case TypeExport:
		return &Export{}
	case TypeMemUsage:
		return &MemUsage{}
	case TypeUserCreds:
		return &UserCreds{}
	case TypeCounters:
		return &Counters{}
	}
	return nil
}

// checkBody returns m's body, an empty one if it is nil, or an error if its
// Go type does not belong to m.Type.
func (m *Msg) checkBody() (Body, error) {
	want := BodyFor(m.Type)
	if want == nil {
		return nil, fmt.Errorf("%w %d", ErrUnknownType, int32(m.Type))
	}
	if m.Body == nil || reflect.ValueOf(m.Body).IsNil() {
		return want, nil
	}
	if reflect.TypeOf(m.Body) != reflect.TypeOf(want) {
		return nil, fmt.Errorf("stroke: %s needs a body of type %T, not %T", m.Type, want, m.Body)
	}
	return m.Body, nil
}

// Initiate is STR_INITIATE: bring up the connection Name (ipsec up).
type Initiate struct{ Name Str }

func (*Initiate) member() string  { return "initiate" }
func (b *Initiate) walk(w walker) { w.str(16, "initiate.name", &b.Name) }

// Route is STR_ROUTE: install the trap policies of Name (ipsec route).
type Route struct{ Name Str }

func (*Route) member() string  { return "route" }
func (b *Route) walk(w walker) { w.str(16, "route.name", &b.Name) }

// Unroute is STR_UNROUTE: remove the trap policies of Name (ipsec unroute).
type Unroute struct{ Name Str }

func (*Unroute) member() string  { return "unroute" }
func (b *Unroute) walk(w walker) { w.str(16, "unroute.name", &b.Name) }

// DelConn is STR_DEL_CONN: delete the connection Name (starter on reload).
type DelConn struct{ Name Str }

func (*DelConn) member() string  { return "del_conn" }
func (b *DelConn) walk(w walker) { w.str(16, "del_conn.name", &b.Name) }

// Terminate is STR_TERMINATE: take down SAs. Name is "conn", "conn[N]",
// "conn{N}", "conn[*]" or "conn{*}" (ipsec down).
type Terminate struct{ Name Str }

func (*Terminate) member() string  { return "terminate" }
func (b *Terminate) walk(w walker) { w.str(16, "terminate.name", &b.Name) }

// TerminateSrcIP is STR_TERMINATE_SRCIP: take down the IKE_SAs whose peer's
// virtual IP is Start or lies in Start..End (ipsec down-srcip).
type TerminateSrcIP struct{ Start, End Str }

func (*TerminateSrcIP) member() string { return "terminate_srcip" }
func (b *TerminateSrcIP) walk(w walker) {
	w.str(16, "terminate_srcip.start", &b.Start)
	w.str(24, "terminate_srcip.end", &b.End)
}

// Rekey is STR_REKEY: rekey SAs, Name as in Terminate (stroke rekey).
type Rekey struct{ Name Str }

func (*Rekey) member() string  { return "rekey" }
func (b *Rekey) walk(w walker) { w.str(16, "rekey.name", &b.Name) }

// Status is the body of STR_STATUS, STR_STATUS_ALL and STR_STATUS_ALL_NOBLK:
// the optional connection name to restrict the output to.
type Status struct{ Name Str }

func (*Status) member() string  { return "status" }
func (b *Status) walk(w walker) { w.str(16, "status.name", &b.Name) }

// AddCA is STR_ADD_CA: a ca section of ipsec.conf.
type AddCA struct {
	Name        Str
	CACert      Str
	CRLURI      Str
	CRLURI2     Str
	OCSPURI     Str
	OCSPURI2    Str
	CertURIBase Str
}

func (*AddCA) member() string { return "add_ca" }
func (b *AddCA) walk(w walker) {
	w.str(16, "add_ca.name", &b.Name)
	w.str(24, "add_ca.cacert", &b.CACert)
	w.str(32, "add_ca.crluri", &b.CRLURI)
	w.str(40, "add_ca.crluri2", &b.CRLURI2)
	w.str(48, "add_ca.ocspuri", &b.OCSPURI)
	w.str(56, "add_ca.ocspuri2", &b.OCSPURI2)
	w.str(64, "add_ca.certuribase", &b.CertURIBase)
}

// DelCA is STR_DEL_CA: delete the ca section Name.
type DelCA struct{ Name Str }

func (*DelCA) member() string  { return "del_ca" }
func (b *DelCA) walk(w walker) { w.str(16, "del_ca.name", &b.Name) }

// LogLevel is STR_LOGLEVEL: set the level of a log group ("ike", "any", ...).
type LogLevel struct {
	Type  Str
	Level int32
}

func (*LogLevel) member() string { return "loglevel" }
func (b *LogLevel) walk(w walker) {
	w.str(16, "loglevel.type", &b.Type)
	w.i32(24, "loglevel.level", &b.Level)
}

// Config is STR_CONFIG: global options from config setup.
type Config struct {
	CacheCRL int32 // cachecrls=yes; starter sends 1
}

func (*Config) member() string  { return "config" }
func (b *Config) walk(w walker) { w.i32(16, "config.cachecrl", &b.CacheCRL) }

// List is STR_LIST: list certificates, algorithms, plugins, ...
type List struct {
	Flags ListFlags
	UTC   int32 // --utc: print times in UTC; nonzero is true
}

func (*List) member() string { return "list" }
func (b *List) walk(w walker) {
	w.u32(16, "list.flags", (*uint32)(&b.Flags))
	w.i32(20, "list.utc", &b.UTC)
}

// Reread is STR_REREAD: reload secrets, certificates or CRLs.
type Reread struct{ Flags RereadFlags }

func (*Reread) member() string  { return "reread" }
func (b *Reread) walk(w walker) { w.u32(16, "reread.flags", (*uint32)(&b.Flags)) }

// Purge is STR_PURGE: flush caches or idle IKE_SAs.
type Purge struct{ Flags PurgeFlags }

func (*Purge) member() string  { return "purge" }
func (b *Purge) walk(w walker) { w.u32(16, "purge.flags", (*uint32)(&b.Flags)) }

// Export is STR_EXPORT: print certificates as PEM.
type Export struct {
	Flags    ExportFlags
	Selector Str // a subject DN, or a connection name
}

func (*Export) member() string { return "export" }
func (b *Export) walk(w walker) {
	w.u32(16, "export.flags", (*uint32)(&b.Flags))
	w.str(24, "export.selector", &b.Selector)
}

// Leases is STR_LEASES: show the leases of address pools.
type Leases struct {
	Pool    Str
	Address Str
}

func (*Leases) member() string { return "leases" }
func (b *Leases) walk(w walker) {
	w.str(16, "leases.pool", &b.Pool)
	w.str(24, "leases.address", &b.Address)
}

// MemUsage is STR_MEMUSAGE, which has no fields.
type MemUsage struct{}

func (*MemUsage) member() string { return "memusage" }
func (*MemUsage) walk(walker)    {}

// UserCreds is STR_USER_CREDS: set XAuth/EAP credentials for a connection. A
// NULL Password makes the daemon prompt for it.
type UserCreds struct {
	Name     Str
	Username Str
	Password Str
}

func (*UserCreds) member() string { return "user_creds" }
func (b *UserCreds) walk(w walker) {
	w.str(16, "user_creds.name", &b.Name)
	w.str(24, "user_creds.username", &b.Username)
	w.str(32, "user_creds.password", &b.Password)
}

// Counters is STR_COUNTERS: print (Reset 0) or reset (nonzero) the IKE
// counters, globally or of the connection Name.
type Counters struct {
	Reset int32
	Name  Str
}

func (*Counters) member() string { return "counters" }
func (b *Counters) walk(w walker) {
	w.i32(16, "counters.reset", &b.Reset)
	w.str(24, "counters.name", &b.Name)
}
