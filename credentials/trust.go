package credentials

import (
	"slices"
	"time"
)

// Trust chains as charon's credential manager builds them
// (credential_manager.c verify_trust_chain, the trusted and public key
// enumerators, get_private and build_trustchain), with the x509 lifetime
// check and the constraints plugin's validator.

// maxTrustPathLen bounds the chain length (MAX_TRUST_PATH_LEN).
const maxTrustPathLen = 7

// Helpers are the certificates and CRLs the peer sent in one
// authentication round, end entity first (auth_cfg's AUTH_HELPER_*
// entries). They are searched before every other set.
type Helpers struct {
	Subject *Certificate
	IM      []*Certificate
	CRLs    []*CRL
}

func (h *Helpers) certs() []*Certificate {
	if h == nil {
		return nil
	}
	var out []*Certificate
	if h.Subject != nil {
		out = append(out, h.Subject)
	}
	return append(out, h.IM...)
}

// view is one lookup: the manager's sets plus the peer's helpers, the
// log of the IKE_SA the lookup is for, and the time.
type view struct {
	m       *Manager
	helpers *Helpers
	log     LogFunc
	now     time.Time
	opts    ManagerOptions
}

func (m *Manager) view(h *Helpers, log LogFunc) *view {
	return &view{m: m, helpers: h, log: log, now: m.now(), opts: m.Options()}
}

func (v *view) certs(key KeyType, id *Identity, trusted bool) []*Certificate {
	v.m.mu.RLock()
	defer v.m.mu.RUnlock()
	return v.m.certsLocked(key, id, trusted, v.helpers.certs())
}

func (v *view) issuedBy(subject any, issuer *Certificate) (SignatureParams, bool) {
	return v.m.issuedBy(subject, issuer, v.log)
}

func (v *view) selfSigned(c *Certificate) bool {
	_, ok := v.issuedBy(c, c)
	return ok
}

// issuerCert finds the certificate that signed c among trusted or all
// certificates (get_issuer_cert).
func (v *view) issuerCert(c *Certificate, trusted bool) (*Certificate, SignatureParams) {
	for _, cand := range v.certs(KeyAny, c.issuer, trusted) {
		if p, ok := v.issuedBy(c, cand); ok {
			return cand, p
		}
	}
	return nil, SignatureParams{}
}

// addStrength records the key strength of a certificate in the chain
// (get_key_strength).
func (v *view) addStrength(c *Certificate, r *AuthRules) {
	k := c.pub
	v.log.log(LogCFG, 2, "  certificate \"%s\" key: %d bit %s", c.subject, k.Bits(), k.Type())
	switch k.Type() {
	case KeyRSA:
		r.RSAStrength = append(r.RSAStrength, k.Bits())
	case KeyECDSA:
		r.ECDSAStrength = append(r.ECDSAStrength, k.Bits())
	}
}

// checkLifetime is the generic validity check of check_lifetime.
func (v *view) checkLifetime(c *Certificate, label string) bool {
	if c.ValidAt(v.now) {
		return true
	}
	v.log.log(LogCFG, 1, "%s certificate invalid (valid from %s to %s)", label,
		FormatTime(c.NotBefore(), false), FormatTime(c.NotAfter(), false))
	return false
}

// checkCertificate runs the offline validators over one chain link
// (check_certificate).
func (v *view) checkCertificate(subject, issuer *Certificate, pathlen int, anchor bool, r *AuthRules) bool {
	if !v.checkLifetime(subject, "subject") || !v.checkLifetime(issuer, "issuer") {
		return false
	}
	if v.opts.Constraints {
		return v.validateConstraints(subject, issuer, pathlen, anchor, r)
	}
	return true
}

// verifyTrustChain walks from subject up to a trusted self-signed root
// (verify_trust_chain). trusted says the subject itself is trusted; online
// runs the revocation checks once the chain stands. The rules the chain
// adds are returned with the verdict.
func (v *view) verifyTrustChain(subject *Certificate, trusted, online bool) (AuthRules, bool) {
	var r AuthRules
	v.addStrength(subject, &r)
	r.SubjectCerts = append(r.SubjectCerts, subject)
	current := subject
	anchor := false
	pathlen := 0
	for ; pathlen <= maxTrustPathLen; pathlen++ {
		issuer, scheme := v.issuerCert(current, true)
		if issuer != nil {
			if v.selfSigned(issuer) {
				r.CACerts = append(r.CACerts, issuer)
				v.log.log(LogCFG, 1, "  using trusted ca certificate \"%s\"", issuer.subject)
				trusted, anchor = true, true
			} else {
				r.IMCerts = append(r.IMCerts, issuer)
				v.log.log(LogCFG, 1, "  using trusted intermediate ca certificate \"%s\"", issuer.subject)
			}
			r.SignatureSchemes = append(r.SignatureSchemes, scheme)
		} else {
			issuer, scheme = v.issuerCert(current, false)
			if issuer == nil {
				v.log.log(LogCFG, 1, "no issuer certificate found for \"%s\"", current.subject)
				v.log.log(LogCFG, 1, "  issuer is \"%s\"", current.issuer)
				if trusted {
					v.log.log(LogCFG, 1, "  reached end of incomplete trust chain for trusted certificate \"%s\"", subject.subject)
				}
				break
			}
			if current.Equal(issuer) {
				v.log.log(LogCFG, 1, "  self-signed certificate \"%s\" is not trusted", current.subject)
				break
			}
			r.IMCerts = append(r.IMCerts, issuer)
			v.log.log(LogCFG, 1, "  using untrusted intermediate certificate \"%s\"", issuer.subject)
			r.SignatureSchemes = append(r.SignatureSchemes, scheme)
		}
		if !v.checkCertificate(current, issuer, pathlen, anchor, &r) {
			trusted = false
			break
		}
		v.addStrength(issuer, &r)
		current = issuer
		if anchor {
			v.log.log(LogCFG, 1, "  reached self-signed root ca with a path length of %d", pathlen)
			break
		}
	}
	if pathlen > maxTrustPathLen {
		v.log.log(LogCFG, 1, "maximum path length of %d exceeded", maxTrustPathLen)
	} else if trusted && online {
		current = subject
		chain := append(slices.Clone(r.IMCerts), r.CACerts...)
		for i, issuer := range chain {
			isCA := i >= len(r.IMCerts)
			if !v.validateOnline(current, issuer, i, isCA, &r) {
				trusted = false
				break
			}
			if isCA {
				break
			}
			current = issuer
		}
	}
	return r, trusted
}

// TrustedCert is one certificate the trusted enumerator yields, with the
// rules its verified chain established.
type TrustedCert struct {
	Cert  *Certificate
	Rules AuthRules
}

// Trusted yields the certificates for id whose chain verifies, in charon's
// order (create_trusted_enumerator): first a pretrusted certificate (one
// loaded locally as trusted, e.g. rightcert), then every other candidate,
// each checked once. yield returns false to stop.
func (m *Manager) Trusted(key KeyType, id *Identity, online bool, h *Helpers, log LogFunc, yield func(TrustedCert) bool) {
	v := m.view(h, log)
	var pretrusted *Certificate
	if l := v.certs(key, id, true); len(l) > 0 {
		pretrusted = l[0]
		log.log(LogCFG, 1, "  using trusted certificate \"%s\"", pretrusted.subject)
		// A trusted self-signed certificate is accepted as it is; others
		// get their chain built for the authorization rules.
		var rules AuthRules
		ok := v.selfSigned(pretrusted)
		if !ok {
			rules, ok = v.verifyTrustChain(pretrusted, true, online)
		}
		if ok {
			if len(rules.SubjectCerts) == 0 {
				rules.SubjectCerts = []*Certificate{pretrusted}
			}
			if !yield(TrustedCert{Cert: pretrusted, Rules: rules}) {
				return
			}
		}
	}
	var failed []*Certificate
	for _, c := range v.certs(key, id, false) {
		if pretrusted != nil && pretrusted.Equal(c) {
			continue
		}
		if slices.ContainsFunc(failed, c.Equal) {
			continue
		}
		log.log(LogCFG, 1, "  using certificate \"%s\"", c.subject)
		rules, ok := v.verifyTrustChain(c, false, online)
		if ok {
			if !yield(TrustedCert{Cert: c, Rules: rules}) {
				return
			}
			continue
		}
		failed = append(failed, c)
	}
}

// buildTrustchain collects the chain of one of our certificates up to a
// configured CA, or any CA or incomplete chain when none is configured
// (build_trustchain); nil if the chain does not reach a configured CA.
func (v *view) buildTrustchain(subject *Certificate, cas []*Certificate) *AuthRules {
	chain := &AuthRules{}
	hasAnchor := len(cas) > 0
	current := subject
	for pathlen := 0; ; pathlen++ {
		if slices.ContainsFunc(cas, current.Equal) {
			chain.CACerts = append(chain.CACerts, current)
			return chain
		}
		if current == subject {
			chain.SubjectCerts = append(chain.SubjectCerts, current)
		} else {
			if !hasAnchor && v.selfSigned(current) {
				chain.CACerts = append(chain.CACerts, current)
				return chain
			}
			chain.IMCerts = append(chain.IMCerts, current)
		}
		if pathlen > maxTrustPathLen {
			return nil
		}
		issuer, _ := v.issuerCert(current, false)
		if issuer == nil {
			if !hasAnchor {
				return chain
			}
			return nil
		}
		if hasAnchor && issuer.Equal(current) {
			return nil
		}
		current = issuer
	}
}

// privateByKeyID finds our private key for a key fingerprint.
func (m *Manager) privateByKeyID(key KeyType, keyID []byte) *PrivateKey {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, list := range [][]*PrivateKey{m.keys, m.runtime.keys} {
		for _, k := range list {
			if (key == KeyAny || k.Type() == key) && k.public.HasFingerprint(keyID) {
				return k
			}
		}
	}
	return nil
}

func (m *Manager) privateForCert(c *Certificate, key KeyType) *PrivateKey {
	if key != KeyAny && c.pub.Type() != key {
		return nil
	}
	return m.privateByKeyID(key, c.pub.KeyID())
}

// GetPrivate finds the private key to authenticate as id, as get_private:
// by key ID, else through one of the configured certificates (rules'
// subject certificates, in order) whose chain reaches a CA the peer asked
// for (rules' CA certificates), else the first configured certificate with
// a key, else any certificate for id with a key. rules is updated as
// charon updates the round's auth_cfg: the certificate used goes first and
// its chain is added, so that IKE_CERT_POST sends them.
func (m *Manager) GetPrivate(key KeyType, id *Identity, rules *AuthRules, log LogFunc) *PrivateKey {
	if id != nil && id.Type() == IDKeyID {
		if k := m.privateByKeyID(key, id.Encoding()); k != nil {
			return k
		}
	}
	v := m.view(nil, log)
	if rules != nil {
		for _, c := range rules.SubjectCerts {
			k := m.privateForCert(c, key)
			if k == nil {
				continue
			}
			if chain := v.buildTrustchain(c, rules.CACerts); chain != nil {
				mergeChain(rules, chain)
				preferCert(rules, c)
				return k
			}
		}
		if c := rules.Subject(); c != nil {
			if k := m.privateForCert(c, key); k != nil {
				if chain := v.buildTrustchain(c, rules.CACerts); chain != nil {
					mergeChain(rules, chain)
				}
				return k
			}
		}
		for _, c := range v.certs(key, id, false) {
			k := m.privateForCert(c, key)
			if k == nil {
				continue
			}
			if chain := v.buildTrustchain(c, rules.CACerts); chain != nil {
				mergeChain(rules, chain)
				return k
			}
		}
	}
	for _, c := range v.certs(key, id, false) {
		if k := m.privateForCert(c, key); k != nil {
			if rules != nil {
				rules.SubjectCerts = append(rules.SubjectCerts, c)
			}
			return k
		}
	}
	return nil
}

// HasPrivate reports whether a private key for the certificate is held
// (listcerts' "has private key").
func (m *Manager) HasPrivate(c *Certificate) bool {
	return m.privateByKeyID(c.pub.Type(), c.pub.KeyID()) != nil
}

// mergeChain adds a built chain to the round's rules (merge without copy:
// the chain's entries go after those present).
func mergeChain(rules, chain *AuthRules) {
	rules.SubjectCerts = append(rules.SubjectCerts, chain.SubjectCerts...)
	rules.IMCerts = append(rules.IMCerts, chain.IMCerts...)
	rules.CACerts = append(rules.CACerts, chain.CACerts...)
}

// preferCert puts the certificate actually used first among the subject
// certificates (prefer_cert).
func preferCert(rules *AuthRules, c *Certificate) {
	out := []*Certificate{c}
	for _, x := range rules.SubjectCerts {
		if x != c {
			out = append(out, x)
		}
	}
	// charon keeps duplicates of c that the chain merge added; one copy
	// is enough to send and to list.
	rules.SubjectCerts = dedupCerts(out)
}

func dedupCerts(l []*Certificate) []*Certificate {
	var out []*Certificate
	for _, c := range l {
		if !slices.ContainsFunc(out, c.Equal) {
			out = append(out, c)
		}
	}
	return out
}
