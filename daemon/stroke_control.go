package daemon

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/internal/clib"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/stroke"
)

// strokeControl answers up, down, rekey, route and unroute (the stroke
// plugin's stroke_control.c).
type strokeControl struct {
	d *Daemon
	// timeout is charon.plugins.stroke.timeout: how long a client waits
	// for an SA before "not established after %dms, detaching".
	timeout time.Duration
}

var _ stroke.Control = (*strokeControl)(nil)

func (s *strokeControl) log(g bus.Group, l bus.Level, format string, args ...any) {
	s.d.bus.Log(0, nil, g, l, format, args...)
}

// streamTo returns the callback that writes an operation's log lines to
// the client up to its verbosity (stroke_log).
func streamTo(out *stroke.Reply) LogFunc {
	return func(g bus.Group, l bus.Level, _ bus.SAInfo, msg string) bool {
		return out.Log(g, l, msg)
	}
}

func (s *strokeControl) timeoutMS() int64 { return s.timeout.Milliseconds() }

// findChild finds the peer and CHILD_SA config `name` refers to: a child
// config of that name in the peer config of that name, or any peer's
// child of that name. With a peer name but no such child, children lists
// all of that peer's child configs.
func (s *strokeControl) findChild(name string) (peer *config.PeerCfg, child *config.ChildCfg, all []*config.ChildCfg, found bool) {
	b := s.d.backends
	for _, p := range b.Peers() {
		if p.Name == name {
			if c := p.Child(name); c != nil {
				return p, c, nil, true
			}
			return p, nil, p.Children(), true
		}
	}
	for _, p := range b.Peers() {
		if c := p.Child(name); c != nil {
			return p, c, nil, true
		}
	}
	return nil, nil, nil, false
}

func (s *strokeControl) Initiate(ctx context.Context, name stroke.Str, out *stroke.Reply) {
	n := name.Value
	s.forConfig(n, out, func(peer *config.PeerCfg, child *config.ChildCfg, _ bool) {
		s.initiate(ctx, peer, child, n, out)
	})
}

// forConfig runs fn for the CHILD_SA config name refers to or, for the
// name of a peer config without a child of that name, for each of its
// children (whole is then true); otherwise it reports what charon reports.
func (s *strokeControl) forConfig(name string, out *stroke.Reply, fn func(peer *config.PeerCfg, child *config.ChildCfg, whole bool)) {
	peer, child, all, ok := s.findChild(name)
	switch {
	case !ok:
		s.log(bus.CFG, bus.Control, "no config named '%s'", name)
		out.Printf("no config named '%s'\n", name)
		if r := s.d.backends.RefusedByName(name); r != nil {
			for _, why := range r.Reasons {
				s.log(bus.CFG, bus.Control, "conn '%s' was not added: %s", name, why)
				out.Printf("conn '%s' was not added: %s\n", name, why)
			}
		}
	case child != nil:
		fn(peer, child, false)
	case len(all) == 0:
		s.log(bus.CFG, bus.Control, "no child config named '%s'", name)
		out.Printf("no child config named '%s'\n", name)
	default:
		for _, c := range all {
			fn(peer, c, true)
		}
	}
}

func (s *strokeControl) initiate(ctx context.Context, peer *config.PeerCfg, child *config.ChildCfg, name string, out *stroke.Reply) {
	ctl := s.d.controller
	if out.Verbosity() < 0 {
		ctl.Initiate(ctx, peer, child, nil, 0, false)
		return
	}
	switch ctl.Initiate(ctx, peer, child, streamTo(out), s.timeout, false) {
	case ResultSuccess:
		out.Printf("connection '%s' established successfully\n", name)
	case ResultTimeout:
		out.Printf("connection '%s' not established after %dms, detaching\n", name, s.timeoutMS())
	default:
		out.Printf("establishing connection '%s' failed\n", name)
	}
}

// specifier is a parsed "name", "name[N]", "name{N}", "name[*]", "name{*}",
// "name[]" or "name{}" (stroke_control.c parse_specifier).
type specifier struct {
	name  string
	id    uint32
	child bool
	all   bool
}

func parseSpecifier(s string) (specifier, bool) {
	var sp specifier
	if s == "" {
		return sp, false
	}
	var open int
	switch s[len(s)-1] {
	case '}':
		sp.child = true
		open = strings.IndexByte(s, '{')
	case ']':
		open = strings.IndexByte(s, '[')
	default:
		sp.name = s
		return sp, true
	}
	switch {
	case open < 0:
		// "]" or "x}": no opening bracket (charon's NULL pointer is never
		// string+len-2); before the name[] case, which it would match
		// for a one-character string.
		return sp, false
	case open == len(s)-2:
		sp.name = s[:len(s)-2]
	case s[open+1] == '*':
		sp.all = true
		sp.name = s[:open]
	default:
		sp.id = uint32(clib.Atoi(s[open+1:]))
		if sp.id == 0 {
			return sp, false
		}
	}
	return sp, true
}

func (s *strokeControl) reportTerminate(r Result, out *stroke.Reply, id uint32, child bool) {
	prefix, postfix := "IKE_SA [", "]"
	if child {
		prefix, postfix = "CHILD_SA {", "}"
	}
	switch r {
	case ResultSuccess:
		out.Printf("%s%d%s closed successfully\n", prefix, id, postfix)
	case ResultTimeout:
		out.Printf("%s%d%s not closed after %dms, detaching\n", prefix, id, postfix, s.timeoutMS())
	default:
		out.Printf("closing %s%d%s failed\n", prefix, id, postfix)
	}
}

func (s *strokeControl) terminateID(ctx context.Context, id uint32, child bool, out *stroke.Reply) {
	ctl := s.d.controller
	if out.Verbosity() >= 0 {
		var r Result
		if child {
			r = ctl.TerminateChild(ctx, id, streamTo(out), s.timeout)
		} else {
			r = ctl.TerminateIKE(ctx, id, false, streamTo(out), s.timeout)
		}
		s.reportTerminate(r, out, id, child)
		return
	}
	if child {
		ctl.TerminateChild(ctx, id, nil, 0)
	} else {
		ctl.TerminateIKE(ctx, id, false, nil, 0)
	}
}

func (s *strokeControl) Terminate(ctx context.Context, name stroke.Str, out *stroke.Reply) {
	sp, ok := parseSpecifier(name.Value)
	if !ok {
		s.log(bus.CFG, bus.Control, "error parsing specifier string")
		return
	}
	if sp.id != 0 {
		s.terminateID(ctx, sp.id, sp.child, out)
		return
	}
	var ikes, children []uint32
	s.d.manager.Each(0, true, func(ike *sa.IKESA) {
		if sp.child {
			if len(children) > 0 && !sp.all {
				return
			}
			for _, c := range ike.Children() {
				if c.Name() == sp.name {
					children = append(children, c.UniqueID())
					if !sp.all {
						break
					}
				}
			}
		} else if ike.Name() == sp.name {
			if len(ikes) > 0 && !sp.all {
				return
			}
			ikes = append(ikes, ike.UniqueID())
		}
	})
	for _, id := range children {
		s.terminateID(ctx, id, true, out)
	}
	for _, id := range ikes {
		s.terminateID(ctx, id, false, out)
	}
	if len(children) == 0 && len(ikes) == 0 {
		what := "IKE"
		if sp.child {
			what = "CHILD"
		}
		s.log(bus.CFG, bus.Control, "no %s_SA named '%s' found", what, sp.name)
	}
}

func (s *strokeControl) Rekey(ctx context.Context, name stroke.Str, out *stroke.Reply) {
	sp, ok := parseSpecifier(name.Value)
	if !ok {
		s.log(bus.CFG, bus.Control, "error parsing specifier string")
		return
	}
	m := s.d.manager
	finished := false
	m.Each(0, true, func(ike *sa.IKESA) {
		if finished {
			return
		}
		if sp.child {
			for _, c := range ike.Children() {
				if (sp.name != "" && sp.name == c.Name()) || (sp.id != 0 && sp.id == c.UniqueID()) {
					proto, spi := c.Protocol(), c.SPI(true)
					dst := ike.MyHost().Addr()
					m.ScheduleChild(proto, spi, dst, 0, "rekey_child_sa", func(ike *sa.IKESA, c *sa.ChildSA) sa.Status {
						return ike.RekeyChild(proto, spi)
					})
					if !sp.all {
						finished = true
						break
					}
				}
			}
		} else if (sp.name != "" && sp.name == ike.Name()) || (sp.id != 0 && sp.id == ike.UniqueID()) {
			m.ScheduleIKE(ike.ID(), 0, "rekey_ike_sa", func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
			if !sp.all {
				finished = true
			}
		}
	})
}

func (s *strokeControl) TerminateSrcIP(ctx context.Context, start, end stroke.Str, out *stroke.Reply) {
	from, err := netip.ParseAddr(start.Value)
	if !start.Valid || err != nil {
		s.log(bus.CFG, bus.Control, "invalid start address: %s", start)
		return
	}
	var to netip.Addr
	if end.Valid {
		if to, err = netip.ParseAddr(end.Value); err != nil {
			s.log(bus.CFG, bus.Control, "invalid end address: %s", end)
			return
		}
	}
	m := s.d.manager
	m.Each(0, true, func(ike *sa.IKESA) {
		for _, vip := range ike.VirtualIPs(false) {
			match := false
			if !to.IsValid() {
				match = vip == from
			} else {
				match = vip.BitLen() == from.BitLen() && vip.BitLen() == to.BitLen() &&
					vip.Compare(from) >= 0 && vip.Compare(to) <= 0
			}
			if match {
				m.ScheduleIKE(ike.ID(), 0, "delete_ike_sa", func(ike *sa.IKESA) sa.Status { return ike.Delete(true) })
				break
			}
		}
	})
}

func (s *strokeControl) PurgeIKE(ctx context.Context, out *stroke.Reply) {
	var ids []uint32
	s.d.manager.Each(0, true, func(ike *sa.IKESA) {
		if ike.ChildCount() == 0 {
			ids = append(ids, ike.UniqueID())
		}
	})
	for _, id := range ids {
		s.terminateID(ctx, id, false, out)
	}
}

func (s *strokeControl) route(peer *config.PeerCfg, child *config.ChildCfg, name string, out *stroke.Reply) {
	if child.Mode == kernel.ModePass || child.Mode == kernel.ModeDrop {
		mode := "PASS"
		if child.Mode == kernel.ModeDrop {
			mode = "DROP"
		}
		if s.d.shunts.Install(peer.Name, child) {
			out.Printf("'%s' shunt %s policy installed\n", name, mode)
		} else {
			out.Printf("'%s' shunt %s policy installation failed\n", name, mode)
		}
		return
	}
	if s.d.traps.Install(0, peer, child) != 0 {
		out.Printf("'%s' routed\n", name)
	} else {
		out.Printf("routing '%s' failed\n", name)
	}
}

func (s *strokeControl) Route(ctx context.Context, name stroke.Str, out *stroke.Reply) {
	s.forConfig(name.Value, out, func(peer *config.PeerCfg, child *config.ChildCfg, whole bool) {
		label := name.Value
		if whole {
			label = child.Name
		}
		s.route(peer, child, label, out)
	})
}

func (s *strokeControl) Unroute(ctx context.Context, name stroke.Str, out *stroke.Reply) {
	n := name.Value
	switch {
	case s.d.shunts.Uninstall("", n):
		out.Printf("shunt policy '%s' uninstalled\n", n)
	case s.d.traps.Uninstall("", n):
		out.Printf("trap policy '%s' unrouted\n", n)
	default:
		out.Printf("configuration '%s' not found\n", n)
	}
}
