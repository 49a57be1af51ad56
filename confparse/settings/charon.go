package settings

import (
	"sort"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/confparse/internal/token"
)

// DebianPlugins is the plugin list Debian's charon 5.9.8 was built with
// (PLUGINS in its configure run; the default of charon.load). With
// charon.load_modular it only decides the order of plugins of equal
// priority.
const DebianPlugins = "test-vectors ldap pkcs11 tpm aesni aes rc2 sha2 sha1 md5 mgf1 rdrand random nonce x509 " +
	"revocation constraints pubkey pkcs1 pkcs7 pkcs12 pgp dnskey sshkey pem openssl gcrypt pkcs8 af-alg " +
	"fips-prf gmp curve25519 agent chapoly xcbc cmac hmac kdf ctr ccm gcm drbg curl attr kernel-libipsec " +
	"kernel-netlink resolve socket-default bypass-lan connmark forecast farp stroke vici updown " +
	"eap-identity eap-aka eap-md5 eap-gtc eap-mschapv2 eap-radius eap-tls eap-ttls eap-tnc xauth-generic " +
	"xauth-eap xauth-pam tnc-tnccs dhcp ha lookip error-notify certexpire led addrblock unity counters"

// Tokens splits a list as enumerator_create_token(list, " ", " ") does:
// on spaces (not tabs), with '...' and "..." quoting a token.
func Tokens(list string) []string { return token.Split(list, " ", " ") }

// Plugin is one entry of the plugin list.
type Plugin struct {
	Name string
	// Critical plugins end with '!' in the list: charon does not start
	// without them.
	Critical bool
	// Priority is charon.plugins.NAME.load when it is a number, 1
	// otherwise.
	Priority int
}

// Plugins computes the list of plugins charon tries to load, in order
// (plugin_loader.c modular_pluginlist): with NS.load_modular every
// subsection of NS.plugins whose load= is yes or a number is taken;
// otherwise the names in NS.load (compiled, DebianPlugins for Debian, when
// unset) minus those with load=no. Higher load= numbers come first, then
// the order of the NS.load list, then names. Whether a plugin then loads
// depends on its library being installed.
func (s *Settings) Plugins(ns, compiled string) []Plugin {
	list := s.Str(ns+".load", compiled)
	given := map[string]int{}
	n := 0
	for _, tok := range Tokens(list) {
		if _, dup := given[tok]; !dup {
			given[tok] = n
		}
		n++
	}
	maxPrio := n + 1
	var candidates []string
	loadDefault := false
	if s.Bool(ns+".load_modular", false) {
		candidates = s.Sections(ns + ".plugins")
	} else {
		candidates = Tokens(list)
		loadDefault = true
	}
	type entry struct {
		name      string
		prio, def int
	}
	var final []entry
	seen := map[string]bool{}
	for _, name := range candidates {
		key := ns + ".plugins." + name + ".load"
		prio := s.Int(key, 0)
		if prio == 0 {
			if !s.Bool(key, loadDefault) {
				continue
			}
			prio = 1
		}
		if seen[name] {
			// The C code keeps duplicates from a repeated name in
			// charon.load; loading a plugin twice is a no-op there.
			continue
		}
		seen[name] = true
		def := maxPrio
		if i, ok := given[name]; ok {
			def = maxPrio - i
		}
		final = append(final, entry{name, prio, def})
	}
	sort.SliceStable(final, func(i, j int) bool {
		a, b := final[i], final[j]
		if a.prio != b.prio {
			return a.prio > b.prio
		}
		if a.def != b.def {
			return a.def > b.def
		}
		return a.name < b.name
	})
	out := make([]Plugin, len(final))
	for i, e := range final {
		name := e.name
		critical := strings.HasSuffix(name, "!")
		if critical {
			name = strings.TrimSuffix(name, "!")
		}
		out[i] = Plugin{Name: name, Critical: critical, Priority: e.prio}
	}
	return out
}

// groupNames are debug_lower_names, the keys of per-group log levels.
var groupNames = [bus.NumGroups]string{"dmn", "mgr", "ike", "chd", "job", "cfg", "knl", "net",
	"asn", "enc", "tnc", "imc", "imv", "pts", "tls", "app", "esp", "lib"}

// Levels is a log level per group.
type Levels [bus.NumGroups]bus.Level

func (s *Settings) levels(prefix string) (def bus.Level, lv Levels) {
	def = bus.Level(s.Int(prefix+".default", 1))
	for g := range lv {
		lv[g] = bus.Level(s.Int(prefix+"."+groupNames[g], int(def)))
	}
	return def, lv
}

// FileLogger is a NS.filelog.NAME section (daemon.c load_file_logger).
type FileLogger struct {
	Section string
	// Path is path=, or the section name; "stdout" and "stderr" are the
	// streams.
	Path       string
	TimeFormat string // strftime(3) format, "" for no time stamp
	TimeAddMS  bool
	IKEName    bool
	LogLevel   bool
	FlushLine  bool
	Append     bool // default yes
	Default    bus.Level
	Levels     Levels
}

// FileLoggers lists the file loggers configured for ns.
func (s *Settings) FileLoggers(ns string) []FileLogger {
	var out []FileLogger
	for _, sec := range s.Sections(ns + ".filelog") {
		p := ns + ".filelog." + sec
		l := FileLogger{
			Section:    sec,
			Path:       s.Str(p+".path", sec),
			TimeFormat: s.Str(p+".time_format", ""),
			TimeAddMS:  s.Bool(p+".time_add_ms", false),
			IKEName:    s.Bool(p+".ike_name", false),
			LogLevel:   s.Bool(p+".log_level", false),
			FlushLine:  s.Bool(p+".flush_line", false),
			Append:     s.Bool(p+".append", true),
		}
		l.Default, l.Levels = s.levels(p)
		out = append(out, l)
	}
	return out
}

// SyslogLogger is a NS.syslog.FACILITY section (daemon.c load_sys_logger).
type SyslogLogger struct {
	// Facility is "daemon" or "auth"; charon ignores other sections.
	Facility string
	IKEName  bool
	LogLevel bool
	MapLevel int // -1: every level maps to LOG_INFO
	Default  bus.Level
	Levels   Levels
}

// SyslogLoggers lists the syslog loggers configured for ns, skipping
// sections that are not a facility charon knows.
func (s *Settings) SyslogLoggers(ns string) []SyslogLogger {
	var out []SyslogLogger
	for _, sec := range s.Sections(ns + ".syslog") {
		if sec != "daemon" && sec != "auth" {
			continue
		}
		p := ns + ".syslog." + sec
		l := SyslogLogger{
			Facility: sec,
			IKEName:  s.Bool(p+".ike_name", false),
			LogLevel: s.Bool(p+".log_level", false),
			MapLevel: s.Int(p+".map_level", -1),
		}
		l.Default, l.Levels = s.levels(p)
		out = append(out, l)
	}
	return out
}

// Charon holds the charon options the daemon reads, with strongSwan
// 5.9.8's defaults.
type Charon struct {
	RetransmitTries   int     // retransmit_tries, 5
	RetransmitTimeout float64 // retransmit_timeout in seconds, 4.0
	RetransmitBase    float64 // retransmit_base, 1.8
	RetransmitJitter  int     // retransmit_jitter in percent, 0, at most 20
	RetransmitLimit   int     // retransmit_limit in seconds, 0 = none
	// DeleteRekeyedDelay is how long a rekeyed CHILD_SA's inbound SA is
	// kept (delete_rekeyed_delay, 5 s).
	DeleteRekeyedDelay int
	MakeBeforeBreak    bool   // make_before_break, no
	ReplayWindow       int    // replay_window, 32
	HalfOpenTimeout    int    // half_open_timeout, 30 s
	KeepAlive          uint32 // keep_alive, 20 s
	ReuseIKESA         bool   // reuse_ikesa, yes
	StrokeSocket       string // plugins.stroke.socket
	SecretsFile        string // plugins.stroke.secrets_file
	AllowSwap          bool   // plugins.stroke.allow_swap, yes
}

// Charon reads ns's options (ns is "charon" for the daemon).
func (s *Settings) Charon(ns string) Charon {
	jitter := s.Int(ns+".retransmit_jitter", 0)
	if jitter > 20 {
		jitter = 20
	}
	return Charon{
		RetransmitTries:    s.Int(ns+".retransmit_tries", 5),
		RetransmitTimeout:  s.Double(ns+".retransmit_timeout", 4.0),
		RetransmitBase:     s.Double(ns+".retransmit_base", 1.8),
		RetransmitJitter:   jitter,
		RetransmitLimit:    s.Int(ns+".retransmit_limit", 0),
		DeleteRekeyedDelay: s.Int(ns+".delete_rekeyed_delay", 5),
		MakeBeforeBreak:    s.Bool(ns+".make_before_break", false),
		ReplayWindow:       s.Int(ns+".replay_window", 32),
		HalfOpenTimeout:    s.Int(ns+".half_open_timeout", 30),
		KeepAlive:          s.Time(ns+".keep_alive", 20),
		ReuseIKESA:         s.Bool(ns+".reuse_ikesa", true),
		StrokeSocket:       s.Str(ns+".plugins.stroke.socket", "unix:///var/run/charon.ctl"),
		SecretsFile:        s.Str(ns+".plugins.stroke.secrets_file", "/etc/ipsec.secrets"),
		AllowSwap:          s.Bool(ns+".plugins.stroke.allow_swap", true),
	}
}
