package daemon

import (
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

func crlValidation(cfg *config.AuthCfg, local bool, policy stroke.CRLPolicy) {
	if local {
		return
	}
	switch policy {
	case stroke.CRLStrictYes:
		cfg.CRLValidation = append(cfg.CRLValidation, credentials.ValidationGood)
	case stroke.CRLStrictIfURI:
		cfg.CRLValidation = append(cfg.CRLValidation, credentials.ValidationSkipped)
	}
}

// authRound holds the keywords of an end that configure one
// authentication round: leftauth, leftid, leftcert, leftca, leftgroups for
// the first; leftauth2, leftid2, leftcert2, leftca2, leftgroups2 for the
// second.
type authRound struct {
	auth, id, cert, ca, groups stroke.Str
}

// roundOf picks a round's keywords as build_auth_cfg does: the first round
// falls back on the end's address as identity, a local second round on
// the first round's identity; "%same" takes the other end's CA.
func roundOf(c *stroke.AddConn, local, primary bool) authRound {
	end, other := &c.Other, &c.Me
	if local {
		end, other = &c.Me, &c.Other
	}
	if primary {
		r := authRound{auth: end.Auth, id: end.ID, cert: end.Cert, ca: end.CA, groups: end.Groups}
		if !r.id.Valid {
			r.id = end.Address
		}
		if r.ca.Valid && r.ca.Value == "%same" {
			r.ca = other.CA
		}
		return r
	}
	r := authRound{auth: end.Auth2, id: end.ID2, cert: end.Cert2, ca: end.CA2, groups: end.Groups2}
	if local && !r.id.Valid {
		r.id = end.ID
	}
	if r.ca.Valid && r.ca.Value == "%same" {
		r.ca = other.CA2
	}
	return r
}

// buildAuthCfg builds one authentication round of one side; nil means the
// round is not configured. Certificates and CAs are loaded in
// stroke_config_cert.go; a conn with raw public keys is refused
// (stroke_config_refuse.go).
func (s *strokeConfig) buildAuthCfg(c *stroke.AddConn, local, primary bool) *config.AuthCfg {
	r := roundOf(c, local, primary)
	if !r.auth.Valid {
		if !primary {
			s.loadUnusedCert(r.cert)
			return nil
		}
		r.auth = stroke.S("pubkey")
	}
	cfg := &config.AuthCfg{}
	id, loose := r.id.Value, false
	if r.id.Valid && strings.HasPrefix(id, "%") && id != "%any" && id != "%any6" {
		loose, id = !local, id[1:]
	}
	if ident := s.roundIdentity(cfg, r.id, id, r.cert); ident.Type() != credentials.IDAny {
		cfg.Identity, cfg.IdentityLoose = ident, loose
	}
	if r.ca.Valid {
		s.caConstraint(cfg, r.ca.Value)
	}
	for _, g := range tokens(r.groups.Value) {
		cfg.Groups = append(cfg.Groups, credentials.ParseIdentity(g))
	}
	end := &c.Other
	if local {
		end = &c.Me
	}
	if end.CertPolicy.Valid {
		cfg.CertPolicies = tokens(end.CertPolicy.Value)
	}
	s.authClass(cfg, r.auth.Value, c, local)
	return cfg
}

// authClass sets the method of a round from leftauth=, as build_auth_cfg's
// chain of prefixes.
func (s *strokeConfig) authClass(cfg *config.AuthCfg, a string, c *stroke.AddConn, local bool) {
	switch {
	case strings.HasPrefix(a, "ike:") || strings.HasPrefix(a, "pubkey") || strings.HasPrefix(a, "rsa") ||
		strings.HasPrefix(a, "ecdsa") || strings.HasPrefix(a, "bliss"):
		cfg.Class = config.AuthClassPubkey
		crlValidation(cfg, local, c.CRLPolicy)
		s.pubkeyConstraints(cfg, a, true)
	case a == "psk" || a == "secret":
		cfg.Class = config.AuthClassPSK
	case strings.HasPrefix(a, "xauth"):
		cfg.Class = config.AuthClassXAuth
		if i := strings.IndexByte(a, '-'); i >= 0 {
			cfg.XAuthBackend = a[i+1:]
		}
		if c.XauthIdentity.Valid {
			cfg.XAuthIdentity = credentials.ParseIdentity(c.XauthIdentity.Value)
		}
	case strings.HasPrefix(a, "eap"):
		if i := strings.IndexByte(a, ':'); i >= 0 {
			s.pubkeyConstraints(cfg, a[i+1:], false)
		}
		eapAuth(cfg, a, c)
	default:
		if a != "any" {
			s.log(bus.Control, "authentication method %s unknown, fallback to any", a)
		}
		crlValidation(cfg, local, c.CRLPolicy)
	}
}

// eapAuth is an EAP round: the method, and the EAP and AAA identities.
func eapAuth(cfg *config.AuthCfg, a string, c *stroke.AddConn) {
	cfg.Class = config.AuthClassEAP
	if i := strings.IndexByte(a, ':'); i >= 0 {
		a = a[:i]
	}
	cfg.EAPType, cfg.EAPVendor = config.ParseEAPType(a)
	if c.EAPIdentity.Valid {
		if c.EAPIdentity.Value == "%identity" {
			cfg.EAPIdentity = credentials.Any()
		} else {
			cfg.EAPIdentity = credentials.ParseIdentity(c.EAPIdentity.Value)
		}
	}
	if c.AAAIdentity.Valid {
		cfg.AAAIdentity = credentials.ParseIdentity(c.AAAIdentity.Value)
	}
}
