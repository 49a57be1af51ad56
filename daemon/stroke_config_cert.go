package daemon

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// The certificate part of a conn's authentication rounds, as
// stroke_config.c build_auth_cfg: leftcert/rightcert (several, comma
// separated), the identity they confirm, leftca/rightca and the public
// key constraints of leftauth/rightauth.

// loadUnusedCert loads the certificate of a round that is not configured
// (a second round without leftauth2): no round uses it, but it is loaded
// for other uses (EAP-TLS), as charon does.
func (s *strokeConfig) loadUnusedCert(cert stroke.Str) {
	if cert.Valid {
		s.d.cred.LoadPeerCert(cert.Value)
	}
}

// roundIdentity is the identity of a round: the one configured (idStr,
// without the loose "%" prefix), or %any, then confirmed by the round's
// certificates or replaced by the first one's subject (loadCerts).
func (s *strokeConfig) roundIdentity(cfg *config.AuthCfg, id stroke.Str, idStr string, cert stroke.Str) *credentials.Identity {
	identity := credentials.Any()
	if id.Valid {
		if ident := credentials.ParseIdentity(idStr); ident != nil {
			identity = ident
		}
	}
	if cert.Valid {
		identity = s.loadCerts(cfg, cert.Value, identity)
	}
	return identity
}

// loadCerts loads the round's certificates. If the configured identity is
// in none of them, the first certificate's subject becomes the identity
// (leftid defaults to the certificate subject); the identity to use is
// returned.
func (s *strokeConfig) loadCerts(cfg *config.AuthCfg, certs string, identity *credentials.Identity) *credentials.Identity {
	var first *credentials.Certificate
	confirmed := false
	for _, name := range tokens(certs) {
		c := s.d.cred.LoadPeerCert(name)
		if c == nil {
			continue
		}
		cfg.SubjectCerts = append(cfg.SubjectCerts, c)
		if first == nil {
			first = c
		}
		if identity.Type() != credentials.IDAny && c.HasSubject(identity) != credentials.MatchNone {
			confirmed = true
		}
	}
	if first != nil && !confirmed {
		s.log(bus.Control, "  id '%s' not confirmed by certificate, defaulting to '%s'", identity, first.Subject())
		return first.Subject()
	}
	return identity
}

// caConstraint makes the round require a CA (leftca/rightca), found among
// the trusted certificates by the identity given.
func (s *strokeConfig) caConstraint(cfg *config.AuthCfg, ca string) {
	id := credentials.ParseIdentity(ca)
	c := s.d.certs.GetCert(credentials.KeyAny, id, true)
	if c == nil {
		s.log(bus.Control, "CA certificate \"%s\" not found, discarding CA constraint", ca)
		return
	}
	cfg.CACerts = append(cfg.CACerts, c)
}

// pubkeyConstraints reads leftauth/rightauth's key and signature
// constraints (add_pubkey_constraints); ike is false for the part after
// "eap-tls:", which constrains the EAP-TLS certificate only.
func (s *strokeConfig) pubkeyConstraints(cfg *config.AuthCfg, auth string, ike bool) {
	set := s.d.Settings()
	cfg.AddPubkeyConstraints(auth, ike, credentials.ConstraintOptions{
		RSAPSS:                   set.Bool("charon.rsa_pss", false),
		SignatureAuthConstraints: set.Bool("charon.signature_authentication_constraints", true),
	}, func(g credentials.LogGroup, level int, format string, args ...any) {
		s.d.bus.Log(0, nil, bus.CFG, bus.Level(level), format, args...)
	})
}
