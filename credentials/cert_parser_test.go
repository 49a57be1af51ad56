package credentials

import (
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/testpki"
)

// TestCertParserOpenSSL: openssl_x509 leaves out policies and name
// constraints, refuses a critical extension it does not know (the x509
// plugin then parses the certificate) and, alone, does not load it.
func TestCertParserOpenSSL(t *testing.T) {
	policy := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 36906, 1, 1, 1}
	key := testpki.NewKey(t, testpki.ECDSA256, "root")
	plain := mustCert(t, testpki.Issue(t, nil, testpki.RootName, key, testpki.Options{Now: testNow, CA: true, PathLen: 1,
		Policies: []asn1.ObjectIdentifier{policy}, PermittedDNS: []string{".strongswan.org"}}))
	critical := mustCert(t, testpki.Issue(t, nil, testpki.RootName, key, testpki.Options{Now: testNow, CA: true, PathLen: -1,
		PermittedDNS: []string{".strongswan.org"}, NameConstraintsCritical: true}))

	if c, err := plain.As(ParserX509, nil); err != nil || c != plain {
		t.Fatalf("x509: %v", err)
	}
	c, err := plain.As(ParserOpenSSL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Policies()) != 0 || len(c.NameConstraints(true)) != 0 {
		t.Errorf("openssl kept policies %v or name constraints %v", c.Policies(), c.NameConstraints(true))
	}
	if len(plain.Policies()) != 1 || len(plain.NameConstraints(true)) != 1 {
		t.Errorf("the x509 view changed: %v %v", plain.Policies(), plain.NameConstraints(true))
	}
	if c.PathLen() != 1 || c.Flags() != plain.Flags() || !c.Subject().Equals(plain.Subject()) {
		t.Errorf("openssl view: pathlen %d flags %v subject %s", c.PathLen(), c.Flags(), c.Subject())
	}

	var lines []string
	log := func(g LogGroup, level int, format string, args ...any) {
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	c, err = critical.As(ParserOpenSSL, log)
	if err != nil || c != critical || len(c.NameConstraints(true)) != 1 {
		t.Errorf("critical name constraints: %v, x509's view expected", err)
	}
	want := "found unsupported critical X.509 extension: X509v3 Name Constraints\nOpenSSL X.509 parsing failed"
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("log\n%s\nwant\n%s", got, want)
	}
	if _, err := critical.As(ParserOpenSSLOnly, nil); err == nil {
		t.Error("openssl alone loaded a certificate with critical name constraints")
	}

	m := NewManager()
	m.SetOptions(ManagerOptions{Parser: ParserOpenSSL})
	c, err = m.ParseCertificate(plain.Raw(), CertOCSPSigner, nil)
	if err != nil || len(c.Policies()) != 0 || c.Flags()&CertOCSPSigner == 0 {
		t.Errorf("manager parse: %v policies %v flags %v", err, c.Policies(), c.Flags())
	}
}

// TestCertPolicies: the end entity's policies the chain allows become the
// result's; others are logged and ignored. Parsed as openssl_x509 does,
// a certificate carries none.
func TestCertPolicies(t *testing.T) {
	p1 := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 36906, 1, 1, 1}
	p2 := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 36906, 1, 1, 2}
	p3 := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 36906, 1, 1, 3}
	root := testpki.Issue(t, nil, testpki.RootName, testpki.NewKey(t, testpki.ECDSA256, "root"),
		testpki.Options{Now: testNow, CA: true, PathLen: -1, Policies: []asn1.ObjectIdentifier{p1, p2}})
	moon := testpki.Issue(t, root, testpki.MoonName, testpki.NewKey(t, testpki.ECDSA256, "moon"),
		testpki.Options{Now: testNow, DNSNames: []string{"moon.strongswan.org"}, Policies: []asn1.ObjectIdentifier{p1, p3}})
	for _, parser := range []CertParser{ParserX509, ParserOpenSSL} {
		m := NewManager()
		m.Now = func() time.Time { return testNow }
		m.SetOptions(ManagerOptions{Constraints: true, Parser: parser})
		ca, err := m.ParseCertificate(root.DER, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.ReplaceCACerts([]*Certificate{ca})
		ee, err := m.ParseCertificate(moon.DER, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, l := trusted(m, "moon.strongswan.org", &Helpers{Subject: ee})
		if len(got) != 1 {
			t.Fatalf("parser %d: not trusted\n%s", parser, l)
		}
		want, ignored := []string{p1.String()}, true
		if parser == ParserOpenSSL {
			want, ignored = nil, false
		}
		if !slices.Equal(got[0].Rules.CertPolicies, want) {
			t.Errorf("parser %d: policies %v, want %v", parser, got[0].Rules.CertPolicies, want)
		}
		if l.has("certificate policy "+p3.String()+" for 'C=CH, O=strongSwan Project, CN=moon.strongswan.org' not allowed by trustchain, ignored") != ignored {
			t.Errorf("parser %d: log\n%s", parser, l)
		}
	}
}

// TestCACertOrder: the CA certificates of ipsec.d/cacerts are enumerated
// (and requested in CERTREQs) in load order, a ca section's certificate
// added later in front of them, as charon's stroke_ca holds them.
func TestCACertOrder(t *testing.T) {
	var cas []*Certificate
	for _, n := range []string{"Sales CA", "Research CA", "strongSwan Root CA"} {
		cas = append(cas, mustCert(t, testpki.Issue(t, nil, testpki.Name("CH", "strongSwan Project", "", n),
			testpki.NewKey(t, testpki.ECDSA256, n), testpki.Options{Now: testNow, CA: true, PathLen: -1})))
	}
	extra := mustCert(t, testpki.Issue(t, nil, testpki.Name("CH", "strongSwan Project", "", "Extra CA"),
		testpki.NewKey(t, testpki.ECDSA256, "extra"), testpki.Options{Now: testNow, CA: true, PathLen: -1}))
	m := NewManager()
	m.ReplaceCACerts(cas)
	m.AddCASection(&CASection{Name: "extra", Cert: extra})
	var got []string
	for _, c := range m.TrustedCACerts() {
		got = append(got, c.Subject().String())
	}
	want := []string{"C=CH, O=strongSwan Project, CN=Extra CA", "C=CH, O=strongSwan Project, CN=Sales CA",
		"C=CH, O=strongSwan Project, CN=Research CA", "C=CH, O=strongSwan Project, CN=strongSwan Root CA"}
	if !slices.Equal(got, want) {
		t.Errorf("order\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
