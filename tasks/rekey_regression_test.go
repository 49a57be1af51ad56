package tasks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/ikesim"
)

// Regression tests for the rekey bugs of strongSwan 5.9.8 that lose the
// outbound SA: in both, our rekey of a CHILD_SA fails after the peer's
// colliding rekey of the same SA succeeded here, 5.9.8 schedules a retry
// and sets the old SA back to INSTALLED, and the peer's DELETE for the old
// SA then removes it like a plain delete: the replacement's outbound SA is
// never installed, traffic to the peer is dropped (or leaves on a policy
// without SA) until the next rekey. goswan keeps the old SA REKEYED and
// waits for that DELETE, as strongSwan 6.0 does.

// wantWaitingForDelete checks moon after its own rekey failed: the old
// SA still REKEYED, sun's replacement B inbound only (where policies name
// SPIs its outbound SA is in the kernel already, its policies are not),
// no retry scheduled.
// inBothKernelModels runs f on an established pair, held (messages wait
// for the test to deliver or drop them), once with policies naming SPIs
// and once routing by reqid: the regressions below were seen with both.
func inBothKernelModels(t *testing.T, f func(t *testing.T, p *ikesim.Pair)) {
	for _, policySPI := range []bool{false, true} {
		t.Run(map[bool]string{false: "reqid", true: "policy-spi"}[policySPI], func(t *testing.T) {
			s := ikesim.New(t)
			s.PolicySPI = policySPI
			p := ikesim.NewPairIn(t, s, nil)
			p.Up()
			p.Advance(time.Second)
			p.Hold = true
			f(t, p)
		})
	}
}

func wantWaitingForDelete(t *testing.T, p *ikesim.Pair) {
	t.Helper()
	registered := sa.OutboundRegistered
	if p.PolicySPI {
		registered |= sa.OutboundSA
	}
	p.Moon.WantLog(t, "[IKE] abort active rekeying for CHILD_SA net-net{1} because the peer successfully rekeyed it "+
		"before receiving our request, waiting for delete")
	p.Moon.NoLog(t, "CHILD_SA rekeying failed, trying again")
	wantChild(t, p.Moon, "orig", sa.ChildRekeyed, sa.OutboundInstalled)
	wantChild(t, p.Moon, "B", sa.ChildInstalled, registered)
}

// settle delivers the rest, lets retransmissions and delete delays run
// out, and checks that one working CHILD_SA is left, sun's B.
func settle(t *testing.T, p *ikesim.Pair) {
	t.Helper()
	p.RunHeld(p.Clock.Since()+60*time.Second, nil)
	p.WantOneChildPair(t)
	if c := p.Moon.OnlyIKESA(t).Children()[0]; c.UniqueID() != collisionIDs["moon"]["B"] {
		t.Errorf("moon kept %s{%d}, want sun's replacement B", c.Name(), c.UniqueID())
	}
	p.Moon.NoLog(t, "not found for rekey")
}

// TestRekeyCollisionLostDelete1896 is strongswan/strongswan#1896: both
// peers rekey the CHILD_SA at once; moon answers sun's request (and sees
// the collision), sun never sees moon's request in time, completes its
// rekey and sends the DELETE for the old SA, which is lost; moon's
// request, retransmitted, reaches sun while it deletes the old SA and is
// answered TEMPORARY_FAILURE, which reaches moon before the DELETE's
// retransmission. Run in both kernel models (policies naming SPIs, and
// routing by reqid).
func TestRekeyCollisionLostDelete1896(t *testing.T) {
	inBothKernelModels(t, func(t *testing.T, p *ikesim.Pair) {
		onChild(t, p.Moon, opRekeyChild)
		onChild(t, p.Sun, opRekeyChild)
		// moon's CREATE_CHILD_SA request is lost.
		p.DropHeld(p.Held()[0].Seq)
		// <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }
		p.DeliverNextTo(t, p.Moon)
		p.Moon.WantLog(t, "[IKE] detected CHILD_REKEY collision with CHILD_REKEY")
		// CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->: sun is done and
		// sends <-- INFORMATIONAL { D }, which is lost.
		p.DeliverNextTo(t, p.Sun)
		p.Sun.NoLog(t, "detected CHILD_REKEY collision")
		p.DropHeld(p.Held()[0].Seq)
		// moon retransmits its request; sun is deleting the old SA.
		p.Advance(5 * time.Second)
		p.Moon.WantLog(t, "[IKE] retransmit 1 of request with message ID 2")
		for _, h := range p.Held() {
			if h.To == "sun" && !h.Response {
				p.Deliver(h.Seq)
				break
			}
		}
		p.Sun.WantLog(t, "[ENC] generating CREATE_CHILD_SA response 2 [ N(TEMP_FAIL) ]")
		// <-- CREATE_CHILD_SA { N(TEMP_FAIL) }, before the DELETE.
		for _, h := range p.Held() {
			if h.To == "moon" && h.Response {
				p.Deliver(h.Seq)
				break
			}
		}
		wantWaitingForDelete(t, p)
		// sun retransmits the DELETE: moon installs B's outbound SA.
		settle(t, p)
		p.Moon.WantLogOrder(t, "[IKE] received DELETE for ESP CHILD_SA with SPI c0000001",
			"[IKE] outbound CHILD_SA net-net{3} established")
	})
}

// TestRekeyCollisionTSUnacceptable2477 is strongswan/strongswan#2477: both
// peers rekey the CHILD_SA at once; moon answers sun's request, but sun
// cannot install the SA of moon's request (its kernel refuses the
// policies) and answers TS_UNACCEPTABLE; sun's own rekey completes and it
// deletes the old SA.
func TestRekeyCollisionTSUnacceptable2477(t *testing.T) {
	inBothKernelModels(t, func(t *testing.T, p *ikesim.Pair) {
		onChild(t, p.Moon, opRekeyChild)
		onChild(t, p.Sun, opRekeyChild)
		moonReq := p.Held()[0]
		// <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }
		p.DeliverNextTo(t, p.Moon)
		// CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->:
		// sun's kernel refuses the new SA's policies.
		refuse := errors.New("policy refused")
		p.Sun.Kern.Fail = func(c fakekernel.Call) error {
			if c.Op == "AddPolicy" {
				return refuse
			}
			return nil
		}
		p.Deliver(moonReq.Seq)
		p.Sun.Kern.Fail = nil
		p.Sun.WantLog(t, "[ENC] generating CREATE_CHILD_SA response 2 [ N(TS_UNACCEPT) ]")
		// <-- CREATE_CHILD_SA { N(TS_UNACCEPT) }
		for _, h := range p.Held() {
			if h.To == "moon" && h.Response {
				p.Deliver(h.Seq)
				break
			}
		}
		p.Moon.WantLog(t, "[IKE] received TS_UNACCEPTABLE notify, no CHILD_SA built")
		wantWaitingForDelete(t, p)
		// CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->, then sun's
		// DELETE for the old SA.
		settle(t, p)
	})
}

// TestRekeyOfUnconfirmedReplacement: sun answers moon's rekey, the
// response is lost, and before moon's retransmission sun wants to rekey
// the CHILD_SA it just created (a soft expire, or ipsec stroke rekey
// net-net{*}). charon 5.9.8 sends that request; moon, which does not know
// the SA yet, answers CHILD_SA_NOT_FOUND, and sun destroys it while moon
// installs it on the retransmitted response: the peers disagree, and
// sun's outbound SA is gone (in ikev2/rekey-collision charon crashed
// doing this). goswan waits until moon completes its rekeying (moon's
// DELETE for the old SA installs our outbound SA) and tries again later.
func TestRekeyOfUnconfirmedReplacement(t *testing.T) {
	inBothKernelModels(t, func(t *testing.T, p *ikesim.Pair) {
		onChild(t, p.Moon, opRekeyChild)
		p.DeliverNextTo(t, p.Sun) // moon's request; sun's response is lost
		p.DropHeld(p.Held()[0].Seq)
		p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
			for _, c := range ike.Children() {
				if c.State() == sa.ChildInstalled {
					return ike.RekeyChild(c.Protocol(), c.SPI(true))
				}
			}
			t.Fatal("sun: no installed CHILD_SA")
			return sa.Success
		})
		p.Sun.WantLog(t, "[IKE] CHILD_SA net-net{2} is waiting for the peer to complete its rekeying",
			"[IKE] CHILD_SA rekeying failed, trying again in")
		if len(p.Held()) != 0 {
			t.Fatalf("sun sent %v", p.Held())
		}
		p.RunHeld(p.Clock.Since()+40*time.Second, nil)
		p.Sun.NoLog(t, "peer didn't find the CHILD_SA")
		p.Moon.NoLog(t, "unable to rekey, CHILD_SA not found")
		p.Sun.WantLog(t, "[ENC] generating CREATE_CHILD_SA request 0 [ N(REKEY_SA) SA No TSi TSr ]")
		p.WantOneChildPair(t)
	})
}
