package daemon

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/stroke"
)

// strokeConfig turns the connections starter sends into peer, IKE and
// CHILD_SA configs (the stroke plugin's stroke_config.c).
type strokeConfig struct {
	d *Daemon
}

var _ stroke.Configs = (*strokeConfig)(nil)

func (s *strokeConfig) log(l bus.Level, format string, args ...any) {
	s.d.bus.Log(0, nil, bus.CFG, l, format, args...)
}

// tokens splits a list as enumerator_create_token(s, ",", " ") does: on
// commas, each token trimmed of blanks, empty tokens skipped.
func tokens(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.Trim(t, " "); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// isLocal reports whether one of the hosts in a left=/right= value is an
// address of this machine (or %any, when allowed).
func (s *strokeConfig) isLocal(address string, anyAllowed bool) bool {
	for _, tok := range tokens(address) {
		if strings.Contains(tok, "/") {
			continue
		}
		a, ok := config.HostAddr(tok, false, false, s.d.env.Resolve)
		if !ok {
			continue
		}
		if _, found := s.d.net.Interface(a); found {
			return true
		}
		if anyAllowed && a.IsUnspecified() {
			return true
		}
	}
	return false
}

// swapEnds makes "me" the local side: starter sends left as me, but
// either side may be this host.
func (s *strokeConfig) swapEnds(c *stroke.AddConn) {
	if !s.d.Settings().Bool("charon.plugins.stroke.allow_swap", true) {
		return
	}
	if s.isLocal(c.Other.Address.Value, false) {
		s.log(bus.Diag, "left is other host, swapping ends")
		c.Me, c.Other = c.Other, c.Me
	} else if !s.isLocal(c.Me.Address.Value, true) {
		s.log(bus.Control, "left nor right host is our side, assuming left=local")
	}
}

// proposals parses ike=/esp=/ah=. Without a strict '!' the defaults are
// appended, reduced to what goswan implements as charon's defaults are
// reduced to what its plugins provide.
func (s *strokeConfig) proposals(proto config.Protocol, v stroke.Str) ([]*config.Proposal, bool) {
	var out []*config.Proposal
	value := v.Value
	if v.Valid && value != "" {
		strict := strings.HasSuffix(value, "!")
		value = strings.TrimSuffix(value, "!")
		for _, single := range strings.Split(value, ",") {
			p, err := config.ParseProposal(proto, single)
			if err != nil {
				s.log(bus.Control, "skipped invalid proposal string: %s", single)
				return nil, false
			}
			out = append(out, p)
		}
		if strict {
			return out, true
		}
	}
	return append(out, config.SupportedOnly(config.DefaultProposals(proto))...), true
}

func (s *strokeConfig) buildIKECfg(c *stroke.AddConn) *config.IKECfg {
	s.swapEnds(c)
	cfg := config.IKECfg{
		Version:       config.IKEVersion(c.Version),
		CertReq:       c.Other.SendCert != stroke.SendCertNever,
		ForceEncap:    c.ForceEncap != 0,
		Fragmentation: config.Fragmentation(c.Fragmentation),
		Local:         c.Me.Address.Value,
		LocalPort:     c.Me.IKEPort,
		Remote:        c.Other.Address.Value,
		RemotePort:    c.Other.IKEPort,
		DSCP:          c.IKEDSCP,
	}
	if c.Me.AllowAny != 0 {
		cfg.Local += ",0.0.0.0/0,::/0"
	}
	if c.Other.AllowAny != 0 {
		cfg.Remote += ",0.0.0.0/0,::/0"
	}
	if cfg.LocalPort == 500 {
		cfg.LocalPort = s.d.socketPort()
	}
	props, ok := s.proposals(config.ProtoIKE, c.Algorithms.IKE)
	if !ok {
		return nil
	}
	cfg.Proposals = props
	return config.NewIKECfg(cfg)
}

func crlValidation(cfg *config.AuthCfg, local bool, policy stroke.CRLPolicy) {
	if local {
		return
	}
	switch policy {
	case stroke.CRLStrictYes:
		cfg.CRLValidation = 2
	case stroke.CRLStrictIfURI:
		cfg.CRLValidation = 1
	}
}

// buildAuthCfg builds one authentication round of one side; nil means the
// round is not configured (or, for a primary round, that the conn cannot
// be loaded).
func (s *strokeConfig) buildAuthCfg(c *stroke.AddConn, local, primary bool) *config.AuthCfg {
	end, other := &c.Other, &c.Me
	if local {
		end, other = &c.Me, &c.Other
	}
	var auth, id, cert, ca, groups stroke.Str
	if primary {
		auth, id, cert, ca, groups = end.Auth, end.ID, end.Cert, end.CA, end.Groups
		if !id.Valid {
			id = end.Address
		}
		if ca.Valid && ca.Value == "%same" {
			ca = other.CA
		}
	} else {
		auth, id, cert, ca, groups = end.Auth2, end.ID2, end.Cert2, end.CA2, end.Groups2
		if local && !id.Valid {
			id = end.ID
		}
		if ca.Valid && ca.Value == "%same" {
			ca = other.CA2
		}
	}
	loose := false
	idStr := id.Value
	if id.Valid && strings.HasPrefix(idStr, "%") && idStr != "%any" && idStr != "%any6" {
		loose = !local
		idStr = idStr[1:]
	}
	if !auth.Valid {
		if !primary {
			return nil
		}
		auth = stroke.S("pubkey")
	}
	cfg := &config.AuthCfg{}
	if cert.Valid {
		s.log(bus.Control, "  loading certificate from '%s' failed: certificates are not supported", cert.Value)
	}
	if pk := end.RSAKey; pk.Valid && pk.Value != "" && pk.Value != "%cert" {
		s.log(bus.Control, "  loading public key from '%s' failed: raw public keys are not supported", pk.Value)
	}
	if id.Valid {
		if ident := credentials.ParseIdentity(idStr); ident != nil && ident.Type() != credentials.IDAny {
			cfg.Identity = ident
			cfg.IdentityLoose = loose
		}
	}
	if ca.Valid {
		s.log(bus.Control, "CA certificate \"%s\" not found, discarding CA constraint", ca.Value)
	}
	for _, g := range tokens(groups.Value) {
		cfg.Groups = append(cfg.Groups, credentials.ParseIdentity(g))
	}
	if end.CertPolicy.Valid {
		cfg.CertPolicies = tokens(end.CertPolicy.Value)
	}
	a := auth.Value
	switch {
	case strings.HasPrefix(a, "ike:") || strings.HasPrefix(a, "pubkey") || strings.HasPrefix(a, "rsa") ||
		strings.HasPrefix(a, "ecdsa") || strings.HasPrefix(a, "bliss"):
		cfg.Class = config.AuthClassPubkey
		crlValidation(cfg, local, c.CRLPolicy)
	case a == "psk" || a == "secret":
		cfg.Class = config.AuthClassPSK
	case strings.HasPrefix(a, "xauth"):
		if i := strings.IndexByte(a, '-'); i >= 0 {
			cfg.XAuthBackend = a[i+1:]
		}
		cfg.Class = config.AuthClassXAuth
		if c.XauthIdentity.Valid {
			cfg.XAuthIdentity = credentials.ParseIdentity(c.XauthIdentity.Value)
		}
	case strings.HasPrefix(a, "eap"):
		cfg.Class = config.AuthClassEAP
		if i := strings.IndexByte(a, ':'); i >= 0 {
			a = a[:i]
		}
		cfg.EAPType, cfg.EAPVendor = eapType(a)
		if c.EAPIdentity.Valid {
			if c.EAPIdentity.Value == "%identity" {
				cfg.EAPIdentity = credentials.Any()
			} else {
				cfg.EAPIdentity = credentials.ParseIdentity(c.EAPIdentity.Value)
			}
		}
		if c.AAAIdentity.Valid {
			cfg.AAAIdentity = credentials.ParseIdentity(c.AAAIdentity.Value)
		}
	default:
		if a != "any" {
			s.log(bus.Control, "authentication method %s unknown, fallback to any", a)
		}
		crlValidation(cfg, local, c.CRLPolicy)
	}
	return cfg
}

// eapType maps "eap-md5" and the like to the EAP type (and vendor for
// "eap-<type>-<vendor>"), as eap_vendor_type_from_string.
func eapType(s string) (uint8, uint32) {
	names := map[string]uint8{"identity": 1, "md5": 4, "otp": 5, "gtc": 6, "tls": 13, "sim": 18,
		"ttls": 21, "aka": 23, "peap": 25, "mschapv2": 26, "tnc": 38, "pt-eap": 54, "dynamic": 253, "radius": 254}
	rest := strings.TrimPrefix(strings.TrimPrefix(s, "eap"), "-")
	if rest == "" {
		return 0, 0
	}
	parts := strings.SplitN(rest, "-", 2)
	t, ok := names[parts[0]]
	if !ok {
		n, err := strconv.Atoi(parts[0])
		if err != nil || n < 0 || n > 255 {
			return 0, 0
		}
		t = uint8(n)
	}
	if len(parts) == 2 {
		v, err := strconv.ParseUint(parts[1], 10, 32)
		if err == nil {
			return t, uint32(v)
		}
	}
	return t, 0
}

func uniquePolicy(u stroke.Unique) config.UniquePolicy {
	switch u {
	case stroke.UniqueYes, stroke.UniqueReplace:
		return config.UniqueReplace
	case stroke.UniqueKeep:
		return config.UniqueKeep
	case stroke.UniqueNever:
		return config.UniqueNever
	}
	return config.UniqueNo
}

func (s *strokeConfig) buildPeerCfg(c *stroke.AddConn, ike *config.IKECfg) *config.PeerCfg {
	r := c.Rekey
	p := &config.PeerCfg{
		Name:        c.Name.Value,
		IKE:         ike,
		CertPolicy:  config.CertPolicy(c.Me.SendCert),
		KeyingTries: uint32(r.Tries),
		UseMOBIKE:   c.Mobike != 0,
		Aggressive:  c.Aggressive != 0,
		PullMode:    c.Pushmode == 0,
		DPDDelay:    uint32(c.DPD.Delay),
		DPDTimeout:  uint32(c.DPD.Timeout),
		JitterTime:  uint32(uint64(r.Margin) * r.Fuzz / 100),
		OverTime:    uint32(r.Margin),
		Unique:      uniquePolicy(c.Unique),
	}
	if r.Reauth != 0 {
		p.ReauthTime = uint32(r.IKELifetime - r.Margin)
	} else {
		p.RekeyTime = uint32(r.IKELifetime - r.Margin)
	}
	if c.DPD.Action == stroke.ActionNone {
		p.DPDDelay = 0
	}
	// peer_cfg_create's sanity limits.
	if p.RekeyTime != 0 && p.JitterTime > p.RekeyTime {
		p.JitterTime = p.RekeyTime
	}
	if p.ReauthTime != 0 && p.JitterTime > p.ReauthTime {
		p.JitterTime = p.ReauthTime
	}
	if p.DPDDelay != 0 && p.DPDTimeout != 0 && p.DPDDelay > p.DPDTimeout {
		p.DPDTimeout = p.DPDDelay
	}
	p.Pools = s.pools(c)
	if c.Me.SourceIP.Valid && c.Other.SourceIP.Valid {
		s.log(bus.Control, "'%s' has both left- and rightsourceip, but IKE can negotiate one virtual IP only, ignoring local virtual IP", c.Name.Value)
	} else if c.Me.SourceIP.Valid {
		for _, tok := range tokens(c.Me.SourceIP.Value) {
			switch {
			case isConfigToken(tok):
				p.VirtualIPs = append(p.VirtualIPs, configFamily(c, ike))
			case tok == "%config4":
				p.VirtualIPs = append(p.VirtualIPs, netip.IPv4Unspecified())
			case tok == "%config6":
				p.VirtualIPs = append(p.VirtualIPs, netip.IPv6Unspecified())
			default:
				a, err := netip.ParseAddr(tok)
				if err != nil {
					s.log(bus.Control, "ignored invalid subnet token: %s", tok)
					continue
				}
				p.VirtualIPs = append(p.VirtualIPs, a.Unmap())
			}
		}
	}
	a := s.buildAuthCfg(c, true, true)
	if a == nil {
		return nil
	}
	p.LocalAuth = append(p.LocalAuth, a)
	if a := s.buildAuthCfg(c, true, false); a != nil {
		p.LocalAuth = append(p.LocalAuth, a)
	}
	if a := s.buildAuthCfg(c, false, true); a != nil {
		p.RemoteAuth = append(p.RemoteAuth, a)
	}
	if a := s.buildAuthCfg(c, false, false); a != nil {
		p.RemoteAuth = append(p.RemoteAuth, a)
	}
	return p
}

func isConfigToken(t string) bool {
	return t == "%modeconfig" || t == "%modecfg" || t == "%config" || t == "%cfg"
}

// configFamily picks the family of a %config virtual IP request: that of
// the local subnet, else the remote subnet, else our address.
func configFamily(c *stroke.AddConn, ike *config.IKECfg) netip.Addr {
	pick := func(v6 bool) netip.Addr {
		if v6 {
			return netip.IPv6Unspecified()
		}
		return netip.IPv4Unspecified()
	}
	if c.Me.Subnets.Valid {
		return pick(!strings.Contains(c.Me.Subnets.Value, "."))
	}
	if c.Other.Subnets.Valid {
		return pick(!strings.Contains(c.Other.Subnets.Value, "."))
	}
	addr := ike.Local
	next := strings.IndexByte(addr, ',')
	hit := strings.IndexByte(addr, ':')
	return pick(hit >= 0 && (next < 0 || hit < next))
}

// parseProtoport parses the "[proto/port]" suffix of a subnet (the part
// after '['), as stroke_config.c parse_protoport.
func parseProtoport(tok string, fromPort, toPort *uint16, proto *uint8) bool {
	end := strings.LastIndexByte(tok, ']')
	if end < 0 {
		return false
	}
	tok = tok[:end]
	port := ""
	if i := strings.IndexByte(tok, '/'); i >= 0 {
		tok, port = tok[:i], tok[i+1:]
	}
	if tok == "%any" {
		*proto = 0
	} else if n, ok := selectors.ProtocolNumber(tok); ok {
		*proto = n
	} else {
		return false
	}
	switch {
	case port == "%any":
		*fromPort, *toPort = 0, 0xffff
	case port == "%opaque":
		*fromPort, *toPort = 0xffff, 0
	case port != "":
		if p, ok := selectors.ServicePort(port, ""); ok {
			*fromPort, *toPort = p, p
			return true
		}
		from, rest, ranged := strings.Cut(port, "-")
		f, err := strconv.ParseUint(from, 0, 16)
		if err != nil {
			return false
		}
		*fromPort, *toPort = uint16(f), uint16(f)
		if ranged {
			t, err := strconv.ParseUint(rest, 0, 16)
			if err != nil {
				return false
			}
			*toPort = uint16(t)
		}
	}
	return true
}

// trafficSelectors builds one side's selectors (add_ts): the subnets, each
// with its optional [proto/port], or a dynamic one for the host itself.
func (s *strokeConfig) trafficSelectors(end *stroke.End) []selectors.TS {
	var out []selectors.TS
	for _, subnet := range tokens(end.Subnets.Value) {
		fromPort, toPort, proto := end.FromPort, end.ToPort, end.Protocol
		if i := strings.IndexByte(subnet, '['); i >= 0 {
			pp := subnet[i+1:]
			subnet = subnet[:i]
			if !parseProtoport(pp, &fromPort, &toPort, &proto) {
				s.log(bus.Control, "invalid proto/port: %s, skipped subnet", pp)
				continue
			}
		}
		if subnet == "%dynamic" {
			out = append(out, selectors.Dynamic(proto, fromPort, toPort))
			continue
		}
		ts, err := selectors.ParseCIDR(subnet, proto, fromPort, toPort)
		if err != nil {
			s.log(bus.Control, "invalid subnet: %s, skipped", subnet)
			continue
		}
		out = append(out, ts)
	}
	if len(out) == 0 {
		out = append(out, selectors.Dynamic(end.Protocol, end.FromPort, end.ToPort))
	}
	return out
}

func mapAction(a stroke.Action) config.Action {
	switch a {
	case stroke.ActionHold:
		return config.ActionTrap
	case stroke.ActionRestart:
		return config.ActionStart
	}
	return config.ActionNone
}

func (s *strokeConfig) buildChildCfg(c *stroke.AddConn) *config.ChildCfg {
	r := c.Rekey
	limit := func(life, margin uint64) kernel.LifetimeLimit {
		return kernel.LifetimeLimit{Life: life, Rekey: life - margin, Jitter: margin * r.Fuzz / 100}
	}
	cc := &config.ChildCfg{
		Name: c.Name.Value,
		Lifetime: kernel.Lifetime{
			Time:    limit(uint64(r.IPsecLifetime), uint64(r.Margin)),
			Bytes:   limit(r.LifeBytes, r.MarginBytes),
			Packets: limit(r.LifePackets, r.MarginPackets),
		},
		MarkIn:       kernel.Mark{Value: c.MarkIn.Value, Mask: c.MarkIn.Mask},
		MarkOut:      kernel.Mark{Value: c.MarkOut.Value, Mask: c.MarkOut.Mask},
		ReqID:        c.Reqid,
		Mode:         kernel.Mode(c.Mode),
		TFC:          c.TFC,
		Inactivity:   uint32(c.Inactivity),
		DPDAction:    mapAction(c.DPD.Action),
		CloseAction:  mapAction(c.CloseAction),
		Updown:       c.Me.Updown.Value,
		ReplayWindow: uint32(s.d.Settings().Int("charon.replay_window", config.DefaultReplayWindow)),
	}
	if c.ProxyMode != 0 {
		cc.Options |= config.OptProxyMode
	}
	if c.IPComp != 0 {
		cc.Options |= config.OptIPComp
	}
	if c.Me.HostAccess != 0 {
		cc.Options |= config.OptHostAccess
	}
	if c.InstallPolicy == 0 {
		cc.Options |= config.OptNoPolicies
	}
	if c.SHA256_96 {
		cc.Options |= config.OptSHA256_96
	}
	if c.ReplayWindow != 0xffffffff {
		cc.ReplayWindow = c.ReplayWindow
	}
	cc.LocalTS = s.trafficSelectors(&c.Me)
	cc.RemoteTS = s.trafficSelectors(&c.Other)
	var ok bool
	if c.Algorithms.AH.Valid {
		cc.Proposals, ok = s.proposals(config.ProtoAH, c.Algorithms.AH)
	} else {
		cc.Proposals, ok = s.proposals(config.ProtoESP, c.Algorithms.ESP)
	}
	if !ok {
		return nil
	}
	return cc
}

// AddConn implements stroke.Configs as the stroke socket runs add_conn:
// the configs, then the conn's DNS attributes, whether or not the configs
// could be added.
func (s *strokeConfig) AddConn(_ context.Context, msg *stroke.AddConn) {
	s.addConn(msg)
	s.addConnAttributes(msg)
}

// addConn builds the configs and adds them, to an equal existing peer
// config if there is one.
func (s *strokeConfig) addConn(msg *stroke.AddConn) {
	c := *msg // swapEnds modifies the message
	ike := s.buildIKECfg(&c)
	if ike == nil {
		return
	}
	peer := s.buildPeerCfg(&c, ike)
	if peer == nil {
		return
	}
	child := s.buildChildCfg(&c)
	if child == nil {
		return
	}
	used, merged := s.d.backends.Add(peer, child)
	if merged {
		s.log(bus.Control, "added child to existing configuration '%s'", used.Name)
	} else {
		s.log(bus.Control, "added configuration '%s'", c.Name.Value)
	}
}

// DelConn implements stroke.Configs.
func (s *strokeConfig) DelConn(_ context.Context, name stroke.Str) {
	if s.d.backends.Delete(name.Value) {
		s.log(bus.Control, "deleted connection '%s'", name.Value)
	} else {
		s.log(bus.Control, "connection '%s' not found", name.Value)
	}
	s.delConnAttributes(name.Value)
}

// UserCreds implements stroke.Configs: XAuth and EAP user names and
// passwords (ipsec user-creds) for connections that authenticate with
// them.
func (s *strokeConfig) UserCreds(_ context.Context, msg *stroke.UserCreds, out *stroke.Reply) {
	name := msg.Name.Value
	peer := s.d.backends.ByName(name)
	if peer == nil {
		s.log(bus.Control, "  no config named '%s'", name)
		out.Printf("no config named '%s'\n", name)
		return
	}
	user := msg.Username.Value
	id := credentials.ParseIdentity(user)
	if user == "" || id == nil || id.Type() == credentials.IDAny {
		s.log(bus.Control, "  invalid username '%s'", user)
		out.Printf("invalid username '%s'\n", user)
		return
	}
	var gw *credentials.Identity
	eap := false
	for i, a := range peer.LocalAuth {
		if i < len(peer.RemoteAuth) {
			if r := peer.RemoteAuth[i].Identity; r != nil && r.Type() != credentials.IDAny {
				gw = r
			}
		}
		if a.Class != config.AuthClassEAP && a.Class != config.AuthClassXAuth {
			continue
		}
		if a.Class == config.AuthClassEAP {
			a.EAPIdentity = id
			if aaa := a.AAAIdentity; aaa != nil && aaa.Type() != credentials.IDAny {
				gw = aaa
			}
			s.log(bus.Control, "  configured EAP-Identity %s", id)
		} else {
			a.XAuthIdentity = id
			s.log(bus.Control, "  configured XAuth username %s", id)
		}
		eap = true
		break
	}
	if !eap {
		s.log(bus.Control, "  config '%s' unsuitable for user credentials", name)
		out.Printf("config '%s' unsuitable for user credentials\n", name)
		return
	}
	var password []byte
	if msg.Password.Valid {
		password = []byte(msg.Password.Value)
	} else {
		answer, err := out.Prompt("Password:")
		if err != nil {
			return
		}
		password = []byte(answer)
	}
	if len(password) == 0 {
		return
	}
	owners := []string{id.String()}
	if gw != nil {
		owners = append(owners, gw.String())
		s.log(bus.Control, "  added EAP secret for %s %s", id, gw)
	} else {
		s.log(bus.Control, "  added EAP secret for %s", id)
	}
	s.d.creds.Add(credentials.NewSharedKey(credentials.SharedEAP, password, owners...))
	clear(password)
}
