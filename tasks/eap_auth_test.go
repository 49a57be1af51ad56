package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// eapPair is a roadwarrior-like setup between moon (the client, left,
// leftauth=eap with eap_identity=carol) and sun (the gateway: PSK for
// itself, rightauth=eap-<method> with eap_identity=%any); both know the
// EAP secret "carol : EAP".
func eapPair(t *testing.T, method uint32, mod func(client, gw *config.PeerCfg)) *ikesim.Pair {
	t.Helper()
	p := ikesim.NewPair(t, nil)
	client, gw := p.MoonPeer, p.SunPeer
	client.LocalAuth[0] = &config.AuthCfg{Class: config.AuthClassEAP, Identity: client.LocalAuth[0].Identity,
		EAPIdentity: credentials.ParseIdentity("carol")}
	gw.RemoteAuth[0] = &config.AuthCfg{Class: config.AuthClassEAP, Identity: gw.RemoteAuth[0].Identity,
		EAPType: method, EAPIdentity: credentials.Any()}
	if mod != nil {
		mod(client, gw)
	}
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.Env.Creds.Add(credentials.NewSharedKey(credentials.SharedEAP, []byte("Ar3etTnp01qlpOgb"), "carol"))
	}
	return p
}

// TestEAPMD5: EAP-Identity, then EAP-MD5 in four more exchanges; without
// an MSK both AUTH payloads are made with SK_p.
func TestEAPMD5(t *testing.T) {
	p := eapPair(t, eap.TypeMD5, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantEstablished(t, 1)
	gw := p.Sun.WantEstablished(t, 1)
	if !gw.Has(sa.CondEAPAuthenticated) || gw.OtherEAPID().String() != "carol" {
		t.Errorf("gateway: EAP authenticated %v, EAP identity %s", gw.Has(sa.CondEAPAuthenticated), gw.OtherEAPID())
	}
	wantMessages(t, p.Moon,
		"generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		"parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
		"generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"parsed IKE_AUTH response 1 [ IDr AUTH EAP/REQ/ID ]",
		"generating IKE_AUTH request 2 [ EAP/RES/ID ]",
		"parsed IKE_AUTH response 2 [ EAP/REQ/MD5 ]",
		"generating IKE_AUTH request 3 [ EAP/RES/MD5 ]",
		"parsed IKE_AUTH response 3 [ EAP/SUCC ]",
		"generating IKE_AUTH request 4 [ AUTH ]",
		"parsed IKE_AUTH response 4 [ AUTH SA TSi TSr ]",
	)
	p.Moon.WantLogOrder(t,
		"[IKE] authentication of 'sun.strongswan.org' with pre-shared key successful",
		"[IKE] server requested EAP_IDENTITY (id 0x00), sending 'carol'",
		"[IKE] server requested EAP_MD5 authentication (id 0x",
		"[IKE] EAP method EAP_MD5 succeeded, no MSK established",
		"[IKE] authentication of 'moon.strongswan.org' (myself) with EAP",
		"[IKE] authentication of 'sun.strongswan.org' with EAP successful",
		"[IKE] IKE_SA net-net[1] established",
	)
	p.Sun.WantLogOrder(t,
		"[IKE] initiating EAP_IDENTITY method (id 0x00)",
		"[IKE] received EAP identity 'carol'",
		"[IKE] initiating EAP_MD5 method (id 0x",
		"[IKE] EAP method EAP_MD5 succeeded, no MSK established",
		"[IKE] authentication of 'moon.strongswan.org' with EAP successful",
		"[IKE] authentication of 'sun.strongswan.org' (myself) with EAP",
		"[IKE] IKE_SA net-net[1] established",
	)
}

// TestEAPMSCHAPv2: the MSK of RFC 3079 authenticates the AUTH payloads.
func TestEAPMSCHAPv2(t *testing.T) {
	p := eapPair(t, eap.TypeMSCHAPv2, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantEstablished(t, 1)
	p.Sun.WantEstablished(t, 1)
	p.Moon.WantLogOrder(t,
		"[IKE] server requested EAP_MSCHAPV2 authentication (id 0x",
		"[IKE] EAP-MS-CHAPv2 succeeded: 'Welcome2strongSwan'",
		"[IKE] EAP method EAP_MSCHAPV2 succeeded, MSK established",
		"[IKE] authentication of 'sun.strongswan.org' with EAP successful",
	)
	p.Sun.WantLogOrder(t,
		"[IKE] received EAP identity 'carol'",
		"[IKE] EAP method EAP_MSCHAPV2 succeeded, MSK established",
		"[IKE] authentication of 'moon.strongswan.org' with EAP successful",
	)
}

// TestEAPWrongPassword: the gateway's EAP-MD5 check fails; it answers
// EAP_FAILURE without AUTHENTICATION_FAILED and both SAs go.
func TestEAPWrongPassword(t *testing.T) {
	p := eapPair(t, eap.TypeMD5, nil)
	p.Sun.Env.Creds.Replace([]*credentials.SharedKey{
		credentials.NewSharedKey(credentials.SharedEAP, []byte("wrong"), "carol"),
		credentials.NewSharedKey(credentials.SharedIKE, []byte(ikesim.DefaultPSK), "@moon.strongswan.org", "@sun.strongswan.org"),
	})
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[IKE] EAP-MD5 verification failed", "[IKE] EAP method EAP_MD5 failed for peer moon.strongswan.org",
		"[ENC] generating IKE_AUTH response 3 [ EAP/FAIL ]")
	p.Moon.WantLog(t, "[IKE] received EAP_FAILURE, EAP authentication failed")
	p.Moon.WantNoIKESA(t)
	p.Sun.WantNoIKESA(t)
}

// TestEAPMethodNak: the client insists on EAP-MSCHAPv2 and naks the
// gateway's EAP-MD5; the gateway, configured for EAP-MD5, fails.
func TestEAPMethodNak(t *testing.T) {
	p := eapPair(t, eap.TypeMD5, func(client, _ *config.PeerCfg) { client.LocalAuth[0].EAPType = eap.TypeMSCHAPv2 })
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] requesting EAP_MSCHAPV2 authentication, sending EAP_NAK",
		"[ENC] generating IKE_AUTH request 3 [ EAP/RES/NAK ]")
	p.Sun.WantLog(t, "[IKE] received EAP_NAK, sending EAP_FAILURE")
	p.Moon.WantNoIKESA(t)
	p.Sun.WantNoIKESA(t)
}

// backendMethod stands for eap-radius: EAP-MD5 run by a backend that
// grants a group membership and a Session-Timeout with its success.
type backendMethod struct {
	eap.Method
	timeout uint32
}

func (m *backendMethod) Auth() *eap.Auth {
	return &eap.Auth{Groups: []*credentials.Identity{credentials.ParseIdentity("Research")}, SessionTimeout: &m.timeout}
}

// TestEAPBackendAuth: what a backend grants the peer joins the EAP round:
// its group satisfies rightgroups, and its Session-Timeout becomes the
// IKE_SA's authentication lifetime, which the gateway, unable to
// reauthenticate an EAP client itself, announces in its last IKE_AUTH
// response (RFC 4478).
func TestEAPBackendAuth(t *testing.T) {
	p := eapPair(t, eap.TypeRadius, func(_, gw *config.PeerCfg) {
		gw.RemoteAuth[0].Groups = []*credentials.Identity{credentials.ParseIdentity("Research")}
	})
	p.Sun.Env.EAP.Add(eap.TypeRadius, 0, eap.Server, func(ctx *eap.Context) eap.Method {
		return &backendMethod{Method: eap.NewMD5Server(ctx), timeout: 3600}
	})
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantEstablished(t, 1)
	gw := p.Sun.WantEstablished(t, 1)
	auth := gw.AuthCfgs(false)
	if len(auth) != 1 || len(auth[0].Groups) != 1 || auth[0].Groups[0].String() != "Research" {
		t.Errorf("gateway's remote auth: %+v", auth)
	}
	p.Sun.WantLog(t, "[IKE] received AUTH_LIFETIME of 3600s, scheduling reauthentication in 3060s",
		"[ENC] generating IKE_AUTH response 4 [ AUTH SA TSi TSr N(AUTH_LFT) ]")
	p.Moon.WantLog(t, "[IKE] received AUTH_LIFETIME of 3060s, scheduling reauthentication in 2520s")
}

// TestEAPBackendGroupMissing: a backend's groups that do not include the
// one rightgroups asks for fail the round's constraint check.
func TestEAPBackendGroupMissing(t *testing.T) {
	p := eapPair(t, eap.TypeRadius, func(_, gw *config.PeerCfg) {
		gw.RemoteAuth[0].Groups = []*credentials.Identity{credentials.ParseIdentity("Accounting")}
	})
	p.Sun.Env.EAP.Add(eap.TypeRadius, 0, eap.Server, func(ctx *eap.Context) eap.Method {
		return &backendMethod{Method: eap.NewMD5Server(ctx), timeout: 3600}
	})
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[CFG] constraint check failed: group membership to 'Accounting' required")
	p.Sun.WantNoIKESA(t)
}
