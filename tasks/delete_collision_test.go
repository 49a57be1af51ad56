package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// Ports of strongSwan's test_child_delete.c, test_ike_delete.c and
// test_child_create.c collision cases.

func deleteChild(t *testing.T, n *ikesim.Node) {
	t.Helper()
	n.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := ike.Children()[0]
		return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
	})
}

// TestChildDeleteCollision (test_child_delete.c test_collision): RFC 7296
// §1.4.1: when both ends delete the same CHILD_SA at once, "the responses
// MUST NOT include Delete payloads for the deleted SAs"; each side removes
// it when its own response arrives.
func TestChildDeleteCollision(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	ev := map[*ikesim.Node]*updownEvents{p.Moon: {}, p.Sun: {}}
	for n, e := range ev {
		n.Env.Events.Add(e)
	}
	p.Hold = true
	deleteChild(t, p.Moon)
	deleteChild(t, p.Sun)
	p.DeliverNextTo(t, p.Sun) // INFORMATIONAL { D } -->
	p.DeliverNextTo(t, p.Moon)
	for n := range ev {
		if c := n.OnlyIKESA(t).Children()[0]; c.State() != sa.ChildDeleting || ev[n].child != 0 {
			t.Errorf("%s: %s, %d events", n.Name, c.State(), ev[n].child)
		}
	}
	p.DeliverNextTo(t, p.Moon) // <-- INFORMATIONAL { }
	p.DeliverNextTo(t, p.Sun)  // INFORMATIONAL { } -->
	p.Moon.WantLog(t, "[ENC] generating INFORMATIONAL response 0 [ ]")
	p.Sun.WantLog(t, "[ENC] generating INFORMATIONAL response 2 [ ]")
	for n, e := range ev {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
		if e.child != 1 {
			t.Errorf("%s: %d down events", n.Name, e.child)
		}
	}
}

// TestChildDeleteCollisionDrop (test_collision_drop): one DELETE request
// arrives only after the other exchange completed; it is for an SA that is
// gone and is answered empty.
func TestChildDeleteCollisionDrop(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Hold = true
	deleteChild(t, p.Moon)
	deleteChild(t, p.Sun)
	sunReq := p.Held()[1]
	p.DeliverNextTo(t, p.Sun)                   // moon's DELETE: sun answers empty
	deliverNextExcept(t, p, p.Moon, sunReq.Seq) // <-- INFORMATIONAL { }
	p.Moon.WantEstablished(t, 0)
	p.Deliver(sunReq.Seq) // <-- INFORMATIONAL { D } (delayed)
	p.Moon.WantLog(t, "[IKE] received DELETE for unknown ESP CHILD_SA with SPI c0000001")
	p.Hold = false
	p.DeliverAll()
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}

// TestIKEDeleteCollision (test_ike_delete.c test_collision): RFC 7296
// §1.4.1: "If a peer receives a request to close an IKE SA that it is
// currently trying to close, it SHOULD reply as usual, and forget about
// its own close request."
func TestIKEDeleteCollision(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	ev := map[*ikesim.Node]*updownEvents{p.Moon: {}, p.Sun: {}}
	for n, e := range ev {
		n.Env.Events.Add(e)
	}
	p.Hold = true
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.DeliverNextTo(t, p.Sun)
	p.DeliverNextTo(t, p.Moon)
	p.Moon.WantLog(t, "[ENC] generating INFORMATIONAL response 0 [ ]")
	p.Sun.WantLog(t, "[ENC] generating INFORMATIONAL response 2 [ ]")
	for n, e := range ev {
		n.WantLog(t, "[IKE] IKE_SA deleted")
		n.WantNoIKESA(t)
		n.KernelEmpty(t)
		// The IKE_SA's down event takes the CHILD_SA down with it.
		if e.ike != 1 || e.child != 1 {
			t.Errorf("%s: %d IKE and %d CHILD down events, want 1 each", n.Name, e.ike, e.child)
		}
	}
}

// TestChildCreateDuplicateOtherName: a conn that differs from an
// established one only in its name is a duplicate too (child_cfg_t.equals
// ignores the name), as the reqid differential test found.
func TestChildCreateDuplicateOtherName(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	_, twin := addChild(t, p, "net-net-twin", "10.1.0.0/16", "10.2.0.0/16")
	p.Up()
	p.Advance(time.Second)
	p.Moon.Initiate(p.MoonPeer, twin)
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] not establishing CHILD_SA net-net-twin{2} due to existing duplicate {1} with SPIs c0000001_i c0000001_o and TS 10.1.0.0/16 === 10.2.0.0/16")
	p.Moon.WantEstablished(t, 1)
	p.Moon.NoLog(t, "generating CREATE_CHILD_SA")
}

// TestChildCreateDuplicate (test_child_create.c test_duplicate): a CHILD_SA
// equal to an installed one is not created again (check_for_duplicate).
func TestChildCreateDuplicate(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.Initiate(p.MoonPeer, p.MoonChild)
	p.Sun.Initiate(p.SunPeer, p.SunChild)
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] not establishing CHILD_SA net-net{2} due to existing duplicate {1} with SPIs c0000001_i c0000001_o and TS 10.1.0.0/16 === 10.2.0.0/16")
	p.Sun.WantLog(t, "[IKE] not establishing CHILD_SA net-net{2} due to existing duplicate {1}")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 1)
		n.NoLog(t, "generating CREATE_CHILD_SA")
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: %d SAs", n.Name, got)
		}
	}
}

// TestChildCreateIKERekeyCollision (test_child_create.c
// test_collision_ike_rekey): one peer creates a CHILD_SA while the other
// rekeys the IKE_SA; both answer TEMPORARY_FAILURE (RFC 7296 §2.25) and
// prepare to retry: the CHILD_SA creation is queued again with a delay,
// not started at once.
func TestChildCreateIKERekeyCollision(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	_, c2 := addChild(t, p, "net-net2", "10.3.0.0/16", "10.4.0.0/16")
	c2.MarkOut = kernel.Mark{Value: 42, Mask: 0xffffffff}
	p.Up()
	p.Advance(time.Second)
	p.Hold = true
	p.Moon.Initiate(p.MoonPeer, c2)
	p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
	p.DeliverNextTo(t, p.Sun) // CREATE_CHILD_SA (new CHILD_SA) -->
	p.Sun.WantLog(t, "[IKE] unable to create CHILD_SA while rekeying IKE_SA",
		"[ENC] generating CREATE_CHILD_SA response 2 [ N(TEMP_FAIL) ]")
	p.DeliverNextTo(t, p.Moon) // <-- CREATE_CHILD_SA (IKE rekey)
	p.Moon.WantLog(t, "[IKE] peer initiated rekeying, but a child is half-open",
		"[ENC] generating CREATE_CHILD_SA response 0 [ N(TEMP_FAIL) ]")
	p.DeliverNextTo(t, p.Moon) // <-- TEMP_FAIL
	p.Moon.WantLog(t, "[IKE] received TEMPORARY_FAILURE notify, will retry later",
		"[IKE] creating CHILD_SA failed, trying again in")
	p.DeliverNextTo(t, p.Sun) // TEMP_FAIL -->
	p.Sun.WantLog(t, "[IKE] IKE_SA rekeying failed, trying again in")
	if h := p.Held(); len(h) != 0 {
		t.Errorf("sent after the TEMPORARY_FAILUREs: %v", h)
	}
	moon := p.Moon.OnlyIKESA(t)
	if a, q := moon.TaskManager().Tasks(sa.QueueActive), moon.TaskManager().Tasks(sa.QueueQueued); len(a) != 0 || len(q) != 1 {
		t.Errorf("moon: %d active, %d queued tasks", len(a), len(q))
	}
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.TaskManager().Initiate() })
	if len(p.Held()) != 0 {
		t.Error("the delayed CHILD_SA creation started at once")
	}
	p.Hold = false
	p.DeliverAll()
	p.Advance(30 * time.Second)
	p.Moon.WantEstablished(t, 2)
	p.Sun.WantEstablished(t, 2)
	p.Sun.WantLog(t, "rekeyed between")
}
