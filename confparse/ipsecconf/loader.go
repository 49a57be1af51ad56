package ipsecconf

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/internal/netdb"
)

// loader is confread.c: it turns resolved sections into Setup, CA and Conn
// values, counting errors per section as starter does.
type loader struct {
	cfg   *Config
	netdb *netdb.DB
	errs  confparse.Errors // errors of the section being loaded
}

const firewallUpdown = "ipsec _updown iptables"

var (
	authbyNames     = []string{"psk", "secret", "pubkey", "rsa", "rsasig", "ecdsa", "ecdsasig", "xauthpsk", "xauthrsasig", "never"}
	deprecatedSetup = "deprecated keyword '%s' in config setup"
	deprecatedConn  = "deprecated keyword '%s' in conn '%s'"
	deprecatedCA    = "deprecated keyword '%s' in ca '%s'"
)

// belongs says which section a keyword is for.
func belongs(kw keyword) string {
	switch {
	case kw >= kwSetupFirst && kw <= kwSetupLast:
		return "it belongs in config setup"
	case kw >= kwCAFirst && kw <= kwCALast:
		return "it belongs in a ca section"
	}
	return "it belongs in a conn section"
}

func (ld *loader) warn(s effectiveSetting, format string, args ...any) {
	ld.cfg.Problems = append(ld.cfg.Problems, confparse.Errorf(s.pos, confparse.Warning, format, args...))
}

// bad records an error that counts against the section being loaded.
func (ld *loader) bad(s effectiveSetting, format string, args ...any) {
	ld.errs = append(ld.errs, confparse.Errorf(s.pos, confparse.Fatal, format, args...))
}

func (ld *loader) badValue(s effectiveSetting, msg string) {
	ld.bad(s, "bad value: %s=%s (%s)", s.key, showValue(*s.value), msg)
}

// showValue prints a value as written, quoted when it holds control
// characters (a carriage return from DOS line endings, most likely).
func showValue(v string) string {
	for _, c := range []byte(v) {
		if c < 0x20 || c == 0x7f {
			hint := ""
			if strings.Contains(v, "\r") {
				hint = " (a carriage return: DOS line endings?)"
			}
			return strconv.Quote(v) + hint
		}
	}
	return v
}

func settingsOf(sec *section, eff []effectiveSetting) []Setting {
	out := make([]Setting, 0, len(eff))
	for _, s := range eff {
		st := Setting{Key: s.key, Value: *s.value, Pos: s.pos}
		if s.from != sec {
			st.From = s.from.label()
		}
		out = append(out, st)
	}
	return out
}

func (ld *loader) loadSetup(sec *section) {
	setup := &ld.cfg.Setup
	setup.UniqueIDs = UniqueYes
	eff := sec.effective()
	setup.Settings = settingsOf(sec, eff)
	ld.errs = nil
	for _, s := range eff {
		kw, known := keywords[s.key]
		if !known {
			ld.warn(s, "unknown keyword '%s'", s.key)
			continue
		}
		if kw < kwSetupFirst || kw > kwSetupLast {
			ld.bad(s, "unsupported keyword '%s' in config setup (%s)", s.key, belongs(kw))
			continue
		}
		sp := spec(kw)
		if sp.arg == argDeprecated {
			ld.warn(s, deprecatedSetup+sp.hint, s.key)
			continue
		}
		if ld.assign(reflect.ValueOf(setup).Elem(), sp, s) && kw == kwUniqueids {
			// starter writes an int over the bools uniqueids and cachecrls.
			setup.CacheCRLs = false
		}
	}
	// Errors in config setup are fatal for the whole file.
	ld.cfg.Problems = append(ld.cfg.Problems, ld.errs...)
}

// finish decides about a section after loading it: with errors starter
// drops it and logs them as non-fatal.
func (ld *loader) finish(label string) bool {
	if len(ld.errs) == 0 {
		return true
	}
	for _, e := range ld.errs {
		e.Severity = confparse.Dropped
		e.Section = label
	}
	ld.cfg.Problems = append(ld.cfg.Problems, ld.errs...)
	ld.cfg.Dropped = append(ld.cfg.Dropped, label)
	return false
}

func (ld *loader) loadCA(sec *section) {
	ca := &CA{Name: sec.name, Pos: sec.pos}
	eff := sec.effective()
	ca.Settings = settingsOf(sec, eff)
	ld.errs = nil
	for _, s := range eff {
		kw, known := keywords[s.key]
		if !known {
			ld.warn(s, "unknown keyword '%s'", s.key)
			continue
		}
		if kw == kwAuto {
			kw = kwCASetup
		}
		if kw < kwCAFirst || kw > kwCALast {
			ld.bad(s, "unsupported keyword '%s' in ca '%s' (%s)", s.key, sec.name, belongs(kw))
			continue
		}
		sp := spec(kw)
		if sp.arg == argDeprecated {
			ld.warn(s, deprecatedCA, s.key, sec.name)
			continue
		}
		ld.assign(reflect.ValueOf(ca).Elem(), sp, s)
	}
	if ca.Auto != AutoIgnore {
		ca.Auto = AutoAdd
	}
	if ld.finish("ca " + sec.name) {
		ld.cfg.CAs = append(ld.cfg.CAs, ca)
	}
}

// newConn is conn_defaults().
func newConn(name string) *Conn {
	return &Conn{
		Name:          name,
		Mode:          ModeTunnel,
		Options:       OptMobike,
		IKELifetime:   3 * 3600,
		Lifetime:      3600,
		Margin:        9 * 60,
		RekeyFuzz:     100,
		KeyingTries:   3,
		InstallPolicy: true,
		DPDDelay:      30,
		DPDTimeout:    150,
		ReplayWindow:  0xffffffff,
		Fragmentation: FragmentationYes,
		Left:          End{SendCert: SendCertIfAsked, IKEPort: 500, ToPort: 0xffff},
		Right:         End{SendCert: SendCertIfAsked, IKEPort: 500, ToPort: 0xffff},
	}
}

func (ld *loader) loadConn(sec *section) {
	c := newConn(sec.name)
	c.Pos = sec.pos
	eff := sec.effective()
	c.Settings = settingsOf(sec, eff)
	ld.errs = nil
	for _, s := range eff {
		kw, known := keywords[s.key]
		if !known {
			ld.warn(s, "unknown keyword '%s'", s.key)
			continue
		}
		if tok, right, ok := kw.end(); ok {
			e := &c.Left
			if right {
				e = &c.Right
			}
			ld.endKeyword(c, e, tok, s)
			continue
		}
		if kw == kwAuto {
			kw = kwConnSetup
		}
		if kw < kwConnFirst || kw > kwConnLast {
			ld.bad(s, "unsupported keyword '%s' in conn '%s' (%s)", s.key, sec.name, belongs(kw))
			continue
		}
		ld.connKeyword(c, kw, s)
	}
	for _, side := range []struct {
		label string
		e     *End
	}{{"left", &c.Left}, {"right", &c.Right}} {
		if side.e.Firewall {
			if side.e.Updown.Set {
				ld.errs = append(ld.errs, confparse.Errorf(sec.pos, confparse.Fatal,
					"cannot have both %sfirewall and %supdown", side.label, side.label))
			} else {
				side.e.Updown = S(firewallUpdown)
				side.e.Firewall = false
			}
		}
	}
	if ld.finish("conn " + sec.name) {
		ld.cfg.Conns = append(ld.cfg.Conns, c)
	}
}

// connKeyword handles a conn keyword (load_conn, handle_keyword).
func (ld *loader) connKeyword(c *Conn, kw keyword, s effectiveSetting) {
	sp := spec(kw)
	switch sp.arg {
	case argDeprecated:
		ld.warn(s, deprecatedConn+sp.hint, s.key, c.Name)
	case argFlag:
		// KW_SA_OPTION_FLAG
		switch v := *s.value; v {
		case sp.list[0]:
			c.Options |= sp.bit
		case sp.list[1]:
			c.Options &^= sp.bit
		default:
			ld.bad(s, "bad option value: %s=%s (expected '%s' or '%s')", s.key, v, sp.list[0], sp.list[1])
		}
	case argMisc: // type=
		ld.connType(c, s)
	default:
		if ld.assign(reflect.ValueOf(c).Elem(), sp, s) && kw == kwMark {
			c.MarkOut = c.MarkIn
		}
	}
}

// connType is KW_TYPE: the mode and proxy mode.
func (ld *loader) connType(c *Conn, s effectiveSetting) {
	c.Mode, c.ProxyMode = ModeTransport, false
	switch v := *s.value; v {
	case "tunnel":
		c.Mode = ModeTunnel
	case "beet":
		c.Mode = ModeBeet
	case "transport_proxy":
		c.ProxyMode = true
	case "passthrough", "pass":
		c.Mode = ModePass
	case "drop", "reject":
		c.Mode = ModeDrop
	case "transport":
	default:
		ld.bad(s, "bad policy value: %s=%s (expected 'tunnel', 'transport', 'transport_proxy', 'beet', 'pass' or 'drop')", s.key, v)
	}
}

// endKeyword handles a left|right keyword (kw_end).
func (ld *loader) endKeyword(c *Conn, e *End, kw keyword, s effectiveSetting) {
	sp := spec(kw)
	switch sp.arg {
	case argDeprecated:
		ld.warn(s, deprecatedConn, s.key, c.Name)
		return
	case argMisc: // leftprotoport=
		if msg := ld.protoportArg(*s.value, e); msg != "" {
			ld.bad(s, "%s: %s=%s", msg, s.key, *s.value)
		}
		return
	}
	if ld.assign(reflect.ValueOf(e).Elem(), sp, s) && sp.post != nil {
		sp.post(c, e)
	}
}
