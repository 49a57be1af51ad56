package vici

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// load-conn, unload-conn and get-conns (vici_config.c): connections
// defined over vici, parsed into the same peer, IKE and CHILD_SA configs
// stroke's conns become, and kept in a backend of their own beside
// stroke's.

// Defaults of vici_config.c.
const (
	defaultIKERekeyTime   = 4 * 60 * 60
	defaultChildRekeyTime = 60 * 60
	undefined             = ^uint64(0)
	replayUndefined       = ^uint32(0)
)

func (p *Plugin) registerConfig() {
	p.srv.Command("load-conn", p.loadConn)
	p.srv.Command("unload-conn", p.unloadConn)
	p.srv.Command("get-conns", p.getConns)
}

// parseError is the reply to a conn that cannot be loaded.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

func perr(format string, args ...any) error { return &parseError{fmt.Sprintf(format, args...)} }

// invalid is parse_rules' answer to a value its parser refused.
func invalid(name string) error { return perr("invalid value for: %s, config discarded", name) }

// unknownOpt is parse_rules' answer to a name it has no rule for.
func unknownOpt(name string) error { return perr("unknown option: %s, config discarded", name) }

// unsupported refuses an option charon knows but goswan cannot honour yet.
func unsupported(name, why string) error {
	return perr("unsupported option: %s (%s), config discarded", name, why)
}

// Why goswan refuses the options it cannot honour.
const (
	whyCerts = "certificates and public key authentication over vici are not supported by goswan yet"
	// whyRawKeys follows feature.RawPublicKeys, whyAuthorities
	// feature.ViciAuthorities.
	whyRawKeys     = "raw public keys are not supported by goswan yet"
	whyAuthorities = "certification authority sections, attribute certificates and certificates from files or tokens over vici are not supported by goswan yet"
	whyIKEv1       = "goswan speaks IKEv2 only"
	whyPPK         = "postquantum preshared keys are not supported by goswan"
	whyLabels      = "security labels are not supported by goswan"
)

type authData struct {
	cfg   config.AuthCfg
	round uint32
	// certs holds the certificates of certs and cacerts (nil: no
	// certificate support).
	certs CertStore
	log   credentials.LogFunc
}

type peerData struct {
	version                                  uint32
	aggressive, encap, mobike, certreq, pull bool
	sendCert                                 config.CertPolicy
	dpdDelay, dpdTimeout                     uint64
	fragmentation                            config.Fragmentation
	childless                                config.Childless
	unique                                   config.UniquePolicy
	keyingtries                              uint32
	localPort, remotePort                    uint32
	localAddrs, remoteAddrs                  string
	hasLocal, hasRemote                      bool
	local, remote                            []*authData
	proposals                                []*config.Proposal
	children                                 []*config.ChildCfg
	vips                                     []netip.Addr
	pools                                    string
	hasPools                                 bool
	reauth, rekey, over, rand                uint64
	dscp                                     uint8
	ifIDIn, ifIDOut                          uint32
}

// stringList is parse_stringlist: list items joined with ", ".
func stringList(cur *string, set *bool, v []byte) bool {
	s, ok := parseString(v)
	if !ok {
		return false
	}
	if *set {
		*cur += ", " + s
	} else {
		*cur, *set = s, true
	}
	return true
}

// peerRules are peer_kv's parse rules: each parses a value into the peer
// data and reports whether it was valid.
var peerRules = map[string]func(d *peerData, v []byte) bool{
	"version": func(d *peerData, v []byte) (ok bool) {
		d.version, ok = parseUint32(v)
		return ok && (d.version == 0 || d.version == 2)
	},
	"aggressive": func(d *peerData, v []byte) (ok bool) { d.aggressive, ok = parseBool(v); return },
	"pull":       func(d *peerData, v []byte) (ok bool) { d.pull, ok = parseBool(v); return },
	"dscp": func(d *peerData, v []byte) bool {
		n, ok := parseUint32Base(v, 2)
		d.dscp = uint8(n & 0x3f)
		return ok
	},
	"encap":       func(d *peerData, v []byte) (ok bool) { d.encap, ok = parseBool(v); return },
	"mobike":      func(d *peerData, v []byte) (ok bool) { d.mobike, ok = parseBool(v); return },
	"dpd_delay":   func(d *peerData, v []byte) (ok bool) { d.dpdDelay, ok = parseTime(v); return },
	"dpd_timeout": func(d *peerData, v []byte) (ok bool) { d.dpdTimeout, ok = parseTime(v); return },
	"fragmentation": func(d *peerData, v []byte) (ok bool) {
		d.fragmentation, ok = parseMap(v, map[string]config.Fragmentation{"yes": config.FragmentationYes,
			"accept": config.FragmentationAccept, "no": config.FragmentationNo, "force": config.FragmentationForce})
		return
	},
	"childless": func(d *peerData, v []byte) (ok bool) {
		d.childless, ok = parseMap(v, map[string]config.Childless{"allow": config.ChildlessAllow,
			"never": config.ChildlessNever, "force": config.ChildlessForce})
		return
	},
	"send_certreq": func(d *peerData, v []byte) (ok bool) { d.certreq, ok = parseBool(v); return },
	"send_cert": func(d *peerData, v []byte) (ok bool) {
		d.sendCert, ok = parseMap(v, map[string]config.CertPolicy{"ifasked": config.CertSendIfAsked,
			"always": config.CertAlwaysSend, "never": config.CertNeverSend})
		return
	},
	"keyingtries": func(d *peerData, v []byte) (ok bool) { d.keyingtries, ok = parseUint32(v); return },
	"unique": func(d *peerData, v []byte) (ok bool) {
		d.unique, ok = parseMap(v, map[string]config.UniquePolicy{"never": config.UniqueNever,
			"no": config.UniqueNo, "replace": config.UniqueReplace, "keep": config.UniqueKeep})
		return
	},
	"local_port":  func(d *peerData, v []byte) (ok bool) { d.localPort, ok = parseUint32(v); return },
	"remote_port": func(d *peerData, v []byte) (ok bool) { d.remotePort, ok = parseUint32(v); return },
	"reauth_time": func(d *peerData, v []byte) (ok bool) { d.reauth, ok = parseTime(v); return },
	"rekey_time":  func(d *peerData, v []byte) (ok bool) { d.rekey, ok = parseTime(v); return },
	"over_time":   func(d *peerData, v []byte) (ok bool) { d.over, ok = parseTime(v); return },
	"rand_time":   func(d *peerData, v []byte) (ok bool) { d.rand, ok = parseTime(v); return },
	"if_id_in":    func(d *peerData, v []byte) (ok bool) { d.ifIDIn, ok = parseIfID(v); return },
	"if_id_out":   func(d *peerData, v []byte) (ok bool) { d.ifIDOut, ok = parseIfID(v); return },
}

// peerRefused are the peer options charon knows that goswan cannot honour.
var peerRefused = map[string]string{"ppk_id": whyPPK, "ppk_required": whyPPK}

func (d *peerData) kv(name string, v []byte) error {
	if why, ok := peerRefused[name]; ok {
		return unsupported(name, why)
	}
	rule, ok := peerRules[name]
	if !ok {
		return unknownOpt(name)
	}
	if name == "version" {
		if n, ok := parseUint32(v); ok && n == 1 {
			return unsupported(name, whyIKEv1)
		}
	}
	if !rule(d, v) {
		return invalid(name)
	}
	return nil
}

func (d *peerData) li(name string, v []byte) error {
	ok := false
	switch name {
	case "local_addrs":
		ok = stringList(&d.localAddrs, &d.hasLocal, v)
	case "remote_addrs":
		ok = stringList(&d.remoteAddrs, &d.hasRemote, v)
	case "proposals":
		var ps []*config.Proposal
		if ps, ok = parseProposal(v, config.ProtoIKE); ok {
			d.proposals = append(d.proposals, ps...)
		}
	case "vips":
		// parse_hosts
		var s string
		if s, ok = parseString(v); ok {
			var a netip.Addr
			if a, ok = hostFrom(s); ok {
				d.vips = append(d.vips, a)
			}
		}
	case "pools":
		ok = stringList(&d.pools, &d.hasPools, v)
	default:
		return unknownOpt(name)
	}
	if !ok {
		return invalid(name)
	}
	return nil
}

func (a *authData) kv(name string, v []byte) error {
	ok := true
	switch name {
	case "auth":
		return a.parseAuth(v)
	case "id":
		a.cfg.Identity, ok = parseIdentity(v)
	case "aaa_id":
		a.cfg.AAAIdentity, ok = parseIdentity(v)
	case "eap_id":
		a.cfg.EAPIdentity, ok = parseIdentity(v)
	case "xauth_id":
		a.cfg.XAuthIdentity, ok = parseIdentity(v)
	case "ca_id":
		if a.certs == nil {
			return unsupported(name, whyCerts)
		}
		var id *credentials.Identity
		if id, ok = parseIdentity(v); ok {
			a.cfg.CAIdentities = append(a.cfg.CAIdentities, id)
		}
	case "revocation":
		var lvl credentials.Validation
		lvl, ok = parseMap(v, map[string]credentials.Validation{"strict": credentials.ValidationGood,
			"ifuri": credentials.ValidationSkipped, "relaxed": credentials.ValidationFailed})
		if ok && lvl != credentials.ValidationFailed {
			a.cfg.CRLValidation = append(a.cfg.CRLValidation, lvl)
		}
	case "round":
		a.round, ok = parseUint32(v)
	default:
		return unknownOpt(name)
	}
	if !ok {
		return invalid(name)
	}
	return nil
}

func parseIdentity(v []byte) (*credentials.Identity, bool) {
	s, ok := stringify(v, bufLen)
	if !ok {
		return nil, false
	}
	return credentials.ParseIdentity(s), true
}

// parseAuth is parse_auth, refusing the methods goswan cannot run.
func (a *authData) parseAuth(v []byte) error {
	s, ok := stringify(v, 64)
	if !ok {
		return invalid("auth")
	}
	lower := func(p string) bool { return len(s) >= len(p) && equalFold(s[:len(p)], p) }
	switch {
	case hasPrefix(s, "ike:"), hasPrefix(s, "pubkey"), hasPrefix(s, "rsa"), hasPrefix(s, "ecdsa"), hasPrefix(s, "bliss"):
		if a.certs == nil {
			return unsupported("auth", whyCerts)
		}
		a.cfg.Class = config.AuthClassPubkey
		a.cfg.AddPubkeyConstraints(s, true, a.certs.Constraints(), a.log)
		return nil
	case equalFold(s, "psk"):
		a.cfg.Class = config.AuthClassPSK
		return nil
	case lower("xauth"):
		return unsupported("auth", whyIKEv1)
	case lower("eap"):
		a.cfg.Class = config.AuthClassEAP
		if i := strings.IndexByte(s, ':'); i >= 0 {
			// Public key constraints for EAP-TLS: certificates.
			return unsupported("auth", whyCerts)
		}
		a.cfg.EAPType, a.cfg.EAPVendor = config.ParseEAPType(s)
		if f := config.EAPFeature(a.cfg.EAPType, a.cfg.EAPVendor); !f.Supported {
			return unsupported("auth", f.Name+" is not supported by goswan yet")
		}
		return nil
	}
	return invalid("auth")
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if toLower(a[i]) != toLower(b[i]) {
			return false
		}
	}
	return true
}

func (a *authData) li(name string, v []byte) error {
	switch name {
	case "groups":
		id, ok := parseIdentity(v)
		if !ok {
			return invalid(name)
		}
		a.cfg.Groups = append(a.cfg.Groups, id)
	case "cert_policy":
		s, ok := stringify(v, bufLen)
		if !ok {
			return invalid(name)
		}
		a.cfg.CertPolicies = append(a.cfg.CertPolicies, s)
	case "certs", "cacerts":
		if a.certs == nil {
			return unsupported(name, whyCerts)
		}
		c, err := a.certs.ConnCert(v, name == "cacerts")
		if err != nil {
			return invalid(name)
		}
		if name == "certs" {
			a.cfg.SubjectCerts = append(a.cfg.SubjectCerts, c)
		} else {
			a.cfg.CACerts = append(a.cfg.CACerts, c)
		}
	case "pubkeys":
		return unsupported(name, whyRawKeys)
	default:
		return unknownOpt(name)
	}
	return nil
}

// parseAuthSection parses a local* or remote* section. Without an id, the
// first certificate's subject is the round's identity.
func (p *Plugin) parseAuthSection(m *Message) (*authData, error) {
	a, err := parseAuthRules(m, p.deps.Features.Certs, func(_ credentials.LogGroup, level int, format string, args ...any) {
		p.log.Logf(bus.CFG, bus.Level(level), format, args...)
	})
	if err != nil {
		return nil, err
	}
	if a.cfg.Identity == nil && len(a.cfg.SubjectCerts) > 0 {
		a.cfg.Identity = a.cfg.SubjectCerts[0].Subject()
		p.logf(bus.Control, "  id not specified, defaulting to cert subject '%s'", a.cfg.Identity)
	}
	return a, nil
}

func parseAuthRules(m *Message, certs CertStore, log credentials.LogFunc) (*authData, error) {
	a := &authData{certs: certs, log: log}
	for _, e := range m.Elements {
		var err error
		switch e.Kind {
		case KeyValue:
			err = a.kv(e.Name, e.Value)
		case List:
			for _, it := range e.Items {
				if err = a.li(e.Name, it); err != nil {
					break
				}
			}
		case Section:
			// cert*/cacert* sections load certificates from files or tokens.
			if hasPrefixFold(e.Name, "cert") || hasPrefixFold(e.Name, "cacert") {
				err = unsupported(e.Name, whyAuthorities)
			} else {
				err = perr("invalid section: %s", e.Name)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && equalFold(s[:len(p)], p) }

// childData is the CHILD_SA part of a conn while it is parsed.
type childData struct {
	cfg          config.ChildCfg
	replayWindow uint32
}

var modeMap = map[string]kernel.Mode{"tunnel": kernel.ModeTunnel, "transport": kernel.ModeTransport,
	"transport_proxy": kernel.ModeTransport, "beet": kernel.ModeBEET, "drop": kernel.ModeDrop, "pass": kernel.ModePass}

var actionMap = map[string]config.Action{"start": config.ActionStart, "restart": config.ActionStart,
	"route": config.ActionTrap, "trap": config.ActionTrap, "none": config.ActionNone, "clear": config.ActionNone,
	"trap|start": config.ActionTrap | config.ActionStart, "start|trap": config.ActionTrap | config.ActionStart}

// optionRule parses a boolean into a child option; set says which value
// sets it.
func optionRule(o config.ChildOption, set bool) func(c *childData, v []byte) bool {
	return func(c *childData, v []byte) bool {
		b, ok := parseBool(v)
		if ok && b == set {
			c.cfg.Options |= o
		}
		return ok
	}
}

func timeRule(f func(c *childData) *uint64) func(c *childData, v []byte) bool {
	return func(c *childData, v []byte) (ok bool) { *f(c), ok = parseTime(v); return }
}

func bytesRule(f func(c *childData) *uint64) func(c *childData, v []byte) bool {
	return func(c *childData, v []byte) (ok bool) { *f(c), ok = parseBytes(v); return }
}

func uint64Rule(f func(c *childData) *uint64) func(c *childData, v []byte) bool {
	return func(c *childData, v []byte) (ok bool) { *f(c), ok = parseUint64(v); return }
}

func actionRule(f func(c *childData) *config.Action) func(c *childData, v []byte) bool {
	return func(c *childData, v []byte) (ok bool) { *f(c), ok = parseMap(v, actionMap); return }
}

func markRule(f func(c *childData) *kernel.Mark, same bool) func(c *childData, v []byte) bool {
	return func(c *childData, v []byte) (ok bool) { *f(c), ok = parseMark(v, same); return }
}

// childRules are child_kv's parse rules.
var childRules = map[string]func(c *childData, v []byte) bool{
	"updown":     func(c *childData, v []byte) (ok bool) { c.cfg.Updown, ok = parseString(v); return },
	"hostaccess": optionRule(config.OptHostAccess, true),
	"mode": func(c *childData, v []byte) (ok bool) {
		c.cfg.Mode, ok = parseMap(v, modeMap)
		if ok && c.cfg.Mode == kernel.ModeTransport && len(v) > 9 {
			c.cfg.Options |= config.OptProxyMode
		}
		return ok
	},
	"policies":         optionRule(config.OptNoPolicies, false),
	"policies_fwd_out": optionRule(config.OptFwdOutPolicies, true),
	"replay_window":    func(c *childData, v []byte) (ok bool) { c.replayWindow, ok = parseUint32(v); return },
	"rekey_time":       timeRule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Time.Rekey }),
	"life_time":        timeRule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Time.Life }),
	"rand_time":        timeRule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Time.Jitter }),
	"rekey_bytes":      bytesRule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Bytes.Rekey }),
	"life_bytes":       bytesRule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Bytes.Life }),
	"rand_bytes":       bytesRule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Bytes.Jitter }),
	"rekey_packets":    uint64Rule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Packets.Rekey }),
	"life_packets":     uint64Rule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Packets.Life }),
	"rand_packets":     uint64Rule(func(c *childData) *uint64 { return &c.cfg.Lifetime.Packets.Jitter }),
	"dpd_action":       actionRule(func(c *childData) *config.Action { return &c.cfg.DPDAction }),
	"start_action":     actionRule(func(c *childData) *config.Action { return &c.cfg.StartAction }),
	"close_action":     actionRule(func(c *childData) *config.Action { return &c.cfg.CloseAction }),
	"ipcomp":           optionRule(config.OptIPComp, true),
	"inactivity": func(c *childData, v []byte) bool {
		t, ok := parseTime(v)
		c.cfg.Inactivity = uint32(t)
		return ok
	},
	"reqid":        func(c *childData, v []byte) (ok bool) { c.cfg.ReqID, ok = parseUint32(v); return },
	"mark_in":      markRule(func(c *childData) *kernel.Mark { return &c.cfg.MarkIn }, false),
	"mark_in_sa":   optionRule(config.OptMarkInSA, true),
	"mark_out":     markRule(func(c *childData) *kernel.Mark { return &c.cfg.MarkOut }, false),
	"set_mark_in":  markRule(func(c *childData) *kernel.Mark { return &c.cfg.SetMarkIn }, true),
	"set_mark_out": markRule(func(c *childData) *kernel.Mark { return &c.cfg.SetMarkOut }, true),
	"tfc_padding": func(c *childData, v []byte) (ok bool) {
		if string(v) == "mtu" {
			c.cfg.TFC = ^uint32(0)
			return true
		}
		c.cfg.TFC, ok = parseUint32(v)
		return ok
	},
	"priority":  func(c *childData, v []byte) (ok bool) { c.cfg.ManualPrio, ok = parseUint32(v); return },
	"interface": func(c *childData, v []byte) (ok bool) { c.cfg.Interface, ok = parseString(v); return },
	"hw_offload": func(c *childData, v []byte) (ok bool) {
		c.cfg.HWOffload, ok = parseMap(v, map[string]kernel.HWOffload{"no": kernel.HWOffloadNo,
			"yes": kernel.HWOffloadYes, "auto": kernel.HWOffloadAuto})
		return
	},
	"sha256_96": optionRule(config.OptSHA256_96, true),
	"copy_df":   optionRule(config.OptNoCopyDF, false),
	"copy_ecn":  optionRule(config.OptNoCopyECN, false),
	"copy_dscp": func(c *childData, v []byte) (ok bool) {
		c.cfg.CopyDSCP, ok = parseMap(v, map[string]kernel.DSCPCopy{"no": kernel.DSCPCopyNo,
			"in": kernel.DSCPCopyInOnly, "out": kernel.DSCPCopyOutOnly, "yes": kernel.DSCPCopyYes})
		return
	},
	"if_id_in":  func(c *childData, v []byte) (ok bool) { c.cfg.IfIDIn, ok = parseIfID(v); return },
	"if_id_out": func(c *childData, v []byte) (ok bool) { c.cfg.IfIDOut, ok = parseIfID(v); return },
}

// childRefused are the child options charon knows that goswan cannot
// honour.
var childRefused = map[string]string{"label": whyLabels, "label_mode": whyLabels}

func (c *childData) kv(name string, v []byte) error {
	if why, ok := childRefused[name]; ok {
		return unsupported(name, why)
	}
	rule, ok := childRules[name]
	if !ok {
		return unknownOpt(name)
	}
	if !rule(c, v) {
		return invalid(name)
	}
	return nil
}

func (c *childData) li(name string, v []byte) error {
	ok := false
	switch name {
	case "ah_proposals", "esp_proposals":
		proto := config.ProtoESP
		if name == "ah_proposals" {
			proto = config.ProtoAH
		}
		var ps []*config.Proposal
		if ps, ok = parseProposal(v, proto); ok {
			c.cfg.Proposals = append(c.cfg.Proposals, ps...)
		}
	case "local_ts", "remote_ts":
		var ts selectors.TS
		if ts, ok = parseTS(v); ok {
			if name == "local_ts" {
				c.cfg.LocalTS = append(c.cfg.LocalTS, ts)
			} else {
				c.cfg.RemoteTS = append(c.cfg.RemoteTS, ts)
			}
		}
	default:
		return unknownOpt(name)
	}
	if !ok {
		return invalid(name)
	}
	return nil
}

// checkLifetimes is check_lifetimes: a hard limit 10% above the soft one
// and the difference as jitter, where not given.
func checkLifetimes(lt *kernel.Lifetime) {
	for _, l := range []*kernel.LifetimeLimit{&lt.Time, &lt.Bytes, &lt.Packets} {
		if l.Life == undefined {
			l.Life = l.Rekey * 110 / 100
		}
		if l.Jitter == undefined {
			l.Jitter = l.Life - min(l.Life, l.Rekey)
		}
	}
}

// parseChild is children_sn.
func (p *Plugin) parseChild(name string, m *Message) (*config.ChildCfg, error) {
	c := &childData{replayWindow: replayUndefined}
	c.cfg = config.ChildCfg{
		Name: name,
		Mode: kernel.ModeTunnel,
		Lifetime: kernel.Lifetime{
			Time:    kernel.LifetimeLimit{Rekey: defaultChildRekeyTime, Life: undefined, Jitter: undefined},
			Bytes:   kernel.LifetimeLimit{Life: undefined, Jitter: undefined},
			Packets: kernel.LifetimeLimit{Life: undefined, Jitter: undefined},
		},
	}
	for _, e := range m.Elements {
		var err error
		switch e.Kind {
		case KeyValue:
			err = c.kv(e.Name, e.Value)
		case List:
			for _, it := range e.Items {
				if err = c.li(e.Name, it); err != nil {
					break
				}
			}
		case Section:
			// children_sn parses no sub-sections of a child: charon skips
			// them without a word.
		}
		if err != nil {
			return nil, err
		}
	}
	if len(c.cfg.LocalTS) == 0 {
		c.cfg.LocalTS = []selectors.TS{selectors.Dynamic(0, 0, 0xffff)}
	}
	if len(c.cfg.RemoteTS) == 0 {
		c.cfg.RemoteTS = []selectors.TS{selectors.Dynamic(0, 0, 0xffff)}
	}
	if len(c.cfg.Proposals) == 0 {
		def := config.SupportedOnly(config.DefaultProposals(config.ProtoESP))
		// The AEAD default first, for CHILD_SAs.
		slices.Reverse(def)
		c.cfg.Proposals = def
	}
	checkLifetimes(&c.cfg.Lifetime)
	c.cfg.ReplayWindow = uint32(p.deps.Env.Settings.ReplayWindow)
	if c.replayWindow != replayUndefined {
		c.cfg.ReplayWindow = c.replayWindow
	}
	cfg := c.cfg
	return &cfg, nil
}

// parseConn is config_sn: one connection section.
func (p *Plugin) parseConn(name string, m *Message) (*config.PeerCfg, error) {
	d := &peerData{
		mobike: true, certreq: true, pull: true,
		sendCert:      config.CertSendIfAsked,
		remotePort:    500,
		fragmentation: config.FragmentationYes,
		unique:        config.UniqueNo,
		keyingtries:   1,
		rekey:         undefined, reauth: undefined, over: undefined, rand: undefined,
	}
	p.logf(bus.Diag, " conn %s:", name)
	for _, e := range m.Elements {
		var err error
		switch e.Kind {
		case KeyValue:
			err = d.kv(e.Name, e.Value)
		case List:
			for _, it := range e.Items {
				if err = d.li(e.Name, it); err != nil {
					break
				}
			}
		case Section:
			err = p.peerSection(d, e.Name, e.Sub)
		}
		if err != nil {
			return nil, err
		}
	}
	return p.buildPeer(name, d), nil
}

// peerSection is peer_sn: the children and the local*/remote* rounds,
// sorted by their round numbers.
func (p *Plugin) peerSection(d *peerData, name string, sub *Message) error {
	switch {
	case equalFold(name, "children"):
		for _, e := range sub.Elements {
			if e.Kind != Section {
				continue
			}
			c, err := p.parseChild(e.Name, e.Sub)
			if err != nil {
				return err
			}
			d.children = append(d.children, c)
		}
		return nil
	case hasPrefixFold(name, "local"), hasPrefixFold(name, "remote"):
		a, err := p.parseAuthSection(sub)
		if err != nil {
			return err
		}
		list := &d.remote
		if hasPrefixFold(name, "local") {
			list = &d.local
		}
		i := 0
		for i < len(*list) && a.round >= (*list)[i].round {
			i++
		}
		*list = slices.Insert(*list, i, a)
		return nil
	}
	return perr("invalid section: %s", name)
}

// buildPeer applies config_sn's defaults and creates the configs.
func (p *Plugin) buildPeer(name string, d *peerData) *config.PeerCfg {
	if len(d.local) == 0 {
		d.local = []*authData{{}}
	}
	if len(d.remote) == 0 {
		d.remote = []*authData{{}}
	}
	if len(d.proposals) == 0 {
		d.proposals = config.SupportedOnly(config.DefaultProposals(config.ProtoIKE))
	}
	if !d.hasLocal {
		d.localAddrs = "%any"
	}
	if !d.hasRemote {
		d.remoteAddrs = "%any"
	}
	if d.localPort == 0 {
		d.localPort = uint32(p.deps.Daemon.SocketPort())
	}
	if d.rekey == undefined && d.reauth == undefined {
		d.rekey, d.reauth = defaultIKERekeyTime, 0
	}
	if d.rekey == undefined {
		d.rekey = 0
	}
	if d.reauth == undefined {
		d.reauth = 0
	}
	if d.over == undefined {
		d.over = max(d.rekey, d.reauth) / 10
	}
	if d.rand == undefined {
		if d.rekey != 0 && d.reauth != 0 {
			d.rand = min(d.rekey, d.reauth)
		} else {
			d.rand = max(d.rekey, d.reauth)
		}
		d.rand = min(d.over, d.rand/2)
	}
	ike := config.NewIKECfg(config.IKECfg{
		Version:       config.IKEVersion(d.version),
		CertReq:       d.certreq,
		ForceEncap:    d.encap,
		Fragmentation: d.fragmentation,
		Childless:     d.childless,
		Local:         d.localAddrs,
		LocalPort:     uint16(d.localPort),
		Remote:        d.remoteAddrs,
		RemotePort:    uint16(d.remotePort),
		DSCP:          d.dscp,
		Proposals:     d.proposals,
	})
	peer := &config.PeerCfg{
		Name:        name,
		IKE:         ike,
		CertPolicy:  d.sendCert,
		Unique:      d.unique,
		KeyingTries: d.keyingtries,
		RekeyTime:   uint32(d.rekey),
		ReauthTime:  uint32(d.reauth),
		JitterTime:  uint32(d.rand),
		OverTime:    uint32(d.over),
		UseMOBIKE:   d.mobike,
		Aggressive:  d.aggressive,
		PullMode:    d.pull,
		DPDDelay:    uint32(d.dpdDelay),
		DPDTimeout:  uint32(d.dpdTimeout),
		IfIDIn:      d.ifIDIn,
		IfIDOut:     d.ifIDOut,
		VirtualIPs:  d.vips,
	}
	peer.Pools = strings.FieldsFunc(d.pools, func(r rune) bool { return r == ',' || r == ' ' })
	// peer_cfg_create's sanity limits.
	if peer.RekeyTime != 0 && peer.JitterTime > peer.RekeyTime {
		peer.JitterTime = peer.RekeyTime
	}
	if peer.ReauthTime != 0 && peer.JitterTime > peer.ReauthTime {
		peer.JitterTime = peer.ReauthTime
	}
	for _, a := range d.local {
		cfg := a.cfg
		peer.LocalAuth = append(peer.LocalAuth, &cfg)
	}
	for _, a := range d.remote {
		cfg := a.cfg
		peer.RemoteAuth = append(peer.RemoteAuth, &cfg)
	}
	for _, c := range d.children {
		peer.AddChild(c)
	}
	return peer
}

func (p *Plugin) loadConn(r *Request) []byte {
	for _, e := range r.Msg.Elements {
		if e.Kind != Section {
			continue
		}
		peer, err := p.parseConn(e.Name, e.Sub)
		if err != nil {
			return reply("%s", err.Error())
		}
		p.conns.merge(peer)
		p.deps.Env.Backends.Added(peer)
	}
	if r.Err != nil {
		return reply("parsing request failed")
	}
	return reply("")
}

func (p *Plugin) unloadConn(r *Request) []byte {
	name, ok := r.Msg.Str("name")
	if !ok {
		return reply("unload: missing connection name")
	}
	if !p.conns.remove(name) {
		return reply("unload: connection '%s' not found", name)
	}
	return reply("")
}

func (p *Plugin) getConns(*Request) []byte {
	b := NewBuilder()
	b.BeginList("conns")
	for _, peer := range p.conns.PeerCfgs() {
		b.Item(peer.Name)
	}
	b.EndList()
	return p.finish(b)
}
