package sa

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
)

// The authentication rounds in progress (ike_sa get_auth_cfg): the tasks
// of IKE_AUTH gather what a round needs here before it completes. For our
// side: the configured round, the CA certificates the peer asked for
// (CERTREQ) and the chain of the certificate we authenticate with; for the
// peer's side: its identity and, once verified, its chain. The
// certificates the peer sent wait in Helpers until its AUTH is verified.

func side(local bool) int {
	if local {
		return 0
	}
	return 1
}

// CurrentAuth is the round in progress of one side, created empty on
// first use.
func (ike *IKESA) CurrentAuth(local bool) *config.AuthCfg {
	i := side(local)
	if ike.curAuth[i] == nil {
		ike.curAuth[i] = &config.AuthCfg{}
	}
	return ike.curAuth[i]
}

// PurgeCurrentAuth empties a round in progress; keepCA keeps the CA
// certificates the peer requested, which stay valid for the next round
// (auth_cfg purge).
func (ike *IKESA) PurgeCurrentAuth(local, keepCA bool) {
	i := side(local)
	var cas []*credentials.Certificate
	if keepCA && ike.curAuth[i] != nil {
		cas = ike.curAuth[i].CACerts
	}
	ike.curAuth[i] = &config.AuthCfg{}
	ike.curAuth[i].CACerts = cas
}

// Helpers are the certificates and CRLs the peer sent for its round in
// progress.
func (ike *IKESA) Helpers() *credentials.Helpers { return &ike.helpers }

// CompleteAuth records the round in progress of one side as done and
// starts a new one: ours is copied (it keeps the requested CAs), the
// peer's moves, with its helpers (apply_auth_cfg).
func (ike *IKESA) CompleteAuth(local bool) *config.AuthCfg {
	cur := ike.CurrentAuth(local)
	done := cur.Clone()
	ike.AddAuthCfg(local, done)
	if !local {
		ike.curAuth[1] = nil
		ike.helpers = credentials.Helpers{}
	}
	return done
}

// CredLog routes the credential layer's log lines to the IKE_SA's log, so
// that they carry its thread and name as charon's do.
func (ike *IKESA) CredLog() credentials.LogFunc {
	return func(g credentials.LogGroup, level int, format string, args ...any) {
		grp := bus.CFG
		switch g {
		case credentials.LogIKE:
			grp = bus.IKE
		case credentials.LogLIB:
			grp = bus.LIB
		case credentials.LogASN:
			grp = bus.ASN
		}
		ike.Log(grp, bus.Level(level), format, args...)
	}
}
