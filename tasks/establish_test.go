package tasks_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// The payload sets and orders of an establishment, as Debian's charon
// 5.9.8 generates them (crypto/testdata/strongswan/*/moon.log, sun.log);
// wantMessages leaves out the capabilities goswan does not announce.
var charonEstablishment = []string{
	"generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
	"parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
	"generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
	"parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
}

func wantMessages(t *testing.T, n *ikesim.Node, want ...string) {
	t.Helper()
	got := n.Messages()
	want = slices.Clone(want)
	for i := range want {
		want[i] = withoutUnannounced(want[i])
	}
	if len(got) != len(want) {
		t.Fatalf("%s: messages\n%s\nwant\n%s", n.Name, join(got), join(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: message %d is\n  %s\nwant\n  %s\nall:\n%s", n.Name, i, got[i], want[i], join(got))
		}
	}
}

func join(l []string) string {
	var b bytes.Buffer
	for _, s := range l {
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

// TestEstablishPSK: moon initiates net-net with PSK authentication; both
// ends log what charon logs, install one SA pair and three policies each.
func TestEstablishPSK(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 1)
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs in the kernel, want 2:\n%s", n.Name, got, n.Kern.Log())
		}
		if got := len(n.Kern.Policies()); got != 3 {
			t.Errorf("%s: %d policies, want 3 (in, fwd, out):\n%s", n.Name, got, n.Kern.Log())
		}
	}
	wantMessages(t, p.Moon, charonEstablishment...)
	p.Moon.WantLogOrder(t,
		"[IKE] initiating IKE_SA net-net[1] to 192.168.0.2",
		"[ENC] generating IKE_SA_INIT request 0",
		"[IKE] authentication of 'moon.strongswan.org' (myself) with pre-shared key",
		"[IKE] establishing CHILD_SA net-net{1}",
		"[ENC] generating IKE_AUTH request 1",
		"[IKE] authentication of 'sun.strongswan.org' with pre-shared key successful",
		"[IKE] IKE_SA net-net[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"[IKE] scheduling rekeying in 10260s",
		"[IKE] maximum IKE_SA lifetime 10800s",
		"[CFG] selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ",
		"[CHD] adding inbound ESP SA",
		"[CHD] adding outbound ESP SA",
		"[IKE] CHILD_SA net-net{1} established with SPIs c0000001_i c0000001_o and TS 10.1.0.0/16 === 10.2.0.0/16",
	)
	p.Moon.NoLog(t, "state change: INSTALLING => UPDATING")
	p.Sun.WantLogOrder(t,
		"[ENC] parsed IKE_SA_INIT request 0",
		"[IKE] 192.168.0.1 is initiating an IKE_SA",
		"[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519",
		"[ENC] generating IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
		"[ENC] parsed IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"[CFG] looking for peer configs matching 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[CFG] selected peer config 'net-net'",
		"[IKE] authentication of 'moon.strongswan.org' with pre-shared key successful",
		"[IKE] authentication of 'sun.strongswan.org' (myself) with pre-shared key",
		"[IKE] IKE_SA net-net[1] established between 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[IKE] CHILD_SA net-net{1} established with SPIs c0000001_i c0000001_o and TS 10.2.0.0/16 === 10.1.0.0/16",
		"[ENC] generating IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
	)
}

// TestEstablishBothRoles: the same conn initiated from the other side;
// each daemon plays the role it did not play before.
func TestEstablishBothRoles(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Sun.Initiate(p.SunPeer, p.SunChild)
	p.Advance(time.Second)
	p.Moon.WantEstablished(t, 1)
	sun := p.Sun.WantEstablished(t, 1)
	if !sun.ID().Initiator || !sun.Has(sa.CondOriginalInitiator) {
		t.Error("sun is not the original initiator")
	}
	wantMessages(t, p.Sun, charonEstablishment...)
	p.Moon.WantLog(t, "[IKE] 192.168.0.2 is initiating an IKE_SA",
		"[IKE] CHILD_SA net-net{1} established with SPIs c0000001_i c0000001_o and TS 10.1.0.0/16 === 10.2.0.0/16")
}

// TestChildKeysUseIKESAInitNonces: RFC 7296 §2.17: the keys of the
// CHILD_SA created in IKE_AUTH are KEYMAT = prf+(SK_d, Ni | Nr) with the
// nonces of IKE_SA_INIT; both ends install matching keys.
func TestChildKeysUseIKESAInitNonces(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) { moon.ESP, sun.ESP = "aes128-sha256!", "aes128-sha256!" })
	p.Up()
	p.Advance(time.Second)
	var ni, nr []byte
	for _, r := range p.Wire() {
		if r.Exchange != encoding.ExchangeIKESAInit {
			continue
		}
		m, err := encoding.Decode(r.Packet.Data)
		if err != nil {
			t.Fatal(err)
		}
		n := m.First(encoding.PayloadNonce).(*encoding.Nonce).Data
		if r.Response {
			nr = n
		} else {
			ni = n
		}
	}
	moon := p.Moon.WantEstablished(t, 1)
	child := moon.Children()[0]
	keys, err := moon.Keymat().ChildKeys(moon.Logger(), child.Proposal(), nil, ni, nr)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := p.Moon.Kern.SA(p.Sun.Addr, child.SPI(false), kernel.ProtoESP)
	if !ok {
		t.Fatal("no outbound SA")
	}
	if !bytes.Equal(out.EncKey, keys.EncrI) || !bytes.Equal(out.IntKey, keys.IntegI) {
		t.Errorf("moon's outbound keys are not prf+(SK_d, Ni | Nr)")
	}
	in, ok := p.Sun.Kern.SA(p.Sun.Addr, child.SPI(false), kernel.ProtoESP)
	if !ok || !bytes.Equal(in.EncKey, out.EncKey) || !bytes.Equal(in.IntKey, out.IntKey) {
		t.Errorf("sun's inbound SA does not match moon's outbound SA")
	}
}
