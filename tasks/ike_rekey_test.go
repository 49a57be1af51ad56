package tasks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/tasks"
	"github.com/goswan/goswan/testing/ikesim"
)

// TestIKERekey: RFC 7296 §2.18: the IKE_SA is rekeyed with CREATE_CHILD_SA
// [ SA No KE ] (charon's order, as in crypto/testdata/strongswan/modp3072),
// the CHILD_SAs move to the new IKE_SA without any kernel change, the old
// IKE_SA is deleted, and the new one works (message IDs from 0).
func TestIKERekey(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) { moon.IKELifetime = 600 }) // rekey at 60 s
	p.Up()
	p.Advance(time.Second)
	moonOld := p.Moon.WantEstablished(t, 1)
	child := moonOld.Children()[0]
	p.Moon.Kern.ResetCalls()
	p.Sun.Kern.ResetCalls()
	p.Hold = true
	p.AdvanceTo(60 * time.Second)
	// The request is on the wire: both daemons still list their SAs (the
	// half-made new IKE_SA is not checked out across jobs).
	if h := p.Held(); len(h) != 1 {
		t.Fatalf("held: %v", h)
	}
	if sas := p.Moon.SAs(t); len(sas) != 1 || sas[0].State() != sa.IKERekeying {
		t.Fatalf("moon during the rekey: %v", sas)
	}
	p.Hold = false
	p.DeliverAll()
	p.Moon.WantLogOrder(t,
		"[IKE] initiating IKE_SA net-net[2] to 192.168.0.2",
		"[ENC] generating CREATE_CHILD_SA request 2 [ SA No KE ]",
		"[ENC] parsed CREATE_CHILD_SA response 2 [ SA No KE ]",
		"[IKE] scheduling rekeying in 60s",
		"[IKE] IKE_SA net-net[2] rekeyed between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"[IKE] deleting IKE_SA net-net[1] between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"[IKE] sending DELETE for IKE_SA net-net[1]",
		"[ENC] generating INFORMATIONAL request 3 [ D ]",
		"[ENC] parsed INFORMATIONAL response 3 [ ]",
		"[IKE] IKE_SA deleted",
	)
	p.Sun.WantLogOrder(t,
		"[ENC] parsed CREATE_CHILD_SA request 2 [ SA No KE ]",
		"[IKE] 192.168.0.1 is initiating an IKE_SA",
		"[IKE] IKE_SA net-net[2] rekeyed between 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[ENC] generating CREATE_CHILD_SA response 2 [ SA No KE ]",
		"[ENC] parsed INFORMATIONAL request 3 [ D ]",
		"[IKE] received DELETE for IKE_SA net-net[1]",
		"[IKE] deleting IKE_SA net-net[1] between 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[IKE] IKE_SA deleted",
		"[ENC] generating INFORMATIONAL response 3 [ ]",
	)
	p.Moon.NoLog(t, "closing CHILD_SA")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if ike.UniqueID() != 2 {
			t.Errorf("%s: IKE_SA [%d] left, want [2]", n.Name, ike.UniqueID())
		}
		if log := n.Kern.Log(); log != "" {
			t.Errorf("%s: the IKE rekey touched the kernel:\n%s", n.Name, log)
		}
	}
	if moonNew := p.Moon.OnlyIKESA(t); moonNew.Children()[0] != child || moonNew.ID() == moonOld.ID() {
		t.Error("the CHILD_SA did not move to the new IKE_SA")
	}
	// The new IKE_SA works: deleting the CHILD_SA over it uses message
	// ID 0.
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := ike.Children()[0]
		return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
	})
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[ENC] generating INFORMATIONAL request 0 [ D ]", "[ENC] parsed INFORMATIONAL response 0 [ D ]")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}

// TestIKERekeyResponderDeletes: the responder of an IKE rekey deletes the
// old IKE_SA itself if the initiator's DELETE never comes (ike_rekey.c: a
// delete job after 90 s; goswan waits until an initiator with its
// retransmission settings would have given up, 165 s with charon's
// defaults, see rekeyedDeleteTimeout).
func TestIKERekeyResponderDeletes(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.DropIf = func(r ikesim.WireRecord) bool { return r.MessageID == 3 && r.From == "moon" }
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
	window := tasks.RetransmitWindow(&p.Sun.Env.Settings)
	if window != 165060*time.Millisecond { // 4 s * (1 + 1.8 + ... + 1.8^5), in whole ms
		t.Errorf("retransmission window %v", window)
	}
	p.Advance(window - time.Millisecond)
	p.Sun.NoLog(t, "sending DELETE for IKE_SA net-net[1]")
	p.Advance(time.Millisecond)
	p.Sun.WantLog(t, "[IKE] deleting IKE_SA net-net[1] between 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[IKE] sending DELETE for IKE_SA net-net[1]")
	if ike := p.Sun.WantEstablished(t, 1); ike.UniqueID() != 2 {
		t.Errorf("sun kept [%d]", ike.UniqueID())
	}
}

// TestIKERekeyTemporaryFailure: a responder that is rekeying a CHILD_SA
// refuses an IKE rekey with TEMPORARY_FAILURE; the initiator retries later
// (RFC 7296 §2.25).
func TestIKERekeyTemporaryFailure(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Hold = true
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := ike.Children()[0]
		return ike.RekeyChild(c.Protocol(), c.SPI(true))
	})
	p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
	// Deliver sun's IKE rekey request first: moon has a CHILD_SA in
	// REKEYING.
	h := p.Held()
	if len(h) != 2 {
		t.Fatalf("held %v", h)
	}
	p.Hold = false
	p.Deliver(h[1].Seq)
	p.Deliver(h[0].Seq)
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] peer initiated rekeying, but a child is half-open",
		"[ENC] generating CREATE_CHILD_SA response 0 [ N(TEMP_FAIL) ]")
	p.Sun.WantLog(t, "[IKE] received TEMPORARY_FAILURE notify error",
		"[IKE] IKE_SA rekeying failed, trying again in")
	p.Advance(20 * time.Second)
	// sun's [2] was the new IKE_SA of the refused attempt.
	p.Sun.WantLog(t, "[IKE] IKE_SA net-net[3] rekeyed")
	for n, want := range map[*ikesim.Node]uint32{p.Moon: 2, p.Sun: 3} {
		if ike := n.WantEstablished(t, 1); ike.UniqueID() != want {
			t.Errorf("%s: IKE_SA [%d]", n.Name, ike.UniqueID())
		}
	}
}

// TestChildRekeyAfterIKERekey: the kernel's soft expire of a CHILD_SA that
// moved to a new IKE_SA finds it there, and the rekey runs over the new
// IKE_SA (message ID 0).
func TestChildRekeyAfterIKERekey(t *testing.T) {
	p := rekeyPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
	p.AdvanceTo(5*time.Second + time.Millisecond)
	p.Moon.WantLogOrder(t,
		"[IKE] IKE_SA net-net[2] rekeyed",
		"[KNL] creating rekey job for CHILD_SA ESP/0xc0000001/192.168.0.1",
		"[ENC] generating CREATE_CHILD_SA request 0 [ N(REKEY_SA) SA No TSi TSr ]",
		"[IKE] outbound CHILD_SA net-net{2} established",
		"[ENC] generating INFORMATIONAL request 1 [ D ]",
	)
	if ike := p.Moon.OnlyIKESA(t); ike.UniqueID() != 2 || ike.ChildCount() != 2 {
		t.Errorf("moon: [%d] with %d CHILD_SAs", ike.UniqueID(), ike.ChildCount())
	}
}

// TestIKEReauth: with ipsec.conf's default reauth=yes the IKE_SA is not
// rekeyed but reauthenticated, break-before-make (charon.make_before_break
// defaults to no): the old IKE_SA is deleted, then a new one is set up with
// the CHILD_SA recreated under its reqid.
func TestIKEReauth(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.MoonPeer.RekeyTime, p.MoonPeer.ReauthTime = 0, 60
	p.Up()
	p.AdvanceTo(61 * time.Second)
	p.Moon.WantLogOrder(t,
		"[IKE] scheduling reauthentication in 60s",
		"[IKE] maximum IKE_SA lifetime 600s",
		"[IKE] reauthenticating IKE_SA net-net[1]",
		"[IKE] deleting IKE_SA net-net[1] between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"[ENC] generating INFORMATIONAL request 2 [ D ]",
		"[ENC] parsed INFORMATIONAL response 2 [ ]",
		"[IKE] restarting CHILD_SA net-net",
		"[IKE] initiating IKE_SA net-net[2] to 192.168.0.2",
		"[IKE] establishing CHILD_SA net-net{2} reqid 1",
		"[IKE] IKE_SA net-net[2] established",
		"[IKE] CHILD_SA net-net{2} established",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if ike.UniqueID() != 2 || ike.Children()[0].ReqID() != 1 {
			t.Errorf("%s: [%d] with reqid %d", n.Name, ike.UniqueID(), ike.Children()[0].ReqID())
		}
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs", n.Name, got)
		}
	}
}

// TestIKERekeyInvalidKE: an IKE rekey proposes the group of the IKE_SA
// being rekeyed (charon.prefer_previous_dh_group); a responder that now
// prefers another one asks for it with INVALID_KE_PAYLOAD and the rekey is
// retried on the same new IKE_SA.
func TestIKERekeyInvalidKE(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.IKE, sun.IKE = "aes128-sha256-x25519-ecp256!", "aes128-sha256-ecp256!"
	})
	p.Up()
	p.Advance(time.Second)
	if g := p.Moon.OnlyIKESA(t).Proposal().String(); !strings.HasSuffix(g, "ECP_256") {
		t.Fatalf("established with %s", g)
	}
	p.SunPeer.IKE.Proposals = ikesim.MustProposals(t, config.ProtoIKE, "aes128-sha256-x25519-ecp256!")
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
	p.Advance(time.Second)
	p.Moon.WantLogOrder(t,
		"[IKE] initiating IKE_SA net-net[2] to 192.168.0.2",
		"[ENC] generating CREATE_CHILD_SA request 2 [ SA No KE ]",
		"[ENC] parsed CREATE_CHILD_SA response 2 [ N(INVAL_KE) ]",
		"[IKE] peer didn't accept DH group ECP_256, it requested CURVE_25519",
		"[ENC] generating CREATE_CHILD_SA request 3 [ SA No KE ]",
		"[IKE] IKE_SA net-net[2] rekeyed",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		ike := n.WantEstablished(t, 1)
		if g := ike.Proposal().String(); !strings.HasSuffix(g, "CURVE_25519") {
			t.Errorf("%s: rekeyed with %s", n.Name, g)
		}
	}
}
