package tasks_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// Ports of the collision cases of strongSwan's
// src/libcharon/tests/suites/test_child_rekey.c. There a and b share one
// SPI counter; here each daemon allocates its own SPIs, so the CHILD_SAs
// are named by how they came to be: "orig" from IKE_AUTH, "A" from the
// rekey moon (a) started, "B" from the one sun (b) started. Their unique
// ids are moon: orig 1, A 2, B 3 and sun: orig 1, B 2, A 3.

var collisionIDs = map[string]map[string]uint32{
	"moon": {"orig": 1, "A": 2, "B": 3},
	"sun":  {"orig": 1, "B": 2, "A": 3},
}

// childEvents counts the CHILD_SA up/down and rekey events of a node.
type childEvents struct{ updown, rekey int }

func (e *childEvents) ChildUpdown(*sa.IKESA, *sa.ChildSA, bool) bool { e.updown++; return true }
func (e *childEvents) ChildRekey(*sa.IKESA, *sa.ChildSA, *sa.ChildSA) bool {
	e.rekey++
	return true
}

// wantChild fails unless the node's CHILD_SA called name exists in state
// with the outbound state out.
func wantChild(t *testing.T, n *ikesim.Node, name string, state sa.ChildState, out sa.OutboundState) {
	t.Helper()
	uid := collisionIDs[n.Name][name]
	for _, c := range n.OnlyIKESA(t).Children() {
		if c.UniqueID() != uid {
			continue
		}
		if c.State() != state || c.Outbound() != out {
			t.Errorf("%s: CHILD_SA %s{%d} is %s/%s, want %s/%s", n.Name, name, uid, c.State(), outName(c.Outbound()),
				state, outName(out))
		}
		return
	}
	t.Errorf("%s: no CHILD_SA %s{%d}: %s", n.Name, name, uid, childStates(n.OnlyIKESA(t).Children()))
}

// wantCollisionOutcome checks node n once the response to its own rekey has
// come back in a CHILD_SA rekey collision, for the winner and the loser alike
// on both nodes: peers is the CHILD_SA n created answering the peer's
// rekey, own the one its own rekey created.
func wantCollisionOutcome(t *testing.T, n *ikesim.Node, wins bool, peers, own string) {
	t.Helper()
	if wins {
		n.WantLog(t, "[IKE] CHILD_SA rekey collision won, deleting old child net-net{1}")
		wantChild(t, n, peers, sa.ChildRekeyed, sa.OutboundRegistered)
		wantChild(t, n, own, sa.ChildInstalled, sa.OutboundInstalled)
		wantChild(t, n, "orig", sa.ChildDeleting, sa.OutboundNone)
		return
	}
	n.WantLog(t, "[IKE] CHILD_SA rekey collision lost, deleting redundant child net-net{2}")
	wantChild(t, n, "orig", sa.ChildRekeyed, sa.OutboundInstalled)
	wantChild(t, n, peers, sa.ChildInstalled, sa.OutboundRegistered)
	wantChild(t, n, own, sa.ChildDeleting, sa.OutboundRegistered)
}

func outName(o sa.OutboundState) string {
	switch o {
	case sa.OutboundNone:
		return "NONE"
	case sa.OutboundRegistered:
		return "REGISTERED"
	case sa.OutboundInstalled:
		return "INSTALLED"
	}
	return fmt.Sprintf("%#x", uint8(o))
}

func wantChildCount(t *testing.T, n *ikesim.Node, want int) {
	t.Helper()
	if got := n.OnlyIKESA(t).ChildCount(); got != want {
		t.Errorf("%s: %d CHILD_SAs, want %d: %s", n.Name, got, want, childStates(n.OnlyIKESA(t).Children()))
	}
}

// collisionSetup establishes net-net, then has moon and sun start a rekey
// of the same CHILD_SA at once with pinned nonces: moon's request N1,
// sun's request N2, sun's response N3, moon's response N4.
func collisionSetup(t *testing.T, nonces [4]byte) (*ikesim.Pair, *childEvents, *childEvents) {
	return collisionSetupNonces(t, []byte{nonces[0], nonces[3]}, []byte{nonces[1], nonces[2]})
}

// collisionSetupNonces is collisionSetup with the nonces each side will
// generate, in order.
func collisionSetupNonces(t *testing.T, moonNonces, sunNonces []byte) (*ikesim.Pair, *childEvents, *childEvents) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	evMoon, evSun := &childEvents{}, &childEvents{}
	p.Moon.Env.Events.Add(evMoon)
	p.Sun.Env.Events.Add(evSun)
	p.Moon.PinNonces(moonNonces...)
	p.Sun.PinNonces(sunNonces...)
	p.Hold = true
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
			c := ike.Children()[0]
			return ike.RekeyChild(c.Protocol(), c.SPI(true))
		})
	}
	return p, evMoon, evSun
}

// deleted names the CHILD_SAs each side deletes and keeps for a case:
// the SA with the lowest of the four nonces is redundant and deleted by
// its creator; the other peer deletes the replaced original one (RFC 7296
// §2.8.1).
type collisionCase struct {
	nonces            [4]byte
	delMoon, delSun   string
	keepMoon, keepSun string
	moonWins, sunWins bool
	description       string
}

var collisionCases = []collisionCase{
	{nonces: [4]byte{0x00, 0xff, 0xff, 0xff}, delMoon: "A", delSun: "orig", keepMoon: "B", keepSun: "B", sunWins: true,
		description: "N1 (moon's request) lowest"},
	{nonces: [4]byte{0xff, 0x00, 0xff, 0xff}, delMoon: "orig", delSun: "B", keepMoon: "A", keepSun: "A", moonWins: true,
		description: "N2 (sun's request) lowest"},
	{nonces: [4]byte{0xff, 0xff, 0x00, 0xff}, delMoon: "A", delSun: "orig", keepMoon: "B", keepSun: "B", sunWins: true,
		description: "N3 (sun's response) lowest"},
	{nonces: [4]byte{0xff, 0xff, 0xff, 0x00}, delMoon: "orig", delSun: "B", keepMoon: "A", keepSun: "A", moonWins: true,
		description: "N4 (moon's response) lowest"},
}

// finalCollisionState checks the end of every collision scenario: after
// the delays only the kept CHILD_SA is left on both sides, the same pair
// of SAs, and no up/down event was raised.
func finalCollisionState(t *testing.T, p *ikesim.Pair, c collisionCase, evMoon, evSun *childEvents) {
	t.Helper()
	p.Hold = false
	p.DeliverAll()
	p.Advance(10 * time.Second)
	moon := p.Moon.WantEstablished(t, 1).Children()[0]
	sun := p.Sun.WantEstablished(t, 1).Children()[0]
	if moon.UniqueID() != collisionIDs["moon"][c.keepMoon] || sun.UniqueID() != collisionIDs["sun"][c.keepSun] {
		t.Errorf("kept moon{%d} sun{%d}, want %s and %s", moon.UniqueID(), sun.UniqueID(), c.keepMoon, c.keepSun)
	}
	if moon.SPI(true) != sun.SPI(false) || moon.SPI(false) != sun.SPI(true) {
		t.Errorf("kept SAs do not match: moon %08x/%08x sun %08x/%08x", moon.SPI(true), moon.SPI(false), sun.SPI(true), sun.SPI(false))
	}
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		if got := len(n.Kern.SAs()); got != 2 {
			t.Errorf("%s: SAs left %v", n.Name, n.Kern.SAs())
		}
		if got := len(n.Kern.Policies()); got != 3 {
			t.Errorf("%s: %d policies", n.Name, got)
		}
		wantNoPolicyGap(t, n)
	}
	if evMoon.updown != 0 || evSun.updown != 0 {
		t.Errorf("up/down events during a rekey: moon %d, sun %d", evMoon.updown, evSun.updown)
	}
	if p.Moon.PendingNonces() != 0 || p.Sun.PendingNonces() != 0 {
		t.Error("not every pinned nonce was used")
	}
}

// TestChildRekeyCollision (test_collision): both requests cross, both
// responses cross; each side decides with the lowest nonce, the loser's
// new SA and the winner's old SA are deleted.
func TestChildRekeyCollision(t *testing.T) {
	for _, c := range collisionCases {
		t.Run(c.description, func(t *testing.T) {
			p, evMoon, evSun := collisionSetup(t, c.nonces)
			// CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->
			p.DeliverNextTo(t, p.Sun)
			wantChild(t, p.Sun, "orig", sa.ChildRekeyed, sa.OutboundInstalled)
			wantChild(t, p.Sun, "A", sa.ChildInstalled, sa.OutboundRegistered)
			// <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }
			p.DeliverNextTo(t, p.Moon)
			wantChild(t, p.Moon, "orig", sa.ChildRekeyed, sa.OutboundInstalled)
			wantChild(t, p.Moon, "B", sa.ChildInstalled, sa.OutboundRegistered)
			p.Moon.WantLog(t, "[IKE] detected CHILD_REKEY collision with CHILD_REKEY")
			p.Sun.WantLog(t, "[IKE] detected CHILD_REKEY collision with CHILD_REKEY")
			// <-- CREATE_CHILD_SA { SA, Nr, TSi, TSr }
			p.DeliverNextTo(t, p.Moon)
			wantCollisionOutcome(t, p.Moon, c.moonWins, "B", "A")
			// CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->
			p.DeliverNextTo(t, p.Sun)
			wantCollisionOutcome(t, p.Sun, c.sunWins, "A", "B")
			// INFORMATIONAL { D } -->  (moon's DELETE of what it deletes)
			p.DeliverNextTo(t, p.Sun)
			wantChild(t, p.Sun, c.delMoon, sa.ChildDeleted, sa.OutboundNone)
			wantChild(t, p.Sun, c.keepSun, sa.ChildInstalled, sa.OutboundInstalled)
			wantChildCount(t, p.Sun, 3)
			// <-- INFORMATIONAL { D }  (sun's DELETE request)
			p.DeliverNextTo(t, p.Moon)
			wantChild(t, p.Moon, c.delSun, sa.ChildDeleted, sa.OutboundNone)
			wantChild(t, p.Moon, c.keepMoon, sa.ChildInstalled, sa.OutboundInstalled)
			wantChildCount(t, p.Moon, 3)
			// <-- INFORMATIONAL { D }  (sun's response)
			p.DeliverNextTo(t, p.Moon)
			wantChild(t, p.Moon, c.delMoon, sa.ChildDeleted, sa.OutboundNone)
			// INFORMATIONAL { D } -->  (moon's response)
			p.DeliverNextTo(t, p.Sun)
			wantChild(t, p.Sun, c.delSun, sa.ChildDeleted, sa.OutboundNone)
			wantChildCount(t, p.Sun, 3)
			finalCollisionState(t, p, c, evMoon, evSun)
			if evMoon.rekey == 0 || evSun.rekey == 0 {
				t.Error("no rekey event")
			}
		})
	}
}

// TestChildRekeyCollisionDelayedResponse (test_collision_delayed_response):
// sun's CREATE_CHILD_SA response to moon's request is delayed until sun
// has completed its own rekey and its DELETE exchange with moon.
func TestChildRekeyCollisionDelayedResponse(t *testing.T) {
	for _, c := range collisionCases {
		t.Run(c.description, func(t *testing.T) {
			p, evMoon, evSun := collisionSetup(t, c.nonces)
			p.DeliverNextTo(t, p.Sun)  // moon's request
			p.DeliverNextTo(t, p.Moon) // sun's request
			delayed := p.Held()[0]     // sun's response to moon
			if delayed.To != "moon" || !delayed.Response {
				t.Fatalf("held %v", p.Held())
			}
			// CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->  (moon's response)
			p.DeliverNextTo(t, p.Sun)
			// <-- INFORMATIONAL { D }  (sun's DELETE)
			deliverNextExcept(t, p, p.Moon, delayed.Seq)
			if c.sunWins {
				wantChild(t, p.Moon, "orig", sa.ChildDeleted, sa.OutboundNone)
				wantChild(t, p.Moon, "B", sa.ChildInstalled, sa.OutboundInstalled)
			} else {
				wantChild(t, p.Moon, "orig", sa.ChildRekeyed, sa.OutboundInstalled)
				wantChild(t, p.Moon, "B", sa.ChildDeleted, sa.OutboundNone)
			}
			wantChildCount(t, p.Moon, 2)
			// INFORMATIONAL { D } -->  (moon's response)
			p.DeliverNextTo(t, p.Sun)
			wantChild(t, p.Sun, c.delSun, sa.ChildDeleted, sa.OutboundNone)
			wantChildCount(t, p.Sun, 3)
			// <-- CREATE_CHILD_SA { SA, Nr, TSi, TSr }  (delayed)
			p.Deliver(delayed.Seq)
			if c.moonWins {
				wantChild(t, p.Moon, "orig", sa.ChildDeleting, sa.OutboundNone)
			} else {
				wantChild(t, p.Moon, "A", sa.ChildDeleting, sa.OutboundRegistered)
			}
			wantChild(t, p.Moon, c.delSun, sa.ChildDeleted, sa.OutboundNone)
			wantChild(t, p.Moon, c.keepMoon, sa.ChildInstalled, sa.OutboundInstalled)
			wantChildCount(t, p.Moon, 3)
			finalCollisionState(t, p, c, evMoon, evSun)
		})
	}
}

// deliverNextExcept delivers the oldest held packet to n other than skip.
func deliverNextExcept(t *testing.T, p *ikesim.Pair, n *ikesim.Node, skip int) {
	t.Helper()
	for _, h := range p.Held() {
		if h.To == n.Name && h.Seq != skip {
			p.Deliver(h.Seq)
			return
		}
	}
	t.Fatalf("nothing for %s on the wire:\n%s", n.Name, p.WireText())
}

// rekeyDeletePair establishes net-net with moon or sun (rekeyer) as the
// one that rekeys the CHILD_SA while the other deletes it; both requests
// are held on the wire.
func rekeyDeletePair(t *testing.T, rekeyer string) (p *ikesim.Pair, a, b *ikesim.Node, evA, evB *childEvents) {
	p = ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	a, b = p.Moon, p.Sun
	if rekeyer == "sun" {
		a, b = p.Sun, p.Moon
	}
	evA, evB = &childEvents{}, &childEvents{}
	a.Env.Events.Add(evA)
	b.Env.Events.Add(evB)
	p.Hold = true
	a.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := ike.Children()[0]
		return ike.RekeyChild(c.Protocol(), c.SPI(true))
	})
	b.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		c := ike.Children()[0]
		return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
	})
	if c := b.OnlyIKESA(t).Children()[0]; c.State() != sa.ChildDeleting || c.Outbound() != sa.OutboundInstalled {
		t.Fatalf("%s: %s", b.Name, childStates(b.OnlyIKESA(t).Children()))
	}
	return p, a, b, evA, evB
}

func wantClosed(t *testing.T, p *ikesim.Pair, evA, evB *childEvents) {
	t.Helper()
	p.Hold = false
	p.DeliverAll()
	p.Advance(30 * time.Second)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
	if evA.rekey != 0 || evB.rekey != 0 {
		t.Errorf("rekey events: %d, %d", evA.rekey, evB.rekey)
	}
	if evA.updown != 1 || evB.updown != 1 {
		t.Errorf("down events: %d, %d, want one each", evA.updown, evB.updown)
	}
}

// TestChildRekeyDeleteCollision (test_collision_delete): RFC 7296
// §2.25.1: a rekey request for a CHILD_SA being deleted gets
// TEMPORARY_FAILURE, a delete for a CHILD_SA being rekeyed is answered as
// usual; the rekeyer does not retry.
func TestChildRekeyDeleteCollision(t *testing.T) {
	for _, rekeyer := range []string{"moon", "sun"} {
		t.Run(rekeyer+" rekeys", func(t *testing.T) {
			p, a, b, evA, evB := rekeyDeletePair(t, rekeyer)
			// CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->
			p.DeliverNextTo(t, b)
			b.WantLog(t, "[IKE] unable to rekey, we are deleting the CHILD_SA")
			b.WantLog(t, "[ENC] generating CREATE_CHILD_SA response")
			if l := b.LogLines("generating CREATE_CHILD_SA response"); !strings.HasSuffix(l[0], "[ N(TEMP_FAIL) ]") {
				t.Errorf("%s: %s", b.Name, l[0])
			}
			// <-- INFORMATIONAL { D }
			p.DeliverNextTo(t, a)
			if n := a.OnlyIKESA(t).ChildCount(); n != 0 {
				t.Errorf("%s: %d CHILD_SAs after the DELETE", a.Name, n)
			}
			if evA.updown != 1 {
				t.Errorf("%s: %d down events", a.Name, evA.updown)
			}
			// <-- CREATE_CHILD_SA { N(TEMP_FAIL) }
			p.DeliverNextTo(t, a)
			a.WantLog(t, "[IKE] received TEMPORARY_FAILURE notify, will retry later")
			a.NoLog(t, "CHILD_SA rekeying failed, trying again")
			// INFORMATIONAL { D } -->
			p.DeliverNextTo(t, b)
			wantClosed(t, p, evA, evB)
		})
	}
}

// TestChildRekeyDeleteCollisionDropDelete (test_collision_delete_drop_delete):
// the DELETE is delayed, so the rekeyer sees only TEMPORARY_FAILURE and
// schedules a retry, which later finds no CHILD_SA.
func TestChildRekeyDeleteCollisionDropDelete(t *testing.T) {
	for _, rekeyer := range []string{"moon", "sun"} {
		t.Run(rekeyer+" rekeys", func(t *testing.T) {
			p, a, b, evA, evB := rekeyDeletePair(t, rekeyer)
			p.DeliverNextTo(t, b) // rekey request --> TEMP_FAIL
			var del ikesim.WireRecord
			for _, h := range p.Held() {
				if h.To == a.Name && !h.Response {
					del = h
				}
			}
			deliverNextExcept(t, p, a, del.Seq) // <-- TEMP_FAIL
			a.WantLog(t, "[IKE] CHILD_SA rekeying failed, trying again in")
			if c := a.OnlyIKESA(t).Children()[0]; c.State() != sa.ChildInstalled || c.Outbound() != sa.OutboundInstalled {
				t.Errorf("%s: %s", a.Name, childStates(a.OnlyIKESA(t).Children()))
			}
			p.Deliver(del.Seq) // <-- INFORMATIONAL { D } (delayed)
			if n := a.OnlyIKESA(t).ChildCount(); n != 0 {
				t.Errorf("%s: %d CHILD_SAs after the DELETE", a.Name, n)
			}
			wantClosed(t, p, evA, evB)
			a.WantLog(t, "[JOB] CHILD_SA ESP/0x"+fmt.Sprintf("%08x/%s", uint32(0xc0000001), a.Addr)+" not found for rekey\n")
		})
	}
}

// TestChildRekeyDeleteCollisionDropRekey (test_collision_delete_drop_rekey):
// the rekey request is delayed until after the DELETE exchange; the
// deleter answers CHILD_SA_NOT_FOUND and the rekeyer gives up quietly.
func TestChildRekeyDeleteCollisionDropRekey(t *testing.T) {
	for _, rekeyer := range []string{"moon", "sun"} {
		t.Run(rekeyer+" rekeys", func(t *testing.T) {
			p, a, b, evA, evB := rekeyDeletePair(t, rekeyer)
			rekey := p.Held()[0]
			p.DeliverNextTo(t, a)                 // <-- INFORMATIONAL { D }
			deliverNextExcept(t, p, b, rekey.Seq) // INFORMATIONAL { D } -->
			p.Deliver(rekey.Seq)                  // CREATE_CHILD_SA --> (delayed)
			b.WantLog(t, "[IKE] unable to rekey, CHILD_SA not found")
			if l := b.LogLines("generating CREATE_CHILD_SA response"); len(l) != 1 || !strings.HasSuffix(l[0], "[ N(NO_CHILD_SA) ]") {
				t.Errorf("%s: %v", b.Name, l)
			}
			p.DeliverNextTo(t, a) // <-- CREATE_CHILD_SA { N(NO_CHILD_SA) }
			a.NoLog(t, "peer didn't find the CHILD_SA we tried to rekey")
			a.NoLog(t, "establishing CHILD_SA net-net{3}")
			wantClosed(t, p, evA, evB)
		})
	}
}

// TestChildRekeyCollisionDelayedRequest (test_collision_delayed_request):
// moon's rekey request is delayed until sun's rekey completed; moon does
// not notice a collision and sun answers the stale request with
// TEMPORARY_FAILURE, whatever the nonces.
func TestChildRekeyCollisionDelayedRequest(t *testing.T) {
	for i, nonces := range [][3]byte{{0x00, 0xff, 0xff}, {0xff, 0x00, 0xff}, {0xff, 0xff, 0x00}} {
		t.Run(fmt.Sprintf("N%d lowest", i+1), func(t *testing.T) {
			// moon: its request N1 and its response N3; sun: its request N2.
			p, evMoon, evSun := collisionSetupNonces(t, []byte{nonces[0], nonces[2]}, []byte{nonces[1]})
			moonReq := p.Held()[0]
			// <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }
			p.DeliverNextTo(t, p.Moon)
			wantChild(t, p.Moon, "orig", sa.ChildRekeyed, sa.OutboundInstalled)
			wantChild(t, p.Moon, "B", sa.ChildInstalled, sa.OutboundRegistered)
			// CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->
			deliverNextExcept(t, p, p.Sun, moonReq.Seq)
			wantChild(t, p.Sun, "orig", sa.ChildDeleting, sa.OutboundNone)
			wantChild(t, p.Sun, "B", sa.ChildInstalled, sa.OutboundInstalled)
			// CREATE_CHILD_SA { N(REKEY_SA), ... } --> (delayed)
			p.Deliver(moonReq.Seq)
			if l := p.Sun.LogLines("generating CREATE_CHILD_SA response"); len(l) != 1 || !strings.HasSuffix(l[0], "[ N(TEMP_FAIL) ]") {
				t.Errorf("sun: %v", l)
			}
			// <-- INFORMATIONAL { D }
			p.DeliverNextTo(t, p.Moon)
			wantChild(t, p.Moon, "orig", sa.ChildDeleted, sa.OutboundNone)
			wantChild(t, p.Moon, "B", sa.ChildInstalled, sa.OutboundInstalled)
			// <-- CREATE_CHILD_SA { N(TEMP_FAIL) }
			p.DeliverNextTo(t, p.Moon)
			p.Moon.NoLog(t, "CHILD_SA rekeying failed, trying again")
			wantChildCount(t, p.Moon, 2)
			finalCollisionState(t, p, collisionCase{keepMoon: "B", keepSun: "B"}, evMoon, evSun)
		})
	}
}
