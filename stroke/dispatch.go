package stroke

import (
	"github.com/goswan/goswan/bus"
)

// dispatch logs a request as charon's stroke_socket.c does and hands it to
// the handler in charge.
func (s *Server) dispatch(m *Msg, out *Reply) {
	ctx, h, log := s.ctx, s.cfg.Handlers, s.log
	missing := func() {
		log.Logf(bus.CFG, bus.Control, "no handler for stroke %s, ignored", m.Type)
	}
	switch b := m.Body.(type) {
	case *Initiate:
		log.Logf(bus.CFG, bus.Control, "received stroke: initiate '%s'", b.Name)
		if h.Control == nil {
			missing()
			return
		}
		h.Control.Initiate(ctx, b.Name, out)
	case *Route:
		log.Logf(bus.CFG, bus.Control, "received stroke: route '%s'", b.Name)
		if h.Control == nil {
			missing()
			return
		}
		h.Control.Route(ctx, b.Name, out)
	case *Unroute:
		log.Logf(bus.CFG, bus.Control, "received stroke: unroute '%s'", b.Name)
		if h.Control == nil {
			missing()
			return
		}
		h.Control.Unroute(ctx, b.Name, out)
	case *Terminate:
		log.Logf(bus.CFG, bus.Control, "received stroke: terminate '%s'", b.Name)
		if h.Control == nil {
			missing()
			return
		}
		h.Control.Terminate(ctx, b.Name, out)
	case *TerminateSrcIP:
		log.Logf(bus.CFG, bus.Control, "received stroke: terminate-srcip %s-%s", b.Start, b.End)
		if h.Control == nil {
			missing()
			return
		}
		h.Control.TerminateSrcIP(ctx, b.Start, b.End, out)
	case *Rekey:
		log.Logf(bus.CFG, bus.Control, "received stroke: rekey '%s'", b.Name)
		if h.Control == nil {
			missing()
			return
		}
		h.Control.Rekey(ctx, b.Name, out)
	case *Status:
		if h.List == nil {
			missing()
			return
		}
		h.List.Status(ctx, b.Name, m.Type != TypeStatus, m.Type != TypeStatusAllNoBlock, out)
	case *AddConn:
		log.Logf(bus.CFG, bus.Control, "received stroke: add connection '%s'", b.Name)
		logAddConn(log, b)
		if h.Config == nil {
			missing()
			return
		}
		h.Config.AddConn(ctx, b)
	case *DelConn:
		log.Logf(bus.CFG, bus.Control, "received stroke: delete connection '%s'", b.Name)
		if h.Config == nil {
			missing()
			return
		}
		h.Config.DelConn(ctx, b.Name)
	case *AddCA:
		log.Logf(bus.CFG, bus.Control, "received stroke: add ca '%s'", b.Name)
		logAddCA(log, b)
		if h.CA == nil {
			missing()
			return
		}
		h.CA.AddCA(ctx, b)
	case *DelCA:
		log.Logf(bus.CFG, bus.Control, "received stroke: delete ca '%s'", b.Name)
		if h.CA == nil {
			missing()
			return
		}
		h.CA.DelCA(ctx, b.Name)
	case *LogLevel:
		s.logLevel(b, out)
	case *Config:
		if h.Credentials == nil {
			missing()
			return
		}
		h.Credentials.CacheCRLs(ctx, b.CacheCRL != 0)
	case *List:
		if b.Flags&ListCAInfos != 0 && h.CA != nil {
			h.CA.ListCAInfos(ctx, b.UTC != 0, out)
		}
		if h.List == nil {
			missing()
			return
		}
		h.List.List(ctx, b.Flags, b.UTC != 0, out)
	case *Reread:
		if h.Credentials == nil {
			missing()
			return
		}
		h.Credentials.Reread(ctx, b.Flags, out)
	case *Purge:
		if caches := b.Flags & (PurgeOCSP | PurgeCRLs | PurgeCerts); caches != 0 {
			if h.Credentials != nil {
				h.Credentials.FlushCache(ctx, caches)
			} else {
				missing()
			}
		}
		if b.Flags&PurgeIKE != 0 {
			if h.Control != nil {
				h.Control.PurgeIKE(ctx, out)
			} else {
				missing()
			}
		}
	case *Export:
		if h.Credentials == nil {
			missing()
			return
		}
		h.Credentials.Export(ctx, b.Flags, b.Selector, out)
	case *Leases:
		if h.List == nil {
			missing()
			return
		}
		h.List.Leases(ctx, b.Pool, b.Address, out)
	case *MemUsage:
		// charon answers only when built with its leak detective.
		if h.MemUsage != nil {
			h.MemUsage.MemUsage(ctx, out)
		}
	case *UserCreds:
		log.Logf(bus.CFG, bus.Control, "received stroke: user-creds '%s'", b.Name)
		if h.Config == nil {
			missing()
			return
		}
		h.Config.UserCreds(ctx, b, out)
	case *Counters:
		if h.Counters == nil {
			// What charon's stroke_counter says without the counters plugin.
			if b.Reset == 0 {
				out.Printf("\nNo counters available (plugin missing?)\n\n")
			}
			return
		}
		if b.Reset != 0 {
			h.Counters.Reset(ctx, b.Name)
		} else {
			h.Counters.Print(ctx, b.Name, out)
		}
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
