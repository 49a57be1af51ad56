package credentials

import (
	"bytes"
	"errors"
	"io"
)

// Revocation checking as strongSwan's revocation plugin
// (revocation_validator.c): OCSP first (cached responses, the ca
// sections' ocspuri, the certificate's AIA), then CRLs (held and cached
// ones, the ca sections' crluri, the certificate's distribution points,
// delta CRLs). Every step logs as charon does.

func (v *view) validateOnline(subject, issuer *Certificate, pathlen int, anchor bool, r *AuthRules) bool {
	if !v.opts.EnableOCSP && !v.opts.EnableCRL {
		return true
	}
	v.log.log(LogCFG, 1, "checking certificate status of \"%s\"", subject.subject)
	if v.opts.EnableOCSP {
		switch v.checkOCSP(subject, issuer, r) {
		case ValidationGood:
			v.log.log(LogCFG, 1, "certificate status is good")
			return true
		case ValidationRevoked, ValidationOnHold:
			return false
		case ValidationSkipped:
			v.log.log(LogCFG, 2, "ocsp check skipped, no ocsp found")
		case ValidationStale:
			v.log.log(LogCFG, 1, "ocsp information stale, fallback to crl")
		case ValidationFailed:
			v.log.log(LogCFG, 1, "ocsp check failed, fallback to crl")
		}
	} else {
		r.OCSPValidation = append(r.OCSPValidation, ValidationSkipped)
	}
	if v.opts.EnableCRL {
		switch v.checkCRL(subject, issuer, r) {
		case ValidationGood:
			v.log.log(LogCFG, 1, "certificate status is good")
			return true
		case ValidationRevoked, ValidationOnHold:
			return false
		case ValidationFailed, ValidationSkipped:
			v.log.log(LogCFG, 1, "certificate status is not available")
		case ValidationStale:
			v.log.log(LogCFG, 1, "certificate status is unknown, crl is stale")
		}
	} else {
		r.CRLValidation = append(r.CRLValidation, worst(r.OCSPValidation))
	}
	return true
}

// fetch asks the fetcher, logging as charon's fetcher manager when there
// is none.
func (v *view) fetch(url string, body []byte, contentType string) ([]byte, error) {
	f := v.m.Fetcher
	if f == nil {
		v.log.log(LogLIB, 1, "unable to fetch from %s, no capable fetcher found", url)
		return nil, errors.New("no fetcher")
	}
	return f.Fetch(url, body, contentType, v.opts.Timeout)
}

// rand is the randomness handed in for OCSP nonces; without it no OCSP
// request can be made.
func (v *view) rand() io.Reader {
	if v.m.Rand != nil {
		return v.m.Rand
	}
	return failingReader{}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no randomness source") }

// --- OCSP ---

func (v *view) checkOCSP(subject, issuer *Certificate, r *AuthRules) Validation {
	valid := ValidationSkipped
	var best *OCSPResponse
	for _, cached := range v.m.cache.ocsps() {
		best = v.betterOCSP(cached, best, subject, issuer, &valid)
		if best != nil && valid != ValidationStale {
			v.log.log(LogCFG, 1, "  using cached ocsp response")
			break
		}
	}
	uriFound := false
	try := func(uris []string) {
		for _, uri := range uris {
			if valid == ValidationGood || valid == ValidationRevoked {
				return
			}
			uriFound = true
			if resp := v.fetchOCSP(uri, subject, issuer); resp != nil {
				best = v.betterOCSP(resp, best, subject, issuer, &valid)
				if best != nil && valid != ValidationStale {
					return
				}
			}
		}
	}
	if valid != ValidationGood && valid != ValidationRevoked {
		v.m.mu.RLock()
		uris := v.m.cdpsLocked(true, FromEncoding(IDKeyID, issuer.pub.KeyID()))
		v.m.mu.RUnlock()
		try(uris)
	}
	if valid != ValidationGood && valid != ValidationRevoked {
		try(subject.ocspURIs)
	}
	if valid == ValidationSkipped && uriFound {
		valid = ValidationFailed
	}
	r.OCSPValidation = append(r.OCSPValidation, valid)
	if valid == ValidationGood {
		// A good OCSP answer satisfies a CRL constraint too.
		r.CRLValidation = append(r.CRLValidation, ValidationGood)
	}
	return valid
}

func (v *view) fetchOCSP(url string, subject, issuer *Certificate) *OCSPResponse {
	req, nonce, err := NewOCSPRequest(subject, issuer, v.rand())
	if err != nil {
		v.log.log(LogCFG, 1, "generating ocsp request failed")
		return nil
	}
	v.log.log(LogCFG, 1, "  requesting ocsp status from '%s' ...", url)
	data, err := v.fetch(url, req, "application/ocsp-request")
	if err != nil {
		v.log.log(LogCFG, 1, "ocsp request to %s failed", url)
		return nil
	}
	resp, err := ParseOCSPResponse(data)
	if err != nil {
		v.log.log(LogLIB, 1, "  %v", err)
		v.log.log(LogCFG, 1, "parsing ocsp response failed")
		return nil
	}
	resp.certs = v.asParsed(resp.certs)
	if resp.nonce != nil && !bytes.Equal(resp.nonce, nonce) {
		v.log.log(LogCFG, 1, "nonce in ocsp response doesn't match")
		return nil
	}
	return resp
}

// verifyOCSP checks the response's signature: by the CA, by an OCSP
// signer the CA issued, or by a locally installed OCSP signer.
func (v *view) verifyOCSP(resp *OCSPResponse, ca *Certificate) bool {
	responder := resp.responder
	found, verified := false, false
	v.m.mu.RLock()
	// The response's certificates join the lookup as a local set, after
	// the peer's.
	cands := v.m.certsLocked(KeyAny, responder, false, append(v.helpers.certs(), resp.certs...))
	trusted := v.m.certsLocked(KeyAny, responder, true, nil)
	v.m.mu.RUnlock()
	for _, signer := range cands {
		if !signer.ValidAt(v.now) {
			continue
		}
		if !ca.Equal(signer) {
			if _, ok := v.issuedBy(signer, ca); !ok || signer.flags&CertOCSPSigner == 0 {
				continue
			}
		}
		found = true
		if _, ok := v.issuedBy(resp, signer); ok {
			v.log.log(LogCFG, 1, "  ocsp response correctly signed by \"%s\"", signer.subject)
			verified = true
			break
		}
		v.log.log(LogCFG, 1, "ocsp response verification failed, invalid signature")
	}
	if !verified {
		for _, signer := range trusted {
			if signer.flags&CertOCSPSigner == 0 || !signer.ValidAt(v.now) {
				continue
			}
			found = true
			if _, ok := v.issuedBy(resp, signer); ok {
				v.log.log(LogCFG, 1, "  ocsp response correctly signed by \"%s\"", signer.subject)
				verified = true
				break
			}
			v.log.log(LogCFG, 1, "ocsp response verification failed, invalid signature")
		}
	}
	if !found {
		v.log.log(LogCFG, 1, "ocsp response verification failed, no signer certificate '%s' found", responder)
	}
	return verified
}

func (v *view) betterOCSP(cand, best *OCSPResponse, subject, issuer *Certificate, valid *Validation) *OCSPResponse {
	if !v.verifyOCSP(cand, issuer) {
		return best
	}
	s, ok := cand.Status(subject, issuer)
	revoked := false
	switch {
	case ok && s.Status == ValidationRevoked:
		v.log.log(LogCFG, 1, "certificate was revoked on %s, reason: %s", FormatTime(s.RevocationTime, true), s.Reason)
		revoked = true
	case ok && s.Status == ValidationGood:
	default:
		v.log.log(LogCFG, 1, "  ocsp response contains no status on our certificate")
		return best
	}
	if best == nil || v.ocspIsNewer(cand, best) {
		best = cand
		if best.ValidAt(v.now) {
			v.log.log(LogCFG, 1, "  ocsp response is valid: until %s", FormatTime(best.usableUntil, false))
			*valid = ValidationGood
		} else {
			v.log.log(LogCFG, 1, "  ocsp response is stale: since %s", FormatTime(best.usableUntil, false))
			*valid = ValidationStale
		}
	} else {
		*valid = ValidationStale
	}
	if revoked {
		*valid = ValidationRevoked
	}
	return best
}

// ocspIsNewer is certificate_is_newer for OCSP responses (by producedAt).
func (v *view) ocspIsNewer(a, b *OCSPResponse) bool {
	newer := a.producedAt.After(b.producedAt)
	v.log.log(LogLIB, 1, "  certificate from %s is %s - existing certificate from %s %s",
		FormatTime(a.producedAt, false), pick(newer, "newer", "not newer"),
		FormatTime(b.producedAt, false), pick(newer, "replaced", "retained"))
	return newer
}

// --- CRL ---

func (v *view) fetchCRL(url string) *CRL {
	v.log.log(LogCFG, 1, "  fetching crl from '%s' ...", url)
	data, err := v.fetch(url, nil, "")
	if err != nil {
		v.log.log(LogCFG, 1, "crl fetching failed")
		return nil
	}
	der, _, err := Unarmor(data, nil)
	var crl *CRL
	if err == nil {
		crl, err = ParseCRL(der)
	}
	if err != nil {
		v.log.log(LogCFG, 1, "crl fetched successfully but parsing failed")
		return nil
	}
	return crl
}

// verifyCRL checks the CRL's signature with a trusted certificate of its
// issuer (found, and logged, as the trusted enumerator finds it).
func (v *view) verifyCRL(crl *CRL) bool {
	verified := false
	v.m.Trusted(KeyAny, crl.issuer, false, v.helpers, v.log, func(t TrustedCert) bool {
		if _, ok := v.issuedBy(crl, t.Cert); ok {
			v.log.log(LogCFG, 1, "  crl correctly signed by \"%s\"", t.Cert.subject)
			verified = true
			return false
		}
		return true
	})
	return verified
}

// crlValid logs whether the CRL is current and caches it if it is and
// caching is asked for.
func (v *view) crlValid(crl *CRL, cache bool) bool {
	if crl.ValidAt(v.now) {
		v.log.log(LogCFG, 1, "  crl is valid: until %s", FormatTime(crl.NextUpdate(), false))
		if cache {
			v.m.cacheCRL(crl, v.log)
		}
		return true
	}
	v.log.log(LogCFG, 1, "  crl is stale: since %s", FormatTime(crl.NextUpdate(), false))
	return false
}

// cacheCRL is cache_cert for a CRL: with cachecrls it joins the stroke
// set and is written to disk.
func (m *Manager) cacheCRL(crl *CRL, log LogFunc) {
	m.mu.Lock()
	on := m.cacheCRLs
	isNew := false
	if on {
		isNew = m.addCRLLocked(crl, log)
	}
	m.mu.Unlock()
	if isNew && m.OnCacheCRL != nil {
		m.OnCacheCRL(crl, log)
	}
}

func (v *view) crlNotValidYet(crl *CRL) bool {
	if !crl.ValidAt(v.now) && crl.ThisUpdate().After(v.now) {
		v.log.log(LogCFG, 1, "  crl is not valid: until %s", FormatTime(crl.ThisUpdate(), false))
		return true
	}
	return false
}

func (v *view) betterCRL(cand, best *CRL, subject *Certificate, valid *Validation, cache bool, base *CRL) *CRL {
	if base != nil {
		if !cand.IsDelta() || !bytes.Equal(cand.baseNumber, base.number) {
			return best
		}
	} else if cand.IsDelta() {
		return best
	}
	if !v.verifyCRL(cand) {
		v.log.log(LogCFG, 1, "crl response verification failed")
		return best
	}
	if v.crlNotValidYet(cand) {
		return best
	}
	serial := skipZero(subject.serial)
	for _, rev := range cand.revoked {
		if bytes.Equal(serial, skipZero(rev.Serial)) {
			if rev.Reason != ReasonCertificateHold {
				*valid = ValidationRevoked
			} else {
				*valid = ValidationOnHold
			}
			v.crlValid(cand, cache)
			v.log.log(LogCFG, 1, "certificate was revoked on %s, reason: %s", FormatTime(rev.Date, true), rev.Reason)
			return cand
		}
	}
	if best == nil || crlIsNewer(cand, best, v.log) {
		best = cand
		if v.crlValid(best, cache) {
			*valid = ValidationGood
		} else {
			*valid = ValidationStale
		}
	} else {
		*valid = ValidationStale
	}
	return best
}

// heldCRLs lists the CRLs for an issuer id in set order: the peer's, the
// cached, the stroke set's.
func (v *view) heldCRLs(id *Identity) []*CRL {
	var out []*CRL
	if v.helpers != nil {
		for _, c := range v.helpers.CRLs {
			if c.HasIssuer(id) != MatchNone {
				out = append(out, c)
			}
		}
	}
	out = append(out, v.m.cache.crls(id)...)
	v.m.mu.RLock()
	for _, list := range [][]*CRL{v.m.crls, v.m.runtime.crls} {
		for _, c := range list {
			if c.HasIssuer(id) != MatchNone {
				out = append(out, c)
			}
		}
	}
	v.m.mu.RUnlock()
	return out
}

func (v *view) findCRL(subject *Certificate, issuer *Identity, base *CRL, best **CRL, uriFound *bool) Validation {
	valid := ValidationSkipped
	for _, c := range v.heldCRLs(issuer) {
		*best = v.betterCRL(c, *best, subject, &valid, false, base)
		if *best != nil && valid != ValidationStale {
			v.log.log(LogCFG, 1, "  using cached crl")
			break
		}
	}
	if base == nil && valid != ValidationGood && valid != ValidationRevoked {
		v.m.mu.RLock()
		uris := v.m.cdpsLocked(false, issuer)
		v.m.mu.RUnlock()
		for _, uri := range uris {
			*uriFound = true
			c := v.fetchCRL(uri)
			if c == nil {
				continue
			}
			if c.HasIssuer(issuer) == MatchNone {
				v.log.log(LogCFG, 1, "issuer of fetched CRL '%s' does not match CRL issuer '%s'", c.issuer, issuer)
				continue
			}
			*best = v.betterCRL(c, *best, subject, &valid, true, base)
			if *best != nil && valid != ValidationStale {
				break
			}
		}
	}
	return valid
}

// crlIssuerMatches checks a fetched CRL against the distribution point's
// CRL issuer, or else the certificate's issuer by key identifier or DN.
func crlIssuerMatches(crl *CRL, issuer *Certificate, cdp CDP) bool {
	if cdp.Issuer != nil {
		return crl.HasIssuer(cdp.Issuer) != MatchNone
	}
	if ski := issuer.SubjectKeyID(); len(ski) > 0 && crl.HasIssuer(FromEncoding(IDKeyID, ski)) != MatchNone {
		return true
	}
	return crl.HasIssuer(issuer.subject) != MatchNone
}

func (v *view) logIssuerMismatch(delta bool, crl *CRL, issuer *Certificate, cdp CDP) {
	kind, what, want := "CRL", "", issuer.subject
	if delta {
		kind = "delta CRL"
	}
	if cdp.Issuer != nil {
		what, want = "CRL ", cdp.Issuer
	}
	v.log.log(LogCFG, 1, "issuer of fetched %s '%s' does not match certificate's %sissuer '%s'", kind, crl.issuer, what, want)
}

func (v *view) checkCRL(subject, issuer *Certificate, r *AuthRules) Validation {
	valid := ValidationSkipped
	var best *CRL
	uriFound := false
	if ski := issuer.SubjectKeyID(); len(ski) > 0 {
		valid = v.findCRL(subject, FromEncoding(IDKeyID, ski), nil, &best, &uriFound)
	}
	for _, cdp := range subject.crlURIs {
		if valid == ValidationGood || valid == ValidationRevoked {
			break
		}
		if cdp.Issuer != nil {
			valid = v.findCRL(subject, cdp.Issuer, nil, &best, &uriFound)
		}
	}
	if valid != ValidationGood && valid != ValidationRevoked {
		for _, cdp := range subject.crlURIs {
			uriFound = true
			c := v.fetchCRL(cdp.URI)
			if c == nil {
				continue
			}
			if !crlIssuerMatches(c, issuer, cdp) {
				v.logIssuerMismatch(false, c, issuer, cdp)
				continue
			}
			best = v.betterCRL(c, best, subject, &valid, true, nil)
			if best != nil && valid != ValidationStale {
				break
			}
		}
	}
	if best != nil && (valid == ValidationGood || valid == ValidationStale) {
		valid = v.checkDeltaCRL(subject, issuer, best, valid)
	}
	if valid == ValidationSkipped && uriFound {
		valid = ValidationFailed
	}
	if valid == ValidationSkipped {
		// Without CRL information the OCSP outcome decides constraints.
		r.CRLValidation = append(r.CRLValidation, worst(r.OCSPValidation))
	} else {
		r.CRLValidation = append(r.CRLValidation, valid)
	}
	return valid
}

func (v *view) checkDeltaCRL(subject, issuer *Certificate, base *CRL, baseValid Validation) Validation {
	valid := ValidationSkipped
	var best *CRL
	uri := false
	if ski := issuer.SubjectKeyID(); len(ski) > 0 {
		valid = v.findCRL(subject, FromEncoding(IDKeyID, ski), base, &best, &uri)
	}
	for _, cdp := range subject.crlURIs {
		if valid == ValidationGood || valid == ValidationRevoked {
			break
		}
		if cdp.Issuer != nil {
			valid = v.findCRL(subject, cdp.Issuer, base, &best, &uri)
		}
	}
	for _, cdp := range base.deltaURIs {
		if valid == ValidationGood || valid == ValidationRevoked {
			break
		}
		c := v.fetchCRL(cdp.URI)
		if c == nil {
			continue
		}
		if !crlIssuerMatches(c, issuer, cdp) {
			v.logIssuerMismatch(true, c, issuer, cdp)
			continue
		}
		best = v.betterCRL(c, best, subject, &valid, true, base)
		if best != nil && valid != ValidationStale {
			break
		}
	}
	if best != nil {
		return valid
	}
	return baseValid
}

// asParsed is certificates parsed outside the manager (an OCSP response's)
// as the manager's parser sees them.
func (v *view) asParsed(certs []*Certificate) []*Certificate {
	var out []*Certificate
	for _, c := range certs {
		if p, err := c.As(v.opts.Parser, v.log.log); err == nil {
			out = append(out, p)
		}
	}
	return out
}
