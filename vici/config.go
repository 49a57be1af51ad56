package vici

import (
	"fmt"
	"net/netip"
	"slices"

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
	whyCerts  = "certificates and public key authentication are not supported by goswan yet"
	whyPools  = "virtual IPs and address pools are not supported by goswan yet"
	whyIKEv1  = "goswan speaks IKEv2 only"
	whyEAP    = "EAP authentication is not supported by goswan yet"
	whyPPK    = "postquantum preshared keys are not supported by goswan"
	whyLabels = "security labels are not supported by goswan"
)

type authData struct {
	cfg   config.AuthCfg
	round uint32
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

func (d *peerData) kv(name string, v []byte) error {
	var ok bool
	switch name {
	case "version":
		d.version, ok = parseUint32(v)
		if ok && d.version == 1 {
			return unsupported(name, whyIKEv1)
		}
		ok = ok && (d.version == 0 || d.version == 2)
	case "aggressive":
		d.aggressive, ok = parseBool(v)
	case "pull":
		d.pull, ok = parseBool(v)
	case "dscp":
		var n uint32
		n, ok = parseUint32Base(v, 2)
		d.dscp = uint8(n & 0x3f)
	case "encap":
		d.encap, ok = parseBool(v)
	case "mobike":
		d.mobike, ok = parseBool(v)
	case "dpd_delay":
		d.dpdDelay, ok = parseTime(v)
	case "dpd_timeout":
		d.dpdTimeout, ok = parseTime(v)
	case "fragmentation":
		d.fragmentation, ok = parseMap(v, map[string]config.Fragmentation{"yes": config.FragmentationYes,
			"accept": config.FragmentationAccept, "no": config.FragmentationNo, "force": config.FragmentationForce})
	case "childless":
		d.childless, ok = parseMap(v, map[string]config.Childless{"allow": config.ChildlessAllow,
			"never": config.ChildlessNever, "force": config.ChildlessForce})
	case "send_certreq":
		d.certreq, ok = parseBool(v)
	case "send_cert":
		d.sendCert, ok = parseMap(v, map[string]config.CertPolicy{"ifasked": config.CertSendIfAsked,
			"always": config.CertAlwaysSend, "never": config.CertNeverSend})
	case "keyingtries":
		d.keyingtries, ok = parseUint32(v)
	case "unique":
		d.unique, ok = parseMap(v, map[string]config.UniquePolicy{"never": config.UniqueNever,
			"no": config.UniqueNo, "replace": config.UniqueReplace, "keep": config.UniqueKeep})
	case "local_port":
		d.localPort, ok = parseUint32(v)
	case "remote_port":
		d.remotePort, ok = parseUint32(v)
	case "reauth_time":
		d.reauth, ok = parseTime(v)
	case "rekey_time":
		d.rekey, ok = parseTime(v)
	case "over_time":
		d.over, ok = parseTime(v)
	case "rand_time":
		d.rand, ok = parseTime(v)
	case "ppk_id", "ppk_required":
		return unsupported(name, whyPPK)
	case "if_id_in":
		d.ifIDIn, ok = parseIfID(v)
	case "if_id_out":
		d.ifIDOut, ok = parseIfID(v)
	default:
		return unknownOpt(name)
	}
	if !ok {
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
	case "vips", "pools":
		return unsupported(name, whyPools)
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
		return unsupported(name, whyCerts)
	case "revocation":
		var lvl uint8
		lvl, ok = parseMap(v, map[string]uint8{"strict": 2, "ifuri": 1, "relaxed": 0})
		if ok && lvl != 0 {
			a.cfg.CRLValidation = lvl
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
		return unsupported("auth", whyCerts)
	case equalFold(s, "psk"):
		a.cfg.Class = config.AuthClassPSK
		return nil
	case lower("xauth"):
		return unsupported("auth", whyIKEv1)
	case lower("eap"):
		return unsupported("auth", whyEAP)
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
	case "certs", "cacerts", "pubkeys":
		return unsupported(name, whyCerts)
	default:
		return unknownOpt(name)
	}
	return nil
}

// parseAuthSection parses a local* or remote* section.
func parseAuthSection(m *Message) (*authData, error) {
	a := &authData{}
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
				err = unsupported(e.Name, whyCerts)
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

// option sets or clears a child option from a boolean value; set says
// which value sets it.
func (c *childData) option(v []byte, o config.ChildOption, set bool) bool {
	b, ok := parseBool(v)
	if ok && b == set {
		c.cfg.Options |= o
	}
	return ok
}

func (c *childData) kv(name string, v []byte) error {
	var ok bool
	lt := &c.cfg.Lifetime
	switch name {
	case "updown":
		c.cfg.Updown, ok = parseString(v)
	case "hostaccess":
		ok = c.option(v, config.OptHostAccess, true)
	case "mode":
		c.cfg.Mode, ok = parseMap(v, modeMap)
		if ok && c.cfg.Mode == kernel.ModeTransport && len(v) > 9 {
			c.cfg.Options |= config.OptProxyMode
		}
	case "policies":
		ok = c.option(v, config.OptNoPolicies, false)
	case "policies_fwd_out":
		ok = c.option(v, config.OptFwdOutPolicies, true)
	case "replay_window":
		c.replayWindow, ok = parseUint32(v)
	case "rekey_time":
		lt.Time.Rekey, ok = parseTime(v)
	case "life_time":
		lt.Time.Life, ok = parseTime(v)
	case "rand_time":
		lt.Time.Jitter, ok = parseTime(v)
	case "rekey_bytes":
		lt.Bytes.Rekey, ok = parseBytes(v)
	case "life_bytes":
		lt.Bytes.Life, ok = parseBytes(v)
	case "rand_bytes":
		lt.Bytes.Jitter, ok = parseBytes(v)
	case "rekey_packets":
		lt.Packets.Rekey, ok = parseUint64(v)
	case "life_packets":
		lt.Packets.Life, ok = parseUint64(v)
	case "rand_packets":
		lt.Packets.Jitter, ok = parseUint64(v)
	case "dpd_action":
		c.cfg.DPDAction, ok = parseMap(v, actionMap)
	case "start_action":
		c.cfg.StartAction, ok = parseMap(v, actionMap)
	case "close_action":
		c.cfg.CloseAction, ok = parseMap(v, actionMap)
	case "ipcomp":
		ok = c.option(v, config.OptIPComp, true)
	case "inactivity":
		var t uint64
		t, ok = parseTime(v)
		c.cfg.Inactivity = uint32(t)
	case "reqid":
		c.cfg.ReqID, ok = parseUint32(v)
	case "mark_in":
		c.cfg.MarkIn, ok = parseMark(v, false)
	case "mark_in_sa":
		ok = c.option(v, config.OptMarkInSA, true)
	case "mark_out":
		c.cfg.MarkOut, ok = parseMark(v, false)
	case "set_mark_in":
		c.cfg.SetMarkIn, ok = parseMark(v, true)
	case "set_mark_out":
		c.cfg.SetMarkOut, ok = parseMark(v, true)
	case "tfc_padding":
		if string(v) == "mtu" {
			c.cfg.TFC, ok = ^uint32(0), true
		} else {
			c.cfg.TFC, ok = parseUint32(v)
		}
	case "priority":
		c.cfg.ManualPrio, ok = parseUint32(v)
	case "interface":
		c.cfg.Interface, ok = parseString(v)
	case "hw_offload":
		c.cfg.HWOffload, ok = parseMap(v, map[string]kernel.HWOffload{"no": kernel.HWOffloadNo,
			"yes": kernel.HWOffloadYes, "auto": kernel.HWOffloadAuto})
	case "sha256_96":
		ok = c.option(v, config.OptSHA256_96, true)
	case "copy_df":
		ok = c.option(v, config.OptNoCopyDF, false)
	case "copy_ecn":
		ok = c.option(v, config.OptNoCopyECN, false)
	case "copy_dscp":
		c.cfg.CopyDSCP, ok = parseMap(v, map[string]kernel.DSCPCopy{"no": kernel.DSCPCopyNo,
			"in": kernel.DSCPCopyInOnly, "out": kernel.DSCPCopyOutOnly, "yes": kernel.DSCPCopyYes})
	case "if_id_in":
		c.cfg.IfIDIn, ok = parseIfID(v)
	case "if_id_out":
		c.cfg.IfIDOut, ok = parseIfID(v)
	case "label", "label_mode":
		return unsupported(name, whyLabels)
	default:
		return unknownOpt(name)
	}
	if !ok {
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
		a, err := parseAuthSection(sub)
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
