package tasks_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// TestIKENoProposalChosen: RFC 7296 §2.7: without a common IKE proposal
// the responder answers NO_PROPOSAL_CHOSEN alone and keeps no state; the
// initiator gives up.
func TestIKENoProposalChosen(t *testing.T) {
	p := ikesim.NewPair(t, func(_, sun *ikesim.ConnOpts) { sun.IKE = "aes256-sha384-ecp384!" })
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519",
		"[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384",
		"[IKE] received proposals unacceptable",
		"[ENC] generating IKE_SA_INIT response 0 [ N(NO_PROP) ]",
	)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]",
		"[IKE] received NO_PROPOSAL_CHOSEN notify error",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantNoIKESA(t)
		n.KernelEmpty(t)
	}
}

// TestChildNoProposalChosen: §2.7 for the CHILD_SA of IKE_AUTH: the IKE_SA
// is established without it, and the initiator's allocated SPI is freed.
func TestChildNoProposalChosen(t *testing.T) {
	p := ikesim.NewPair(t, func(_, sun *ikesim.ConnOpts) { sun.ESP = "aes256-sha256!" })
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[CFG] received proposals: ESP:AES_GCM_16_128/NO_EXT_SEQ",
		"[CFG] configured proposals: ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ",
		"[IKE] no acceptable proposal found",
		"[IKE] failed to establish CHILD_SA, keeping IKE_SA",
		"[ENC] generating IKE_AUTH response 1 [ IDr AUTH N(NO_PROP) ]",
	)
	p.Moon.WantLogOrder(t,
		"[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built",
		"[IKE] failed to establish CHILD_SA, keeping IKE_SA",
		"[CHD] CHILD_SA net-net{1} state change: CREATED => DESTROYING",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}

// TestChildNoProposalChosenCreateChildSA: the same in a CREATE_CHILD_SA
// exchange, where the notify is the whole response.
func TestChildNoProposalChosenCreateChildSA(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	_, c2 := addChild(t, p, "net-net2", "10.3.0.0/16", "10.4.0.0/16")
	c2.Proposals = ikesim.MustProposals(t, config.ProtoESP, "3des-md5!")
	p.Moon.Initiate(p.MoonPeer, c2)
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[ENC] generating CREATE_CHILD_SA response 2 [ N(NO_PROP) ]")
	p.Moon.WantLog(t, "[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built")
	p.Moon.WantEstablished(t, 1)
	p.Sun.WantEstablished(t, 1)
	if got := len(p.Moon.Kern.SAs()); got != 2 {
		t.Errorf("moon: %d SAs, want 2 (the allocated SPI removed)", got)
	}
}

// TestTSUnacceptable: RFC 7296 §2.9: selectors without overlap are
// refused with TS_UNACCEPTABLE; the IKE_SA stays.
func TestTSUnacceptable(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, _ *ikesim.ConnOpts) { moon.RemoteNet = []string{"10.9.0.0/16"} })
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[IKE] traffic selectors 10.9.0.0/16 === 10.1.0.0/16 unacceptable",
		"[IKE] failed to establish CHILD_SA, keeping IKE_SA",
		"[ENC] generating IKE_AUTH response 1 [ IDr AUTH N(TS_UNACCEPT) ]",
	)
	p.Moon.WantLog(t, "[IKE] received TS_UNACCEPTABLE notify, no CHILD_SA built")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}

// TestTSNarrowing: RFC 7296 §2.9: the responder narrows the proposed
// selectors to the subset its policy allows, and the initiator accepts the
// narrowed ones (on both sides: TSi to a /24 sun allows, TSr to the /16
// sun protects).
func TestTSNarrowing(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.RemoteNet = []string{"10.0.0.0/8"}
		sun.RemoteNet = []string{"10.1.0.0/24"}
	})
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[IKE] CHILD_SA net-net{1} established with SPIs c0000001_i c0000001_o and TS 10.2.0.0/16 === 10.1.0.0/24")
	p.Moon.WantLog(t, "[IKE] CHILD_SA net-net{1} established with SPIs c0000001_i c0000001_o and TS 10.1.0.0/24 === 10.2.0.0/16")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		c := n.WantEstablished(t, 1).Children()[0]
		if n == p.Moon {
			if c.TS(true)[0].String() != "10.1.0.0/24" || c.TS(false)[0].String() != "10.2.0.0/16" {
				t.Errorf("moon: TS %v === %v", c.TS(true), c.TS(false))
			}
		}
		for _, pol := range n.Kern.Policies() {
			if s := pol.Src.String() + " " + pol.Dst.String(); s != "10.1.0.0/24 10.2.0.0/16" && s != "10.2.0.0/16 10.1.0.0/24" {
				t.Errorf("%s: policy %s", n.Name, s)
			}
		}
	}
}

// TestHostToHostTransport: RFC 7296 §1.3.1: transport mode is asked for
// with USE_TRANSPORT_MODE for host-to-host selectors (dynamic selectors
// become the IKE addresses); the SAs are installed in transport mode with
// in and out policies only.
func TestHostToHostTransport(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.LocalNet, moon.RemoteNet, sun.LocalNet, sun.RemoteNet = nil, nil, nil, nil
		moon.Mode, sun.Mode = kernel.ModeTransport, kernel.ModeTransport
	})
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t,
		"[ENC] generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH N(USE_TRANSP) SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"[ENC] parsed IKE_AUTH response 1 [ IDr AUTH N(USE_TRANSP) SA TSi TSr ]",
		"[IKE] CHILD_SA net-net{1} established with SPIs c0000001_i c0000001_o and TS 192.168.0.1/32 === 192.168.0.2/32",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		c := n.WantEstablished(t, 1).Children()[0]
		if c.Mode() != kernel.ModeTransport {
			t.Errorf("%s: mode %s", n.Name, c.Mode())
		}
		for _, id := range n.Kern.SAs() {
			if d, _ := n.Kern.SA(id.Dst, id.SPI, id.Proto); d.Mode != kernel.ModeTransport {
				t.Errorf("%s: SA %s installed in %s mode", n.Name, id, d.Mode)
			}
		}
		if got := len(n.Kern.Policies()); got != 2 {
			t.Errorf("%s: %d policies, want in and out", n.Name, got)
		}
	}
}

// TestTransportRefused: a responder configured for tunnel mode answers a
// request for transport mode without USE_TRANSPORT_MODE; the initiator
// accepts the tunnel (child_create.c check_mode).
func TestTransportRefused(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.LocalNet, moon.RemoteNet, sun.LocalNet, sun.RemoteNet = nil, nil, nil, nil
		moon.Mode = kernel.ModeTransport
	})
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[ENC] parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		if c := n.WantEstablished(t, 1).Children()[0]; c.Mode() != kernel.ModeTunnel {
			t.Errorf("%s: mode %s", n.Name, c.Mode())
		}
	}
}

// TestIKEInvalidKE: RFC 7296 §1.2: the responder asks for another key
// exchange method with INVALID_KE_PAYLOAD; the initiator retries with it
// (and the same SPI), the responder keeps no state of the first attempt.
func TestIKEInvalidKE(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.IKE = "aes128-sha256-x25519-ecp256!"
		sun.IKE = "aes128-sha256-ecp256!"
	})
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[IKE] DH group CURVE_25519 unacceptable, requesting ECP_256",
		"[ENC] generating IKE_SA_INIT response 0 [ N(INVAL_KE) ]",
		"[ENC] parsed IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		"[IKE] IKE_SA net-net[2] established",
	)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_SA_INIT response 0 [ N(INVAL_KE) ]",
		"[IKE] peer didn't accept DH group CURVE_25519, it requested ECP_256",
		"[IKE] initiating IKE_SA net-net[1] to 192.168.0.2",
		"[ENC] generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		"[IKE] IKE_SA net-net[1] established",
	)
	p.Moon.WantEstablished(t, 1)
	p.Sun.WantEstablished(t, 1)
	var spis []uint64
	var groups []uint16
	for _, r := range p.Wire() {
		if r.Exchange == encoding.ExchangeIKESAInit && !r.Response {
			m, _ := encoding.Decode(r.Packet.Data)
			spis = append(spis, m.SPIi)
			groups = append(groups, m.First(encoding.PayloadKE).(*encoding.KE).Group)
		}
	}
	if len(spis) != 2 || spis[0] != spis[1] || groups[0] != 31 || groups[1] != 19 {
		t.Errorf("IKE_SA_INIT requests with SPIs %x, groups %v", spis, groups)
	}
	if p.Moon.OnlyIKESA(t).Proposal().String() != "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256" {
		t.Errorf("proposal %s", p.Moon.OnlyIKESA(t).Proposal())
	}
}

// TestChildInvalidKE: RFC 7296 §1.3: the same for a CREATE_CHILD_SA with
// PFS; the initiator retries once with the requested group.
func TestChildInvalidKE(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	_, c2 := addChild(t, p, "net-net2", "10.3.0.0/16", "10.4.0.0/16")
	c2.Proposals = ikesim.MustProposals(t, config.ProtoESP, "aes128gcm16-modp2048-ecp256!")
	sc := p.SunPeer.Children()
	sc[len(sc)-1].Proposals = ikesim.MustProposals(t, config.ProtoESP, "aes128gcm16-ecp256!")
	p.Moon.Initiate(p.MoonPeer, c2)
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[IKE] DH group MODP_2048 unacceptable, requesting ECP_256",
		"[ENC] generating CREATE_CHILD_SA response 2 [ N(INVAL_KE) ]",
		"[ENC] generating CREATE_CHILD_SA response 3 [ SA No KE TSi TSr ]",
	)
	p.Moon.WantLogOrder(t,
		"[ENC] generating CREATE_CHILD_SA request 2 [ SA No KE TSi TSr ]",
		"[IKE] peer didn't accept DH group MODP_2048, it requested ECP_256",
		"[ENC] generating CREATE_CHILD_SA request 3 [ SA No KE TSi TSr ]",
		"[IKE] CHILD_SA net-net2{3} established",
	)
	p.Moon.WantEstablished(t, 2)
	p.Sun.WantEstablished(t, 2)
	if got := len(p.Moon.Kern.SAs()); got != 4 {
		t.Errorf("moon: %d SAs, want 4 (the first attempt's SPI freed)", got)
	}
}

// TestCookie: RFC 7296 §2.6: a responder under load answers IKE_SA_INIT
// with a COOKIE and no state; the initiator repeats the request with the
// COOKIE first, same SPI and nonce, and the exchange goes on. sun's
// per-address threshold is 1 and a spoofed IKE_SA_INIT from moon's address
// leaves one half-open IKE_SA.
func TestCookie(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Sun.Env.Settings.CookieThresholdIP = 1
	p.Hold = true
	p.Up()
	first := p.Held()[0]
	spoofed := first
	spoofed.Packet.Data = append([]byte(nil), first.Packet.Data...)
	binary.BigEndian.PutUint64(spoofed.Packet.Data, 0x1234567890abcdef)
	p.Sun.Run(func(thread int) { p.Sun.Mgr.ProcessPacket(thread, spoofed.Packet) })
	p.DropHeld(p.Held()[len(p.Held())-1].Seq) // sun's answer to the spoofed request
	p.Hold = false
	p.Deliver(first.Seq)
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[NET] sending COOKIE notify to 192.168.0.1")
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_SA_INIT response 0 [ N(COOKIE) ]",
		"[IKE] received COOKIE notify",
		"[ENC] generating IKE_SA_INIT request 0 [ N(COOKIE) SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		"[IKE] IKE_SA net-net[1] established",
	)
	p.Moon.WantEstablished(t, 1)
	var nonces [][]byte
	for _, r := range p.Wire() {
		if r.From == "moon" && r.Exchange == encoding.ExchangeIKESAInit && !r.Response {
			m, _ := encoding.Decode(r.Packet.Data)
			nonces = append(nonces, m.First(encoding.PayloadNonce).(*encoding.Nonce).Data)
		}
	}
	if len(nonces) != 2 || string(nonces[0]) != string(nonces[1]) {
		t.Errorf("the retry does not repeat the nonce")
	}
	// sun: the spoofed half-open SA and the real one.
	var states []sa.IKEState
	for _, ike := range p.Sun.SAs(t) {
		states = append(states, ike.State())
	}
	if len(states) != 2 {
		t.Errorf("sun's IKE_SAs: %v", states)
	}
}

// TestHalfOpenCounts: like charon's manager, both roles count as
// half-open while CONNECTING (status shows it), but only IKE_SAs a peer
// started count for the DoS limits.
func TestHalfOpenCounts(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Hold = true
	p.Up()
	p.DeliverNextTo(t, p.Sun) // IKE_SA_INIT request
	if m, s := p.Moon.Mgr, p.Sun.Mgr; m.HalfOpen() != 1 || m.HalfOpenResponder() != 0 ||
		s.HalfOpen() != 1 || s.HalfOpenResponder() != 1 {
		t.Errorf("half-open: moon %d/%d, sun %d/%d", m.HalfOpen(), m.HalfOpenResponder(), s.HalfOpen(), s.HalfOpenResponder())
	}
	p.Hold = false
	p.DeliverAll()
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 1)
		if n.Mgr.HalfOpen() != 0 || n.Mgr.HalfOpenResponder() != 0 {
			t.Errorf("%s: still half-open", n.Name)
		}
	}
}

// TestForceEncaps: RFC 7296 §2.23 / RFC 3948: forceencaps fakes a NAT so
// that both ends float to port 4500 and install UDP-encapsulated SAs.
func TestForceEncaps(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.MoonPeer.IKE.ForceEncap = true
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] faking NAT situation to enforce UDP encapsulation",
		"[NET] sending packet: from 192.168.0.1[4500] to 192.168.0.2[4500]")
	p.Sun.WantLog(t, "[IKE] remote host is behind NAT")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 1)
		for _, id := range n.Kern.SAs() {
			d, _ := n.Kern.SA(id.Dst, id.SPI, id.Proto)
			if !d.Encap || d.EncapSrcPort != 4500 || d.EncapDstPort != 4500 {
				t.Errorf("%s: SA %s encap %v ports %d/%d", n.Name, id, d.Encap, d.EncapSrcPort, d.EncapDstPort)
			}
		}
	}
}
