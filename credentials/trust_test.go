package credentials

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	mrand "math/rand"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/testpki"
	"golang.org/x/crypto/ocsp"
)

var testNow = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// logRec collects log lines as charon would print them (level 1 and 2).
type logRec struct{ lines []string }

func (l *logRec) fn(g LogGroup, level int, format string, args ...any) {
	if level <= 2 {
		l.lines = append(l.lines, fmt.Sprintf(format, args...))
	}
}

func (l *logRec) has(s string) bool {
	for _, x := range l.lines {
		if x == s {
			return true
		}
	}
	return false
}

func (l *logRec) String() string { return strings.Join(l.lines, "\n") }

func mustCert(t *testing.T, c *testpki.Cert) *Certificate {
	t.Helper()
	x, err := ParseCertificate(c.DER)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// fakeFetcher serves fixed answers by URL.
type fakeFetcher struct {
	data  map[string][]byte
	calls []string
}

func (f *fakeFetcher) Fetch(url string, body []byte, ct string, _ time.Duration) ([]byte, error) {
	f.calls = append(f.calls, url)
	if d, ok := f.data[url]; ok {
		return d, nil
	}
	return nil, errors.New("not found")
}

func newTestManager(h *testpki.Hierarchy, t *testing.T) *Manager {
	m := NewManager()
	m.Now = func() time.Time { return testNow }
	m.Rand = mrand.New(mrand.NewSource(1))
	m.ReplaceCACerts([]*Certificate{mustCert(t, h.Root)})
	return m
}

func trusted(m *Manager, id string, h *Helpers) ([]TrustedCert, *logRec) {
	l := &logRec{}
	var out []TrustedCert
	m.Trusted(KeyAny, ParseIdentity(id), true, h, l.fn, func(tc TrustedCert) bool {
		out = append(out, tc)
		return false
	})
	return out, l
}

func TestTrustChainDirect(t *testing.T) {
	for _, kind := range []testpki.KeyKind{testpki.RSA2048, testpki.ECDSA256, testpki.Ed25519} {
		t.Run(string(kind), func(t *testing.T) {
			h := testpki.NewHierarchy(t, kind, testNow, nil)
			m := newTestManager(h, t)
			sun := mustCert(t, h.Sun)
			got, l := trusted(m, "sun.strongswan.org", &Helpers{Subject: sun})
			if len(got) != 1 || !got[0].Cert.Equal(sun) {
				t.Fatalf("sun not trusted:\n%s", l)
			}
			r := got[0].Rules
			if len(r.CACerts) != 1 || r.CACerts[0].Subject().String() != "C=CH, O=strongSwan Project, CN=strongSwan Root CA" {
				t.Errorf("CA = %v", r.CACerts)
			}
			for _, want := range []string{
				`  using certificate "C=CH, O=strongSwan Project, CN=sun.strongswan.org"`,
				`  using trusted ca certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
				`  reached self-signed root ca with a path length of 0`,
				`checking certificate status of "C=CH, O=strongSwan Project, CN=sun.strongswan.org"`,
				`certificate status is not available`,
			} {
				if !l.has(want) {
					t.Errorf("missing log %q in\n%s", want, l)
				}
			}
			if worst(r.CRLValidation) != ValidationSkipped {
				t.Errorf("CRL validation = %v", r.CRLValidation)
			}
		})
	}
}

func TestTrustChainIntermediateFromPeer(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, testNow, nil)
	m := newTestManager(h, t)
	alice, research := mustCert(t, h.Alice), mustCert(t, h.Research)
	got, l := trusted(m, "alice@strongswan.org", &Helpers{Subject: alice, IM: []*Certificate{research}})
	if len(got) != 1 {
		t.Fatalf("alice not trusted:\n%s", l)
	}
	if !l.has(`  using untrusted intermediate certificate "C=CH, O=strongSwan Project, OU=Research, CN=Research CA"`) ||
		!l.has(`  reached self-signed root ca with a path length of 1`) {
		t.Errorf("log:\n%s", l)
	}
	if r := got[0].Rules; len(r.IMCerts) != 1 || len(r.CACerts) != 1 || len(r.ECDSAStrength) != 3 {
		t.Errorf("rules: %+v", r)
	}
	// Without the intermediate there is no chain (a fresh manager: the
	// relation cache would remember the intermediate, as charon's does).
	m = newTestManager(h, t)
	got, l = trusted(m, "alice@strongswan.org", &Helpers{Subject: alice})
	if len(got) != 0 || !l.has(`no issuer certificate found for "C=CH, O=strongSwan Project, OU=Research, CN=alice@strongswan.org"`) ||
		!l.has(`  issuer is "C=CH, O=strongSwan Project, OU=Research, CN=Research CA"`) {
		t.Errorf("trusted without intermediate:\n%s", l)
	}
}

func TestTrustChainFailures(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, testNow, func(name string, o *testpki.Options) {
		switch name {
		case "moon":
			o.NotAfter = testNow.Add(-time.Hour)
		case "sun":
			o.NotBefore = testNow.Add(time.Hour)
		}
	})
	m := newTestManager(h, t)
	for _, c := range []struct {
		id   string
		cert *testpki.Cert
		want string
	}{
		{"moon.strongswan.org", h.Moon, "subject certificate invalid (valid from "},
		{"sun.strongswan.org", h.Sun, "subject certificate invalid (valid from "},
	} {
		got, l := trusted(m, c.id, &Helpers{Subject: mustCert(t, c.cert)})
		if len(got) != 0 || !strings.Contains(l.String(), c.want) {
			t.Errorf("%s: trusted=%d\n%s", c.id, len(got), l)
		}
	}
	// A certificate from another root is not trusted.
	other := testpki.NewHierarchy(t, testpki.ECDSA256, testNow, nil)
	other.Root = testpki.Issue(t, nil, testpki.Name("CH", "Other", "", "Other Root"), testpki.NewKey(t, testpki.ECDSA256, "other"), testpki.Options{Now: testNow, CA: true, PathLen: -1})
	stranger := testpki.Issue(t, other.Root, testpki.CarolName, testpki.NewKey(t, testpki.ECDSA256, "carol"), testpki.Options{Now: testNow})
	got, l := trusted(m, "C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org", &Helpers{Subject: mustCert(t, stranger)})
	if len(got) != 0 || !l.has(`  issuer is "C=CH, O=Other, CN=Other Root"`) {
		t.Errorf("stranger trusted=%d\n%s", len(got), l)
	}
	// A self-signed peer certificate is not trusted.
	self := testpki.Issue(t, nil, testpki.SunName, testpki.NewKey(t, testpki.ECDSA256, "sun"), testpki.Options{Now: testNow})
	got, l = trusted(m, "C=CH, O=strongSwan Project, CN=sun.strongswan.org", &Helpers{Subject: mustCert(t, self)})
	if len(got) != 0 || !l.has(`  self-signed certificate "C=CH, O=strongSwan Project, CN=sun.strongswan.org" is not trusted`) {
		t.Errorf("self-signed trusted=%d\n%s", len(got), l)
	}
}

func TestPathLenConstraint(t *testing.T) {
	root := testpki.Issue(t, nil, testpki.RootName, testpki.NewKey(t, testpki.ECDSA256, "root"), testpki.Options{Now: testNow, CA: true, PathLen: 0})
	sub := testpki.Issue(t, root, testpki.ResName, testpki.NewKey(t, testpki.ECDSA256, "research"), testpki.Options{Now: testNow, CA: true, PathLen: -1})
	ee := testpki.Issue(t, sub, testpki.AliceName, testpki.NewKey(t, testpki.ECDSA256, "alice"), testpki.Options{Now: testNow})
	m := NewManager()
	m.Now = func() time.Time { return testNow }
	m.ReplaceCACerts([]*Certificate{mustCert(t, root)})
	got, l := trusted(m, "C=CH, O=strongSwan Project, OU=Research, CN=alice@strongswan.org", &Helpers{Subject: mustCert(t, ee), IM: []*Certificate{mustCert(t, sub)}})
	if len(got) != 0 || !l.has("path length of 1 violates constraint of 0") {
		t.Errorf("trusted=%d\n%s", len(got), l.String())
	}
}

// TestSubjectKeyID: without the extension the key's SHA-1 stands in, and
// an authorityKeyIdentifier decides the issuer alone, the names then not
// compared (x509 get_subjectKeyIdentifier, issued_by).
func TestSubjectKeyID(t *testing.T) {
	root := testpki.Issue(t, nil, testpki.RootName, testpki.NewKey(t, testpki.ECDSA256, "root"), testpki.Options{Now: testNow, CA: true, PathLen: -1})
	moonKey := testpki.NewKey(t, testpki.ECDSA256, "moon")
	moon := mustCert(t, testpki.Issue(t, root, testpki.MoonName, moonKey, testpki.Options{Now: testNow, NoSubjectKeyID: true}))
	if got, want := moon.SubjectKeyID(), moon.PublicKey().KeyID(); !bytes.Equal(got, want) {
		t.Errorf("subjectKeyIdentifier %x, want the key's SHA-1 %x", got, want)
	}
	if _, ok := moon.IssuedBy(mustCert(t, root)); !ok {
		t.Error("moon not issued by the root")
	}
	other := mustCert(t, testpki.Issue(t, root, testpki.SunName, testpki.NewKey(t, testpki.ECDSA256, "sun"),
		testpki.Options{Now: testNow, AuthorityKeyID: bytes.Repeat([]byte{1}, 20)}))
	if _, ok := other.IssuedBy(mustCert(t, root)); ok {
		t.Error("issued by the root although the authorityKeyIdentifier is another's")
	}
}

func TestNameConstraint(t *testing.T) {
	root := testpki.Issue(t, nil, testpki.RootName, testpki.NewKey(t, testpki.ECDSA256, "root"),
		testpki.Options{Now: testNow, CA: true, PathLen: -1, PermittedDNS: []string{".strongswan.org"}})
	good := testpki.Issue(t, root, testpki.MoonName, testpki.NewKey(t, testpki.ECDSA256, "moon"), testpki.Options{Now: testNow, DNSNames: []string{"moon.strongswan.org"}})
	bad := testpki.Issue(t, root, testpki.SunName, testpki.NewKey(t, testpki.ECDSA256, "sun"), testpki.Options{Now: testNow, DNSNames: []string{"sun.example.com"}})
	m := NewManager()
	m.Now = func() time.Time { return testNow }
	m.ReplaceCACerts([]*Certificate{mustCert(t, root)})
	if got, l := trusted(m, "moon.strongswan.org", &Helpers{Subject: mustCert(t, good)}); len(got) != 1 {
		t.Errorf("moon:\n%s", l)
	}
	got, l := trusted(m, "sun.example.com", &Helpers{Subject: mustCert(t, bad)})
	if len(got) != 0 || !l.has(`certificate 'C=CH, O=strongSwan Project, CN=sun.strongswan.org' does not match permitted name constraint '.strongswan.org'`) {
		t.Errorf("sun trusted=%d:\n%s", len(got), l)
	}
}

func TestCRLRevocation(t *testing.T) {
	const url = "http://crl.strongswan.org/strongswan.crl"
	h := testpki.NewHierarchy(t, testpki.RSA2048, testNow, func(name string, o *testpki.Options) {
		o.CRLURLs = []string{url}
	})
	revokedAt := testNow.Add(-2 * time.Hour)
	crl := testpki.CRL(t, h.Root, 1, testNow.Add(-time.Hour), testNow.Add(24*time.Hour),
		testpki.Revoked{Cert: h.Carol, At: revokedAt, Reason: 1})
	f := &fakeFetcher{data: map[string][]byte{url: crl}}
	m := newTestManager(h, t)
	m.Fetcher = f
	got, l := trusted(m, "carol@strongswan.org", &Helpers{Subject: mustCert(t, h.Carol)})
	if len(got) != 0 {
		t.Fatalf("revoked carol trusted:\n%s", l)
	}
	for _, want := range []string{
		`checking certificate status of "C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org"`,
		`  fetching crl from '` + url + `' ...`,
		`  using trusted certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		`  crl correctly signed by "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		`certificate was revoked on ` + FormatTime(revokedAt, true) + `, reason: key compromise`,
	} {
		if !l.has(want) {
			t.Errorf("missing %q in\n%s", want, l)
		}
	}
	// dave is good, and the CRL now comes from the cache.
	got, l = trusted(m, "dave@strongswan.org", &Helpers{Subject: mustCert(t, h.Dave)})
	if len(got) != 1 || !l.has("certificate status is good") || !l.has("  using cached crl") {
		t.Fatalf("dave:\n%s", l)
	}
	if v := got[0].Rules.CRLValidation; worst(v) != ValidationGood {
		t.Errorf("dave CRL validation %v", v)
	}
	if len(f.calls) != 1 {
		t.Errorf("fetches: %v", f.calls)
	}
}

func TestCRLStaleAndUnavailable(t *testing.T) {
	const url = "http://crl.strongswan.org/strongswan.crl"
	h := testpki.NewHierarchy(t, testpki.ECDSA256, testNow, func(name string, o *testpki.Options) {
		o.CRLURLs = []string{url}
	})
	m := newTestManager(h, t)
	m.Fetcher = &fakeFetcher{}
	got, l := trusted(m, "dave@strongswan.org", &Helpers{Subject: mustCert(t, h.Dave)})
	if len(got) != 1 || !l.has("crl fetching failed") || !l.has("certificate status is not available") {
		t.Fatalf("unavailable:\n%s", l)
	}
	if v := got[0].Rules.CRLValidation; worst(v) != ValidationFailed {
		t.Errorf("CRL validation %v", v)
	}
	stale := testpki.CRL(t, h.Root, 1, testNow.Add(-48*time.Hour), testNow.Add(-24*time.Hour))
	m.Fetcher = &fakeFetcher{data: map[string][]byte{url: stale}}
	got, l = trusted(m, "dave@strongswan.org", &Helpers{Subject: mustCert(t, h.Dave)})
	if len(got) != 1 || !l.has("certificate status is unknown, crl is stale") {
		t.Fatalf("stale:\n%s", l)
	}
}

func TestOCSP(t *testing.T) {
	const url = "http://ocsp.strongswan.org:8880"
	h := testpki.NewHierarchy(t, testpki.ECDSA256, testNow, func(name string, o *testpki.Options) {
		o.OCSPURLs = []string{url}
	})
	m := newTestManager(h, t)
	carol, dave := mustCert(t, h.Carol), mustCert(t, h.Dave)
	f := &fakeFetcher{data: map[string][]byte{}}
	m.Fetcher = f
	f.data[url] = testpki.OCSPResponse(t, h.Root, h.Root, h.Dave, ocsp.Good, testNow, time.Time{})
	got, l := trusted(m, "dave@strongswan.org", &Helpers{Subject: dave})
	for _, want := range []string{
		`  requesting ocsp status from '` + url + `' ...`,
		`  ocsp response correctly signed by "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		`certificate status is good`,
	} {
		if !l.has(want) {
			t.Errorf("missing %q in\n%s", want, l)
		}
	}
	if len(got) != 1 || worst(got[0].Rules.OCSPValidation) != ValidationGood {
		t.Fatalf("dave:\n%s", l)
	}
	revokedAt := testNow.Add(-3 * time.Hour).Truncate(time.Second)
	f.data[url] = testpki.OCSPResponse(t, h.Root, h.Root, h.Carol, ocsp.Revoked, testNow, revokedAt)
	got, l = trusted(m, "carol@strongswan.org", &Helpers{Subject: carol})
	if len(got) != 0 || !l.has(`certificate was revoked on `+FormatTime(revokedAt, true)+`, reason: key compromise`) {
		t.Fatalf("carol trusted=%d:\n%s", len(got), l)
	}
	// A delegated OCSP signer issued by the CA.
	signer := testpki.Issue(t, h.Root, testpki.Name("CH", "strongSwan Project", "OCSP", "ocsp.strongswan.org"),
		testpki.NewKey(t, testpki.ECDSA256, "ocsp"), testpki.Options{Now: testNow, ExtKeyUse: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}})
	f.data[url] = testpki.OCSPResponse(t, h.Root, signer, h.Dave, ocsp.Good, testNow, time.Time{})
	m.cache.flush()
	got, l = trusted(m, "dave@strongswan.org", &Helpers{Subject: dave})
	if len(got) != 1 || !l.has(`  ocsp response correctly signed by "C=CH, O=strongSwan Project, OU=OCSP, CN=ocsp.strongswan.org"`) {
		t.Fatalf("delegated signer:\n%s", l)
	}
}

func TestCERTREQKeyID(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, testNow, nil)
	m := newTestManager(h, t)
	root := mustCert(t, h.Root)
	id := FromEncoding(IDKeyID, root.PublicKey().InfoID())
	if c := m.GetCert(KeyAny, id, true); c == nil || !c.Equal(root) {
		t.Errorf("CA not found by SPKI hash")
	}
	if cas := m.TrustedCACerts(); len(cas) != 1 {
		t.Errorf("trusted CAs: %v", cas)
	}
}
