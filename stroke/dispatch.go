package stroke

import (
	"context"

	"github.com/goswan/goswan/bus"
)

// dispatch logs a request as charon's stroke_socket.c does and hands it to
// the handler in charge.
func (s *Server) dispatch(m *Msg, out *Reply) {
	if r := routes[m.Type]; r != nil {
		r(s, m, out)
	}
}

// route serves one type of request.
type route func(s *Server, m *Msg, out *Reply)

// routes says, per request type, what charon logs on receiving it, which
// handler takes it, and how (stroke_socket.c stroke_process).
var routes = map[Type]route{
	TypeInitiate: serve(control, said("initiate '%s'", func(b *Initiate) []any { return []any{b.Name} }),
		func(h Control, ctx context.Context, b *Initiate, out *Reply) { h.Initiate(ctx, b.Name, out) }),
	TypeRoute: serve(control, said("route '%s'", func(b *Route) []any { return []any{b.Name} }),
		func(h Control, ctx context.Context, b *Route, out *Reply) { h.Route(ctx, b.Name, out) }),
	TypeUnroute: serve(control, said("unroute '%s'", func(b *Unroute) []any { return []any{b.Name} }),
		func(h Control, ctx context.Context, b *Unroute, out *Reply) { h.Unroute(ctx, b.Name, out) }),
	TypeTerminate: serve(control, said("terminate '%s'", func(b *Terminate) []any { return []any{b.Name} }),
		func(h Control, ctx context.Context, b *Terminate, out *Reply) { h.Terminate(ctx, b.Name, out) }),
	TypeTerminateSrcIP: serve(control, said("terminate-srcip %s-%s", func(b *TerminateSrcIP) []any { return []any{b.Start, b.End} }),
		func(h Control, ctx context.Context, b *TerminateSrcIP, out *Reply) {
			h.TerminateSrcIP(ctx, b.Start, b.End, out)
		}),
	TypeRekey: serve(control, said("rekey '%s'", func(b *Rekey) []any { return []any{b.Name} }),
		func(h Control, ctx context.Context, b *Rekey, out *Reply) { h.Rekey(ctx, b.Name, out) }),
	TypeStatus:           status,
	TypeStatusAll:        status,
	TypeStatusAllNoBlock: status,
	TypeAddConn: serve(configs, func(log bus.Logger, b *AddConn) {
		log.Logf(bus.CFG, bus.Control, "received stroke: add connection '%s'", b.Name)
		logAddConn(log, b)
	}, func(h Configs, ctx context.Context, b *AddConn, _ *Reply) { h.AddConn(ctx, b) }),
	TypeDelConn: serve(configs, said("delete connection '%s'", func(b *DelConn) []any { return []any{b.Name} }),
		func(h Configs, ctx context.Context, b *DelConn, _ *Reply) { h.DelConn(ctx, b.Name) }),
	TypeUserCreds: serve(configs, said("user-creds '%s'", func(b *UserCreds) []any { return []any{b.Name} }),
		func(h Configs, ctx context.Context, b *UserCreds, out *Reply) { h.UserCreds(ctx, b, out) }),
	TypeAddCA: serve(cas, func(log bus.Logger, b *AddCA) {
		log.Logf(bus.CFG, bus.Control, "received stroke: add ca '%s'", b.Name)
		logAddCA(log, b)
	}, func(h CAs, ctx context.Context, b *AddCA, _ *Reply) { h.AddCA(ctx, b) }),
	TypeDelCA: serve(cas, said("delete ca '%s'", func(b *DelCA) []any { return []any{b.Name} }),
		func(h CAs, ctx context.Context, b *DelCA, _ *Reply) { h.DelCA(ctx, b.Name) }),
	TypeLogLevel: func(s *Server, m *Msg, out *Reply) {
		if b, ok := m.Body.(*LogLevel); ok {
			s.logLevel(b, out)
		}
	},
	TypeConfig: serve(credentials, nil,
		func(h Credentials, ctx context.Context, b *Config, _ *Reply) { h.CacheCRLs(ctx, b.CacheCRL != 0) }),
	TypeList: func(s *Server, m *Msg, out *Reply) {
		// The ca sections come from the CA handler, the rest from the
		// lister, as charon's stroke_list does.
		if b, ok := m.Body.(*List); ok && b.Flags&ListCAInfos != 0 && s.cfg.Handlers.CA != nil {
			s.cfg.Handlers.CA.ListCAInfos(s.ctx, b.UTC != 0, out)
		}
		serve(lister, nil, func(h Lister, ctx context.Context, b *List, out *Reply) { h.List(ctx, b.Flags, b.UTC != 0, out) })(s, m, out)
	},
	TypeReread: serve(credentials, nil,
		func(h Credentials, ctx context.Context, b *Reread, out *Reply) { h.Reread(ctx, b.Flags, out) }),
	TypePurge: purge,
	TypeExport: serve(credentials, nil,
		func(h Credentials, ctx context.Context, b *Export, out *Reply) {
			h.Export(ctx, b.Flags, b.Selector, out)
		}),
	TypeLeases: serve(lister, nil,
		func(h Lister, ctx context.Context, b *Leases, out *Reply) { h.Leases(ctx, b.Pool, b.Address, out) }),
	TypeMemUsage: func(s *Server, m *Msg, out *Reply) {
		// charon answers only when built with its leak detective.
		if s.cfg.Handlers.MemUsage != nil {
			s.cfg.Handlers.MemUsage.MemUsage(s.ctx, out)
		}
	},
	TypeCounters: counters,
}

// The handlers a route can name.
func control(h *Handlers) Control         { return h.Control }
func configs(h *Handlers) Configs         { return h.Config }
func cas(h *Handlers) CAs                 { return h.CA }
func credentials(h *Handlers) Credentials { return h.Credentials }
func lister(h *Handlers) Lister           { return h.List }

// serve makes the route of a request with body B for handler H: log what
// charon logs on receiving it (received, if any), then hand it to the
// handler, or log that there is none.
func serve[B Body, H any](handler func(*Handlers) H, received func(bus.Logger, B), do func(H, context.Context, B, *Reply)) route {
	return func(s *Server, m *Msg, out *Reply) {
		b, ok := m.Body.(B)
		if !ok {
			return
		}
		if received != nil {
			received(s.log, b)
		}
		h := handler(&s.cfg.Handlers)
		if any(h) == nil {
			s.missing(m)
			return
		}
		do(h, s.ctx, b, out)
	}
}

// said is the usual received log line: "received stroke: " and what the
// request asks for.
func said[B Body](format string, args func(B) []any) func(bus.Logger, B) {
	return func(log bus.Logger, b B) {
		log.Logf(bus.CFG, bus.Control, "received stroke: "+format, args(b)...)
	}
}

func (s *Server) missing(m *Msg) {
	s.log.Logf(bus.CFG, bus.Control, "no handler for stroke %s, ignored", m.Type)
}

// status serves status, statusall and statusall-nb.
func status(s *Server, m *Msg, out *Reply) {
	serve(lister, nil, func(h Lister, ctx context.Context, b *Status, out *Reply) {
		h.Status(ctx, b.Name, m.Type != TypeStatus, m.Type != TypeStatusAllNoBlock, out)
	})(s, m, out)
}

// purge hands the cache flags to the credentials and PurgeIKE to control.
func purge(s *Server, m *Msg, out *Reply) {
	b, ok := m.Body.(*Purge)
	if !ok {
		return
	}
	h := s.cfg.Handlers
	if caches := b.Flags & (PurgeOCSP | PurgeCRLs | PurgeCerts); caches != 0 {
		if h.Credentials != nil {
			h.Credentials.FlushCache(s.ctx, caches)
		} else {
			s.missing(m)
		}
	}
	if b.Flags&PurgeIKE != 0 {
		if h.Control != nil {
			h.Control.PurgeIKE(s.ctx, out)
		} else {
			s.missing(m)
		}
	}
}

// counters lists or resets the IKE counters; without them it answers
// what charon's stroke_counter says without the counters plugin.
func counters(s *Server, m *Msg, out *Reply) {
	b, ok := m.Body.(*Counters)
	if !ok {
		return
	}
	h := s.cfg.Handlers.Counters
	switch {
	case h == nil && b.Reset == 0:
		out.Printf("\nNo counters available (plugin missing?)\n\n")
	case h == nil:
	case b.Reset != 0:
		h.Reset(s.ctx, b.Name)
	default:
		h.Print(s.ctx, b.Name, out)
	}
}

// logLevel applies STR_LOGLEVEL: the group name as charon's debug_names,
// case-insensitive, "any" included.
func (s *Server) logLevel(b *LogLevel, out *Reply) {
	s.log.Logf(bus.CFG, bus.Control, "received stroke: loglevel %d for %s", b.Level, b.Type)
	if s.cfg.PreventLoglevelChanges {
		s.log.Logf(bus.CFG, bus.Control, "prevented log level change")
		out.Printf("command not allowed!\n")
		return
	}
	g, ok := bus.ParseGroup(b.Type.Value)
	if !b.Type.Valid || !ok {
		out.Printf("unknown type '%s'!\n", b.Type)
		return
	}
	if s.cfg.Handlers.LogLevels == nil {
		s.log.Logf(bus.CFG, bus.Control, "no handler for stroke %s, ignored", TypeLogLevel)
		return
	}
	// Levels beyond the defined ones behave like the nearest one.
	level := b.Level
	level = max(level, int32(bus.Silent))
	level = min(level, int32(bus.Private))
	s.cfg.Handlers.LogLevels.SetLevel(g, bus.Level(level))
}

// logOpt logs "  <label>=<value>" at level 2 for a set string, as charon's
// DBG_OPT does.
func logOpt(log bus.Logger, label string, v Str) {
	if v.Valid {
		log.Logf(bus.CFG, bus.Diag, "  %s=%s", label, v.Value)
	}
}

// logOptInt is DBG_OPT for a number: logged when nonzero. charon prints the
// time_t values with %d, i.e. their low 32 bits.
func logOptInt(log bus.Logger, label string, v int64) {
	if v != 0 {
		log.Logf(bus.CFG, bus.Diag, "  %s=%d", label, int32(v))
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// logAddConn prints the level-2 dump of an add_conn that charon's
// stroke_add_conn prints, in its order.
func logAddConn(log bus.Logger, c *AddConn) {
	log.Logf(bus.CFG, bus.Diag, "conn %s", c.Name)
	for _, e := range []struct {
		label string
		end   *End
	}{{"left", &c.Me}, {"right", &c.Other}} {
		l, end := e.label, e.end
		logOpt(log, l, end.Address)
		logOpt(log, l+"subnet", end.Subnets)
		logOpt(log, l+"sourceip", end.SourceIP)
		logOpt(log, l+"dns", end.DNS)
		logOpt(log, l+"auth", end.Auth)
		logOpt(log, l+"auth2", end.Auth2)
		logOpt(log, l+"id", end.ID)
		logOpt(log, l+"id2", end.ID2)
		logOpt(log, l+"rsakey", end.RSAKey)
		logOpt(log, l+"cert", end.Cert)
		logOpt(log, l+"cert2", end.Cert2)
		logOpt(log, l+"ca", end.CA)
		logOpt(log, l+"ca2", end.CA2)
		logOpt(log, l+"groups", end.Groups)
		logOpt(log, l+"groups2", end.Groups2)
		logOpt(log, l+"updown", end.Updown)
	}
	logOpt(log, "eap_identity", c.EAPIdentity)
	logOpt(log, "aaa_identity", c.AAAIdentity)
	logOpt(log, "xauth_identity", c.XauthIdentity)
	logOpt(log, "ike", c.Algorithms.IKE)
	logOpt(log, "esp", c.Algorithms.ESP)
	logOpt(log, "ah", c.Algorithms.AH)
	logOptInt(log, "dpddelay", c.DPD.Delay)
	logOptInt(log, "dpdtimeout", c.DPD.Timeout)
	logOptInt(log, "dpdaction", int64(c.DPD.Action))
	logOptInt(log, "closeaction", int64(c.CloseAction))
	// charon passes these through DBG_OPT as strings, so they always print.
	log.Logf(bus.CFG, bus.Diag, "  sha256_96=%s", yesNo(c.SHA256_96))
	log.Logf(bus.CFG, bus.Diag, "  mediation=%s", yesNo(c.IKEME.Mediation != 0))
	logOpt(log, "mediated_by", c.IKEME.MediatedBy)
	logOpt(log, "me_peerid", c.IKEME.PeerID)
	if c.Version != 0 {
		log.Logf(bus.CFG, bus.Diag, "  keyexchange=ikev%d", uint32(c.Version))
	}
}

// logAddCA prints the level-2 dump of an add_ca, as charon's stroke_add_ca.
func logAddCA(log bus.Logger, ca *AddCA) {
	log.Logf(bus.CFG, bus.Diag, "ca %s", ca.Name)
	logOpt(log, "cacert", ca.CACert)
	logOpt(log, "crluri", ca.CRLURI)
	logOpt(log, "crluri2", ca.CRLURI2)
	logOpt(log, "ocspuri", ca.OCSPURI)
	logOpt(log, "ocspuri2", ca.OCSPURI2)
	logOpt(log, "certuribase", ca.CertURIBase)
}
