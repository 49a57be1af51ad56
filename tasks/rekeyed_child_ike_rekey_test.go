package tasks_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// These tests cover a rekeyed CHILD_SA whose inbound SA waits
// charon.delete_rekeyed_delay (5 s) while the IKE_SA is rekeyed: the IKE
// rekey moves every CHILD_SA to the new IKE_SA, the rekeyed one too
// (ike_sa.c inherit_post), the delayed delete job finds it there by its
// unique id, and after the delay each kernel holds the new CHILD_SA's two
// SAs and nothing else; deleting the IKE_SA leaves the kernels empty.

// rekeyedChildCase: node child rekeys the CHILD_SA at 1 s (the other is
// the responder), node ike rekeys the IKE_SA at 3 s, within the 5 s the
// rekeyed CHILD_SAs' inbound SAs wait on both sides.
type rekeyedChildCase struct {
	name       string
	child, ike string // "moon" or "sun"
	// deleteOld: in the race, the old IKE_SA is deleted too before the
	// delete job gets it (see raceDeleteJob).
	deleteOld bool
}

var rekeyedChildCases = []rekeyedChildCase{
	{"child-responder/ike-responder", "moon", "moon", false},
	{"child-responder/ike-initiator", "moon", "sun", false},
	{"child-initiator/ike-initiator", "sun", "sun", false},
	{"child-initiator/ike-responder", "sun", "moon", false},
}

var rekeyedChildRaceCases = append(rekeyedChildCases[:4:4],
	rekeyedChildCase{"child-responder/ike-responder/old-deleted", "moon", "moon", true},
	rekeyedChildCase{"child-responder/ike-initiator/old-deleted", "moon", "sun", true},
	rekeyedChildCase{"child-initiator/ike-initiator/old-deleted", "sun", "sun", true},
	rekeyedChildCase{"child-initiator/ike-responder/old-deleted", "sun", "moon", true},
)

func (c rekeyedChildCase) nodes(p *ikesim.Pair) (child, ike *ikesim.Node) {
	pick := map[string]*ikesim.Node{"moon": p.Moon, "sun": p.Sun}
	return pick[c.child], pick[c.ike]
}

// rekeyChildAt1s brings the pair up and lets n rekey the CHILD_SA at 1 s;
// the old CHILD_SA's inbound SA is then due for deletion at 6 s on both
// sides.
func rekeyChildAt1s(t *testing.T, p *ikesim.Pair, n *ikesim.Node) {
	t.Helper()
	p.Up()
	p.AdvanceTo(time.Second)
	n.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := ike.Children()[0]
		return ike.RekeyChild(c.Protocol(), c.SPI(true))
	})
	for _, x := range []*ikesim.Node{p.Moon, p.Sun} {
		if cs := x.OnlyIKESA(t).Children(); len(cs) != 2 || cs[0].State() != sa.ChildDeleted {
			t.Fatalf("%s after the CHILD rekey: %s", x.Name, ikesim.ChildList(cs))
		}
	}
}

// wantOnlyNewChildThenEmpty checks the end state: after the delay both
// kernels hold exactly the new CHILD_SA's SAs (and its policies), no
// delete job missed its CHILD_SA; after the IKE_SA is deleted the kernels
// are empty.
func wantOnlyNewChildThenEmpty(t *testing.T, p *ikesim.Pair) {
	t.Helper()
	p.AdvanceTo(10 * time.Second)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.NoLog(t, "not found for delete")
		n.CheckSane(t)
	}
	p.WantOneChildPair(t)
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.Advance(time.Second)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantNoIKESA(t)
		n.KernelEmpty(t)
	}
}

// TestRekeyedChildSurvivesIKERekey: the IKE rekey completes at 3 s, well
// before the delayed delete at 6 s, and the old IKE_SA is deleted then
// too (its DELETE exchanged at once), so the job finds the CHILD_SA on
// the new IKE_SA.
func TestRekeyedChildSurvivesIKERekey(t *testing.T) {
	for _, c := range rekeyedChildCases {
		t.Run(c.name, func(t *testing.T) {
			p := ikesim.NewPair(t, nil)
			childBy, ikeBy := c.nodes(p)
			rekeyChildAt1s(t, p, childBy)
			p.AdvanceTo(3 * time.Second)
			ikeBy.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.WantLog(t, "[IKE] deleting IKE_SA net-net[1]")
				if ike := n.OnlyIKESA(t); ike.UniqueID() != 2 || ike.ChildCount() != 2 {
					t.Fatalf("%s: IKE_SA [%d] with %s, want [2] with both CHILD_SAs", n.Name, ike.UniqueID(),
						ikesim.ChildList(ike.Children()))
				}
			}
			wantOnlyNewChildThenEmpty(t, p)
		})
	}
}

// TestRekeyedChildDeleteRacesIKERekey is the race the kernel-lane soak
// hit (sun: "CHILD_SA {206} not found for delete", its inbound SA left in
// the kernel): the delayed delete job looks the CHILD_SA up while another
// worker holds the old IKE_SA to process the IKE rekey, waits for it, and
// gets it back once the CHILD_SA has moved to the new IKE_SA. The job
// must follow the CHILD_SA there. synctest makes the interleaving exact:
// the job's worker is durably blocked waiting for the IKE_SA before the
// test's worker processes the IKE rekey message on it.
func TestRekeyedChildDeleteRacesIKERekey(t *testing.T) {
	for _, c := range rekeyedChildRaceCases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := ikesim.NewPair(t, nil)
				childBy, ikeBy := c.nodes(p)
				rekeyChildAt1s(t, p, childBy)
				p.AdvanceTo(3 * time.Second)
				p.Hold = true
				ikeBy.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
				// sun's delete job races: as the IKE rekey's responder
				// sun takes the request, as its initiator the response.
				if ikeBy == p.Sun {
					if h := p.Held(); len(h) != 1 || !p.Deliver(h[0].Seq) {
						t.Fatalf("held: %v", h)
					}
				}
				raceDeleteJob(t, p, p.Sun, c.deleteOld)
				p.Hold = false
				p.DeliverAll()
				wantOnlyNewChildThenEmpty(t, p)
			})
		})
	}
}

// raceDeleteJob makes n's delayed delete job (due at 6 s) wait for n's old
// IKE_SA while the test's worker holds it, and lets the worker process
// the held IKE rekey message (request or response) on it meanwhile. With
// deleteOld the worker goes on with the exchange that deletes the old
// IKE_SA (the peer's worker answering at once), so the job finds the
// IKE_SA it waited for destroyed.
func raceDeleteJob(t *testing.T, p *ikesim.Pair, n *ikesim.Node, deleteOld bool) {
	t.Helper()
	h := p.Held()
	if len(h) != 1 || h[0].To != n.Name || h[0].Exchange != encoding.ExchangeCreateChildSA {
		t.Fatalf("held: %v", h)
	}
	r, _ := p.Take(h[0].Seq)
	// Jobs due before the delete job (the CHILD rekey initiator's
	// retransmission timer at 5 s) run first, without the race.
	p.AdvanceTo(6*time.Second - time.Millisecond)
	old := n.OnlyIKESA(t)
	worker := 2 // not the simulation's queue thread
	if n.Mgr.CheckoutByUniqueID(old.UniqueID(), worker) != old {
		t.Fatal("cannot check out the old IKE_SA")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.AdvanceTo(6 * time.Second)
	}()
	synctest.Wait() // the job's worker waits for the old IKE_SA
	select {
	case <-done:
		t.Fatal("the delete job did not wait for the old IKE_SA")
	default:
	}
	st := processOn(t, old, r)
	for i := 0; deleteOld && st != sa.DestroyMe; i++ {
		h := p.Held()
		if len(h) == 0 || i == 4 {
			t.Fatalf("the old IKE_SA was not deleted: held %v", h)
		}
		r, _ = p.Take(h[0].Seq)
		if r.To == n.Name {
			st = processOn(t, old, r)
		} else {
			p.Nodes[r.Packet.Dst.Addr()].Mgr.ProcessPacket(worker+1, r.Packet)
		}
	}
	n.Mgr.Release(old, st)
	<-done
}

// processOn lets the IKE_SA, checked out, process a message from the wire.
func processOn(t *testing.T, ike *sa.IKESA, r ikesim.WireRecord) sa.Status {
	t.Helper()
	m, err := encoding.Decode(r.Packet.Data)
	if m == nil {
		t.Fatalf("held message: %v", err)
	}
	return ike.ProcessMessage(m, err, r.Packet.Data, r.Packet.Src, r.Packet.Dst)
}
