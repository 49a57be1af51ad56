package netnet

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

// TestPKI checks the throwaway PKI: every certificate chains to the CA,
// names its host, and carries a key of the asked kind.
func TestPKI(t *testing.T) {
	for _, auth := range []string{AuthRSA2048, AuthECDSA256} {
		p, err := newPKI(auth, []string{"moon1", "moon2"})
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(p.caCert)
		ca, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(ca)
		for _, n := range []string{"moon1", "moon2", "sun"} {
			blk, _ := pem.Decode(p.certs[n])
			if blk == nil {
				t.Fatalf("%s: no certificate for %s", auth, n)
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: n + ".strongswan.org"}); err != nil {
				t.Errorf("%s %s: %v", auth, n, err)
			}
			want := x509.RSA
			if auth == AuthECDSA256 {
				want = x509.ECDSA
			}
			if c.PublicKeyAlgorithm != want {
				t.Errorf("%s %s: key %v", auth, n, c.PublicKeyAlgorithm)
			}
		}
		if len(p.files("moon", []string{"moon1", "moon2"})) != 4 {
			t.Errorf("moon's files: %v", p.files("moon", []string{"moon1", "moon2"}))
		}
	}
	if _, err := newPKI("dsa", nil); err == nil {
		t.Error("unknown auth accepted")
	}
}

// TestLoadConns checks the load network's configuration: one conn and
// identity per certificate of moon's, one conn for all of them on sun.
func TestLoadConns(t *testing.T) {
	moon := loadIPsecConf("moon", "\tike=aes128-sha256-x25519!\n"+loadEnds(Moon, MoonNet, Sun, SunNet, "@sun.strongswan.org"), LoadOptions{Auth: AuthRSA2048}) +
		loadConn("net-net2", "@moon2.strongswan.org", "moon2Cert.pem")
	for _, want := range []string{"conn net-net2\n", "leftid=@moon2.strongswan.org\n", "leftcert=moon2Cert.pem\n", "rightid=@sun.strongswan.org\n", "\tike=aes128-sha256-x25519!\n", "conn %default\n"} {
		if !strings.Contains(moon, want) {
			t.Errorf("moon's ipsec.conf lacks %q:\n%s", want, moon)
		}
	}
	if strings.Contains(moon, "authby=secret") {
		t.Errorf("certificate conns with authby=secret:\n%s", moon)
	}
	psk := loadIPsecConf("moon", "", LoadOptions{Auth: AuthPSK, Lifetime: "2m", Margin: "1m"}) +
		loadConn("net-net2", "@moon2.strongswan.org", "")
	for _, want := range []string{"\tauthby=secret\n", "\tlifetime=2m\n", "\tmargintime=1m\n", "\trekeyfuzz=100%\n"} {
		if !strings.Contains(psk, want) {
			t.Errorf("PSK ipsec.conf lacks %q:\n%s", want, psk)
		}
	}
	if strings.Contains(psk, "leftcert") {
		t.Errorf("PSK conn with a certificate:\n%s", psk)
	}
}
