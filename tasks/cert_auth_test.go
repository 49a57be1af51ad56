package tasks_test

import (
	"errors"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/testpki"
	"github.com/goswan/goswan/testing/vclock"
)

// certPair is net-net between moon and sun authenticating with
// certificates of one hierarchy, as strongSwan's net2net-cert: both trust
// the root CA, identities are the certificate subjects.
func certPair(t *testing.T, h *testpki.Hierarchy, settings func(*sa.Settings), mod func(moon, sun *ikesim.ConnOpts)) *ikesim.Pair {
	s := ikesim.New(t)
	p := &ikesim.Pair{Sim: s}
	p.Moon = s.AddNode("moon", "192.168.0.1", 1, settings)
	p.Sun = s.AddNode("sun", "192.168.0.2", 2, settings)
	mo := ikesim.ConnOpts{Name: "net-net", Local: "192.168.0.1", Remote: "192.168.0.2",
		LocalID: "moon.strongswan.org", RemoteID: "sun.strongswan.org",
		LocalNet: []string{"10.1.0.0/16"}, RemoteNet: []string{"10.2.0.0/16"},
		PKI: &ikesim.PKIOpts{Cert: h.Moon, CAs: []*testpki.Cert{h.Root}}}
	so := ikesim.ConnOpts{Name: "net-net", Local: "192.168.0.2", Remote: "192.168.0.1",
		LocalID: "sun.strongswan.org", RemoteID: "moon.strongswan.org",
		LocalNet: []string{"10.2.0.0/16"}, RemoteNet: []string{"10.1.0.0/16"},
		PKI: &ikesim.PKIOpts{Cert: h.Sun, CAs: []*testpki.Cert{h.Root}}}
	if mod != nil {
		mod(&mo, &so)
	}
	p.MoonPeer, p.MoonChild = p.Moon.Conn(t, mo)
	p.SunPeer, p.SunChild = p.Sun.Conn(t, so)
	return p
}

// TestCertAuth is net2net-cert in RSA, ECDSA and Ed25519: CERTREQs with
// the root CA, end entity certificates, RFC 7427 signatures with the
// scheme charon picks for each key, both CHILD_SAs installed.
func TestCertAuth(t *testing.T) {
	for _, c := range []struct {
		kind   testpki.KeyKind
		scheme string
	}{
		{testpki.RSA2048, "RSA_EMSA_PKCS1_SHA2_256"},
		{testpki.ECDSA256, "ECDSA_WITH_SHA256_DER"},
		{testpki.ECDSA384, "ECDSA_WITH_SHA384_DER"},
		{testpki.Ed25519, "ED25519"},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			h := testpki.NewHierarchy(t, c.kind, vclock.Epoch, nil)
			p := certPair(t, h, nil, nil)
			p.Up()
			p.Advance(time.Second)
			const root = `"C=CH, O=strongSwan Project, CN=strongSwan Root CA"`
			p.Moon.WantLogOrder(t,
				"[IKE] sending cert request for "+root,
				"[IKE] authentication of 'moon.strongswan.org' (myself) with "+c.scheme+" successful",
				`[IKE] sending end entity cert "C=CH, O=strongSwan Project, CN=moon.strongswan.org"`,
				"[ENC] generating IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ IDr AUTH SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
				`[IKE] received end entity cert "C=CH, O=strongSwan Project, CN=sun.strongswan.org"`,
				`[CFG]   using certificate "C=CH, O=strongSwan Project, CN=sun.strongswan.org"`,
				"[CFG]   using trusted ca certificate "+root,
				"[IKE] authentication of 'sun.strongswan.org' with "+c.scheme+" successful",
				"[IKE] IKE_SA net-net[1] established",
			)
			p.Sun.WantLogOrder(t,
				"[IKE] received cert request for "+root,
				`[IKE] received end entity cert "C=CH, O=strongSwan Project, CN=moon.strongswan.org"`,
				"[CFG] selected peer config 'net-net'",
				"[CFG]   using trusted ca certificate "+root,
				"[IKE] authentication of 'moon.strongswan.org' with "+c.scheme+" successful",
				"[IKE] authentication of 'sun.strongswan.org' (myself) with "+c.scheme+" successful",
				"[ENC] generating IKE_AUTH response 1 [ IDr CERT AUTH SA TSi TSr ]",
			)
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.WantEstablished(t, 1)
			}
		})
	}
}

// certFailure runs moon's IKE_AUTH against sun with a defect and checks
// that sun refuses it with charon's messages and AUTHENTICATION_FAILED,
// and that neither side keeps anything.
func certFailure(t *testing.T, p *ikesim.Pair, sunWants ...string) {
	t.Helper()
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t, append(sunWants,
		"[ENC] generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
		"[IKE] IKE_SA net-net[1] state change: CONNECTING => DESTROYING")...)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
		"[IKE] received AUTHENTICATION_FAILED notify error",
		"[IKE] IKE_SA net-net[1] state change: CONNECTING => DESTROYING")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantNoIKESA(t)
		n.KernelEmpty(t)
	}
}

const moonDN = "C=CH, O=strongSwan Project, CN=moon.strongswan.org"

func TestCertAuthUntrusted(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, vclock.Epoch, nil)
	other := testpki.Issue(t, nil, testpki.Name("CH", "Other", "", "Other Root"), testpki.NewKey(t, testpki.RSA2048, "other"),
		testpki.Options{Now: vclock.Epoch, CA: true, PathLen: -1})
	stranger := testpki.Issue(t, other, testpki.MoonName, testpki.NewKey(t, testpki.RSA2048, "moon"),
		testpki.Options{Now: vclock.Epoch, DNSNames: []string{"moon.strongswan.org"}})
	p := certPair(t, h, nil, func(moon, _ *ikesim.ConnOpts) { moon.PKI.Cert = stranger })
	certFailure(t, p,
		`[CFG]   using certificate "`+moonDN+`"`,
		`[CFG] no issuer certificate found for "`+moonDN+`"`,
		`[CFG]   issuer is "C=CH, O=Other, CN=Other Root"`,
		"[IKE] no trusted RSA public key found for 'moon.strongswan.org'")
}

func TestCertAuthExpired(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  func(o *testpki.Options)
	}{
		{"expired", func(o *testpki.Options) { o.NotAfter = vclock.Epoch.Add(-time.Hour) }},
		{"not yet valid", func(o *testpki.Options) { o.NotBefore = vclock.Epoch.Add(time.Hour) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := testpki.NewHierarchy(t, testpki.ECDSA256, vclock.Epoch, func(name string, o *testpki.Options) {
				if name == "moon" {
					c.mod(o)
				}
			})
			p := certPair(t, h, nil, nil)
			certFailure(t, p,
				"[CFG] subject certificate invalid (valid from ",
				"[IKE] no trusted ECDSA public key found for 'moon.strongswan.org'")
		})
	}
}

func TestCertAuthRevoked(t *testing.T) {
	const url = "http://crl.strongswan.org/strongswan.crl"
	h := testpki.NewHierarchy(t, testpki.RSA2048, vclock.Epoch, func(name string, o *testpki.Options) {
		o.CRLURLs = []string{url}
	})
	revokedAt := vclock.Epoch.Add(-time.Hour)
	crl := testpki.CRL(t, h.Root, 1, vclock.Epoch.Add(-2*time.Hour), vclock.Epoch.Add(24*time.Hour),
		testpki.Revoked{Cert: h.Moon, At: revokedAt, Reason: 1})
	p := certPair(t, h, nil, nil)
	p.Sun.Env.Certs.Fetcher = staticFetcher{url: crl}
	certFailure(t, p,
		`[CFG] checking certificate status of "`+moonDN+`"`,
		"[CFG]   fetching crl from '"+url+"' ...",
		`[CFG]   crl correctly signed by "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		"[CFG] certificate was revoked on "+revokedAt.UTC().Format("Jan 02 15:04:05")+" UTC 2025, reason: key compromise",
		"[IKE] no trusted RSA public key found for 'moon.strongswan.org'")
}

func TestCertAuthWrongIdentity(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, vclock.Epoch, nil)
	p := certPair(t, h, nil, func(moon, sun *ikesim.ConnOpts) {
		moon.LocalID, sun.RemoteID = "mars.strongswan.org", "mars.strongswan.org"
	})
	certFailure(t, p, "[IKE] no trusted RSA public key found for 'mars.strongswan.org'")
}

func TestCertAuthTamperedSignature(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.Ed25519, vclock.Epoch, nil)
	p := certPair(t, h, nil, nil)
	p.AlterPlain = func(_ int, from *ikesim.Node, m *encoding.Message) {
		if from == p.Moon && m.Exchange == encoding.ExchangeIKEAuth {
			if a, ok := m.First(encoding.PayloadAUTH).(*encoding.Auth); ok {
				a.Data[len(a.Data)-1] ^= 1
			}
		}
	}
	certFailure(t, p,
		`[CFG]   using trusted ca certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		"[IKE] signature validation failed, looking for another key")
}

// TestCertAuthNoPrivateKey: moon has its certificate but no key. It cannot
// build its AUTH payload, gives up before sending IKE_AUTH, and sun's
// half-open IKE_SA goes after charon.half_open_timeout.
func TestCertAuthNoPrivateKey(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, vclock.Epoch, nil)
	p := certPair(t, h, nil, func(moon, _ *ikesim.ConnOpts) { moon.PKI.NoKey = true })
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLogOrder(t,
		"[IKE] no private key found for 'moon.strongswan.org'",
		"[IKE] IKE_SA net-net[1] state change: CONNECTING => DESTROYING")
	p.Moon.NoLog(t, "generating IKE_AUTH")
	p.Moon.WantNoIKESA(t)
	p.Advance(31 * time.Second)
	p.Sun.WantNoIKESA(t)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.KernelEmpty(t)
	}
}

type staticFetcher map[string][]byte

func (f staticFetcher) Fetch(url string, _ []byte, _ string, _ time.Duration) ([]byte, error) {
	if d, ok := f[url]; ok {
		return d, nil
	}
	return nil, errors.New("404")
}

// TestCertAuthClassic: without RFC 7427 (charon.signature_authentication
// = no on both sides) RSA signs with SHA-1 (auth method 1) and ECDSA with
// the curve's method.
func TestCertAuthClassic(t *testing.T) {
	noDS := func(s *sa.Settings) { s.SignatureAuthentication = false }
	for _, c := range []struct {
		kind   testpki.KeyKind
		method string
	}{
		{testpki.RSA2048, "RSA signature"},
		{testpki.ECDSA256, "ECDSA-256 signature"},
		{testpki.ECDSA384, "ECDSA-384 signature"},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			h := testpki.NewHierarchy(t, c.kind, vclock.Epoch, nil)
			p := certPair(t, h, noDS, nil)
			p.Up()
			p.Advance(time.Second)
			p.Moon.NoLog(t, "N(HASH_ALG)")
			p.Moon.WantLogOrder(t,
				"[IKE] authentication of 'moon.strongswan.org' (myself) with "+c.method+" successful",
				"[IKE] authentication of 'sun.strongswan.org' with "+c.method+" successful")
			p.Sun.WantLog(t, "[IKE] authentication of 'moon.strongswan.org' with "+c.method+" successful")
			p.Moon.WantEstablished(t, 1)
			p.Sun.WantEstablished(t, 1)
		})
	}
}

// TestCertAuthMultiLevelCA: alice's certificate comes from the Research
// CA, an intermediate only alice's side holds; she sends it along and the
// gateway builds the chain to the root with it (multi-level-ca).
func TestCertAuthMultiLevelCA(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, vclock.Epoch, nil)
	p := certPair(t, h, nil, func(moon, sun *ikesim.ConnOpts) {
		moon.LocalID, sun.RemoteID = "alice@strongswan.org", "alice@strongswan.org"
		moon.PKI.Cert = h.Alice
		moon.PKI.CAs = []*testpki.Cert{h.Root, h.Research}
		sun.PKI.RemoteCA = h.Root
	})
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t,
		`[IKE] sending end entity cert "C=CH, O=strongSwan Project, OU=Research, CN=alice@strongswan.org"`,
		`[IKE] sending issuer cert "C=CH, O=strongSwan Project, OU=Research, CN=Research CA"`)
	p.Sun.WantLogOrder(t,
		`[IKE] received end entity cert "C=CH, O=strongSwan Project, OU=Research, CN=alice@strongswan.org"`,
		`[IKE] received issuer cert "C=CH, O=strongSwan Project, OU=Research, CN=Research CA"`,
		`[CFG]   using untrusted intermediate certificate "C=CH, O=strongSwan Project, OU=Research, CN=Research CA"`,
		`[CFG]   reached self-signed root ca with a path length of 1`,
		"[IKE] authentication of 'alice@strongswan.org' with ECDSA_WITH_SHA256_DER successful")
	p.Sun.WantEstablished(t, 1)
}

// TestCertAuthConstraints: rightca names another CA, or rightauth asks for
// a bigger key than the peer's: the round is done but the config does not
// accept it.
func TestCertAuthConstraints(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, vclock.Epoch, nil)
	t.Run("rightca", func(t *testing.T) {
		p := certPair(t, h, nil, func(_, sun *ikesim.ConnOpts) {
			sun.PKI.CAs = []*testpki.Cert{h.Root, h.Research}
			sun.PKI.RemoteCA = h.Research
		})
		certFailure(t, p,
			"[IKE] authentication of 'moon.strongswan.org' with RSA_EMSA_PKCS1_SHA2_256 successful",
			"[CFG] constraint check failed: peer not authenticated by CA 'C=CH, O=strongSwan Project, OU=Research, CN=Research CA'",
			"[CFG] selected peer config 'net-net' unacceptable: non-matching authentication done",
			"[CFG] no alternative config found")
	})
	t.Run("rightauth", func(t *testing.T) {
		p := certPair(t, h, nil, func(_, sun *ikesim.ConnOpts) { sun.PKI.RemoteAuth = "rsa-4096" })
		certFailure(t, p,
			"[CFG] RSA-2048 signatures not acceptable",
			"[CFG] selected peer config 'net-net' unacceptable: non-matching authentication done")
	})
	t.Run("sendcert never", func(t *testing.T) {
		p := certPair(t, h, nil, func(moon, _ *ikesim.ConnOpts) { moon.PKI.SendCert = config.CertNeverSend })
		certFailure(t, p, "[IKE] no trusted RSA public key found for 'moon.strongswan.org'")
		p.Moon.NoLog(t, "sending end entity cert")
	})
}

// TestCertAuthStrictCRLPolicy: without CRL or OCSP information,
// strictcrlpolicy=yes refuses the peer and ifuri accepts it.
func TestCertAuthStrictCRLPolicy(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, vclock.Epoch, nil)
	t.Run("yes", func(t *testing.T) {
		p := certPair(t, h, nil, func(_, sun *ikesim.ConnOpts) {
			sun.PKI.CRL = []credentials.Validation{credentials.ValidationGood}
		})
		certFailure(t, p,
			"[CFG] certificate status is not available",
			"[IKE] authentication of 'moon.strongswan.org' with ECDSA_WITH_SHA256_DER successful",
			"[CFG] constraint check failed: RULE_CRL_VALIDATION is SKIPPED, but requires at least GOOD",
			"[CFG] selected peer config 'net-net' unacceptable: non-matching authentication done")
	})
	t.Run("ifuri", func(t *testing.T) {
		p := certPair(t, h, nil, func(_, sun *ikesim.ConnOpts) {
			sun.PKI.CRL = []credentials.Validation{credentials.ValidationSkipped}
		})
		p.Up()
		p.Advance(time.Second)
		p.Sun.WantEstablished(t, 1)
	})
}

// FuzzCertHandshake is FuzzHandshake for net2net-cert: one message of
// the certificate exchanges replaced on the wire or mangled before
// encryption (CERT, CERTREQ and AUTH payloads cut or replaced), and both
// daemons must stay sane.
func FuzzCertHandshake(f *testing.F) {
	h := testpki.NewHierarchy(f, testpki.ECDSA256, vclock.Epoch, nil)
	seed := certPair(&testing.T{}, h, nil, nil)
	seed.Up()
	seed.Advance(time.Second)
	for _, r := range seed.Wire() {
		f.Add(uint8(r.Seq), false, r.Packet.Data)
	}
	for i := range 4 {
		f.Add(uint8(i), true, []byte{3, 1, 5})
		f.Add(uint8(i), true, []byte{4, 1, 0, 0x30, 0x03, 0x02, 0x01, 0x00})
	}
	f.Fuzz(func(t *testing.T, which uint8, plain bool, data []byte) {
		which %= 8
		p := certPair(t, h, nil, nil)
		if plain {
			p.AlterPlain = func(seq int, _ *ikesim.Node, m *encoding.Message) {
				if seq == int(which) {
					mutatePlain(m, data)
				}
			}
		} else {
			p.Alter = func(r ikesim.WireRecord) []byte {
				if r.Seq == int(which) {
					return append([]byte(nil), data...)
				}
				return nil
			}
		}
		p.Up()
		p.AdvanceTo(400 * time.Second)
		p.Moon.CheckSane(t)
		p.Sun.CheckSane(t)
	})
}
