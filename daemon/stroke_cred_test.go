package daemon

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/testpki"
)

// credDaemon is a simulated moon whose ipsec.d and ipsec.secrets live in
// a temporary directory.
func credDaemon(t *testing.T) (*Daemon, string) {
	_, moon, _, _, _ := ikesim.NetNet(t, nil)
	d := simDaemon(moon)
	d.conf.Store(settings.Empty())
	dir := t.TempDir()
	d.ipsecDir = filepath.Join(dir, "ipsec.d")
	for _, sub := range []string{"cacerts", "certs", "private", "crls", "ocspcerts", "aacerts", "acerts"} {
		if err := os.MkdirAll(filepath.Join(d.ipsecDir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d.cred = &strokeCred{d: d, file: filepath.Join(dir, "ipsec.secrets")}
	d.certs.OnCacheCRL = d.cred.writeCRL
	return d, dir
}

func put(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// encryptedPEM encrypts a PKCS#1 key the way `openssl rsa -aes128
// -traditional` does (the legacy Proc-Type/DEK-Info format: key from MD5
// over passphrase and salt, AES-128-CBC, PKCS#7 padding), with a fixed IV.
func encryptedPEM(t *testing.T, c *testpki.Cert, pass string) []byte {
	t.Helper()
	block, _ := pem.Decode(c.KeyPEM())
	iv := []byte("0123456789abcdef")
	sum := md5.Sum(append([]byte(pass), iv[:8]...))
	b, err := aes.NewCipher(sum[:])
	if err != nil {
		t.Fatal(err)
	}
	pad := 16 - len(block.Bytes)%16
	data := append(bytes.Clone(block.Bytes), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(data, data)
	return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: data, Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC," + strings.ToUpper(hex.EncodeToString(iv))}})
}

// TestRereadSecretsPrompt: a %prompt key is skipped at startup and asked
// for on ipsec rereadsecrets, three tries at most, as charon asks.
func TestRereadSecretsPrompt(t *testing.T) {
	d, dir := credDaemon(t)
	h := testpki.NewHierarchy(t, testpki.RSA2048, time.Now(), nil)
	keyFile := filepath.Join(d.ipsecDir, "private", "moonKey.pem")
	put(t, keyFile, encryptedPEM(t, h.Moon, "right"))
	put(t, filepath.Join(dir, "ipsec.secrets"), []byte(": RSA moonKey.pem %prompt\n"))

	d.cred.loadSecrets(nil)
	if n := len(d.certs.Keys()); n != 0 {
		t.Fatalf("%d keys loaded without a prompt", n)
	}
	var buf bytes.Buffer
	out := stroke.NewReply(strings.NewReader("wrong\nright\n"), &buf, 0)
	d.cred.Reread(context.Background(), stroke.RereadSecrets, out)
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "Private key '" + keyFile + "' is encrypted.\nPassphrase:\n" +
		"Passphrase invalid!\nPrivate key '" + keyFile + "' is encrypted.\nPassphrase:\n"
	if buf.String() != want {
		t.Errorf("prompt dialog:\n%q\nwant\n%q", buf.String(), want)
	}
	if k := d.certs.Keys(); len(k) != 1 || k[0].Type() != credentials.KeyRSA {
		t.Fatalf("keys after the right passphrase: %v", k)
	}
	buf.Reset()
	out = stroke.NewReply(strings.NewReader("a\nb\nc\nd\n"), &buf, 0)
	d.cred.Reread(context.Background(), stroke.RereadSecrets, out)
	_ = out.Flush()
	if !strings.HasSuffix(buf.String(), "Passphrase invalid, giving up.\n") || strings.Count(buf.String(), "Passphrase:\n") != 3 {
		t.Errorf("three wrong answers:\n%s", buf.String())
	}
	if n := len(d.certs.Keys()); n != 0 {
		t.Errorf("%d keys after giving up", n)
	}
}

// TestCacheCRLsWritesFile: with cachecrls a fetched CRL joins the stroke
// set and is written to ipsec.d/crls as <authkeyid>.crl.
func TestCacheCRLsWritesFile(t *testing.T) {
	d, _ := credDaemon(t)
	const url = "http://crl.strongswan.org/strongswan.crl"
	h := testpki.NewHierarchy(t, testpki.ECDSA256, time.Now(), func(_ string, o *testpki.Options) { o.CRLURLs = []string{url} })
	crl := testpki.CRL(t, h.Root, 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	root, _ := credentials.ParseCertificate(h.Root.DER)
	dave, _ := credentials.ParseCertificate(h.Dave.DER)
	d.certs.ReplaceCACerts([]*credentials.Certificate{root})
	d.certs.Fetcher = fixedFetcher{url: crl}
	d.certs.Now = time.Now
	d.cred.CacheCRLs(context.Background(), true)
	var lines []string
	d.certs.Trusted(credentials.KeyAny, dave.Subject(), true, &credentials.Helpers{Subject: dave},
		func(_ credentials.LogGroup, _ int, f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) },
		func(credentials.TrustedCert) bool { return false })
	path := filepath.Join(d.ipsecDir, "crls", hexString(root.SubjectKeyID())+".crl")
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(b, crl) {
		t.Fatalf("cached CRL file: %v\nlog:\n%s", err, strings.Join(lines, "\n"))
	}
	want := "  written crl file '" + path + "' (" + strconv.Itoa(len(crl)) + " bytes)"
	if !strings.Contains(strings.Join(lines, "\n"), want) {
		t.Errorf("log lacks %q:\n%s", want, strings.Join(lines, "\n"))
	}
	if n := len(d.certs.CRLs()); n == 0 {
		t.Error("CRL not held")
	}
}

type fixedFetcher map[string][]byte

func (f fixedFetcher) Fetch(url string, _ []byte, _ string, _ time.Duration) ([]byte, error) {
	return f[url], nil
}
