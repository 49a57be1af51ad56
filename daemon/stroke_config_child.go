package daemon

import (
	"strconv"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/stroke"
)

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
