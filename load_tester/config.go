package load_tester

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// Name is the config name the load tester answers to.
const Name = "load-test"

// uniquePortStart is where %unique ports begin (load_tester_config.c).
const uniquePortStart = 1025

// Backend is load_tester_config.c: the responder's config (number 0),
// and a new initiator config, numbered from 1, for every lookup by name.
type Backend struct {
	o            Options
	log          bus.Logger
	natt, port   uint16 // the IKE socket's ports
	replayWindow uint32
	responder    *config.PeerCfg
	num          atomic.Uint32
	uniquePort   atomic.Uint32
}

// NewBackend builds the responder config; port is charon.port, natt
// charon.port_nat_t.
func NewBackend(o Options, port, natt uint16, replayWindow uint32, log bus.Logger) *Backend {
	if log == nil {
		log = bus.Discard
	}
	b := &Backend{o: o, log: log, port: port, natt: natt, replayWindow: replayWindow}
	b.uniquePort.Store(uniquePortStart)
	b.responder = b.generate(0)
	return b
}

// PeerCfgs implements config.Backend: the responder's config.
func (b *Backend) PeerCfgs() []*config.PeerCfg { return []*config.PeerCfg{b.responder} }

// PeerCfgByName implements config.Backend: a fresh initiator config.
func (b *Backend) PeerCfgByName(name string) *config.PeerCfg {
	if name != Name {
		return nil
	}
	return b.generate(b.num.Add(1))
}

// generate is generate_config: num 0 is the responder, others initiators.
func (b *Backend) generate(num uint32) *config.PeerCfg {
	o := b.o
	ike := config.IKECfg{Version: o.Version, RemotePort: 500, LocalPort: b.port}
	if num > 0 {
		ike.Local, ike.Remote = o.Initiator, o.Responder
		if o.Port != 0 {
			ike.LocalPort = uint16(o.Port + int(num) - 1)
			ike.RemotePort = b.natt
		}
	} else {
		ike.Local, ike.Remote = o.Responder, o.Initiator
	}
	for _, p := range o.Proposal {
		ike.Proposals = append(ike.Proposals, p.Clone())
	}
	peer := &config.PeerCfg{Name: Name, IKE: config.NewIKECfg(ike), CertPolicy: config.CertSendIfAsked,
		Unique: config.UniqueNo, KeyingTries: 1, RekeyTime: o.IKERekey, OverTime: o.IKERekey,
		DPDDelay: o.DPDDelay, DPDTimeout: o.DPDTimeout}
	if o.RequestVirtualIP {
		peer.VirtualIPs = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	}
	if o.Pool != "" {
		peer.Pools = []string{o.Pool}
	}
	mine, theirs := o.InitiatorAuth, o.ResponderAuth
	if num == 0 {
		mine, theirs = theirs, mine
	}
	peer.LocalAuth = b.authCfgs(mine, true, num)
	peer.RemoteAuth = b.authCfgs(theirs, false, num)
	child := &config.ChildCfg{Name: Name, Mode: kernel.ModeTunnel, ReplayWindow: b.replayWindow,
		Lifetime: kernel.Lifetime{Time: kernel.LifetimeLimit{Life: uint64(o.ChildRekey) * 2, Rekey: uint64(o.ChildRekey)}}}
	switch o.Mode {
	case "transport":
		child.Mode = kernel.ModeTransport
	case "beet":
		child.Mode = kernel.ModeBEET
	}
	for _, p := range o.ESP {
		child.Proposals = append(child.Proposals, p.Clone())
	}
	if num > 0 {
		tsi := o.InitiatorTSi
		if o.RequestVirtualIP {
			tsi = ""
		}
		child.LocalTS = b.trafficSelectors(tsi, true)
		child.RemoteTS = b.trafficSelectors(o.InitiatorTSr, true)
	} else {
		child.LocalTS = b.trafficSelectors(o.ResponderTSr, false)
		child.RemoteTS = b.trafficSelectors(o.ResponderTSi, false)
	}
	peer.AddChild(child)
	return peer
}

// authCfgs is generate_auth_cfg: one round per '|'-separated method, with
// the identities charon's plugin gives them.
func (b *Backend) authCfgs(methods string, local bool, num uint32) []*config.AuthCfg {
	var out []*config.AuthCfg
	rnd := 0
	for _, m := range strings.FieldsFunc(methods, func(r rune) bool { return r == '|' || r == ' ' }) {
		rnd++
		id := b.configuredID(local, num, rnd)
		a := &config.AuthCfg{}
		switch {
		case m == "psk":
			a.Class = config.AuthClassPSK
			if id == nil {
				id = defaultID(local, num, rnd, "srv.strongswan.org", "c%d-r%d.strongswan.org", "*.strongswan.org")
			}
		case strings.HasPrefix(m, "eap"):
			a.Class = config.AuthClassEAP
			if id == nil {
				if local && num > 0 {
					id = credentials.ParseIdentity(fmt.Sprintf("1%010d%04d@strongswan.org", num, rnd))
				} else {
					id = credentials.Any()
				}
			}
		default:
			if m != "pubkey" {
				b.log.Logf(bus.CFG, bus.Control, "invalid authentication: '%s', fallback to pubkey", m)
			}
			a.Class = config.AuthClassPubkey
			if id == nil {
				id = defaultID(local, num, rnd, "CN=srv, OU=load-test, O=strongSwan",
					"CN=c%d-r%d, OU=load-test, O=strongSwan", "CN=*, OU=load-test, O=strongSwan")
			}
		}
		a.Identity = id
		out = append(out, a)
	}
	return out
}

// configuredID is the identity of initiator_id, initiator_match or
// responder_id for this side, if configured.
func (b *Backend) configuredID(local bool, num uint32, rnd int) *credentials.Identity {
	o := b.o
	var id *credentials.Identity
	if o.InitiatorID != "" {
		switch {
		case o.InitiatorMatch != "" && !local && num == 0:
			// the responder's one identity that matches every initiator's
			id = credentials.ParseIdentity(cFormat(o.InitiatorMatch, rnd))
		case (local && num > 0) || (!local && num == 0):
			id = credentials.ParseIdentity(cFormat(o.InitiatorID, int(num), rnd))
		}
	}
	if o.ResponderID != "" && ((local && num == 0) || (!local && num > 0)) {
		id = credentials.ParseIdentity(cFormat(o.ResponderID, int(num), rnd))
	}
	return id
}

// cFormat is snprintf with the plugin's %d arguments: extra ones are
// ignored, as C ignores them.
func cFormat(format string, args ...int) string {
	n := strings.Count(format, "%d")
	vals := make([]any, 0, n)
	for i := 0; i < n && i < len(args); i++ {
		vals = append(vals, args[i])
	}
	return fmt.Sprintf(format, vals...)
}

// defaultID picks the responder's, an initiator's own or the pattern of
// all initiators.
func defaultID(local bool, num uint32, rnd int, server, client, any string) *credentials.Identity {
	switch {
	case (local && num == 0) || (!local && num > 0):
		return credentials.ParseIdentity(server)
	case local:
		return credentials.ParseIdentity(fmt.Sprintf(client, num, rnd))
	}
	return credentials.ParseIdentity(any)
}

// trafficSelectors is add_ts: subnets (with [proto/port], %unique ports
// counting up for initiators) and %dynamic; none gives a dynamic one.
func (b *Backend) trafficSelectors(list string, initiator bool) []selectors.TS {
	if list == "" {
		return []selectors.TS{selectors.Dynamic(0, 0, 0xffff)}
	}
	var out []selectors.TS
	for _, tok := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		subnet, pp, hasPP := strings.Cut(tok, "[")
		var proto uint8
		from, to := uint16(0), uint16(0xffff)
		if hasPP {
			var unique bool
			var ok bool
			if proto, from, to, unique, ok = parseProtoport(pp); !ok {
				b.log.Logf(bus.CFG, bus.Control, "invalid proto/port: %s, skipped subnet", pp)
				continue
			}
			if unique {
				if initiator {
					from = uint16(max(b.uniquePort.Add(1)-1, uniquePortStart))
					to = from
				} else {
					// not for a responder: %any
					to = 0xffff
				}
			}
		}
		if subnet == "%dynamic" {
			out = append(out, selectors.Dynamic(proto, from, to))
			continue
		}
		ts, err := selectors.ParseCIDR(subnet, proto, from, to)
		if err != nil {
			b.log.Logf(bus.CFG, bus.Control, "invalid subnet: %s, skipped", subnet)
			continue
		}
		out = append(out, ts)
	}
	return out
}

// parseProtoport reads "proto/port]" as the plugin's parse_protoport.
func parseProtoport(s string) (proto uint8, from, to uint16, unique, ok bool) {
	end := strings.LastIndexByte(s, ']')
	if end < 0 {
		return 0, 0, 0, false, false
	}
	s = s[:end]
	p, port, _ := strings.Cut(s, "/")
	from, to = 0, 0xffff
	if p != "%any" {
		n, found := selectors.ProtocolNumber(p)
		if !found {
			return 0, 0, 0, false, false
		}
		proto = n
	}
	switch port {
	case "", "%any":
	case "%opaque":
		from, to = 0xffff, 0
	case "%unique":
		return proto, 0, 0, true, true
	default:
		if n, found := selectors.ServicePort(port, ""); found {
			return proto, n, n, false, true
		}
		lo, hi, ranged := strings.Cut(port, "-")
		var a, z int
		if _, err := fmt.Sscanf(lo, "%d", &a); err != nil || a < 0 || a > 0xffff {
			return 0, 0, 0, false, false
		}
		z = a
		if ranged {
			if _, err := fmt.Sscanf(hi, "%d", &z); err != nil || z < 0 || z > 0xffff {
				return 0, 0, 0, false, false
			}
		}
		from, to = uint16(a), uint16(z)
	}
	return proto, from, to, false, true
}
