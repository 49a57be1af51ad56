package reqiddiff

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Options configure a differential run.
type Options struct {
	// Test and Reference are the pairings of the two labs ("gg" and "ss").
	Test, Reference string
	// TestSettings and ReferenceSettings are extra charon settings of each
	// lab (e.g. goswan's setting for the 5.9.12 behaviour).
	TestSettings, ReferenceSettings string
	GoswanBin                       string
	// Sequences is how many sequences to run, Batch how many run on one
	// pair of daemons before both are restarted, Seed the first seed.
	Sequences, Batch int
	Seed             uint64
	// Out receives the progress and the report.
	Out io.Writer
	// Verbose traces every command.
	Verbose bool
	// StopAfter stops the run after this many mismatches (0: never).
	StopAfter int
}

// Mismatch is a step after which the labs disagree.
type Mismatch struct {
	Seed   uint64 // the sequence's seed (the batch started at BatchSeed)
	Batch  uint64 // seed of the batch's first sequence
	Step   int    // index in the sequence; -1 for the clean-up after it
	What   string // the step
	Kind   string // "reqid", "unique id", "IKE_SA" or "error"
	Detail string
}

// Result sums up a run.
type Result struct {
	Sequences, Steps int
	// ReqIDs is how many reqids were compared (CHILD_SAs and traps on both
	// gateways, at every snapshot).
	ReqIDs     int
	Mismatches []Mismatch
	// Races are mismatches that a replay of their batch did not show
	// again: the order of a release and an allocation inside one daemon
	// decided them, not the implementation.
	Races []Mismatch
}

// Run drives both labs through the sequences and compares them.
func Run(ctx context.Context, o Options) (Result, error) {
	var res Result
	if o.Batch <= 0 {
		o.Batch = 20
	}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Out, format+"\n", args...) }
	test, err := BuildLab(ctx, o.Test, o.GoswanBin, o.TestSettings, nil)
	if err != nil {
		return res, err
	}
	defer test.Close()
	ref, err := BuildLab(ctx, o.Reference, o.GoswanBin, o.ReferenceSettings, nil)
	if err != nil {
		return res, err
	}
	defer ref.Close()
	if o.Verbose {
		trace := func(lab, host, command, out string) {
			fmt.Fprintf(o.Out, "  [%s] %s# %s\n", lab, host, command)
			for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				if l != "" {
					fmt.Fprintf(o.Out, "  [%s]     %s\n", lab, l)
				}
			}
		}
		test.Trace, ref.Trace = trace, trace
	}
	labs := []*Lab{test, ref}
	seed := o.Seed
	for res.Sequences < o.Sequences {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		n := min(o.Batch, o.Sequences-res.Sequences)
		logf("batch of %d sequences from seed %d (%d done, %d reqids compared, %d mismatches, %d races)",
			n, seed, res.Sequences, res.ReqIDs, len(res.Mismatches), len(res.Races))
		done, err := runBatch(labs, seed, n, &res, logf)
		res.Sequences += done
		seed += uint64(done)
		if err != nil {
			return res, err
		}
		if o.StopAfter > 0 && len(res.Mismatches) >= o.StopAfter {
			break
		}
	}
	return res, nil
}

// both runs f on both labs at once.
func both[T any](labs []*Lab, f func(*Lab) (T, error)) ([]T, []error) {
	out := make([]T, len(labs))
	errs := make([]error, len(labs))
	var wg sync.WaitGroup
	for i, l := range labs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = f(l)
		}()
	}
	wg.Wait()
	return out, errs
}

// runBatch runs up to n sequences from seed on one start of both labs'
// daemons. A mismatch ends the batch (the labs' histories differ from then
// on); the batch is then replayed from its start, on freshly started
// daemons, up to the step that disagreed, at most replays times: if any
// replay agrees there, the mismatch was a race inside one daemon (charon's
// own threads order a release and an allocation either way, see
// Result.Races) and is recorded as such. It returns how many sequences
// ran.
func runBatch(labs []*Lab, seed uint64, n int, res *Result, logf func(string, ...any)) (int, error) {
	var counts Result
	done, m, err := playBatch(labs, seed, n, nil, &counts)
	res.Steps += counts.Steps
	res.ReqIDs += counts.ReqIDs
	if err != nil || m == nil {
		return done, err
	}
	logf("MISMATCH in sequence %d (batch from %d), step %d (%s): %s\n%s", m.Seed, seed, m.Step, m.What, m.Kind, m.Detail)
	for _, l := range labs {
		for _, h := range []string{"moon", "sun"} {
			logf("--- %s %s daemon.log (end):\n%s", l.Name, h, l.Log(h, 40))
		}
	}
	for r := range replays {
		logf("replaying the batch up to sequence %d, step %d (%d of %d)", m.Seed, m.Step, r+1, replays)
		_, again, err := playBatch(labs, seed, done, m, &Result{})
		if err != nil {
			return done, err
		}
		switch {
		case again == nil:
			logf("the replay agreed: a race, not a difference between the implementations")
			res.Races = append(res.Races, *m)
			return done, nil
		case again.Seed == m.Seed && again.Step == m.Step:
			logf("the replay disagreed again at the same step: %s", again.Kind)
		default:
			logf("the replay disagreed earlier, at sequence %d, step %d (%s): %s\n%s",
				again.Seed, again.Step, again.What, again.Kind, again.Detail)
		}
	}
	res.Mismatches = append(res.Mismatches, *m)
	return done, nil
}

// replays is how often a mismatch is replayed before it counts.
const replays = 2

// playBatch starts both labs' daemons, runs up to n sequences from seed and
// stops them. With until set it stops after that sequence's step (a
// replay). It returns how many sequences ran and the first mismatch.
func playBatch(labs []*Lab, seed uint64, n int, until *Mismatch, counts *Result) (int, *Mismatch, error) {
	if _, errs := both(labs, func(l *Lab) (struct{}, error) { return struct{}{}, l.Start() }); firstErr(errs) != nil {
		return 0, nil, firstErr(errs)
	}
	defer both(labs, func(l *Lab) (struct{}, error) { return struct{}{}, l.Stop() })
	var prev []map[string]Snapshot // the labs' last agreed snapshots
	for i := range n {
		s := seed + uint64(i)
		for j, st := range append(Sequence(s), Step{Kind: cleanUp}) {
			if st.Kind == cleanUp {
				j = -1
			}
			snaps, errs := doStep(labs, st)
			if st.Kind != cleanUp {
				counts.Steps++
			}
			m := compare(labs, snaps, errs)
			if m != nil {
				m.Seed, m.Batch, m.Step, m.What = s, seed, j, st.String()
				if len(prev) > 0 {
					m.Detail = "before the step (both):\n" + describe(prev[len(prev)-1]) + "\nafter it:\n" + m.Detail
				}
				return i + 1, m, nil
			}
			for _, ss := range snaps {
				for _, snap := range ss {
					counts.ReqIDs += snap["moon"].ReqIDs() + snap["sun"].ReqIDs()
				}
			}
			prev = snaps[0]
			if until != nil && until.Seed == s && until.Step == j {
				return i + 1, nil, nil
			}
		}
	}
	return n, nil, nil
}

// doStep runs a step (or the clean-up after a sequence) on both labs at
// once.
func doStep(labs []*Lab, st Step) ([][]map[string]Snapshot, []error) {
	if st.Kind != cleanUp {
		return both(labs, func(l *Lab) ([]map[string]Snapshot, error) { return l.Do(st) })
	}
	one, errs := both(labs, func(l *Lab) (map[string]Snapshot, error) { return l.Clear() })
	snaps := make([][]map[string]Snapshot, len(one))
	for i, o := range one {
		snaps[i] = []map[string]Snapshot{o}
	}
	return snaps, errs
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// describe prints both gateways' snapshot.
func describe(snap map[string]Snapshot) string {
	var b strings.Builder
	for _, h := range []string{"moon", "sun"} {
		fmt.Fprintf(&b, "  %s:\n", h)
		for _, l := range append(append([]string{}, snap[h].IKE...), snap[h].Children...) {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	return b.String()
}

var uidRE = regexp.MustCompile(`[{\[]\d+[}\]]`)

// withoutUIDs drops the unique ids of a snapshot's lines.
func withoutUIDs(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = uidRE.ReplaceAllString(l, "")
	}
	slices.Sort(out)
	return out
}

// compare returns the first difference between the labs' snapshots, nil if
// they agree.
func compare(labs []*Lab, snaps [][]map[string]Snapshot, errs []error) *Mismatch {
	if errs[0] != nil || errs[1] != nil {
		return &Mismatch{Kind: "error", Detail: fmt.Sprintf("%s: %v\n%s: %v", labs[0].Name, errs[0], labs[1].Name, errs[1])}
	}
	if len(snaps[0]) != len(snaps[1]) {
		return &Mismatch{Kind: "error", Detail: "different number of snapshots"}
	}
	for k := range snaps[0] {
		for _, h := range []string{"moon", "sun"} {
			a, b := snaps[0][k][h], snaps[1][k][h]
			detail := func() string {
				return fmt.Sprintf("%s %s:\n    %s\n    %s\n%s %s:\n    %s\n    %s", labs[0].Name, h,
					strings.Join(a.IKE, "\n    "), strings.Join(a.Children, "\n    "), labs[1].Name, h,
					strings.Join(b.IKE, "\n    "), strings.Join(b.Children, "\n    "))
			}
			switch {
			case !slices.Equal(withoutUIDs(a.Children), withoutUIDs(b.Children)):
				return &Mismatch{Kind: "reqid", Detail: detail()}
			case !slices.Equal(a.Children, b.Children):
				return &Mismatch{Kind: "unique id", Detail: detail()}
			case !slices.Equal(a.IKE, b.IKE):
				return &Mismatch{Kind: "IKE_SA", Detail: detail()}
			}
		}
	}
	return nil
}
