package credentials

import (
	"io"
	"slices"
	"sync"
	"time"
)

// Fetcher retrieves CRLs and OCSP responses over HTTP (the role of
// strongSwan's curl plugin). With a body it POSTs it with the content
// type, otherwise it GETs. It lives outside the protocol core; the core
// only calls it.
type Fetcher interface {
	Fetch(url string, body []byte, contentType string, timeout time.Duration) ([]byte, error)
}

// CASection is a `ca` section of ipsec.conf: a CA certificate with the CRL
// and OCSP URIs to use for the certificates it issued (stroke_ca.c).
type CASection struct {
	Name, Path  string
	Cert        *Certificate
	CRLURIs     []string
	OCSPURIs    []string
	CertURIBase string
}

// caCert is a CA certificate held by the stroke CA set: loaded from
// ipsec.d/cacerts (automatic) and/or referenced by ca sections (count).
type caCert struct {
	cert      *Certificate
	count     int
	automatic bool
}

// ManagerOptions are the settings the validators read.
type ManagerOptions struct {
	// EnableOCSP and EnableCRL are the revocation plugin's switches
	// (false, both, when the plugin is not loaded).
	EnableOCSP, EnableCRL bool
	// Constraints enables the constraints plugin's checks (path length,
	// name constraints, policies).
	Constraints bool
	// Timeout of CRL and OCSP fetches (revocation.timeout, 10 s).
	Timeout time.Duration
	// RSAPSS is charon.rsa_pss: sign with RSASSA-PSS by default.
	RSAPSS bool
	// Parser is the plugin parsing certificates (ParseCertificate).
	Parser CertParser
}

// Manager is charon's credential manager with the credential sets goswan
// has: the stroke plugin's certificates, CRLs, CA sections and private
// keys, and the cache of verified relations, plus the x509, constraints
// and revocation validators. Shared keys stay in Store.
//
// It does no I/O: files are read by the daemon and handed in, fetches go
// through Fetcher, and caching CRLs to disk goes through OnCacheCRL.
type Manager struct {
	mu sync.RWMutex
	// creds is stroke_cred's credential set: own and OCSP signer
	// certificates (trusted), CRLs and attribute certificates.
	trusted   []*Certificate
	untrusted []*Certificate
	crls      []*CRL
	aaCerts   []*Certificate
	keys      []*PrivateKey
	// ca is stroke_ca's set: CA certificates and ca sections.
	cas       []*caCert
	sections  []*CASection
	cache     relationCache
	opts      ManagerOptions
	cacheCRLs bool
	// runtime is vici's set (memset.go).
	runtime memSet

	// Now is the wall clock certificates are validated against.
	Now func() time.Time
	// Rand feeds OCSP nonces.
	Rand io.Reader
	// Fetcher, if set, fetches CRLs and OCSP responses.
	Fetcher Fetcher
	// OnCacheCRL, if set, stores a fetched CRL when CRL caching is on
	// (cachecrls=yes writes it to /etc/ipsec.d/crls).
	OnCacheCRL func(c *CRL, log LogFunc)
}

// NewManager returns an empty manager with charon's defaults: both
// revocation checks and the constraints checks on, a 10 s fetch timeout.
func NewManager() *Manager {
	return &Manager{
		opts: ManagerOptions{EnableOCSP: true, EnableCRL: true, Constraints: true, Timeout: 10 * time.Second},
		Now:  time.Now,
	}
}

// SetOptions replaces the validator settings.
func (m *Manager) SetOptions(o ManagerOptions) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opts = o
}

// Options returns the validator settings.
func (m *Manager) Options() ManagerOptions {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.opts
}

// SetCacheCRLs turns caching of fetched CRLs on or off (cachecrls).
func (m *Manager) SetCacheCRLs(on bool) {
	m.mu.Lock()
	m.cacheCRLs = on
	m.mu.Unlock()
}

// CacheCRLs reports whether fetched CRLs are cached.
func (m *Manager) CacheCRLs() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cacheCRLs
}

// now is the validation time in whole seconds, as charon's time(NULL):
// a certificate is still valid during the second its notAfter names.
func (m *Manager) now() time.Time {
	t := time.Now()
	if m.Now != nil {
		t = m.Now()
	}
	return t.Truncate(time.Second)
}

// AddCert adds an end entity (or OCSP signer) certificate to the stroke
// set, trusted or not, and returns the instance held: an equal
// certificate added before is reused (mem_cred add_cert_ref).
func (m *Manager) AddCert(c *Certificate, trusted bool) *Certificate {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addCertLocked(c, trusted)
}

func (m *Manager) addCertLocked(c *Certificate, trusted bool) *Certificate {
	for _, x := range m.untrusted {
		if x.Equal(c) {
			return x
		}
	}
	if trusted {
		m.trusted = append([]*Certificate{c}, m.trusted...)
	}
	m.untrusted = append([]*Certificate{c}, m.untrusted...)
	return c
}

// ReplaceCACerts makes certs the CA certificates loaded from
// ipsec.d/cacerts, keeping those ca sections hold (stroke_ca
// replace_certs). Certificates equal to held ones are reused.
func (m *Manager) ReplaceCACerts(certs []*Certificate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.cas[:0:0]
	for _, c := range m.cas {
		if c.automatic {
			c.automatic = false
			if c.count == 0 {
				continue
			}
		}
		kept = append(kept, c)
	}
	m.cas = kept
	// charon collects the directory in a credential set, newest first, and
	// adds that set's certificates newest first again: in front of the
	// kept ones, in load order.
	for i := len(certs) - 1; i >= 0; i-- {
		m.addCALocked(certs[i], true)
	}
	m.cache.flush()
}

// addCALocked holds a CA certificate, automatic (cacerts) or counted (a
// ca section), newest first.
func (m *Manager) addCALocked(c *Certificate, automatic bool) *Certificate {
	var found *caCert
	for _, x := range m.cas {
		if x.cert.Equal(c) {
			found = x
			break
		}
	}
	if found == nil {
		found = &caCert{cert: c}
		m.cas = append([]*caCert{found}, m.cas...)
	}
	if automatic {
		found.automatic = true
	} else {
		found.count++
	}
	return found.cert
}

// CACertRef returns the held instance of a CA certificate equal to c, or
// c itself.
func (m *Manager) CACertRef(c *Certificate) *Certificate {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, x := range m.cas {
		if x.cert.Equal(c) {
			return x.cert
		}
	}
	return c
}

// AddCASection adds a ca section (stroke_ca add).
func (m *Manager) AddCASection(s *CASection) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Cert = m.addCALocked(s.Cert, false)
	m.sections = append(m.sections, s)
}

// DelCASection removes a ca section by name; it reports whether there was
// one.
func (m *Manager) DelCASection(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, s := range m.sections {
		if s.Name == name {
			m.sections = slices.Delete(m.sections, i, i+1)
			m.releaseCALocked(s.Cert)
			m.cache.flush()
			return true
		}
	}
	return false
}

func (m *Manager) releaseCALocked(c *Certificate) {
	for i, x := range m.cas {
		if x.count > 0 && x.cert.Equal(c) {
			x.count--
			if x.count == 0 && !x.automatic {
				m.cas = slices.Delete(m.cas, i, i+1)
			}
			return
		}
	}
}

// ReloadCASection swaps a ca section's certificate for a freshly loaded
// one (nil: loading failed, the section is removed), as rereadcacerts.
func (m *Manager) ReloadCASection(name string, c *Certificate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, s := range m.sections {
		if s.Name != name {
			continue
		}
		if c == nil {
			m.sections = slices.Delete(m.sections, i, i+1)
			m.releaseCALocked(s.Cert)
		} else if !c.Equal(s.Cert) {
			m.releaseCALocked(s.Cert)
			s.Cert = m.addCALocked(c, false)
		}
		m.cache.flush()
		return
	}
}

// CASections lists the ca sections in order.
func (m *Manager) CASections() []*CASection {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.sections)
}

// AddAACert adds an attribute authority certificate (ipsec.d/aacerts).
func (m *Manager) AddAACert(c *Certificate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.aaCerts = append([]*Certificate{c}, m.aaCerts...)
}

// ReplaceAACerts replaces the AA certificates (rereadaacerts).
func (m *Manager) ReplaceAACerts(certs []*Certificate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.aaCerts = nil
	for _, c := range certs {
		m.aaCerts = append([]*Certificate{c}, m.aaCerts...)
	}
	m.cache.flush()
}

// AddCRL stores a CRL as mem_cred add_crl does: it replaces an older CRL
// of the same issuer (key identifier or DN), keeping a base and its delta
// side by side; it reports whether the CRL was new (and so kept).
func (m *Manager) AddCRL(c *CRL, log LogFunc) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addCRLLocked(c, log)
}

func (m *Manager) addCRLLocked(c *CRL, log LogFunc) bool {
	return addCRLTo(&m.crls, c, log)
}

// addCRLTo is mem_cred add_crl on the list of one set.
func addCRLTo(list *[]*CRL, c *CRL, log LogFunc) bool {
	isNew := true
	kept := (*list)[:0:0]
	for i, old := range *list {
		sameIssuer := equalBytes(c.aki, old.aki) || c.issuer.Equals(old.issuer)
		if !sameIssuer || !isNew {
			kept = append(kept, old)
			continue
		}
		if c.IsDelta() && !old.IsDelta() && equalBytes(c.baseNumber, old.number) {
			kept = append(kept, old)
			continue
		}
		if !c.IsDelta() && old.IsDelta() && equalBytes(old.baseNumber, c.number) {
			kept = append(kept, old)
			continue
		}
		if isNew = crlIsNewer(c, old, log); !isNew {
			kept = append(kept, (*list)[i:]...)
			break
		}
	}
	*list = kept
	if isNew {
		*list = append([]*CRL{c}, *list...)
	}
	return isNew
}

// crlIsNewer compares CRL numbers if both have one, else thisUpdate, and
// logs the verdict as crl_is_newer.
func crlIsNewer(a, b *CRL, log LogFunc) bool {
	if a.number != nil && b.number != nil {
		newer := compareChunks(a.number, b.number) > 0
		log.log(LogLIB, 1, "  crl #%s is %s - existing crl #%s %s", colonHex(a.number),
			pick(newer, "newer", "not newer"), colonHex(b.number), pick(newer, "replaced", "retained"))
		return newer
	}
	newer := a.ThisUpdate().After(b.ThisUpdate())
	log.log(LogLIB, 1, "  crl from %s is %s - existing crl from %s %s", FormatTime(a.ThisUpdate(), false),
		pick(newer, "newer", "not newer"), FormatTime(b.ThisUpdate(), false), pick(newer, "replaced", "retained"))
	return newer
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// PurgeCRLs forgets the CRLs learned while validating (purgecrls); those
// loaded from ipsec.d/crls stay.
func (m *Manager) PurgeCRLs() { m.cache.flushType(relCRL) }

// PurgeCerts drops the peer certificates learned during authentication
// from the cache (purgecerts).
func (m *Manager) PurgeCerts() { m.cache.flushType(relCert) }

// PurgeOCSP drops cached OCSP responses (purgeocsp).
func (m *Manager) PurgeOCSP() { m.cache.flushType(relOCSP) }

// Certs lists the X.509 certificates matching key type and id in charon's
// set order (create_cert_enumerator, untrusted).
func (m *Manager) Certs(key KeyType, id *Identity) []*Certificate {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.certsLocked(key, id, false, nil)
}

// ReplaceKeys makes keys the private keys held (ipsec.secrets reread).
func (m *Manager) ReplaceKeys(keys []*PrivateKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = nil
	for _, k := range keys {
		m.keys = append([]*PrivateKey{k}, m.keys...)
	}
}

// Keys lists the private keys held.
func (m *Manager) Keys() []*PrivateKey {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.keys)
}

// CRLs lists the CRLs of the cache and the stroke set, as listcrls
// enumerates them.
func (m *Manager) CRLs() []*CRL {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := m.cache.crls(nil)
	out = append(out, m.crls...)
	return append(out, m.runtime.crls...)
}

// OCSPResponses lists the cached OCSP responses.
func (m *Manager) OCSPResponses() []*OCSPResponse {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cache.ocsps()
}

// AllCerts lists every X.509 certificate in set order: cache, stroke set
// (untrusted list), AA certificates, CA certificates.
func (m *Manager) AllCerts() []*Certificate {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.certsLocked(KeyAny, nil, false, nil)
}

// certsLocked enumerates X.509 certificates matching key type and id in
// charon's set order: the local certificates of the lookup first (what the
// peer sent; untrusted lookups only), then the relation cache (untrusted
// lookups only), the stroke set's trusted or untrusted list, the AA set and
// the CA set.
func (m *Manager) certsLocked(key KeyType, id *Identity, trusted bool, local []*Certificate) []*Certificate {
	var out []*Certificate
	add := func(list []*Certificate) {
		for _, c := range list {
			if certMatches(c, key, id) {
				out = append(out, c)
			}
		}
	}
	if !trusted {
		add(local)
		add(m.cache.certs())
		add(m.untrusted)
	} else {
		add(m.trusted)
	}
	add(m.aaCerts)
	for _, c := range m.cas {
		if certMatches(c.cert, key, id) {
			out = append(out, c.cert)
		}
	}
	// vici's sets are registered after stroke's.
	if trusted {
		add(m.runtime.trusted)
	} else {
		add(m.runtime.untrusted)
	}
	add(m.runtime.cas)
	return out
}

// certMatches is certificate_matches: the key type must fit, and an id
// matches a key fingerprint or the certificate's names.
func certMatches(c *Certificate, key KeyType, id *Identity) bool {
	if key != KeyAny && c.pub.Type() != key {
		return false
	}
	if id == nil {
		return true
	}
	if c.pub.HasFingerprint(id.Encoding()) {
		return true
	}
	return c.HasSubject(id) != MatchNone
}

// GetCert returns the first certificate matching key type and id (trusted
// ones only if trusted), as get_cert.
func (m *Manager) GetCert(key KeyType, id *Identity, trusted bool) *Certificate {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if l := m.certsLocked(key, id, trusted, nil); len(l) > 0 {
		return l[0]
	}
	return nil
}

// TrustedCACerts lists the trusted CA certificates in set order (what an
// IKE_AUTH request without CA constraint asks for in CERTREQs).
func (m *Manager) TrustedCACerts() []*Certificate {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []*Certificate
	for _, c := range m.certsLocked(KeyAny, nil, true, nil) {
		if c.flags&CertCA != 0 {
			out = append(out, c)
		}
	}
	return out
}

// cdpsLocked are the ca sections' CRL or OCSP URIs for the CA whose key
// has the fingerprint id (all sections if id is nil).
func (m *Manager) cdpsLocked(ocsp bool, id *Identity) []string {
	var out []string
	for _, s := range m.sections {
		if id != nil && !s.Cert.pub.HasFingerprint(id.Encoding()) {
			continue
		}
		if ocsp {
			out = append(out, s.OCSPURIs...)
		} else {
			out = append(out, s.CRLURIs...)
		}
	}
	return out
}

// issuedBy checks (through the relation cache) whether issuer signed
// subject, a *Certificate, *CRL or *OCSPResponse.
func (m *Manager) issuedBy(subject any, issuer *Certificate, log LogFunc) (SignatureParams, bool) {
	if p, ok := m.cache.lookup(subject, issuer); ok {
		return p, true
	}
	var p SignatureParams
	ok := false
	switch s := subject.(type) {
	case *Certificate:
		p, ok = s.IssuedBy(issuer)
	case *CRL:
		if ok = s.IssuedBy(issuer); ok {
			p = s.sig
		}
	case *OCSPResponse:
		if ok = s.IssuedBy(issuer); ok {
			p = s.sig
		}
	}
	if ok {
		m.cache.add(subject, issuer, p, log)
	}
	return p, ok
}

// IssuedBy is issuedBy with the lock taken, for callers outside.
func (m *Manager) IssuedBy(subject, issuer *Certificate) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.issuedBy(subject, issuer, nil)
	return ok
}

// FlushCache empties the relation cache (rereadcacerts and friends).
func (m *Manager) FlushCache() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cache.flush()
}
