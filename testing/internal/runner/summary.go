package runner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// printSummary prints the table of scenarios × pairings, the totals, and
// writes the same into the run directory as summary.txt.
func (r *run) printSummary(s *Summary) {
	var b strings.Builder
	fmt.Fprintf(&b, "lane: %s\n", r.opt.Lane)
	writeSummary(&b, s, r.opt.Pairings)
	fmt.Fprint(r.opt.Out, "\n"+b.String())
	_ = os.WriteFile(filepath.Join(s.RunDir, "summary.txt"), []byte(b.String()), 0o644)
}

func writeSummary(w io.Writer, s *Summary, pairings []Pairing) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "scenario")
	for _, p := range pairings {
		fmt.Fprintf(tw, "\t%s", p.Code())
	}
	fmt.Fprintln(tw)
	cell := map[string]map[string]Outcome{}
	var order []string
	for _, o := range s.Outcomes {
		if cell[o.Scenario] == nil {
			cell[o.Scenario] = map[string]Outcome{}
			order = append(order, o.Scenario)
		}
		cell[o.Scenario][o.Pairing.Code()] = o
	}
	for _, sc := range order {
		fmt.Fprint(tw, sc)
		for _, p := range pairings {
			o, ok := cell[sc][p.Code()]
			switch {
			case !ok:
				fmt.Fprint(tw, "\t-")
			case o.Aborted:
				fmt.Fprintf(tw, "\taborted %.1fs", o.Duration.Seconds())
			case o.Passed:
				fmt.Fprintf(tw, "\tpass %.1fs", o.Duration.Seconds())
			default:
				fmt.Fprintf(tw, "\tFAIL %.1fs", o.Duration.Seconds())
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w)
	var legend []string
	for _, p := range pairings {
		legend = append(legend, p.Code()+" = "+p.Name())
	}
	fmt.Fprintf(w, "pairings, left side first (moon, or the roadwarriors), then right (sun, or moon):\n  %s\n", strings.Join(legend, "\n  "))
	if s.Aborted {
		fmt.Fprintln(w, "run ABORTED")
	}
	fmt.Fprintf(w, "total time %.1fs; results in %s\n", s.Duration.Seconds(), s.RunDir)
	if s.NotApplicable > 0 {
		fmt.Fprintf(w, "%d passed, %d failed, %d not applicable (-: the scenario's PAIRINGS leaves the pairing out)\n",
			s.Passed(), s.Failed(), s.NotApplicable)
	} else {
		fmt.Fprintf(w, "%d passed, %d failed\n", s.Passed(), s.Failed())
	}
	writeFailures(w, s)
}

// writeFailures lists every failed test with its first reasons after the
// totals. It comes last on purpose: a CI record often keeps only the tail of
// the output, and the table above says which cell failed but not why.
func writeFailures(w io.Writer, s *Summary) {
	const maxReasons = 3
	for _, o := range s.Outcomes {
		if o.Passed {
			continue
		}
		what := "FAILED"
		if o.Aborted {
			what = "ABORTED"
		}
		fmt.Fprintf(w, "%s %s [%s] (%s)\n", what, o.Scenario, o.Pairing.Code(), o.Dir)
		for i, r := range o.Reasons {
			if i == maxReasons {
				fmt.Fprintf(w, "    ... %d more in %s\n", len(o.Reasons)-maxReasons, filepath.Join(o.Dir, "console.log"))
				break
			}
			fmt.Fprintf(w, "    %s\n", r)
		}
	}
}
