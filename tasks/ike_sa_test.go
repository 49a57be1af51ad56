package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ikesim"
	"github.com/goswan/goswan/sa"
)

func TestEstablishPSK(t *testing.T) {
	s, moon, sun, peer, child := ikesim.NetNet(t, nil)
	moon.Initiate(peer, child)
	s.Clock.Advance(time.Second)
	for _, n := range []*ikesim.Node{moon, sun} {
		sas := n.IKESAs()
		if len(sas) != 1 || sas[0].State() != sa.IKEEstablished || sas[0].ChildCount() != 1 {
			t.Fatalf("%s: IKE_SAs %v\n%s", n.Name, sas, n.LogText())
		}
		c := sas[0].Children()[0]
		if c.State() != sa.ChildInstalled {
			t.Fatalf("%s: CHILD_SA state %s", n.Name, c.State())
		}
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs in the kernel, want 2:\n%s", n.Name, got, n.Kern.Log())
		}
		if got := len(n.Kern.Policies()); got != 3 {
			t.Errorf("%s: %d policies, want 3 (in, fwd, out):\n%s", n.Name, got, n.Kern.Log())
		}
	}
	moon.WantLog(t,
		"[IKE] initiating IKE_SA net-net[1] to 192.168.0.2",
		"[ENC] generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		"[ENC] parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
		"[IKE] authentication of 'moon.strongswan.org' (myself) with pre-shared key",
		"[IKE] establishing CHILD_SA net-net{1}",
		"[ENC] generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"[IKE] authentication of 'sun.strongswan.org' with pre-shared key successful",
		"[IKE] IKE_SA net-net[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"[CFG] selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ",
		"[IKE] CHILD_SA net-net{1} established with SPIs",
	)
	sun.WantLog(t,
		"[IKE] 192.168.0.1 is initiating an IKE_SA",
		"[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519",
		"[CFG] looking for peer configs matching 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[CFG] selected peer config 'net-net'",
		"[ENC] generating IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
	)
	t.Logf("moon:\n%s", moon.LogText())
}
