package ipsecconf

import (
	"fmt"
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
	authbyNames       = []string{"psk", "secret", "pubkey", "rsa", "rsasig", "ecdsa", "ecdsasig", "xauthpsk", "xauthrsasig", "never"}
	deprecatedSetup   = "deprecated keyword '%s' in config setup"
	deprecatedConn    = "deprecated keyword '%s' in conn '%s'"
	deprecatedCA      = "deprecated keyword '%s' in ca '%s'"
	pfsDeprecatedHint = " (PFS is enabled by specifying a DH group in the 'esp' cipher suite)"
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
		v := *s.value
		switch kw {
		case kwSetupDeprecated:
			ld.warn(s, deprecatedSetup, s.key)
		case kwPKCS11Deprecated:
			ld.warn(s, deprecatedSetup+" (use the 'pkcs11' plugin instead)", s.key)
		case kwCharondebug:
			setup.CharonDebug = S(v)
		case kwUniqueids:
			i, msg := enumArg(v, uniqueNames)
			if msg != "" {
				ld.badValue(s, msg)
				continue
			}
			setup.UniqueIDs = Unique(i)
			// starter writes an int over the bools uniqueids and cachecrls.
			setup.CacheCRLs = false
		case kwCachecrls:
			b, msg := boolArg(v)
			if msg != "" {
				ld.badValue(s, msg)
				continue
			}
			setup.CacheCRLs = b
		case kwStrictcrlpolicy:
			i, msg := enumArg(v, strictNames)
			if msg != "" {
				ld.badValue(s, msg)
				continue
			}
			setup.StrictCRLPolicy = StrictPolicy(i)
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
		v := *s.value
		switch kw {
		case kwCADeprecated:
			ld.warn(s, deprecatedCA, s.key, sec.name)
		case kwCASetup:
			i, msg := enumArg(v, startupNames)
			if msg != "" {
				ld.badValue(s, msg)
				continue
			}
			ca.Auto = Startup(i)
		case kwCACert:
			ca.CACert = S(v)
		case kwCRLURI:
			ca.CRLURI = S(v)
		case kwCRLURI2:
			ca.CRLURI2 = S(v)
		case kwOCSPURI:
			ca.OCSPURI = S(v)
		case kwOCSPURI2:
			ca.OCSPURI2 = S(v)
		case kwCertURIBase:
			ca.CertURIBase = S(v)
		}
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

func (ld *loader) connKeyword(c *Conn, kw keyword, s effectiveSetting) {
	v := *s.value
	enum := func(list []string, set func(int)) {
		i, msg := enumArg(v, list)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		set(i)
	}
	boolean := func(dst *bool) { enum(boolNames, func(i int) { *dst = i > 0 }) }
	str := func(dst *Str) { *dst = S(v) }
	tm := func(dst *Seconds) {
		t, msg := timeArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		*dst = t
	}
	ulli := func(dst *uint64) {
		n, msg := ulliArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		*dst = n
	}
	u32 := func(dst *uint32) {
		n, msg := uintArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		*dst = n
	}
	// flag is KW_SA_OPTION_FLAG: set sets the bit, clear clears it.
	flag := func(set, clear string, bit Option) {
		switch v {
		case set:
			c.Options |= bit
		case clear:
			c.Options &^= bit
		default:
			ld.bad(s, "bad option value: %s=%s (expected '%s' or '%s')", s.key, v, set, clear)
		}
	}
	mark := func(dst *Mark) bool {
		m, msg := markArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return false
		}
		*dst = m
		return true
	}
	switch kw {
	case kwPFSDeprecated:
		ld.warn(s, deprecatedConn+pfsDeprecatedHint, s.key, c.Name)
	case kwConnDeprecated:
		ld.warn(s, deprecatedConn, s.key, c.Name)
	case kwConnSetup:
		enum(startupNames, func(i int) { c.Auto = Startup(i) })
	case kwKeyexchange:
		enum(keyExchangeNames, func(i int) { c.KeyExchange = KeyExchange(i) })
	case kwType:
		c.Mode, c.ProxyMode = ModeTransport, false
		switch v {
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
	case kwCompress:
		flag("yes", "no", OptCompress)
	case kwInstallpolicy:
		boolean(&c.InstallPolicy)
	case kwAggressive:
		boolean(&c.Aggressive)
	case kwAuthby:
		if _, msg := enumArg(v, authbyNames); msg != "" {
			ld.badValue(s, msg)
			return
		}
		str(&c.Authby)
	case kwEAPIdentity:
		str(&c.EAPIdentity)
	case kwAAAIdentity:
		str(&c.AAAIdentity)
	case kwMobike:
		flag("yes", "no", OptMobike)
	case kwForceencaps:
		flag("yes", "no", OptForceEncap)
	case kwFragmentation:
		enum(fragmentationNames, func(i int) { c.Fragmentation = Fragmentation(i) })
	case kwIKEDSCP:
		n, msg := binArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		c.IKEDSCP = n
	case kwIKELifetime:
		tm(&c.IKELifetime)
	case kwKeylife:
		tm(&c.Lifetime)
	case kwRekeymargin:
		tm(&c.Margin)
	case kwLifebytes:
		ulli(&c.LifeBytes)
	case kwMarginbytes:
		ulli(&c.MarginBytes)
	case kwLifepackets:
		ulli(&c.LifePackets)
	case kwMarginpackets:
		ulli(&c.MarginPackets)
	case kwKeyingtries:
		if v == "%forever" {
			c.KeyingTries = 0
			return
		}
		// strtoul stores its result before the check, so a bad value
		// still lands in the field (and the conn is dropped anyway).
		n, msg := ulongArg(v)
		c.KeyingTries = n
		if msg != "" {
			ld.bad(s, "bad integer value: %s=%s (expected a number or %%forever)", s.key, v)
		}
	case kwRekeyfuzz:
		n, msg := percentArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		c.RekeyFuzz = n
	case kwRekey:
		flag("no", "yes", OptDontRekey)
	case kwReauth:
		flag("no", "yes", OptDontReauth)
	case kwIKE:
		str(&c.IKE)
	case kwESP:
		str(&c.ESP)
	case kwAH:
		str(&c.AH)
	case kwDPDDelay:
		tm(&c.DPDDelay)
	case kwDPDTimeout:
		tm(&c.DPDTimeout)
	case kwDPDAction:
		enum(actionNames, func(i int) { c.DPDAction = Action(i) })
	case kwCloseaction:
		enum(actionNames, func(i int) { c.CloseAction = Action(i) })
	case kwSHA256_96:
		boolean(&c.SHA256_96)
	case kwInactivity:
		tm(&c.Inactivity)
	case kwModeconfig:
		flag("push", "pull", OptModecfgPush)
	case kwXauth:
		flag("server", "client", OptXauthServer)
	case kwXauthIdentity:
		str(&c.XauthIdentity)
	case kwMediation:
		boolean(&c.MeMediation)
	case kwMediatedBy:
		str(&c.MeMediatedBy)
	case kwMePeerID:
		str(&c.MePeerID)
	case kwReqid:
		u32(&c.ReqID)
	case kwReplayWindow:
		u32(&c.ReplayWindow)
	case kwMark:
		if mark(&c.MarkIn) {
			c.MarkOut = c.MarkIn
		}
	case kwMarkIn:
		mark(&c.MarkIn)
	case kwMarkOut:
		mark(&c.MarkOut)
	case kwTFC:
		if v == "%mtu" {
			c.TFC = 0xffffffff
			return
		}
		n, msg := ulongArg(v)
		c.TFC = uint32(n)
		if msg != "" {
			ld.bad(s, "bad integer value: %s=%s (expected a number or %%mtu)", s.key, v)
		}
	default:
		panic(fmt.Sprintf("ipsecconf: conn keyword %d has no handler", kw))
	}
}

func (ld *loader) endKeyword(c *Conn, e *End, kw keyword, s effectiveSetting) {
	v := *s.value
	str := func(dst *Str) { *dst = S(v) }
	boolean := func(dst *bool) {
		b, msg := boolArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		*dst = b
	}
	switch kw {
	case kwEndDeprecated:
		ld.warn(s, deprecatedConn, s.key, c.Name)
	case kwHost:
		host := v
		if len(host) > 0 && host[0] == '%' {
			if host == "%defaultroute" {
				host = "%any"
			}
			if host != "%any" && host != "%any4" && host != "%any6" {
				// "%192.168.0.1": this address, but accept any.
				e.AllowAny = true
				host = host[1:]
			}
		}
		e.Host = S(host)
	case kwIKEPort:
		n, msg := uintArg(v)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		e.IKEPort = n
	case kwSubnet:
		str(&e.Subnet)
	case kwProtoport:
		if msg := ld.protoportArg(v, e); msg != "" {
			ld.bad(s, "%s: %s=%s", msg, s.key, v)
		}
	case kwSourceIP:
		str(&e.SourceIP)
		// A virtual IP needs a tunnel: starter forces it.
		c.Mode, c.ProxyMode = ModeTunnel, false
	case kwDNS:
		str(&e.DNS)
	case kwFirewall:
		boolean(&e.Firewall)
	case kwHostaccess:
		boolean(&e.HostAccess)
	case kwAllowany:
		boolean(&e.AllowAny)
	case kwUpdown:
		str(&e.Updown)
	case kwAuth1:
		str(&e.Auth)
	case kwAuth2:
		str(&e.Auth2)
	case kwID:
		str(&e.ID)
	case kwID2:
		str(&e.ID2)
	case kwSigkey:
		str(&e.SigKey)
	case kwCert:
		str(&e.Cert)
	case kwCert2:
		str(&e.Cert2)
	case kwCertpolicy:
		str(&e.CertPolicy)
	case kwSendcert:
		i, msg := enumArg(v, sendCertNames)
		if msg != "" {
			ld.badValue(s, msg)
			return
		}
		switch i {
		case 3: // yes
			i = int(SendCertAlways)
		case 4: // no
			i = int(SendCertNever)
		}
		e.SendCert = SendCert(i)
	case kwCA:
		str(&e.CA)
	case kwCA2:
		str(&e.CA2)
	case kwGroups:
		str(&e.Groups)
	case kwGroups2:
		str(&e.Groups2)
	default:
		panic(fmt.Sprintf("ipsecconf: end keyword %d has no handler", kw))
	}
}
