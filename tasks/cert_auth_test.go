package tasks_test

import (
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
