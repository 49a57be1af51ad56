// EAP-TLS with TLS 1.2 peers that do not negotiate the extended master
// secret, as strongSwan's TLS stack, needs the RFC 5705 exporter without it.
//go:debug tlsunsafeekm=1

package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/testpki"
	"github.com/goswan/goswan/testing/vclock"
)

// eapTLSPair: moon, the client, authenticates with EAP-TLS (leftauth=eap,
// its certificate in TLS), sun, the gateway, with its certificate in IKE
// and as the TLS server (rightauth=eap-tls).
func eapTLSPair(t *testing.T, h *testpki.Hierarchy, mod func(client, gw *config.PeerCfg)) *ikesim.Pair {
	p := certPair(t, h, nil, nil)
	client, gw := p.MoonPeer, p.SunPeer
	client.LocalAuth[0].Class = config.AuthClassEAP
	gw.RemoteAuth[0] = &config.AuthCfg{Class: config.AuthClassEAP, Identity: gw.RemoteAuth[0].Identity,
		EAPType: eap.TypeTLS}
	if mod != nil {
		mod(client, gw)
	}
	return p
}

// TestEAPTLS: the TLS handshake in fragments of at most 1024 octets, both
// certificates checked by the credential manager, the MSK of RFC 5216 on
// both ends (the AUTH payloads would not verify otherwise), EAP-only
// authentication not needed since the gateway signs.
func TestEAPTLS(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, vclock.Epoch, nil)
	p := eapTLSPair(t, h, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantEstablished(t, 1)
	gw := p.Sun.WantEstablished(t, 1)
	const moon = "C=CH, O=strongSwan Project, CN=moon.strongswan.org"
	p.Moon.WantLogOrder(t,
		"[IKE] server requested EAP_TLS authentication (id 0x",
		"[TLS] received TLS server certificate 'C=CH, O=strongSwan Project, CN=sun.strongswan.org'",
		"[TLS] negotiated TLS 1.2 using suite TLS_",
		"[TLS] received TLS cert request for 'C=CH, O=strongSwan Project, CN=strongSwan Root CA",
		"[TLS] sending TLS client certificate '"+moon+"'",
		"[TLS] created signature with RSA_PSS_RSAE_SHA256",
		"[IKE] EAP method EAP_TLS succeeded, MSK established",
		"[IKE] authentication of 'sun.strongswan.org' with EAP successful",
	)
	p.Sun.WantLogOrder(t,
		"[TLS] sending TLS server certificate 'C=CH, O=strongSwan Project, CN=sun.strongswan.org'",
		"[TLS] received TLS peer certificate '"+moon+"'",
		"[IKE] EAP method EAP_TLS succeeded, MSK established",
		"[IKE] authentication of 'moon.strongswan.org' with EAP successful",
	)
	// The server's certificate flight is split: a first fragment of 1024
	// octets, the IKE message around it 1104.
	p.Sun.WantLog(t, "[NET] sending packet: from 192.168.0.2[500] to 192.168.0.1[500] (1104 bytes)")
	auth := gw.AuthCfgs(false)
	if len(auth) != 1 || auth[0].AuthRules.Subject() == nil || auth[0].AuthRules.Subject().Subject().String() != moon {
		t.Errorf("gateway's remote round has no verified certificate: %+v", auth)
	}
}

// TestEAPTLSUntrusted: a client certificate from a CA the gateway does not
// trust fails the TLS handshake and EAP.
func TestEAPTLSUntrusted(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.RSA2048, vclock.Epoch, nil)
	p := eapTLSPair(t, h, nil)
	// The gateway trusts no CA.
	p.Sun.Env.Certs.ReplaceCACerts(nil)
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[TLS] sending fatal TLS alert 'bad certificate'")
	p.Moon.WantNoIKESA(t)
	p.Sun.WantNoIKESA(t)
}
