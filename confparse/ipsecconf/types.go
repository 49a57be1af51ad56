package ipsecconf

import (
	"fmt"

	"github.com/goswan/goswan/confparse"
)

// Str is a string setting that may be absent. starter distinguishes an
// absent value, which stays NULL in the stroke message, from an empty one
// (leftid=""), which is sent as an empty string.
type Str struct {
	Value string
	Set   bool
}

// S makes a set Str.
func S(v string) Str { return Str{Value: v, Set: true} }

// Or returns the value, or def when it is absent.
func (s Str) Or(def string) string {
	if s.Set {
		return s.Value
	}
	return def
}

func (s Str) String() string {
	if !s.Set {
		return "(unset)"
	}
	return fmt.Sprintf("%q", s.Value)
}

// Startup is the auto= keyword (startup_t).
type Startup int32

const (
	AutoIgnore Startup = iota
	AutoAdd
	AutoRoute
	AutoStart
)

var startupNames = []string{"ignore", "add", "route", "start"}

func (s Startup) String() string { return enumName(startupNames, int(s)) }

// KeyExchange is keyexchange= (keyexchange_t), sent as add_conn.version.
type KeyExchange int32

const (
	IKEAny KeyExchange = iota // keyexchange=ike: either version
	IKEv1
	IKEv2
)

var keyExchangeNames = []string{"ike", "ikev1", "ikev2"}

func (k KeyExchange) String() string { return enumName(keyExchangeNames, int(k)) }

// Mode is the IPsec mode (ipsec_mode_t) that type= selects.
type Mode int32

const (
	ModeTransport Mode = 1
	ModeTunnel    Mode = 2
	ModeBeet      Mode = 3
	ModePass      Mode = 4
	ModeDrop      Mode = 5
)

func (m Mode) String() string {
	return enumName([]string{"", "transport", "tunnel", "beet", "pass", "drop"}, int(m))
}

// Fragmentation is fragmentation= (fragmentation_t, as in ike_cfg.h).
type Fragmentation int32

const (
	FragmentationNo Fragmentation = iota
	FragmentationAccept
	FragmentationYes
	FragmentationForce
)

var fragmentationNames = []string{"no", "accept", "yes", "force"}

func (f Fragmentation) String() string { return enumName(fragmentationNames, int(f)) }

// Action is dpdaction= and closeaction= (dpd_action_t).
type Action int32

const (
	ActionNone Action = iota
	ActionClear
	ActionHold
	ActionRestart
)

var actionNames = []string{"none", "clear", "hold", "restart"}

func (a Action) String() string { return enumName(actionNames, int(a)) }

// SendCert is leftsendcert= (certpolicy_t after starter folded yes/no into
// always/never).
type SendCert int32

const (
	SendCertAlways  SendCert = 0
	SendCertIfAsked SendCert = 1
	SendCertNever   SendCert = 2
)

var sendCertNames = []string{"always", "ifasked", "never", "yes", "no"}

func (s SendCert) String() string { return enumName(sendCertNames, int(s)) }

// Unique is uniqueids= as starter sends it in add_conn.unique.
type Unique int32

const (
	UniqueNo Unique = iota
	UniqueYes
	UniqueReplace
	UniqueKeep
	UniqueNever
)

var uniqueNames = []string{"no", "yes", "replace", "keep", "never"}

func (u Unique) String() string { return enumName(uniqueNames, int(u)) }

// StrictPolicy is strictcrlpolicy= (strict_t), sent as add_conn.crl_policy.
type StrictPolicy int32

const (
	StrictNo StrictPolicy = iota
	StrictYes
	StrictIfURI
)

var strictNames = []string{"no", "yes", "ifuri"}

func (s StrictPolicy) String() string { return enumName(strictNames, int(s)) }

// Option is starter's sa_option_t bit set. add_conn carries some of these
// bits unshifted (mobike is sent as 64, not 1), so the values matter.
type Option uint32

const (
	OptCompress    Option = 1 << 1 // compress=yes, add_conn.ipcomp
	OptDontRekey   Option = 1 << 2 // rekey=no
	OptDontReauth  Option = 1 << 3 // reauth=no
	OptModecfgPush Option = 1 << 4 // modeconfig=push, add_conn.pushmode
	OptXauthServer Option = 1 << 5 // xauth=server
	OptMobike      Option = 1 << 6 // mobike=yes, add_conn.mobike
	OptForceEncap  Option = 1 << 7 // forceencaps=yes, add_conn.force_encap
)

// Mark is a mark_t: mark= / mark_in= / mark_out=.
type Mark struct {
	Value uint32
	Mask  uint32
}

// Special mark values (ipsec_types.h).
const (
	MarkUnique    uint32 = 0xffffffff // %unique
	MarkUniqueDir uint32 = 0xfffffffe // %unique-dir
)

// Seconds is a time in seconds as starter keeps it (time_t).
type Seconds int64

func enumName(names []string, i int) string {
	if i >= 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("%d", i)
}

// End is one side of a conn, starter's starter_end_t after its post
// processing: leftfirewall=yes became the updown script, "%defaultroute"
// became "%any", a "%" prefix on the host became AllowAny.
//
// Left and right are the file's sides: starter sends left as add_conn.me and
// right as add_conn.other, and charon swaps them when right turns out to be
// the local side (charon.plugins.stroke.allow_swap). Which side is local is
// therefore not decided here.
type End struct {
	Host       Str    // left=, NULL is sent as "%any"
	IKEPort    uint32 // leftikeport= (u_int; truncated to 16 bits on the wire)
	Subnet     Str    // leftsubnet= / leftsubnetwithin=
	SourceIP   Str
	DNS        Str
	Firewall   bool // leftfirewall=yes, already turned into Updown
	HostAccess bool
	AllowAny   bool
	Updown     Str
	Auth       Str
	Auth2      Str
	ID         Str
	ID2        Str
	SigKey     Str // leftsigkey= / leftrsasigkey=, add_conn rsakey
	Cert       Str
	Cert2      Str
	CertPolicy Str
	SendCert   SendCert
	CA         Str
	CA2        Str
	Groups     Str
	Groups2    Str
	Protocol   uint8  // leftprotoport= protocol
	FromPort   uint16 // leftprotoport= port range, 0-65535 by default
	ToPort     uint16
}

// Conn is a conn section as starter resolved it (starter_conn_t): %default
// and also= applied, every keyword converted, defaults filled in. It carries
// everything starter puts into a stroke add_conn message (see AddConn).
type Conn struct {
	Name string // section name; "%auto" is sent as conn_<id>, see AddConn
	Pos  confparse.Position

	Auto          Startup
	KeyExchange   KeyExchange
	EAPIdentity   Str
	AAAIdentity   Str
	XauthIdentity Str
	// Authby is authby= as written; starter expands it into auth methods
	// only when neither leftauth nor rightauth is set (see AddConn).
	Authby        Str
	Mode          Mode
	ProxyMode     bool // type=transport_proxy
	Fragmentation Fragmentation
	IKEDSCP       uint32 // ikedscp= in binary (u_int; 6 bits on the wire)
	Options       Option

	IKELifetime   Seconds // ikelifetime=, default 3h
	Lifetime      Seconds // lifetime= / keylife=, default 1h
	Margin        Seconds // margintime= / rekeymargin=, default 9m
	LifeBytes     uint64
	MarginBytes   uint64
	LifePackets   uint64
	MarginPackets uint64
	KeyingTries   uint64 // keyingtries=, default 3, %forever = 0
	RekeyFuzz     uint64 // rekeyfuzz= percent, default 100

	ReqID         uint32
	MarkIn        Mark
	MarkOut       Mark
	ReplayWindow  uint32 // default 0xffffffff (-1: charon.replay_window)
	TFC           uint32 // %mtu = 0xffffffff
	InstallPolicy bool
	Aggressive    bool

	Left, Right End

	ESP Str
	AH  Str
	IKE Str

	DPDDelay    Seconds // default 30s
	DPDTimeout  Seconds // default 150s
	DPDAction   Action
	CloseAction Action
	SHA256_96   bool
	Inactivity  Seconds

	MeMediation  bool
	MeMediatedBy Str
	MePeerID     Str

	// Settings lists the effective settings in the order starter applied
	// them (the conn's own keys sorted by name, then each also= parent's and
	// %default's), with where each one was written.
	Settings []Setting
}

// CA is a ca section as starter resolved it (starter_ca_t).
type CA struct {
	Name string
	Pos  confparse.Position

	// Auto is ignore or add: starter treats route and start as add.
	Auto        Startup
	CACert      Str
	CRLURI      Str // crluri= / crluri1=
	CRLURI2     Str
	OCSPURI     Str // ocspuri= / ocspuri1=
	OCSPURI2    Str
	CertURIBase Str

	Settings []Setting
}

// Setup is the config setup section.
type Setup struct {
	CharonDebug Str
	// UniqueIDs is sent in every add_conn as unique.
	UniqueIDs Unique
	// CacheCRLs makes starter send STR_CONFIG{cachecrl=1} after starting
	// charon. starter stores uniqueids= as an int over a bool, which zeroes
	// cachecrls whenever uniqueids= is set (keys are applied in alphabetical
	// order, cachecrls first); CacheCRLs reflects that.
	CacheCRLs       bool
	StrictCRLPolicy StrictPolicy

	Settings []Setting
}

// Setting is one key=value as it took effect.
type Setting struct {
	Key   string
	Value string
	// Pos is where the key was written; From names the section it was
	// written in when it was inherited ("conn %default", "conn base").
	Pos  confparse.Position
	From string
}
