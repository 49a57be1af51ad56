package vici

import (
	"net/netip"
	"strings"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// The control commands (vici_control.c).

func (p *Plugin) registerControl() {
	p.srv.Command("initiate", p.initiate)
	p.srv.Command("terminate", p.terminate)
	p.srv.Command("rekey", p.rekey)
	p.srv.Command("redirect", p.redirect)
	p.srv.Command("install", p.install)
	p.srv.Command("uninstall", p.uninstall)
	p.srv.Command("reload-settings", p.reloadSettings)
	p.srv.Event("control-log")
}

// controlLog is log_vici: the lines of the SA an initiate or terminate
// works on, up to the client's loglevel, as control-log events to that
// client.
func (p *Plugin) controlLog(client uint32, level int) LogFunc {
	return func(g bus.Group, l bus.Level, info bus.SAInfo, msg string) bool {
		if int(l) > level {
			return true
		}
		b := NewBuilder()
		b.KV("group", g.String())
		b.KVf("level", "%d", l)
		if info != nil {
			b.KV("ikesa-name", info.Name())
			b.KVf("ikesa-uniqueid", "%d", info.UniqueID())
		}
		b.KV("msg", msg)
		if m, err := b.Finalize(); err == nil {
			p.srv.Raise("control-log", client, m)
		}
		return true
	}
}

// findChildCfg is find_child_cfg: the first peer config (named pname, if
// given) with a child config called name; with no name, the peer config
// alone.
func (p *Plugin) findChildCfg(name string, hasName bool, pname string, hasPeer bool) (*config.PeerCfg, *config.ChildCfg) {
	for _, peer := range p.deps.Env.Backends.Peers() {
		if hasPeer && pname != peer.Name {
			continue
		}
		if !hasName {
			return peer, nil
		}
		if c := peer.Child(name); c != nil {
			return peer, c
		}
	}
	return nil, nil
}

// msTimeout converts a vici timeout: 0 waits without limit.
func msTimeout(ms int) time.Duration { return time.Duration(max(ms, 0)) * time.Millisecond }

func (p *Plugin) initiate(r *Request) []byte {
	child, hasChild := r.Msg.Str("child")
	ike, hasIKE := r.Msg.Str("ike")
	timeout := r.Msg.Int("timeout", 0)
	limits := r.Msg.Bool("init-limits", false)
	level := r.Msg.Int("loglevel", 1)
	if !hasChild && !hasIKE {
		return reply("missing configuration name")
	}
	var cb LogFunc
	if timeout >= 0 {
		cb = p.controlLog(r.Client, level)
	}
	typ, name := "IKE_SA", ike
	if hasChild {
		typ, name = "CHILD_SA", child
	}
	peer, childCfg := p.findChildCfg(child, hasChild, ike, hasIKE)
	p.logf(bus.Control, "vici initiate %s '%s'", typ, name)
	if peer == nil {
		return reply("%s config '%s' not found", typ, name)
	}
	switch p.deps.Control.Initiate(r.Ctx, peer, childCfg, cb, msTimeout(timeout), limits) {
	case Success:
		return reply("")
	case Timeout:
		return reply("%s '%s' not established after %dms", typ, name, timeout)
	case InvalidState:
		return reply("establishing %s '%s' not possible at the moment due to limits", typ, name)
	default:
		return reply("establishing %s '%s' failed", typ, name)
	}
}

// selection is what terminate and rekey select SAs by.
type selection struct {
	child, ike         string
	hasChild, hasIKE   bool
	childID, ikeID     uint32
	wantChild, wantAny bool
}

func selectionOf(m *Message) selection {
	var s selection
	s.child, s.hasChild = m.Str("child")
	s.ike, s.hasIKE = m.Str("ike")
	s.childID = uint32(m.Int("child-id", 0))
	s.ikeID = uint32(m.Int("ike-id", 0))
	s.wantChild = s.hasChild || s.childID != 0
	s.wantAny = s.wantChild || s.hasIKE || s.ikeID != 0
	return s
}

func (s selection) log(p *Plugin, verb string) {
	if s.ikeID != 0 {
		p.logf(bus.Control, "vici %s IKE_SA #%d", verb, s.ikeID)
	}
	if s.childID != 0 {
		p.logf(bus.Control, "vici %s CHILD_SA #%d", verb, s.childID)
	}
	if s.hasIKE {
		p.logf(bus.Control, "vici %s IKE_SA '%s'", verb, s.ike)
	}
	if s.hasChild {
		p.logf(bus.Control, "vici %s CHILD_SA '%s'", verb, s.child)
	}
}

// each calls onIKE for every selected IKE_SA, or onChild for every
// selected CHILD_SA when a child is asked for, with the SA checked out.
func (s selection) each(m *sa.Manager, onIKE func(*sa.IKESA), onChild func(*sa.IKESA, *sa.ChildSA)) {
	m.Each(0, true, func(ike *sa.IKESA) {
		if s.wantChild {
			if (s.hasIKE && s.ike != ike.Name()) || (s.ikeID != 0 && s.ikeID != ike.UniqueID()) {
				return
			}
			for _, c := range ike.Children() {
				if (s.hasChild && s.child != c.Name()) || (s.childID != 0 && s.childID != c.UniqueID()) {
					continue
				}
				onChild(ike, c)
			}
		} else if (s.hasIKE && s.ike == ike.Name()) || (s.ikeID != 0 && s.ikeID == ike.UniqueID()) {
			onIKE(ike)
		}
	})
}

func (p *Plugin) terminate(r *Request) []byte {
	sel := selectionOf(r.Msg)
	force := r.Msg.Bool("force", false)
	timeout := r.Msg.Int("timeout", 0)
	level := r.Msg.Int("loglevel", 1)
	if !sel.wantAny {
		return reply("missing terminate selector")
	}
	sel.log(p, "terminate")
	var cb LogFunc
	if timeout >= 0 {
		cb = p.controlLog(r.Client, level)
	}
	var ids []uint32
	sel.each(p.deps.Env.Manager,
		func(ike *sa.IKESA) { ids = append(ids, ike.UniqueID()) },
		func(_ *sa.IKESA, c *sa.ChildSA) { ids = append(ids, c.UniqueID()) })
	done := 0
	for _, id := range ids {
		var res Result
		if sel.wantChild {
			res = p.deps.Control.TerminateChild(r.Ctx, id, cb, msTimeout(timeout))
		} else {
			res = p.deps.Control.TerminateIKE(r.Ctx, id, force, cb, msTimeout(timeout))
		}
		if res == Success {
			done++
		}
	}
	errmsg := ""
	switch {
	case len(ids) == 0:
		errmsg = "no matching SAs to terminate found"
	case done < len(ids) && len(ids) == 1:
		errmsg = "terminating SA failed"
	case done < len(ids):
		errmsg = "not all matching SAs could be terminated"
	}
	b := NewBuilder()
	b.KV("success", yesNo(errmsg == ""))
	b.KVf("matches", "%d", len(ids))
	b.KVf("terminated", "%d", done)
	if errmsg != "" {
		b.KV("errmsg", errmsg)
	}
	return p.finish(b)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// matchReply is the success/matches/errmsg reply of rekey and redirect.
func (p *Plugin) matchReply(found int, errmsg string) []byte {
	b := NewBuilder()
	b.KV("success", yesNo(errmsg == ""))
	b.KVf("matches", "%d", found)
	if errmsg != "" {
		b.KV("errmsg", errmsg)
	}
	return p.finish(b)
}

func (p *Plugin) rekey(r *Request) []byte {
	sel := selectionOf(r.Msg)
	reauth := r.Msg.Bool("reauth", false)
	if !sel.wantAny {
		return reply("missing rekey selector")
	}
	sel.log(p, "rekey")
	m := p.deps.Env.Manager
	found := 0
	sel.each(m,
		func(ike *sa.IKESA) {
			m.ScheduleIKE(ike.ID(), 0, "rekey_ike_sa", func(ike *sa.IKESA) sa.Status {
				if reauth {
					return ike.Reauth()
				}
				return ike.Rekey()
			})
			found++
		},
		func(ike *sa.IKESA, c *sa.ChildSA) {
			proto, spi := c.Protocol(), c.SPI(true)
			m.ScheduleChild(proto, spi, ike.MyHost().Addr(), 0, "rekey_child_sa", func(ike *sa.IKESA, _ *sa.ChildSA) sa.Status {
				return ike.RekeyChild(proto, spi)
			})
			found++
		})
	if found == 0 {
		return p.matchReply(0, "no matching SAs to rekey found")
	}
	return p.matchReply(found, "")
}

// parsePeerIP is parse_peer_ip: a range "a-b", a subnet or an address.
func parsePeerIP(s string) (selectors.TS, bool) {
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(from)
		b, err2 := netip.ParseAddr(to)
		if err1 == nil && err2 == nil && a.Is4() == b.Is4() {
			if ts, err := selectors.FromRange(a, b, 0, 0, 0xffff); err == nil {
				return ts, true
			}
		}
	}
	ts, err := selectors.ParseCIDR(s, 0, 0, 0xffff)
	return ts, err == nil
}

// redirect sends the selected IKE_SAs' clients to another gateway (RFC
// 5685), each in a redirect job as charon's.
func (p *Plugin) redirect(r *Request) []byte {
	ike, hasIKE := r.Msg.Str("ike")
	ikeID := uint32(r.Msg.Int("ike-id", 0))
	peerIP, hasPeerIP := r.Msg.Str("peer-ip")
	peerID, hasPeerID := r.Msg.Str("peer-id")
	gw, hasGW := r.Msg.Str("gateway")
	if !hasGW {
		return reply("missing target gateway")
	}
	gateway := credentials.ParseIdentity(gw)
	switch gateway.Type() {
	case credentials.IDIPv4Addr, credentials.IDIPv6Addr, credentials.IDFQDN:
	default:
		return reply("unsupported gateway identity")
	}
	var ts selectors.TS
	if hasPeerIP {
		var ok bool
		if ts, ok = parsePeerIP(peerIP); !ok {
			return reply("invalid peer IP selector")
		}
		p.logf(bus.Control, "vici redirect IKE_SAs with src %s to %s", ts, gateway)
	}
	var identity *credentials.Identity
	if hasPeerID {
		identity = credentials.ParseIdentity(peerID)
		p.logf(bus.Control, "vici redirect IKE_SAs with ID '%s' to %s", identity, gateway)
	}
	if ikeID != 0 {
		p.logf(bus.Control, "vici redirect IKE_SA #%d to '%s'", ikeID, gateway)
	}
	if hasIKE {
		p.logf(bus.Control, "vici redirect IKE_SA '%s' to '%s'", ike, gateway)
	}
	if !hasPeerIP && !hasPeerID && !hasIKE && ikeID == 0 {
		return reply("missing redirect selector")
	}
	found := 0
	m := p.deps.Env.Manager
	m.Each(0, true, func(s *sa.IKESA) {
		if (ikeID != 0 && ikeID != s.UniqueID()) || (hasIKE && ike != s.Name()) {
			return
		}
		if hasPeerIP && !ts.Includes(s.OtherHost().Addr()) {
			return
		}
		if identity != nil {
			other := s.OtherEAPID()
			if other == nil || other.Matches(identity) == credentials.MatchNone {
				return
			}
		}
		m.ScheduleIKE(s.ID(), 0, "redirect", func(x *sa.IKESA) sa.Status { return x.Redirect(gateway) })
		found++
	})
	if found == 0 {
		return p.matchReply(0, "no matching SAs to redirect found")
	}
	return p.matchReply(found, "")
}

func (p *Plugin) install(r *Request) []byte {
	child, hasChild := r.Msg.Str("child")
	ike, hasIKE := r.Msg.Str("ike")
	if !hasChild {
		return reply("missing configuration name")
	}
	p.logf(bus.Control, "vici install '%s'", child)
	peer, cfg := p.findChildCfg(child, true, ike, hasIKE)
	if cfg == nil {
		return reply("configuration name not found")
	}
	var ok bool
	switch cfg.Mode {
	case kernel.ModePass, kernel.ModeDrop:
		ok = p.deps.Shunts.Install(peer.Name, cfg)
	default:
		ok = p.deps.Traps.Install(0, peer, cfg) != 0
	}
	if !ok {
		return reply("installing policy '%s' failed", child)
	}
	return reply("")
}

func (p *Plugin) uninstall(r *Request) []byte {
	child, hasChild := r.Msg.Str("child")
	ike, _ := r.Msg.Str("ike")
	if !hasChild {
		return reply("missing configuration name")
	}
	p.logf(bus.Control, "vici uninstall '%s'", child)
	if p.deps.Shunts.Uninstall(ike, child) || p.deps.Traps.Uninstall(ike, child) {
		return reply("")
	}
	return reply("policy '%s' not found", child)
}

func (p *Plugin) reloadSettings(*Request) []byte {
	if err := p.deps.Daemon.ReloadSettings(); err != nil {
		return reply("reloading '%s' failed", p.deps.Daemon.ConfPath())
	}
	return reply("")
}
