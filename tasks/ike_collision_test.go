package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// Ports of the IKE_SA rekey collision cases of strongSwan's
// src/libcharon/tests/suites/test_ike_rekey.c. IKE_SAs are named as in
// child_collision_test.go: orig, A (the rekey moon started), B (sun's);
// unique ids moon: orig 1, A 2, B 3 and sun: orig 1, B 2, A 3.

// updownEvents counts IKE and CHILD up/down events.
type updownEvents struct{ ike, child int }

func (e *updownEvents) IKEUpdown(*sa.IKESA, bool) bool                { e.ike++; return true }
func (e *updownEvents) ChildUpdown(*sa.IKESA, *sa.ChildSA, bool) bool { e.child++; return true }

func ikeStates(t *testing.T, n *ikesim.Node) map[uint32]sa.IKEState {
	t.Helper()
	out := map[uint32]sa.IKEState{}
	for _, ike := range n.SAs(t) {
		out[ike.UniqueID()] = ike.State()
	}
	return out
}

// wantIKE fails unless the node's IKE_SA called name is in state with the
// given number of CHILD_SAs.
func wantIKE(t *testing.T, n *ikesim.Node, name string, state sa.IKEState, children int) {
	t.Helper()
	uid := collisionIDs[n.Name][name]
	for _, ike := range n.SAs(t) {
		if ike.UniqueID() == uid {
			if ike.State() != state || ike.ChildCount() != children {
				t.Errorf("%s: IKE_SA %s[%d] is %s with %d CHILD_SAs, want %s with %d", n.Name, name, uid,
					ike.State(), ike.ChildCount(), state, children)
			}
			return
		}
	}
	t.Errorf("%s: no IKE_SA %s[%d]: %v", n.Name, name, uid, ikeStates(t, n))
}

// TestIKERekeyCollision (test_ike_rekey.c test_collision): both peers
// rekey the IKE_SA at once; RFC 7296 §2.8.2: the new IKE_SA with the
// lowest nonce is redundant and deleted by its initiator, the old one by
// the peer that initiated the surviving one. No up/down events, no kernel
// change, and the CHILD_SA ends up on the surviving IKE_SA on both sides.
func TestIKERekeyCollision(t *testing.T) {
	for _, c := range collisionCases {
		t.Run(c.description, func(t *testing.T) {
			p := ikesim.NewPair(t, nil)
			p.Up()
			p.Advance(time.Second)
			ev := map[*ikesim.Node]*updownEvents{p.Moon: {}, p.Sun: {}}
			for n, e := range ev {
				n.Env.Events.Add(e)
				n.Kern.ResetCalls()
			}
			p.Moon.PinNonces(c.nonces[0], c.nonces[3])
			p.Sun.PinNonces(c.nonces[1], c.nonces[2])
			p.Hold = true
			p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
			p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })

			// CREATE_CHILD_SA { SA, Ni, KEi } -->
			p.DeliverNextTo(t, p.Sun)
			wantIKE(t, p.Sun, "orig", sa.IKERekeying, 1)
			if n := len(p.Sun.SAs(t)); n != 1 {
				t.Errorf("sun: %d IKE_SAs: the half-made ones must not be registered yet", n)
			}
			// <-- CREATE_CHILD_SA { SA, Ni, KEi }
			p.DeliverNextTo(t, p.Moon)
			wantIKE(t, p.Moon, "orig", sa.IKERekeying, 1)
			p.Moon.WantLog(t, "[IKE] detected IKE_REKEY collision with IKE_REKEY")
			p.Sun.WantLog(t, "[IKE] detected IKE_REKEY collision with IKE_REKEY")

			// <-- CREATE_CHILD_SA { SA, Nr, KEr }
			p.DeliverNextTo(t, p.Moon)
			if c.moonWins {
				p.Moon.WantLog(t, "[IKE] IKE_SA rekey collision won, waiting for delete for redundant IKE_SA net-net[3]")
			} else {
				p.Moon.WantLog(t, "[IKE] IKE_SA rekey collision lost, deleting redundant IKE_SA net-net[2]")
			}
			wantIKE(t, p.Moon, c.delMoon, sa.IKEDeleting, 0)
			wantIKE(t, p.Moon, c.delSun, sa.IKERekeyed, 0)
			wantIKE(t, p.Moon, c.keepMoon, sa.IKEEstablished, 1)
			// CREATE_CHILD_SA { SA, Nr, KEr } -->
			p.DeliverNextTo(t, p.Sun)
			if c.sunWins {
				p.Sun.WantLog(t, "[IKE] IKE_SA rekey collision won, waiting for delete for redundant IKE_SA net-net[3]")
			} else {
				p.Sun.WantLog(t, "[IKE] IKE_SA rekey collision lost, deleting redundant IKE_SA net-net[2]")
			}
			wantIKE(t, p.Sun, c.delSun, sa.IKEDeleting, 0)
			wantIKE(t, p.Sun, c.delMoon, sa.IKERekeyed, 0)
			wantIKE(t, p.Sun, c.keepSun, sa.IKEEstablished, 1)

			// The two DELETE exchanges.
			p.Hold = false
			p.DeliverAll()
			for n, e := range ev {
				ike := n.WantEstablished(t, 1)
				if want := collisionIDs[n.Name][map[*ikesim.Node]string{p.Moon: c.keepMoon, p.Sun: c.keepSun}[n]]; ike.UniqueID() != want {
					t.Errorf("%s: kept [%d], want [%d]", n.Name, ike.UniqueID(), want)
				}
				if e.ike != 0 || e.child != 0 {
					t.Errorf("%s: %d IKE and %d CHILD up/down events", n.Name, e.ike, e.child)
				}
				if log := n.Kern.Log(); log != "" {
					t.Errorf("%s: kernel calls:\n%s", n.Name, log)
				}
				if n.PendingNonces() != 0 {
					t.Errorf("%s: pinned nonces left", n.Name)
				}
			}
			moon, sun := p.Moon.OnlyIKESA(t), p.Sun.OnlyIKESA(t)
			if moon.ID().SPIi != sun.ID().SPIi || moon.ID().SPIr != sun.ID().SPIr {
				t.Errorf("kept IKE_SAs differ: %s and %s", moon.ID(), sun.ID())
			}
			// The surviving IKE_SA works.
			p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
			p.Advance(time.Second)
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.WantNoIKESA(t)
				n.KernelEmpty(t)
			}
		})
	}
}

// TestIKERekeyDeleteCollision (test_ike_rekey.c test_collision_delete):
// one peer rekeys the IKE_SA while the other deletes it; the rekey is
// refused with TEMPORARY_FAILURE and the IKE_SA goes on both sides.
func TestIKERekeyDeleteCollision(t *testing.T) {
	for _, rekeyer := range []string{"moon", "sun"} {
		t.Run(rekeyer+" rekeys", func(t *testing.T) {
			p := ikesim.NewPair(t, nil)
			p.Up()
			p.Advance(time.Second)
			a, b := p.Moon, p.Sun
			if rekeyer == "sun" {
				a, b = p.Sun, p.Moon
			}
			p.Hold = true
			a.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Rekey() })
			b.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
			// CREATE_CHILD_SA { SA, Ni, KEi } -->
			p.DeliverNextTo(t, b)
			b.WantLog(t, "[IKE] peer initiated rekeying, but we are deleting")
			// <-- INFORMATIONAL { D }
			p.DeliverNextTo(t, a)
			a.WantLog(t, "[IKE] detected IKE_REKEY collision with IKE_DELETE", "[IKE] IKE_SA deleted")
			p.Hold = false
			p.DeliverAll()
			p.Advance(30 * time.Second)
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.WantNoIKESA(t)
				n.KernelEmpty(t)
			}
		})
	}
}
