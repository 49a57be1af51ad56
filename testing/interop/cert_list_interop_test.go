package interop

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/testenv"
	"github.com/goswan/goswan/testing/testpki"
)

// listExtraConf loads the same certificates on both gateways: a conn
// nobody initiates, and a ca section.
const listExtraConf = `
conn extra
	left=%any
	right=10.9.9.9
	leftcert=carolCert.pem,daveCert.pem
	rightca="C=CH, O=strongSwan Project, CN=strongSwan Root CA"
	auto=add

ca strongswan
	cacert=caCert.pem
	crluri=http://crl.strongswan.org/strongswan.crl
	ocspuri=http://ocsp.strongswan.org:8880
	auto=add
`

// TestCharonListFormats gives goswan (moon) and Debian's charon (sun) the
// same certificates, CRL, OCSP signer and ca section and compares what
// the list commands print, byte for byte: listcacerts, listocspcerts,
// listcrls, listcainfos, the end entity certificates both hold, and the
// connection's lines in statusall.
func TestCharonListFormats(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "/usr/lib/ipsec/charon")
	testenv.RequireCommand(t, "/usr/sbin/ipsec")
	bin := goswanBin(t)
	now := time.Now()
	// Every end lies half a day from a whole number of days (midDay), so
	// that "expires in N days", counted down to whole days when each daemon
	// lists, reads the same for both though they list seconds apart.
	h := testpki.NewHierarchy(t, testpki.RSA2048, now, func(name string, o *testpki.Options) {
		midDay(name, o)
		switch name {
		case "carol":
			o.CRLURLs = []string{"http://crl.strongswan.org/strongswan.crl"}
			o.OCSPURLs = []string{"http://ocsp.strongswan.org:8880"}
			o.Policies = []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 36906, 1, 1}}
			o.ExtKeyUse = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		case "research":
			o.PathLen = 0
			o.PermittedDNS = []string{".strongswan.org"}
		}
	})
	signer := testpki.Issue(t, h.Root, testpki.Name("CH", "strongSwan Project", "OCSP Signing Authority", "ocsp.strongswan.org"),
		testpki.NewKey(t, testpki.RSA2048, "ocsp"), testpki.Options{Now: now, NotAfter: now.Add(365*24*time.Hour + 12*time.Hour),
			ExtKeyUse: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}})
	crl := testpki.CRL(t, h.Root, 3, now.Add(-time.Hour), now.Add(7*24*time.Hour+12*time.Hour),
		testpki.Revoked{Cert: h.Carol, At: now.Add(-2 * time.Hour), Reason: 1},
		testpki.Revoked{Cert: h.Alice, At: now.Add(-3 * time.Hour), Reason: 6})
	certs := &netnet.Certs{CA: h.Root.PEM(), KeyType: "RSA",
		Cert: map[string][]byte{"moon": h.Moon.PEM(), "sun": h.Sun.PEM()},
		Key:  map[string][]byte{"moon": h.Moon.KeyPEM(), "sun": h.Sun.KeyPEM()},
		Common: map[string][]byte{
			"ipsec.d/certs/carolCert.pem":      h.Carol.PEM(),
			"ipsec.d/certs/daveCert.pem":       h.Dave.PEM(),
			"ipsec.d/cacerts/researchCert.pem": h.Research.PEM(),
			"ipsec.d/ocspcerts/ocspCert.pem":   signer.PEM(),
			"ipsec.d/crls/crl.pem":             pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl}),
		},
		ExtraConf: listExtraConf}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := netnet.Build(ctx, "charon", "strongswan", bin, netnet.Options{Certs: certs})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			for _, h := range []string{"moon", "sun"} {
				t.Logf("%s daemon.log:\n%s", h, n.Logs(h, 120))
			}
		}
		if err := n.Close(); err != nil {
			t.Errorf("teardown: %v", err)
		}
	}()
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"ipsec listcacerts", "ipsec listocspcerts", "ipsec listcrls", "ipsec listcainfos"} {
		g, c := n.Quiet("moon", cmd), n.Quiet("sun", cmd)
		if g != c {
			t.Errorf("%s differs:\n--- goswan:\n%s\n--- charon:\n%s", cmd, g, c)
		}
		if strings.TrimSpace(c) == "" {
			t.Errorf("%s: charon printed nothing", cmd)
		}
		if testing.Verbose() {
			t.Logf("%s:\n%s", cmd, g)
		}
	}
	for _, who := range []string{"carol@strongswan.org", "dave@strongswan.org"} {
		g := certBlock(n.Quiet("moon", "ipsec listcerts"), who)
		c := certBlock(n.Quiet("sun", "ipsec listcerts"), who)
		if testing.Verbose() {
			t.Logf("listcerts %s:\n%s", who, g)
		}
		if g == "" || g != c {
			t.Errorf("listcerts block of %s differs:\n--- goswan:\n%s\n--- charon:\n%s", who, g, c)
		}
	}
	gl, cl := loadLines(n.Logs("moon", 400)), loadLines(n.Logs("sun", 400))
	if testing.Verbose() {
		t.Logf("credential loading:\n%s", strings.Join(cl, "\n"))
	}
	if len(cl) < 10 || strings.Join(gl, "\n") != strings.Join(cl, "\n") {
		t.Errorf("credential loading logged differently:\n--- goswan:\n%s\n--- charon:\n%s",
			strings.Join(gl, "\n"), strings.Join(cl, "\n"))
	}
	g := connLines(n.Quiet("moon", "ipsec statusall"), "extra")
	c := connLines(n.Quiet("sun", "ipsec statusall"), "extra")
	if testing.Verbose() {
		t.Logf("statusall extra:\n%s", g)
	}
	if g == "" || g != c {
		t.Errorf("statusall of conn extra differs:\n--- goswan:\n%s\n--- charon:\n%s", g, c)
	}
}

// loadLines are the log lines about loading credentials, without
// timestamp and thread, the gateway's name replaced, sorted (charon reads
// directories in readdir's order, goswan sorted by name).
func loadLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		i := strings.Index(l, "[CFG] ")
		if i < 0 {
			continue
		}
		l = l[i+len("[CFG] "):]
		if !strings.Contains(l, "loaded") && !strings.Contains(l, "loading") && !strings.Contains(l, "not confirmed") &&
			!strings.Contains(l, "CA certificate") && !strings.Contains(l, "added ca") {
			continue
		}
		l = strings.NewReplacer("moon", "GW", "sun", "GW").Replace(l)
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// certBlock cuts one certificate's lines out of a listcerts output.
func certBlock(out, subject string) string {
	for _, b := range strings.Split(out, "\n\n") {
		if strings.Contains(b, "  subject:  \"") && strings.Contains(strings.SplitN(b, "\n", 2)[0], "CN="+subject+"\"") {
			return b
		}
	}
	return ""
}

// connLines are the statusall lines of one connection.
func connLines(out, name string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " "), name+":") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
