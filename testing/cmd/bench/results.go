package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Results is what one run of the suite measured: bench/results.json.
type Results struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Suite    string    `json:"suite"`
	CPUs     int       `json:"cpus"`
	Kernel   string    `json:"kernel"`
	// Load is /proc/loadavg's 1-minute figure at the start and end.
	Load    [2]float64 `json:"load"`
	Figures []*Figure  `json:"figures"`
}

// Figure is one measurement: each row a subject, one of them the anchor
// it is compared with, measured in the same run. Ratio is a row's value
// over the anchor's; Goal, if set, is the ratio goswan↔goswan must reach
// (at least, or with GoalAtMost at most).
type Figure struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Unit   string  `json:"unit"`
	Anchor string  `json:"anchor"`
	Goal   float64 `json:"goal,omitempty"`
	// GoalAtMost: the goal is an upper bound (memory).
	GoalAtMost bool `json:"goal_at_most,omitempty"`
	// HigherIsBetter orders nothing; it tells the reader which way is good.
	HigherIsBetter bool     `json:"higher_is_better"`
	Rows           []*Row   `json:"rows"`
	Series         []Series `json:"series,omitempty"`
	// SeriesX and SeriesY name the series' axes.
	SeriesX string `json:"series_x,omitempty"`
	SeriesY string `json:"series_y,omitempty"`
	// Load is the 1-minute load average before and after the figure.
	Load  [2]float64 `json:"load"`
	Notes []string   `json:"notes,omitempty"`
	Error string     `json:"error,omitempty"`
}

// Row is one subject of a figure: the median of its runs.
type Row struct {
	Code  string    `json:"code"`  // gg, ss, wg, …
	Label string    `json:"label"` // what it is, for people
	Value float64   `json:"value"`
	Runs  []float64 `json:"runs"`
	Ratio float64   `json:"ratio,omitempty"`
	// Extra holds secondary figures of the same run (retransmits, RSS).
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Series is a curve: cost per tunnel against the number of tunnels.
type Series struct {
	Label  string    `json:"label"`
	Points []float64 `json:"points"` // x0, y0, x1, y1, …
}

// loadAvg reads the 1-minute load average (0 if unreadable).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscanf(string(b), "%f", &l)
	return l
}

func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

// median of the values (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// row returns the figure's row for code, adding it if new.
func (f *Figure) row(code, label string) *Row {
	for _, r := range f.Rows {
		if r.Code == code {
			return r
		}
	}
	r := &Row{Code: code, Label: label}
	f.Rows = append(f.Rows, r)
	return r
}

// add records one run's value for a row.
func (f *Figure) add(code, label string, v float64) *Row {
	r := f.row(code, label)
	r.Runs = append(r.Runs, v)
	return r
}

// finish takes the medians and the ratios to the anchor.
func (f *Figure) finish() {
	var anchor float64
	for _, r := range f.Rows {
		r.Value = median(r.Runs)
		if r.Code == f.Anchor {
			anchor = r.Value
		}
	}
	for _, r := range f.Rows {
		if anchor > 0 && !math.IsNaN(r.Value) {
			r.Ratio = r.Value / anchor
		}
	}
}

// print shows the figure as a table.
func (f *Figure) print() {
	fmt.Printf("\n%s (%s; load average %.1f → %.1f)\n", f.Title, f.Unit, f.Load[0], f.Load[1])
	if f.Error != "" {
		fmt.Printf("  FAILED: %s\n", f.Error)
	}
	goal := ""
	if f.Goal > 0 {
		op := "≥"
		if f.GoalAtMost {
			op = "≤"
		}
		goal = fmt.Sprintf("  (goal for goswan: %s %.2g× %s)", op, f.Goal, f.Anchor)
	}
	fmt.Printf("  %-6s %-34s %14s %10s%s\n", "", "", f.Unit, "vs "+f.Anchor, goal)
	for _, r := range f.Rows {
		ratio := "-"
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", r.Ratio)
		}
		fmt.Printf("  %-6s %-34s %14.4g %10s", r.Code, r.Label, r.Value, ratio)
		for _, k := range sortedKeys(r.Extra) {
			fmt.Printf("  %s %.4g", k, r.Extra[k])
		}
		fmt.Println()
	}
	for _, n := range f.Notes {
		fmt.Printf("  note: %s\n", n)
	}
}

func sortedKeys(m map[string]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// write saves the results as JSON in dir.
func (r *Results) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644)
}

func newResults(suite string) *Results {
	return &Results{Started: time.Now().UTC(), Suite: suite, CPUs: runtime.NumCPU(), Kernel: kernelRelease(),
		Load: [2]float64{loadAvg(), 0}}
}
