package credentials

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
	"github.com/goswan/goswan/testing/testpki"
)

func TestParsePrivateKeyForms(t *testing.T) {
	for _, kind := range []testpki.KeyKind{testpki.RSA2048, testpki.ECDSA256, testpki.ECDSA384, testpki.Ed25519} {
		t.Run(string(kind), func(t *testing.T) {
			k := testpki.NewKey(t, kind, "key")
			c := &testpki.Cert{Key: k}
			pemKey := c.KeyPEM()
			block, _ := pem.Decode(pemKey)
			pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			want := map[testpki.KeyKind]KeyType{testpki.RSA2048: KeyRSA, testpki.ECDSA256: KeyECDSA,
				testpki.ECDSA384: KeyECDSA, testpki.Ed25519: KeyED25519}[kind]
			for name, data := range map[string][]byte{
				"pem":        pemKey,
				"der":        block.Bytes,
				"pkcs8 der":  pkcs8,
				"pkcs8 pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
				"pem + crlf": []byte(string(pemKey) + "\n"),
			} {
				got, err := ParsePrivateKey(data, KeyAny, nil)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got.Type() != want {
					t.Errorf("%s: type %s, want %s", name, got.Type(), want)
				}
				if _, err := ParsePrivateKey(data, want, nil); err != nil {
					t.Errorf("%s as %s: %v", name, want, err)
				}
			}
			other := KeyRSA
			if want == KeyRSA {
				other = KeyECDSA
			}
			if _, err := ParsePrivateKey(pemKey, other, nil); err == nil {
				t.Errorf("%s key accepted as %s", want, other)
			}
			// Signing and verifying round trip with every scheme for the key.
			pk, _ := ParsePrivateKey(pemKey, KeyAny, nil)
			for _, p := range append(SchemesForKey(pk.Type(), pk.Bits()), classicFor(pk)...) {
				sig, err := pk.Sign(zeroReader{}, p, []byte("octets"))
				if err != nil {
					t.Fatalf("sign %s: %v", p, err)
				}
				if !pk.Public().Verify(p, []byte("octets"), sig) {
					t.Errorf("verify %s failed", p)
				}
				if pk.Public().Verify(p, []byte("octetz"), sig) {
					t.Errorf("verify %s accepted other data", p)
				}
			}
		})
	}
}

func classicFor(k *PrivateKey) []SignatureParams {
	switch k.Type() {
	case KeyRSA:
		return []SignatureParams{{Scheme: SignRSAPKCS1SHA1}}
	case KeyECDSA:
		if k.Bits() == 256 {
			return []SignatureParams{{Scheme: SignECDSA256}}
		}
		return []SignatureParams{{Scheme: SignECDSA384}}
	}
	return nil
}

// openssl runs OpenSSL in dir.
func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Encrypted keys and PKCS#12 files as OpenSSL writes them, opened with the
// right passphrase, refused with a wrong one.
func TestEncryptedKeysFromOpenSSL(t *testing.T) {
	testenv.RequireCommand(t, "/usr/bin/openssl")
	dir := t.TempDir()
	h := testpki.NewHierarchy(t, testpki.RSA2048, testNow, nil)
	ec := testpki.Issue(t, h.Root, testpki.SunName, testpki.NewKey(t, testpki.ECDSA256, "sun"), testpki.Options{Now: testNow})
	writeFile(t, filepath.Join(dir, "rsa.pem"), h.Moon.KeyPEM())
	writeFile(t, filepath.Join(dir, "ec.pem"), ec.KeyPEM())
	writeFile(t, filepath.Join(dir, "moon.crt"), h.Moon.PEM())
	writeFile(t, filepath.Join(dir, "root.crt"), h.Root.PEM())
	const pass = "nH5ZQEWtku0RJEZ6"

	openssl(t, dir, "rsa", "-in", "rsa.pem", "-aes128", "-traditional", "-passout", "pass:"+pass, "-out", "rsa-legacy.pem")
	openssl(t, dir, "rsa", "-in", "rsa.pem", "-des3", "-traditional", "-passout", "pass:"+pass, "-out", "rsa-des3.pem")
	openssl(t, dir, "ec", "-in", "ec.pem", "-aes256", "-passout", "pass:"+pass, "-out", "ec-legacy.pem")
	openssl(t, dir, "pkcs8", "-topk8", "-in", "rsa.pem", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256", "-passout", "pass:"+pass, "-out", "rsa-pbes2.pem")
	openssl(t, dir, "pkcs8", "-topk8", "-in", "ec.pem", "-v2", "des3", "-passout", "pass:"+pass, "-outform", "DER", "-out", "ec-pbes2.der")
	openssl(t, dir, "pkcs8", "-topk8", "-in", "ec.pem", "-v1", "PBE-SHA1-3DES", "-passout", "pass:"+pass, "-out", "ec-pkcs12pbe.pem")

	for file, want := range map[string]KeyType{
		"rsa-legacy.pem": KeyRSA, "rsa-des3.pem": KeyRSA, "ec-legacy.pem": KeyECDSA,
		"rsa-pbes2.pem": KeyRSA, "ec-pbes2.der": KeyECDSA, "ec-pkcs12pbe.pem": KeyECDSA,
	} {
		data := readFile(t, filepath.Join(dir, file))
		// A wrong passphrase yields valid padding now and then (1 in 256
		// for legacy PEM), and charon takes the garbage as it is; so the
		// right one is tried alone.
		k, err := ParsePrivateKey(data, KeyAny, StaticPassphrases([]byte(pass)))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if k.Type() != want {
			t.Errorf("%s: %s", file, k.Type())
		}
		if _, err := ParsePrivateKey(data, KeyAny, StaticPassphrases([]byte("wrong"))); err == nil {
			t.Errorf("%s with a wrong passphrase: %v", file, err)
		}
		if _, err := ParsePrivateKey(data, KeyAny, nil); !errors.Is(err, ErrEncrypted) {
			t.Errorf("%s without passphrase: %v", file, err)
		}
	}

	openssl(t, dir, "pkcs12", "-export", "-in", "moon.crt", "-inkey", "rsa.pem", "-certfile", "root.crt",
		"-passout", "pass:"+pass, "-out", "modern.p12")
	files := []string{"modern.p12"}
	if exec.Command("openssl", "pkcs12", "-export", "-legacy", "-in", filepath.Join(dir, "moon.crt"),
		"-inkey", filepath.Join(dir, "rsa.pem"), "-passout", "pass:"+pass, "-out", filepath.Join(dir, "legacy.p12")).Run() == nil {
		files = append(files, "legacy.p12")
	} else if testenv.InCI() {
		t.Error("openssl pkcs12 -legacy failed (legacy provider missing?)")
	}
	for _, f := range files {
		data := readFile(t, filepath.Join(dir, f))
		p, err := ParsePKCS12(data, StaticPassphrases([]byte("wrong"), []byte(pass)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(p.Keys) != 1 || p.Keys[0].Type() != KeyRSA || len(p.Certs) == 0 {
			t.Fatalf("%s: %d keys, %d certs", f, len(p.Keys), len(p.Certs))
		}
		moon := mustCert(t, h.Moon)
		if !p.Certs[0].Equal(moon) && !(len(p.Certs) > 1 && p.Certs[1].Equal(moon)) {
			t.Errorf("%s: moon's certificate missing", f)
		}
		if !p.Keys[0].Public().Equal(moon.PublicKey()) {
			t.Errorf("%s: key does not match the certificate", f)
		}
		if _, err := ParsePKCS12(data, StaticPassphrases([]byte("wrong"))); !errors.Is(err, ErrPKCS12MAC) {
			t.Errorf("%s with a wrong passphrase: %v", f, err)
		}
	}
}
