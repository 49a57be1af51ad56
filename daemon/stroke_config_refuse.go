package daemon

import (
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/stroke"
)

// What goswan does not do yet is decided by ipsecconf's keyword table
// (config/feature lists the features). charon gets a conn as an add_conn
// message, so the table's support column is applied to the message as
// starter's view of it (ipsecconf.AddConnMsg): the same check checkconf
// makes for the file.

func istr(s stroke.Str) ipsecconf.Str {
	if !s.Valid {
		return ipsecconf.Str{}
	}
	return ipsecconf.S(s.Value)
}

func iend(e *stroke.End) ipsecconf.AddConnEnd {
	return ipsecconf.AddConnEnd{
		Auth: istr(e.Auth), Auth2: istr(e.Auth2), ID: istr(e.ID), ID2: istr(e.ID2), RSAKey: istr(e.RSAKey),
		Cert: istr(e.Cert), Cert2: istr(e.Cert2), CertPolicy: istr(e.CertPolicy), CA: istr(e.CA), CA2: istr(e.CA2),
		Groups: istr(e.Groups), Groups2: istr(e.Groups2), Updown: istr(e.Updown), Address: istr(e.Address),
		Subnets: istr(e.Subnets), SourceIP: istr(e.SourceIP), DNS: istr(e.DNS), IKEPort: e.IKEPort,
		SendCert: int32(e.SendCert), HostAccess: e.HostAccess, ToHost: e.ToHost, AllowAny: e.AllowAny,
		Protocol: e.Protocol, FromPort: e.FromPort, ToPort: e.ToPort,
	}
}

// starterView is the message as ipsecconf models what starter sends. The
// authby= expansion is already in the ends' auth fields.
func starterView(c *stroke.AddConn) *ipsecconf.AddConnMsg {
	r := c.Rekey
	return &ipsecconf.AddConnMsg{
		Name: c.Name.Value, Version: c.Version, EAPIdentity: istr(c.EAPIdentity), AAAIdentity: istr(c.AAAIdentity),
		XauthIdentity: istr(c.XauthIdentity), Mode: int32(c.Mode), Mobike: c.Mobike, Aggressive: c.Aggressive,
		PushMode: c.Pushmode, ForceEncap: c.ForceEncap, Fragmentation: int32(c.Fragmentation), IPComp: c.IPComp,
		Inactivity: c.Inactivity, ProxyMode: c.ProxyMode, InstallPolicy: c.InstallPolicy, CloseAction: int32(c.CloseAction),
		ReqID: c.Reqid, TFC: c.TFC, IKEDSCP: c.IKEDSCP, CRLPolicy: int32(c.CRLPolicy), Unique: int32(c.Unique),
		IKE: istr(c.Algorithms.IKE), ESP: istr(c.Algorithms.ESP), AH: istr(c.Algorithms.AH),
		Rekey: ipsecconf.AddConnRekey{Reauth: r.Reauth, IPsecLifetime: r.IPsecLifetime, IKELifetime: r.IKELifetime,
			Margin: r.Margin, LifeBytes: r.LifeBytes, MarginBytes: r.MarginBytes, LifePackets: r.LifePackets,
			MarginPackets: r.MarginPackets, Tries: r.Tries, Fuzz: r.Fuzz},
		DPD:        ipsecconf.AddConnDPD{Delay: c.DPD.Delay, Timeout: c.DPD.Timeout, Action: int32(c.DPD.Action)},
		Mediation:  c.IKEME.Mediation,
		MediatedBy: istr(c.IKEME.MediatedBy), PeerID: istr(c.IKEME.PeerID),
		MarkIn:  ipsecconf.Mark{Value: c.MarkIn.Value, Mask: c.MarkIn.Mask},
		MarkOut: ipsecconf.Mark{Value: c.MarkOut.Value, Mask: c.MarkOut.Mask},
		Me:      iend(&c.Me), Other: iend(&c.Other), ReplayWindow: c.ReplayWindow, SHA256_96: c.SHA256_96,
	}
}

// refusals logs what an add_conn asks for that goswan does not do yet and
// returns the reasons for which the conn must not be loaded. Values that
// need a feature goswan can go on without are logged when they differ
// from their default (charon cannot tell a default from a written value).
func (s *strokeConfig) refusals(c *stroke.AddConn) []string {
	name := c.Name.Value
	var refused []string
	for _, r := range starterView(c).Refusals() {
		switch {
		case r.Refused:
			s.log(bus.Control, "conn '%s': %s; connection not added", name, r.Reason())
			refused = append(refused, r.Reason())
		case !r.Default:
			s.log(bus.Control, "conn '%s': %s; ignored", name, r.Reason())
		}
	}
	for _, p := range []struct {
		key string
		v   stroke.Str
	}{{"ike", c.Algorithms.IKE}, {"esp", c.Algorithms.ESP}, {"ah", c.Algorithms.AH}} {
		if !p.v.Valid {
			continue
		}
		if algs := config.UnsupportedAlgorithms(p.v.Value); len(algs) > 0 {
			reason := p.key + "=" + p.v.Value + ": goswan does not implement " + strings.Join(algs, ", ") + " yet"
			s.log(bus.Control, "conn '%s': %s; connection not added", name, reason)
			refused = append(refused, reason)
		}
	}
	return refused
}
