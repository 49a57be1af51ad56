package tasks_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// TestCollisionRandomLoss runs every scenario with 10, 20 and 30 % of the
// packets lost at random and the held packets delivered in random order,
// with many seeds. At 30 % loss a round trip fails half the time (0.3 +
// 0.7 * 0.3), so both daemons retransmit up to 20 times, at most 30 s
// apart (charon.retransmit_tries and retransmit_limit): an exchange then
// gives up with a probability of 0.51^21, 7e-7.
func TestCollisionRandomLoss(t *testing.T) {
	sweepWithoutRace(t)
	for _, sc := range sweepScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			f := &sweepFailures{t: t}
			cases := 0
			for _, policySPI := range []bool{false, true} {
				for _, loss := range []int{10, 20, 30} {
					for seed := int64(1); seed <= randomLossSeeds; seed++ {
						err := randomLossRun(t, sc, policySPI, loss, seed, true)
						cases++
						if err != nil {
							f.add(fmt.Sprintf("%s/policy-spi=%v/loss %d%%/seed %d", sc.name, policySPI, loss, seed), err,
								func() *ikesim.Pair {
									var p *ikesim.Pair
									randomLossRunPair(t, sc, policySPI, loss, seed, false, &p)
									return p
								})
						}
					}
				}
			}
			f.report(cases)
		})
	}
}

const randomLossSeeds = 30

func randomLossRun(t testing.TB, sc sweepScenario, policySPI bool, loss int, seed int64, quiet bool) error {
	return randomLossRunPair(t, sc, policySPI, loss, seed, quiet, nil)
}

func randomLossRunPair(t testing.TB, sc sweepScenario, policySPI bool, loss int, seed int64, quiet bool,
	out **ikesim.Pair) error {
	s := ikesim.New(t)
	s.PolicySPI, s.Quiet = policySPI, quiet
	p := ikesim.NewPairIn(t, s, func(moon, sun *ikesim.ConnOpts) {
		moon.IKE, sun.IKE = sweepIKE, sweepIKE
		if sc.mod != nil {
			sc.mod(moon, sun)
		}
	})
	if out != nil {
		*out = p
	}
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.Env.Settings.RetransmitTries, n.Env.Settings.RetransmitLimit = 20, 30
	}
	p.Up()
	p.Advance(time.Second)
	if err := p.OneChildPairError(); err != nil {
		t.Fatalf("%s: not established: %v", sc.name, err)
	}
	if sc.setup != nil {
		sc.setup(p)
	}
	p.Moon.PinNonces(sc.moonNonces...)
	p.Sun.PinNonces(sc.sunNonces...)
	rnd := rand.New(rand.NewSource(seed))
	p.DropIf = func(ikesim.WireRecord) bool { return rnd.Intn(100) < loss }
	p.Hold = true
	sc.start(t, p)
	p.RunHeld(time.Second+randomLossHorizon, func(h []ikesim.WireRecord) int { return rnd.Intn(len(h)) })
	p.DropIf = nil
	err := sc.end(p)
	if err != nil && strings.Contains(sc.name, "mbb-reauth") && stuckReauthentication(p) {
		// charon's behaviour, kept: see stuckReauthentication.
		return nil
	}
	return err
}

// stuckReauthentication tells whether a node's IKE_SA is left
// reauthenticating after its make-before-break replacement gave up, so
// that it answers every rekey with TEMPORARY_FAILURE. strongSwan 5.9.8 does
// the same: ike_sa.c's reauth sets COND_REAUTHENTICATING, only inherit_pre
// (a replacement that completes) clears it, and ike_rekey.c refuses a
// peer's rekey while it is set; the SA lives on until its lifetime ends.
// With heavy loss the replacement's IKE_AUTH can run out of retransmits.
func stuckReauthentication(p *ikesim.Pair) bool {
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		sas := n.IKESAs()
		// (the sweep runs quiet: no log to look at, the condition tells)
		if len(sas) == 1 && sas[0].Has(sa.CondReauthenticating) {
			return true
		}
	}
	return false
}

// randomLossHorizon outlasts twenty retransmissions at most 30 s apart.
const randomLossHorizon = 900 * time.Second
