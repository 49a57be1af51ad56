package tasks_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/testenv"
)

// The collision sweep: every pair of operations RFC 7296 §2.8.1 and
// §2.8.2 say may cross (CHILD rekey against CHILD rekey, against a delete,
// IKE rekey against IKE rekey and against CHILD rekey, ...), started on
// both peers at the same instant, then run to the end with the packets
// delivered in several orders and with messages lost at every position:
// each message of the lossless run dropped once, dropped twice (the
// request and its first retransmission, or the response and the one to
// the retransmitted request), and every pair of messages dropped once.
// Every case must end as its scenario says, for the CHILD_SA cases with
// exactly one CHILD_SA per side whose outbound SA is installed, the
// kernels' SAD and SPD holding only that pair and its policies, and
// traffic passing both ways (ikesim.Pair.OneChildPairError), in both
// kernel models: policies that name the outbound SPI (XFRM) and policies
// that route by reqid (the userspace data plane).

// sweepScenario is one pair of colliding operations.
type sweepScenario struct {
	name string
	mod  func(moon, sun *ikesim.ConnOpts)
	// setup changes the nodes' settings before the start.
	setup func(p *ikesim.Pair)
	// Nonces moon and sun generate first, in order (collision winners).
	moonNonces, sunNonces []byte
	// start queues the operations on both nodes (packets are held).
	start func(t testing.TB, p *ikesim.Pair)
	// end checks the state once everything settled.
	end func(p *ikesim.Pair) error
}

// onChild runs op on the node's only IKE_SA with its first CHILD_SA.
func onChild(t testing.TB, n *ikesim.Node, op func(ike *sa.IKESA, c *sa.ChildSA) sa.Status) {
	n.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return op(ike, ike.Children()[0]) })
}

func opRekeyChild(ike *sa.IKESA, c *sa.ChildSA) sa.Status {
	return ike.RekeyChild(c.Protocol(), c.SPI(true))
}
func opDeleteChild(ike *sa.IKESA, c *sa.ChildSA) sa.Status {
	return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
}
func opExpireChild(ike *sa.IKESA, c *sa.ChildSA) sa.Status {
	return ike.DeleteChild(c.Protocol(), c.SPI(true), true)
}
func opRekeyIKE(ike *sa.IKESA, _ *sa.ChildSA) sa.Status  { return ike.Rekey() }
func opReauth(ike *sa.IKESA, _ *sa.ChildSA) sa.Status    { return ike.Reauth() }
func opDeleteIKE(ike *sa.IKESA, _ *sa.ChildSA) sa.Status { return ike.Delete(false) }

// both starts op on moon and other on sun.
func both(moon, sun func(*sa.IKESA, *sa.ChildSA) sa.Status) func(t testing.TB, p *ikesim.Pair) {
	return func(t testing.TB, p *ikesim.Pair) {
		onChild(t, p.Moon, moon)
		onChild(t, p.Sun, sun)
	}
}

// noChildError: the IKE_SA survives on both sides without CHILD_SAs and
// the kernels hold nothing.
func noChildError(p *ikesim.Pair) error {
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		sas := n.IKESAs()
		if len(sas) != 1 || sas[0].State() != sa.IKEEstablished || sas[0].ChildCount() != 0 {
			return fmt.Errorf("%s: want one ESTABLISHED IKE_SA without CHILD_SAs", n.Name)
		}
		if err := kernelEmpty(n); err != nil {
			return err
		}
	}
	return nil
}

// nothingError: no IKE_SA left on either side, the kernels hold nothing.
func nothingError(p *ikesim.Pair) error {
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		if sas := n.IKESAs(); len(sas) != 0 || n.Mgr.Count() != 0 {
			return fmt.Errorf("%s: %d IKE_SAs left", n.Name, n.Mgr.Count())
		}
		if err := kernelEmpty(n); err != nil {
			return err
		}
	}
	return nil
}

func kernelEmpty(n *ikesim.Node) error {
	if sas, pols := n.Kern.SAs(), n.Kern.Policies(); len(sas) != 0 || len(pols) != 0 {
		return fmt.Errorf("%s: kernel not empty: SAs %v, policies %v", n.Name, sas, pols)
	}
	return nil
}

func onePair(p *ikesim.Pair) error { return p.OneChildPairError() }

// hardExpiry has sun's CHILD_SA reach its hard lifetime (rekey=no there)
// while moon rekeys it: sun deletes it and recreates it.
func hardExpiry(moon, sun *ikesim.ConnOpts) { sun.NoChildRekey = true }

var sweepScenarios = []sweepScenario{
	{name: "child-rekey/child-rekey/moon-wins", moonNonces: []byte{0xff, 0xff}, sunNonces: []byte{0x00, 0xff},
		start: both(opRekeyChild, opRekeyChild), end: onePair},
	{name: "child-rekey/child-rekey/sun-wins", moonNonces: []byte{0x00, 0xff}, sunNonces: []byte{0xff, 0xff},
		start: both(opRekeyChild, opRekeyChild), end: onePair},
	{name: "child-rekey/child-delete", start: both(opRekeyChild, opDeleteChild), end: noChildError},
	{name: "child-delete/child-rekey", start: both(opDeleteChild, opRekeyChild), end: noChildError},
	{name: "child-rekey/child-expire", mod: hardExpiry, start: both(opRekeyChild, opExpireChild), end: onePair},
	{name: "child-delete/child-delete", start: both(opDeleteChild, opDeleteChild), end: noChildError},
	{name: "ike-rekey/ike-rekey/moon-wins", moonNonces: []byte{0xff, 0xff}, sunNonces: []byte{0x00, 0xff},
		start: both(opRekeyIKE, opRekeyIKE), end: onePair},
	{name: "ike-rekey/ike-rekey/sun-wins", moonNonces: []byte{0x00, 0xff}, sunNonces: []byte{0xff, 0xff},
		start: both(opRekeyIKE, opRekeyIKE), end: onePair},
	{name: "ike-rekey/child-rekey", start: both(opRekeyIKE, opRekeyChild), end: onePair},
	{name: "child-rekey/ike-rekey", start: both(opRekeyChild, opRekeyIKE), end: onePair},
	{name: "ike-rekey/ike-delete", start: both(opRekeyIKE, opDeleteIKE), end: nothingError},
	{name: "child-rekey/ike-delete", start: both(opRekeyChild, opDeleteIKE), end: nothingError},
	{name: "ike-delete/child-rekey", start: both(opDeleteIKE, opRekeyChild), end: nothingError},
	{name: "ike-delete/ike-delete", start: both(opDeleteIKE, opDeleteIKE), end: nothingError},
	{name: "mbb-reauth/child-rekey", setup: makeBeforeBreak, start: both(opReauth, opRekeyChild), end: onePair},
	{name: "child-rekey/mbb-reauth", setup: makeBeforeBreak, start: both(opRekeyChild, opReauth), end: onePair},
	{name: "mbb-reauth/ike-rekey", setup: makeBeforeBreak, start: both(opReauth, opRekeyIKE), end: onePair},
	{name: "ike-rekey/mbb-reauth", setup: makeBeforeBreak, start: both(opRekeyIKE, opReauth), end: onePair},
	{name: "mbb-reauth/child-delete", setup: makeBeforeBreak, start: both(opReauth, opDeleteChild), end: onePair},
	{name: "bbm-reauth/child-rekey", start: both(opReauth, opRekeyChild), end: onePair},
	{name: "child-rekey/bbm-reauth", start: both(opRekeyChild, opReauth), end: onePair},
}

// makeBeforeBreak sets charon.make_before_break on both nodes.
func makeBeforeBreak(p *ikesim.Pair) {
	p.Moon.Env.Settings.MakeBeforeBreak = true
	p.Sun.Env.Settings.MakeBeforeBreak = true
}

// sweepOrder picks the next held packet to deliver; pairs: drop every
// pair of messages too (in the two crossing orders; the others drop each
// message once and twice, and TestCollisionInterleavings drops each once
// in every order).
type sweepOrder struct {
	name  string
	pick  func(held []ikesim.WireRecord) int
	pairs bool
}

func preferTo(name string) func([]ikesim.WireRecord) int {
	return func(h []ikesim.WireRecord) int {
		for i, r := range h {
			if r.To == name {
				return i
			}
		}
		return 0
	}
}

var sweepOrders = []sweepOrder{
	{"fifo", func([]ikesim.WireRecord) int { return 0 }, true},
	{"lifo", func(h []ikesim.WireRecord) int { return len(h) - 1 }, true},
	{"moon-first", preferTo("moon"), false},
	{"sun-first", preferTo("sun"), false},
}

// sweepHorizon is how long a case runs: every retransmission schedule
// (165 s with charon's defaults) and delete delay is over by then, no
// lifetime is.
const sweepHorizon = 240 * time.Second

const sweepIKE = "aes128-sha256-ecp256!"

// sweepRun runs one case: the scenario with the packets delivered in
// order's order and drops[m] transmissions of message m lost. It returns
// the end check's verdict, the messages sent after the start, and the
// pair (for a dump).
func sweepRun(t testing.TB, sc sweepScenario, policySPI bool, pick func([]ikesim.WireRecord) int,
	drops map[string]int, quiet bool) ([]string, *ikesim.Pair, error) {
	s := ikesim.New(t)
	s.PolicySPI, s.Quiet = policySPI, quiet
	p := ikesim.NewPairIn(t, s, func(moon, sun *ikesim.ConnOpts) {
		// NIST P-256 has an assembly implementation, which the race
		// detector does not slow down as it does X25519's Go code.
		moon.IKE, sun.IKE = sweepIKE, sweepIKE
		if sc.mod != nil {
			sc.mod(moon, sun)
		}
	})
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
	sent := map[string]int{}
	var msgs []string
	p.DropIf = func(r ikesim.WireRecord) bool {
		m := r.Message()
		if sent[m] == 0 {
			msgs = append(msgs, m)
		}
		sent[m]++
		return sent[m] <= drops[m]
	}
	p.Hold = true
	sc.start(t, p)
	p.RunHeld(time.Second+sweepHorizon, pick)
	p.DropIf = nil
	return msgs, p, sc.end(p)
}

// sweepFailures collects failed cases and reports the first in full.
type sweepFailures struct {
	t     *testing.T
	count int
	names []string
}

// add records a failure; the first is run again with logs for the dump.
func (f *sweepFailures) add(name string, err error, rerun func() *ikesim.Pair) {
	f.count++
	if f.count == 1 {
		f.t.Errorf("%s: %v\n%s", name, err, rerun().Dump())
	}
	if len(f.names) < 40 {
		f.names = append(f.names, fmt.Sprintf("%s: %v", name, err))
	}
}

// report fails the test if cases failed and logs how many ran.
func (f *sweepFailures) report(cases int) {
	if f.count > 0 {
		f.t.Errorf("%d of %d cases failed; the first ones:\n%s", f.count, cases, strings.Join(f.names, "\n"))
	}
	f.t.Logf("%d cases", cases)
}

func dropName(d map[string]int) string {
	if len(d) == 0 {
		return "lossless"
	}
	var parts []string
	for m, n := range d {
		parts = append(parts, fmt.Sprintf("%s x%d", m, n))
	}
	sort.Strings(parts)
	return "drop " + strings.Join(parts, ", ")
}

// sweepWithoutRace leaves the sweeps to make test's run without -race.
// Each run is one goroutine on virtual time, where the race detector has
// nothing to find; under it the three sweeps (with TestCollisionRandomLoss)
// took most of tasks' 55 s, and of its 160 s with both cores loaded (make
// test-loaded).
func sweepWithoutRace(t *testing.T) {
	if raceEnabled {
		testenv.OtherLane(t, "make test's run without -race", "one goroutine on virtual time: nothing for the race detector")
	}
}

// TestCollisionSweep runs every scenario in every delivery order and
// kernel model, lossless and with drops at every message position.
func TestCollisionSweep(t *testing.T) {
	sweepWithoutRace(t)
	for _, sc := range sweepScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			f := &sweepFailures{t: t}
			cases := 0
			for _, policySPI := range []bool{false, true} {
				kern := map[bool]string{false: "reqid", true: "policy-spi"}[policySPI]
				for _, o := range sweepOrders {
					prefix := fmt.Sprintf("%s/%s/%s", sc.name, kern, o.name)
					msgs, _, err := sweepRun(t, sc, policySPI, o.pick, nil, true)
					cases++
					if err != nil {
						f.add(prefix+"/lossless", err, func() *ikesim.Pair {
							_, p, _ := sweepRun(t, sc, policySPI, o.pick, nil, false)
							return p
						})
					}
					var drops []map[string]int
					for i, m := range msgs {
						drops = append(drops, map[string]int{m: 1}, map[string]int{m: 2})
						for _, m2 := range msgs[i+1:] {
							drops = append(drops, map[string]int{m: 1, m2: 1})
						}
					}
					for _, d := range drops {
						_, _, err := sweepRun(t, sc, policySPI, o.pick, d, true)
						cases++
						if err != nil {
							f.add(prefix+"/"+dropName(d), err, func() *ikesim.Pair {
								_, p, _ := sweepRun(t, sc, policySPI, o.pick, d, false)
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

// explorer enumerates delivery orders depth-first: each run replays the
// choices of the previous one up to its last choice point that has an
// untried alternative, takes that alternative, and the first packet at
// every later choice point. Choice points are the moments when more than
// one packet is held; only the first depth of them branch.
type explorer struct {
	depth        int
	prefix, made []int
	width        []int
}

func (e *explorer) pick(h []ikesim.WireRecord) int {
	if len(h) < 2 || len(e.made) >= e.depth {
		return 0
	}
	c := 0
	if k := len(e.made); k < len(e.prefix) {
		c = e.prefix[k]
	}
	e.made = append(e.made, c)
	e.width = append(e.width, len(h))
	return c
}

// next prepares the next order; false when all were run.
func (e *explorer) next() bool {
	for i := len(e.made) - 1; i >= 0; i-- {
		if e.made[i]+1 < e.width[i] {
			e.prefix = append(append([]int(nil), e.made[:i]...), e.made[i]+1)
			e.made, e.width = nil, nil
			return true
		}
	}
	return false
}

// TestCollisionInterleavings runs every scenario in every order of
// delivery (depth-first over the choice points, sweepDepth of them at
// most), lossless and then with each message that any lossless order
// sent dropped once.
func TestCollisionInterleavings(t *testing.T) {
	sweepWithoutRace(t)
	for _, sc := range sweepScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			f := &sweepFailures{t: t}
			cases := 0
			for _, policySPI := range []bool{false, true} {
				name := fmt.Sprintf("%s/policy-spi=%v", sc.name, policySPI)
				var msgs []string
				seen := map[string]bool{}
				cases += exploreOrders(t, f, name, sc, policySPI, nil, func(sent []string) {
					for _, m := range sent {
						if !seen[m] {
							seen[m] = true
							msgs = append(msgs, m)
						}
					}
				})
				for _, m := range msgs {
					cases += exploreOrders(t, f, name, sc, policySPI, map[string]int{m: 1}, nil)
				}
			}
			f.report(cases)
		})
	}
}

// exploreOrders runs one scenario with drops in every delivery order,
// handing each run's messages to sent; it returns the number of runs.
func exploreOrders(t *testing.T, f *sweepFailures, name string, sc sweepScenario, policySPI bool,
	drops map[string]int, sent func([]string)) int {
	runs := 0
	e := &explorer{depth: sweepDepth}
	for {
		msgs, _, err := sweepRun(t, sc, policySPI, e.pick, drops, true)
		runs++
		if sent != nil {
			sent(msgs)
		}
		if err != nil {
			prefix := append([]int(nil), e.made...)
			f.add(fmt.Sprintf("%s/%s/order %v", name, dropName(drops), prefix), err, func() *ikesim.Pair {
				r := &explorer{depth: sweepDepth, prefix: prefix}
				_, p, _ := sweepRun(t, sc, policySPI, r.pick, drops, false)
				return p
			})
		}
		if !e.next() {
			return runs
		}
	}
}

const sweepDepth = 64
