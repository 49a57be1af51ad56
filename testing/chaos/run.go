package chaos

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// RunOptions select what make chaos runs.
type RunOptions struct {
	// Moons are moon's implementations, one lab each ("goswan",
	// "strongswan" for the comparison).
	Moons           []string
	Phases          []string
	GoswanBin, Self string
	Flood           FloodPlan
	Storm           time.Duration
	StormRate       int
	// Idle is phase 0's duration.
	Idle time.Duration
	// Root is the repository (the storm's captures and corpora).
	Root string
	// Seed makes the storm repeatable: both labs get the same one.
	Seed int64
	// Children is how many CHILD_SAs the adversarial peer asks for.
	Children int
	// Probes is how many datagrams phase 2 compares one by one.
	Probes int
	// StrokeTime is phase 4's duration.
	StrokeTime time.Duration
	// FaultStep is how long phase 5's loss faults last (the others half
	// of it).
	FaultStep time.Duration
	// LogDir receives every host's daemon.log at the end.
	LogDir string
	Logf   func(format string, args ...any)
}

// Run builds a lab per implementation of moon and runs the phases on it.
func Run(ctx context.Context, o RunOptions) ([]PhaseResult, error) {
	var results []PhaseResult
	storms := map[string]*StormResult{}
	peers := map[string]*PeerResult{}
	perms := map[string][]string{}
	for _, moon := range o.Moons {
		rs, err := runLab(ctx, moon, o, &labOut{storms, peers, perms})
		results = append(results, rs...)
		if err != nil {
			return results, fmt.Errorf("moon %s: %w", moon, err)
		}
	}
	if g, s := storms["goswan"], storms["strongswan"]; g != nil && s != nil {
		results = append(results, CompareStorms(*g, *s))
	}
	if g, s := peers["goswan"], peers["strongswan"]; g != nil && s != nil {
		results = append(results, ComparePeers(*g, *s))
	}
	if g, s := perms["goswan"], perms["strongswan"]; g != nil && s != nil {
		results = append(results, ComparePerms(g, s))
	}
	return results, nil
}

// labOut collects what the comparisons with strongSwan need.
type labOut struct {
	storms map[string]*StormResult
	peers  map[string]*PeerResult
	perms  map[string][]string
}

func runLab(ctx context.Context, moon string, o RunOptions, out *labOut) ([]PhaseResult, error) {
	l, err := Build(ctx, Options{Moon: moon, GoswanBin: o.GoswanBin, Self: o.Self, Logf: o.Logf, LogDir: o.LogDir})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	if o.LogDir != "" {
		defer l.SaveLogs(o.LogDir)
	}
	if err := l.Start(); err != nil {
		return nil, err
	}
	e := &Expected{Tunnels: l.Tunnels()}
	s, ok := l.WaitSettled(*e, 60*time.Second)
	if !ok {
		return nil, fmt.Errorf("lab never settled: %v", e.Diff(s))
	}
	if s.Debug != nil && len(e.Tunnels) > 0 {
		e.PoliciesPerChild = s.Debug.DataPlanePolicies / len(e.Tunnels)
	}
	if d := e.Diff(s); len(d) != 0 {
		return nil, fmt.Errorf("lab does not hold the expected set at the start: %v", d)
	}
	var results []PhaseResult
	has := func(p string) bool { return slices.Contains(o.Phases, p) }
	if has("0") {
		results = append(results, l.PhaseIdle(e, o.Idle))
	}
	if has("1") {
		results = append(results, l.PhaseFlood(e, o.Flood))
	}
	if has("2") && ctx.Err() == nil {
		r, sr := l.PhaseStorm(e, o.StormRate, o.Storm, o.Root, o.Seed, o.Probes)
		results = append(results, r)
		out.storms[moon] = &sr
	}
	if has("3") && ctx.Err() == nil {
		r, pr := l.PhaseAdversary(e, o.Children)
		results = append(results, r)
		out.peers[moon] = &pr
	}
	if has("4") && ctx.Err() == nil {
		r, p := l.PhaseStroke(e, 200, o.StrokeTime)
		results = append(results, r)
		out.perms[moon] = p
	}
	if has("5") && ctx.Err() == nil {
		results = append(results, l.PhaseFaults(e, o.FaultStep))
	}
	if has("6") && ctx.Err() == nil {
		results = append(results, l.PhaseCrash(e))
	}
	if ctx.Err() != nil {
		return results, ctx.Err()
	}
	return results, nil
}

// Report prints the table of what each phase sent and what held.
func Report(w io.Writer, results []PhaseResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tMOON\tSENT / MEASURED\tHELD")
	for _, r := range results {
		status := "held"
		if !r.OK() {
			status = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\n", r.Phase, r.Moon, r.Sent, status, r.Duration.Round(time.Second))
		for _, f := range r.Figures {
			fmt.Fprintf(tw, "\t\t  %s: %s\t\n", f.Name, f.Value)
		}
		fmt.Fprintf(tw, "\t\t  charon RSS: %s -> peak %s -> %s\t\n", MiB(r.RSSStart), MiB(r.RSSPeak), MiB(r.RSSEnd))
		for _, c := range r.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(tw, "\t\t  [%s] %s\t%s\n", mark, c.Name, strings.TrimSpace(c.Detail))
		}
	}
	tw.Flush()
}
