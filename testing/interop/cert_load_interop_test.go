package interop

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
	"github.com/goswan/goswan/testing/testpki"
)

// loadScript runs inside a test host (testing/nshost), whose /etc holds
// the test's files and whose /usr/lib/ipsec/charon is the daemon under
// test: starter starts charon, the lists are asked for once the last conn
// is loaded, and starter stops it. Outputs go to the host's private /run.
const loadScript = `set -e
ip link set lo up
/usr/lib/ipsec/starter --nofork >/run/starter.out 2>&1 & ST=$!
for i in $(seq 50); do [ -S /run/charon.ctl ] && grep -q "added configuration 'c3'" /run/daemon.log 2>/dev/null && break; sleep 0.2; done
for l in listcerts listcacerts listocspcerts listaacerts listcrls listcainfos; do /usr/sbin/ipsec $l >/run/$l.out 2>&1 || true; done
kill $ST
wait $ST || true
`

const loadConf = `config setup

conn %default
	left=127.0.0.1
	right=127.0.0.2
	keyexchange=ikev2

conn c1
	leftcert=moonCert.pem
	leftid=@mars.strongswan.org
	rightca="C=CH, O=strongSwan Project, CN=strongSwan Root CA"
	rightauth=rsa-2048-sha256
	auto=add

conn c2
	leftcert=missing.pem,sunCert.pem
	rightca="C=CH, CN=nope"
	rightid=%any
	leftauth=pubkey-sha384-foo
	auto=add

conn c3
	leftcert=/etc/ipsec.d/certs/moonCert.pem
	leftid=moon.strongswan.org
	rightca=%same
	auto=add

ca research
	cacert=researchCert.pem
	crluri=http://crl.strongswan.org/research.crl
	crluri2=http://crl2.strongswan.org/research.crl
	ocspuri=http://ocsp.strongswan.org:8880
	auto=add

ca broken
	cacert=nothere.pem
	auto=add
`

// TestCharonLoadsCredentialsAlike starts Debian's charon and goswan's on
// the same ipsec.d, ipsec.conf and ipsec.secrets (good, bad, encrypted,
// mismatched and missing credentials of every kind) and compares what they
// log while loading and what the list commands print.
func TestCharonLoadsCredentialsAlike(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "/usr/lib/ipsec/charon")
	testenv.RequireCommand(t, "/usr/lib/ipsec/starter")
	testenv.RequireCommand(t, "/usr/bin/openssl")
	nshost.Require(t)
	bin := goswanBin(t)
	now := time.Now()
	// The ends are half a day from whole days, so that "expires in 365
	// days" reads the same for both daemons, started seconds apart.
	h := testpki.NewHierarchy(t, testpki.RSA2048, now, midDay)
	ec := testpki.NewHierarchy(t, testpki.ECDSA256, now, midDay)
	ed := testpki.NewHierarchy(t, testpki.Ed25519, now, midDay)
	noCA := testpki.Issue(t, h.Root, testpki.Name("CH", "strongSwan Project", "", "not a CA"),
		testpki.NewKey(t, testpki.RSA2048, "noca"), testpki.Options{Now: now, NotAfter: now.Add(365*24*time.Hour + 12*time.Hour)})
	crl := testpki.CRL(t, h.Root, 5, now.Add(-time.Hour), now.Add(36*time.Hour+30*time.Minute),
		testpki.Revoked{Cert: h.Carol, At: now.Add(-time.Hour), Reason: 1})
	researchCRL := testpki.CRL(t, h.Research, 2, now.Add(-time.Hour), now.Add(36*time.Hour+30*time.Minute))

	src := t.TempDir()
	files := map[string][]byte{
		"ipsec.d/cacerts/caCert.pem":       h.Root.PEM(),
		"ipsec.d/cacerts/researchCert.pem": h.Research.PEM(),
		"ipsec.d/cacerts/ecCA.der":         ec.Root.DER,
		"ipsec.d/cacerts/notCA.pem":        noCA.PEM(),
		"ipsec.d/cacerts/garbage.pem":      []byte("this is not a certificate\n"),
		"ipsec.d/certs/moonCert.pem":       h.Moon.PEM(),
		"ipsec.d/certs/sunCert.pem":        h.Sun.PEM(),
		"ipsec.d/ocspcerts/ocspCert.pem":   h.Dave.PEM(),
		"ipsec.d/aacerts/aaCert.pem":       h.Carol.PEM(),
		"ipsec.d/crls/root.crl":            crl,
		"ipsec.d/crls/research.pem":        pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: researchCRL}),
		"ipsec.d/crls/junk.crl":            []byte{0x30, 0x03, 0x02, 0x01, 0x00},
		"ipsec.d/private/moonKey.pem":      h.Moon.KeyPEM(),
		"ipsec.d/private/ecKey.pem":        ec.Moon.KeyPEM(),
		"ipsec.d/private/edKey.pem":        ed.Moon.KeyPEM(),
		"ipsec.conf":                       []byte(loadConf),
		"strongswan.conf": []byte("charon {\n  load = pem pkcs1 pkcs8 pkcs12 x509 revocation constraints random nonce aes sha1 sha2 gmp openssl hmac kdf stroke kernel-netlink socket-default updown\n" +
			"  port = 5500\n  port_nat_t = 5501\n  filelog {\n    daemon {\n      path = /run/daemon.log\n      default = 1\n      flush_line = yes\n    }\n  }\n}\n"),
	}
	for rel, data := range files {
		p := filepath.Join(src, "etc", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	priv := filepath.Join(src, "etc", "ipsec.d", "private")
	der, _ := x509.MarshalPKCS8PrivateKey(h.Sun.Key)
	if err := os.WriteFile(filepath.Join(priv, "sunKey8.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	const pass = "gOsWaN-p4ss"
	openssl(t, priv, "rsa", "-in", "moonKey.pem", "-aes256", "-traditional", "-passout", "pass:"+pass, "-out", "moonKeyEnc.pem")
	openssl(t, priv, "pkcs8", "-topk8", "-in", "ecKey.pem", "-v2", "aes-128-cbc", "-passout", "pass:"+pass, "-out", "ecKeyEnc.pem")
	writeTemp(t, filepath.Join(priv, "carol.crt"), h.Carol.PEM())
	writeTemp(t, filepath.Join(priv, "carol.key"), h.Carol.KeyPEM())
	writeTemp(t, filepath.Join(priv, "root.crt"), h.Root.PEM())
	openssl(t, priv, "pkcs12", "-export", "-in", "carol.crt", "-inkey", "carol.key", "-certfile", "root.crt",
		"-passout", "pass:"+pass, "-out", "carol.p12")
	for _, f := range []string{"carol.crt", "carol.key", "root.crt"} {
		os.Remove(filepath.Join(priv, f))
	}
	secrets := fmt.Sprintf(`: RSA moonKey.pem
: ECDSA ecKey.pem
: PKCS8 edKey.pem
: RSA sunKey8.pem
: RSA moonKeyEnc.pem "%[1]s"
: PKCS8 ecKeyEnc.pem wrongpass
: ECDSA ecKeyEnc.pem %[1]s
: RSA ecKey.pem
: ECDSA missing.pem
: P12 carol.p12 %[1]s
: P12 carol.p12 wrongpass
@moon @sun : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
`, pass)
	writeTemp(t, filepath.Join(src, "etc", "ipsec.secrets"), []byte(secrets))

	etc := nshost.DirFiles(t, filepath.Join(src, "etc"), "/etc")
	run := func(impl, charon string) (log string, lists map[string]string) {
		spec := nshost.Spec{Name: impl, Files: etc}
		if charon != "/usr/lib/ipsec/charon" {
			spec.Binds = []nshost.Bind{{Source: charon, Target: "/usr/lib/ipsec/charon"}}
		}
		h := nshost.NewHost(t, spec)
		// Both runs would pass alike if the bind missed.
		h.Sh(t, "cmp /usr/lib/ipsec/charon "+charon)
		h.Sh(t, loadScript)
		lists = map[string]string{}
		for _, l := range []string{"listcerts", "listcacerts", "listocspcerts", "listaacerts", "listcrls", "listcainfos"} {
			lists[l] = h.ReadFile(t, "/run/"+l+".out")
		}
		return h.ReadFile(t, "/run/daemon.log"), lists
	}
	clog, clists := run("charon", "/usr/lib/ipsec/charon")
	glog, glists := run("goswan", filepath.Join(bin, "charon"))
	cl, gl := credLines(clog), credLines(glog)
	if len(cl) < 30 {
		t.Fatalf("charon logged only:\n%s", clog)
	}
	if !slices.Equal(cl, gl) {
		t.Errorf("credential loading logged differently (sorted):\n%s", lineDiff(cl, gl))
	}
	if testing.Verbose() {
		t.Logf("goswan's log:\n%s", glog)
		t.Logf("charon's listall parts:\n%s%s", clists["listcerts"], clists["listcrls"])
	}
	for l, c := range clists {
		if strings.TrimSpace(c) == "" && l != "listaacerts" {
			t.Errorf("charon's %s is empty", l)
		}
		if g := glists[l]; g != c {
			t.Errorf("ipsec %s differs:\n--- charon:\n%s\n--- goswan:\n%s", l, c, g)
		}
	}
}

// midDay ends certificates half a day after a whole number of days.
func midDay(_ string, o *testpki.Options) { o.NotAfter = o.Now.Add(365*24*time.Hour + 12*time.Hour) }

var logPrefix = regexp.MustCompile(`^(?:[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d )?\d\d\[(CFG|LIB|ASN)\] `)

// credLines are the CFG, LIB and ASN lines from loading up to the last
// conn, without timestamp and thread, sorted (readdir order is charon's
// file order, goswan's is sorted).
func credLines(log string) []string {
	var out []string
	on := false
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "loading ca certificates from") {
			on = true
		}
		if !on {
			continue
		}
		m := logPrefix.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		l = "[" + m[1] + "] " + l[len(m[0]):]
		if strings.Contains(l, "loaded plugins:") || strings.Contains(l, "dropped capabilities") ||
			strings.Contains(l, "received stroke") || strings.Contains(l, "providers loaded by OpenSSL") {
			continue
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

func lineDiff(a, b []string) string {
	var s strings.Builder
	for _, x := range a {
		if !slices.Contains(b, x) {
			s.WriteString("charon only: " + x + "\n")
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			s.WriteString("goswan only: " + x + "\n")
		}
	}
	return s.String()
}

func writeTemp(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}
