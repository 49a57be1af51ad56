package interop

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/testpki"
)

// TestCharonInteropCertificates is net2net-cert between goswan's charon
// and Debian's, in both roles, with RSA, ECDSA and Ed25519 certificates:
// the tunnel carries traffic, each side logs the peer's authentication
// with the scheme charon picks for the key, and goswan's listcacerts
// prints the CA certificate as Debian's charon does, byte for byte.
func TestCharonInteropCertificates(t *testing.T) {
	bin := labBin(t, "/usr/sbin/ipsec", "ping")
	for _, k := range []struct {
		kind    testpki.KeyKind
		keyword string
		scheme  string
		// classic turns RFC 7427 off on goswan's side, so that both use
		// the classic RSA and ECDSA methods.
		classic bool
	}{
		{testpki.RSA2048, "RSA", "RSA_EMSA_PKCS1_SHA2_256", false},
		{testpki.ECDSA256, "ECDSA", "ECDSA_WITH_SHA256_DER", false},
		{testpki.Ed25519, "PKCS8", "ED25519", false},
		{testpki.RSA2048, "RSA", "RSA signature", true},
		{testpki.ECDSA384, "ECDSA", "ECDSA-384 signature", true},
	} {
		h := testpki.NewHierarchy(t, k.kind, time.Now(), nil)
		certs := &netnet.Certs{CA: h.Root.PEM(), KeyType: k.keyword,
			Cert: map[string][]byte{"moon": h.Moon.PEM(), "sun": h.Sun.PEM()},
			Key:  map[string][]byte{"moon": h.Moon.KeyPEM(), "sun": h.Sun.KeyPEM()}}
		for _, c := range []struct{ moon, sun string }{{"charon", "strongswan"}, {"strongswan", "charon"}} {
			name := fmt.Sprintf("%s/%s-%s", k.kind, c.moon, c.sun)
			if k.classic {
				name = fmt.Sprintf("%s-classic/%s-%s", k.kind, c.moon, c.sun)
				goswanHost := "moon"
				if c.sun == "charon" {
					goswanHost = "sun"
				}
				certs = &netnet.Certs{CA: certs.CA, KeyType: certs.KeyType, Cert: certs.Cert, Key: certs.Key,
					Charon: map[string]string{goswanHost: "signature_authentication = no"}}
			}
			t.Run(name, func(t *testing.T) {
				n := upAndPing(t, bin, c.moon, c.sun, netnet.Options{Certs: certs})
				for host, peer := range map[string]string{"moon": "sun", "sun": "moon"} {
					log := n.Logs(host, 400)
					want := fmt.Sprintf("authentication of '%s.strongswan.org' with %s successful", peer, k.scheme)
					if !strings.Contains(log, want) {
						t.Errorf("%s's log lacks %q", host, want)
					}
					for _, w := range []string{
						`received end entity cert "C=CH, O=strongSwan Project, CN=` + peer + `.strongswan.org"`,
						`using trusted ca certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
					} {
						if !strings.Contains(log, w) {
							t.Errorf("%s's log lacks %q", host, w)
						}
					}
				}
				moonCA := n.Quiet("moon", "ipsec listcacerts")
				sunCA := n.Quiet("sun", "ipsec listcacerts")
				if !strings.Contains(moonCA, "List of X.509 CA Certificates") || !strings.Contains(moonCA, `subject:  "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`) {
					t.Errorf("moon's listcacerts:\n%s", moonCA)
				}
				if testing.Verbose() {
					t.Logf("listcacerts:\n%s", moonCA)
				}
				if moonCA != sunCA {
					t.Errorf("listcacerts differ:\nmoon (%s):\n%s\nsun (%s):\n%s", c.moon, moonCA, c.sun, sunCA)
				}
				for _, h := range []string{"moon", "sun"} {
					st := n.Quiet(h, "ipsec statusall")
					if !regexp.MustCompile(`net-net\[\d+\]: IKEv2 SPIs: [0-9a-f]{16}_i\*? [0-9a-f]{16}_r\*?, public key reauthentication in \d+ minutes`).MatchString(st) ||
						!regexp.MustCompile(`net-net:   local:  \[`+h+`\.strongswan\.org\] uses public key authentication`).MatchString(st) ||
						!strings.Contains(st, `net-net:    cert:  "C=CH, O=strongSwan Project, CN=`+h+`.strongswan.org"`) {
						t.Errorf("%s statusall:\n%s", h, st)
					}
				}
			})
		}
	}
}
