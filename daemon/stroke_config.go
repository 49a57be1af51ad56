package daemon

import (
	"context"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
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
				if pe, ok := err.(*config.ProposalError); ok && pe.Msg != config.ErrEmptyProposal.Error() {
					s.log(bus.Control, "%s", pe.Msg)
				}
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

// AddConn implements stroke.Configs as the stroke socket runs add_conn:
// the configs, then the conn's DNS attributes, whether or not the configs
// could be added.
func (s *strokeConfig) AddConn(_ context.Context, msg *stroke.AddConn) {
	s.addConn(msg)
	s.addConnAttributes(msg)
}

// addConn builds the configs and adds them, to an equal existing peer
// config if there is one. A conn that needs what goswan does not do yet is
// logged and not added, as charon does with a conn it cannot build; it is
// kept aside to explain failed lookups.
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
	refused := s.refusals(msg)
	existing := s.d.backends.Equal(peer)
	if existing != nil && refused == nil {
		s.log(bus.Control, "added child to existing configuration '%s'", existing.Name)
	}
	child := s.buildChildCfg(&c)
	if child == nil {
		return
	}
	if refused != nil {
		s.d.backends.AddRefused(&config.Refused{Peer: peer, Child: child, Reasons: refused})
		return
	}
	if _, merged := s.d.backends.Add(peer, child); !merged {
		s.log(bus.Control, "added configuration '%s'", c.Name.Value)
	}
}

// DelConn implements stroke.Configs.
func (s *strokeConfig) DelConn(_ context.Context, name stroke.Str) {
	s.d.backends.DeleteRefused(name.Value)
	if s.d.backends.Delete(name.Value) {
		s.log(bus.Control, "deleted connection '%s'", name.Value)
	} else {
		s.log(bus.Control, "connection '%s' not found", name.Value)
	}
	s.delConnAttributes(name.Value)
}
