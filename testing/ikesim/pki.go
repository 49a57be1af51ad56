package ikesim

import (
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/testing/testpki"
)

// PKIOpts describe a conn with certificates, as stroke_config builds it
// from leftcert, rightca, leftauth/rightauth, leftsendcert and
// strictcrlpolicy, with the credentials the node loads.
type PKIOpts struct {
	// Cert is our certificate (leftcert) and holds our private key; the
	// key is loaded unless NoKey.
	Cert  *testpki.Cert
	NoKey bool
	// CAs are the node's trusted CA certificates (ipsec.d/cacerts).
	CAs []*testpki.Cert
	// RemoteCA, if set, is the rightca constraint.
	RemoteCA *testpki.Cert
	// LocalAuth and RemoteAuth are leftauth/rightauth ("pubkey" if empty).
	LocalAuth, RemoteAuth string
	// SendCert is leftsendcert (the zero value is always).
	SendCert config.CertPolicy
	// CRL is the strictcrlpolicy constraint (nil: no).
	CRL []credentials.Validation
}

func mustParse(t testing.TB, c *testpki.Cert) *credentials.Certificate {
	t.Helper()
	x, err := credentials.ParseCertificate(c.DER)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// pubkeyAuth turns the conn's rounds into public key rounds and loads the
// node's credentials.
func (n *Node) pubkeyAuth(t testing.TB, o ConnOpts, peer *config.PeerCfg) {
	t.Helper()
	p := o.PKI
	certs := n.Env.Certs
	var cas []*credentials.Certificate
	for _, c := range p.CAs {
		cas = append(cas, mustParse(t, c))
	}
	certs.ReplaceCACerts(cas)
	local, remote := peer.LocalAuth[0], peer.RemoteAuth[0]
	local.Class, remote.Class = config.AuthClassPubkey, config.AuthClassPubkey
	opts := credentials.ConstraintOptions{SignatureAuthConstraints: true}
	if p.Cert != nil {
		c := certs.AddCert(mustParse(t, p.Cert), true)
		local.SubjectCerts = append(local.SubjectCerts, c)
		if local.Identity == nil || local.Identity.Type() == credentials.IDAny {
			local.Identity = c.Subject()
		}
		if !p.NoKey {
			k, err := credentials.NewPrivateKey(p.Cert.Key)
			if err != nil {
				t.Fatal(err)
			}
			certs.ReplaceKeys(append(certs.Keys(), k))
		}
	}
	if p.RemoteCA != nil {
		remote.CACerts = append(remote.CACerts, certs.CACertRef(mustParse(t, p.RemoteCA)))
	}
	if p.LocalAuth != "" {
		local.AddPubkeyConstraints(p.LocalAuth, true, opts, nil)
	}
	if p.RemoteAuth != "" {
		remote.AddPubkeyConstraints(p.RemoteAuth, true, opts, nil)
	}
	remote.CRLValidation = p.CRL
	peer.CertPolicy = p.SendCert
}
