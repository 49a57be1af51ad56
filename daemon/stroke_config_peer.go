package daemon

import (
	"net/netip"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/stroke"
)

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

// buildPeerCfg is build_peer_cfg: timers, virtual IPs and pools, and the
// authentication rounds (nil if the first local round cannot be built).
func (s *strokeConfig) buildPeerCfg(c *stroke.AddConn, ike *config.IKECfg) *config.PeerCfg {
	p := &config.PeerCfg{
		Name:        c.Name.Value,
		IKE:         ike,
		CertPolicy:  config.CertPolicy(c.Me.SendCert),
		KeyingTries: uint32(c.Rekey.Tries),
		UseMOBIKE:   c.Mobike != 0,
		Aggressive:  c.Aggressive != 0,
		PullMode:    c.Pushmode == 0,
		Unique:      uniquePolicy(c.Unique),
	}
	peerTimers(p, c)
	p.Pools = s.pools(c)
	p.VirtualIPs = s.virtualIPs(c, ike)
	for _, round := range []struct {
		local, primary bool
		dst            *[]*config.AuthCfg
	}{{true, true, &p.LocalAuth}, {true, false, &p.LocalAuth}, {false, true, &p.RemoteAuth}, {false, false, &p.RemoteAuth}} {
		a := s.buildAuthCfg(c, round.local, round.primary)
		if a == nil && round.local && round.primary {
			return nil
		}
		if a != nil {
			*round.dst = append(*round.dst, a)
		}
	}
	return p
}

// peerTimers sets rekeying, reauthentication and DPD with
// peer_cfg_create's sanity limits.
func peerTimers(p *config.PeerCfg, c *stroke.AddConn) {
	r := c.Rekey
	p.DPDDelay, p.DPDTimeout = uint32(c.DPD.Delay), uint32(c.DPD.Timeout)
	p.JitterTime, p.OverTime = uint32(uint64(r.Margin)*r.Fuzz/100), uint32(r.Margin)
	if r.Reauth != 0 {
		p.ReauthTime = uint32(r.IKELifetime - r.Margin)
	} else {
		p.RekeyTime = uint32(r.IKELifetime - r.Margin)
	}
	if c.DPD.Action == stroke.ActionNone {
		p.DPDDelay = 0
	}
	if p.RekeyTime != 0 && p.JitterTime > p.RekeyTime {
		p.JitterTime = p.RekeyTime
	}
	if p.ReauthTime != 0 && p.JitterTime > p.ReauthTime {
		p.JitterTime = p.ReauthTime
	}
	if p.DPDDelay != 0 && p.DPDTimeout != 0 && p.DPDDelay > p.DPDTimeout {
		p.DPDTimeout = p.DPDDelay
	}
}

// virtualIPs are the virtual IPs leftsourceip= requests (the local end).
func (s *strokeConfig) virtualIPs(c *stroke.AddConn, ike *config.IKECfg) []netip.Addr {
	if !c.Me.SourceIP.Valid {
		return nil
	}
	if c.Other.SourceIP.Valid {
		s.log(bus.Control, "'%s' has both left- and rightsourceip, but IKE can negotiate one virtual IP only, ignoring local virtual IP", c.Name.Value)
		return nil
	}
	var out []netip.Addr
	for _, tok := range tokens(c.Me.SourceIP.Value) {
		switch {
		case isConfigToken(tok):
			out = append(out, configFamily(c, ike))
		case tok == "%config4":
			out = append(out, netip.IPv4Unspecified())
		case tok == "%config6":
			out = append(out, netip.IPv6Unspecified())
		default:
			a, err := netip.ParseAddr(tok)
			if err != nil {
				s.log(bus.Control, "ignored invalid subnet token: %s", tok)
				continue
			}
			out = append(out, a.Unmap())
		}
	}
	return out
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
