package credentials

import "sync"

// The relation cache is charon's cert_cache: a small table of verified
// (subject, issuer) signatures. It saves signature checks, and it is also
// where charon finds the certificates, CRLs and OCSP responses it has
// seen: they are listed (listcerts, listcrls, listocsp) and looked up from
// here before anything else.

const relationCacheSize = 32

type relKind int

const (
	relCert relKind = iota
	relCRL
	relOCSP
)

type relation struct {
	subject any // *Certificate, *CRL or *OCSPResponse
	issuer  *Certificate
	scheme  SignatureParams
	hits    int
}

type relationCache struct {
	mu   sync.Mutex
	rels [relationCacheSize]*relation
	next int // replacement cursor, when every slot is taken
}

func kindOf(s any) relKind {
	switch s.(type) {
	case *CRL:
		return relCRL
	case *OCSPResponse:
		return relOCSP
	}
	return relCert
}

func sameSubject(a, b any) bool {
	switch x := a.(type) {
	case *Certificate:
		y, ok := b.(*Certificate)
		return ok && x.Equal(y)
	case *CRL:
		y, ok := b.(*CRL)
		return ok && x.Equal(y)
	case *OCSPResponse:
		y, ok := b.(*OCSPResponse)
		return ok && x.Equal(y)
	}
	return false
}

// lookup finds a cached relation.
func (c *relationCache) lookup(subject any, issuer *Certificate) (SignatureParams, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.rels {
		if r != nil && r.issuer.Equal(issuer) && sameSubject(r.subject, subject) {
			r.hits++
			return r.scheme, true
		}
	}
	return SignatureParams{}, false
}

// add caches a verified relation. A CRL replaces an older CRL of the same
// issuer (logging the comparison as charon does); otherwise a free slot is
// used, or the least used one.
func (c *relationCache) add(subject any, issuer *Certificate, scheme SignatureParams, log LogFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if crl, ok := subject.(*CRL); ok {
		for _, r := range c.rels {
			if r == nil {
				continue
			}
			old, isCRL := r.subject.(*CRL)
			if isCRL && r.issuer.Equal(issuer) && old.IsDelta() == crl.IsDelta() && crlIsNewer(crl, old, log) {
				r.subject, r.scheme = crl, scheme
				return
			}
		}
	}
	for i, r := range c.rels {
		if r == nil {
			c.rels[i] = &relation{subject: subject, issuer: issuer, scheme: scheme}
			return
		}
	}
	total := 0
	for _, r := range c.rels {
		total += r.hits
	}
	for i := 0; i < relationCacheSize; i++ {
		j := (c.next + i) % relationCacheSize
		if c.rels[j].hits > total/relationCacheSize {
			continue
		}
		c.rels[j] = &relation{subject: subject, issuer: issuer, scheme: scheme}
		c.next = (j + 1) % relationCacheSize
		return
	}
}

func (c *relationCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rels = [relationCacheSize]*relation{}
}

func (c *relationCache) flushType(k relKind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range c.rels {
		if r != nil && kindOf(r.subject) == k {
			c.rels[i] = nil
		}
	}
}

func (c *relationCache) certs() []*Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Certificate
	for _, r := range c.rels {
		if r == nil {
			continue
		}
		if x, ok := r.subject.(*Certificate); ok {
			out = append(out, x)
		}
	}
	return out
}

// crls lists cached CRLs, those matching id (by issuer or key identifier)
// if id is set.
func (c *relationCache) crls(id *Identity) []*CRL {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*CRL
	for _, r := range c.rels {
		if r == nil {
			continue
		}
		if x, ok := r.subject.(*CRL); ok && (id == nil || x.HasIssuer(id) != MatchNone) {
			out = append(out, x)
		}
	}
	return out
}

func (c *relationCache) ocsps() []*OCSPResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*OCSPResponse
	for _, r := range c.rels {
		if r == nil {
			continue
		}
		if x, ok := r.subject.(*OCSPResponse); ok {
			out = append(out, x)
		}
	}
	return out
}
