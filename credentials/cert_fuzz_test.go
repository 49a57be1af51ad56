package credentials

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/testpki"
	"golang.org/x/crypto/ocsp"
)

// Fuzz targets for everything read from files and from peers, as
// strongSwan's fuzz_certs, fuzz_crls and fuzz_ids (identities are in
// fuzz_test.go): parsing must never panic, and what parses must be usable
// (printing, matching, verifying) without panicking either.

func seedHierarchy(f *testing.F) *testpki.Hierarchy {
	return testpki.NewHierarchy(f, testpki.ECDSA256, testNow, func(name string, o *testpki.Options) {
		o.CRLURLs = []string{"http://crl.strongswan.org/strongswan.crl"}
		o.OCSPURLs = []string{"http://ocsp.strongswan.org:8880"}
	})
}

func FuzzParseCertificate(f *testing.F) {
	h := seedHierarchy(f)
	for _, c := range []*testpki.Cert{h.Root, h.Moon, h.Carol, h.Research, h.Alice} {
		f.Add(c.DER)
		f.Add(c.PEM())
	}
	root, _ := ParseCertificate(h.Root.DER)
	f.Fuzz(func(t *testing.T, data []byte) {
		der, _, err := Unarmor(data, nil)
		if err != nil {
			return
		}
		c, err := ParseCertificate(der)
		if err != nil {
			return
		}
		_ = c.Subject().String()
		_ = c.Issuer().String()
		for _, s := range c.SubjectAltNames() {
			_ = s.String()
		}
		c.HasSubject(ParseIdentity("moon.strongswan.org"))
		c.HasSubject(FromEncoding(IDKeyID, c.PublicKey().KeyID()))
		c.IssuedBy(root)
		c.IssuedBy(c)
		for _, p := range c.Policies() {
			_ = p.OID
		}
		_ = c.SubjectKeyID()
		if o, err := c.As(ParserOpenSSL, nil); err == nil && (len(o.Policies()) != 0 || !o.Equal(c)) {
			t.Errorf("openssl's view keeps policies or differs in encoding")
		}
		m := NewManager()
		m.Now = func() time.Time { return testNow }
		m.ReplaceCACerts([]*Certificate{root})
		m.Trusted(KeyAny, c.Subject(), false, &Helpers{Subject: c}, nil, func(TrustedCert) bool { return true })
	})
}

func FuzzParseCRL(f *testing.F) {
	h := seedHierarchy(f)
	f.Add(testpki.CRL(f, h.Root, 1, testNow.Add(-time.Hour), testNow.Add(time.Hour)))
	f.Add(testpki.CRL(f, h.Root, 7, testNow.Add(-time.Hour), testNow.Add(time.Hour),
		testpki.Revoked{Cert: h.Carol, At: testNow, Reason: 1}))
	root, _ := ParseCertificate(h.Root.DER)
	carol, _ := ParseCertificate(h.Carol.DER)
	f.Fuzz(func(t *testing.T, data []byte) {
		der, _, err := Unarmor(data, nil)
		if err != nil {
			return
		}
		c, err := ParseCRL(der)
		if err != nil {
			return
		}
		_ = c.Issuer().String()
		c.IssuedBy(root)
		c.HasIssuer(FromEncoding(IDKeyID, root.SubjectKeyID()))
		for _, r := range c.Revoked() {
			_ = r.Reason.String()
		}
		m := NewManager()
		m.Now = func() time.Time { return testNow }
		m.ReplaceCACerts([]*Certificate{root})
		m.Fetcher = &fakeFetcher{data: map[string][]byte{"http://crl.strongswan.org/strongswan.crl": data}}
		m.Trusted(KeyAny, carol.Subject(), true, &Helpers{Subject: carol}, nil, func(TrustedCert) bool { return true })
	})
}

func FuzzParseOCSPResponse(f *testing.F) {
	h := seedHierarchy(f)
	f.Add(testpki.OCSPResponse(f, h.Root, h.Root, h.Dave, ocsp.Good, testNow, time.Time{}))
	f.Add(testpki.OCSPResponse(f, h.Root, h.Root, h.Carol, ocsp.Revoked, testNow, testNow))
	root, _ := ParseCertificate(h.Root.DER)
	dave, _ := ParseCertificate(h.Dave.DER)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseOCSPResponse(data)
		if err == nil {
			r.IssuedBy(root)
			r.Status(dave, root)
			_ = r.Responder().String()
		}
		m := NewManager()
		m.Now = func() time.Time { return testNow }
		m.ReplaceCACerts([]*Certificate{root})
		m.Fetcher = &fakeFetcher{data: map[string][]byte{"http://ocsp.strongswan.org:8880": data}}
		m.Trusted(KeyAny, dave.Subject(), true, &Helpers{Subject: dave}, nil, func(TrustedCert) bool { return true })
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	for _, kind := range []testpki.KeyKind{testpki.RSA2048, testpki.ECDSA256, testpki.Ed25519} {
		c := &testpki.Cert{Key: testpki.NewKey(f, kind, "fuzz")}
		f.Add(c.KeyPEM())
		der, _ := x509.MarshalPKCS8PrivateKey(c.Key)
		f.Add(der)
	}
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   make([]byte, 32)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKey(data, KeyAny, StaticPassphrases([]byte("pass"), nil))
		if err != nil {
			return
		}
		for _, p := range SchemesForKey(k.Type(), k.Bits()) {
			sig, err := k.Sign(zeroReader{}, p, data)
			if err == nil && !k.Public().Verify(p, data, sig) {
				t.Fatalf("%s signature does not verify", p)
			}
		}
	})
}

func FuzzParsePKCS12(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePKCS12(data, StaticPassphrases([]byte("pass"), nil))
		if err != nil {
			return
		}
		for _, c := range p.Certs {
			_ = c.Subject().String()
		}
	})
}

func FuzzParseSignatureParams(f *testing.F) {
	for _, p := range []SignatureParams{{Scheme: SignRSAPKCS1SHA256}, {Scheme: SignECDSAWithSHA384DER},
		{Scheme: SignED25519}, {Scheme: SignRSAPSS, PSS: pssDefault(HashSHA512)}} {
		b, _ := p.Marshal()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseSignatureParams(data)
		if err != nil {
			return
		}
		_ = p.String()
		b, err := p.Marshal()
		if err != nil {
			return
		}
		q, err := ParseSignatureParams(b)
		if err != nil || !q.Equal(p) {
			t.Fatalf("round trip of %s: %v %v", p, q, err)
		}
	})
}
