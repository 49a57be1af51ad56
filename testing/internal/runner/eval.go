package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/goswan/goswan/testing/internal/scenario"
	"github.com/goswan/goswan/testing/internal/topology"
)

// lineResult is the verdict on one evaltest line.
type lineResult struct {
	Line    scenario.EvalLine
	Ran     bool // false for comments and lines of another lane
	Skipped bool // the line belongs to another lane
	Pass    bool
	Reason  string   // why it failed, or a note
	Matches []string // lines grep printed
}

func (l lineResult) verdict() string {
	switch {
	case l.Skipped:
		return "SKIP"
	case !l.Ran:
		return "    "
	case l.Line.Expect.Kind == scenario.ExpectNone && l.Pass:
		return "RUN "
	case l.Pass:
		return "PASS"
	default:
		return "FAIL"
	}
}

// evaluate runs evaltest.dat.
func (t *test) evaluate(ctx context.Context) error {
	t.con.section("TEST")
	for _, l := range t.sc.Eval {
		if l.IsComment() {
			t.con.println(l.Comment)
			t.lines = append(t.lines, lineResult{Line: l})
			continue
		}
		if !scenario.InLane(l.Lane, string(t.r.opt.Lane)) {
			t.lines = append(t.lines, lineResult{Line: l, Skipped: true})
			t.con.printf("%s  (%s lane only: skipped)\n", l.String(), l.Lane)
			continue
		}
		lr, out, err := t.evalLine(ctx, l)
		t.lines = append(t.lines, lr)
		t.con.evalLine(lr, out)
		if !lr.Pass {
			t.fail("evaltest.dat:%d %s", l.Line, shorten(l.String(), 110)+" ("+lr.Reason+")")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// evalLine runs one line and judges it.
func (t *test) evalLine(ctx context.Context, l scenario.EvalLine) (lineResult, topology.Result, error) {
	lr := lineResult{Line: l, Ran: true}
	var out topology.Result
	if l.IsTcpdump() {
		c := t.caps[l.Host]
		if c == nil {
			lr.Reason = "no capture on " + l.Host + " (not in TCPDUMPHOSTS)"
			return lr, out, nil
		}
		b, d, err := c.output()
		out.Duration = d
		if err != nil {
			lr.Reason = err.Error()
			return lr, out, nil
		}
		out.Stdout = b
	} else {
		var err error
		out, err = t.run(ctx, l.Host, l.Command)
		if err != nil {
			lr.Reason = err.Error()
			return lr, out, err
		}
		if out.Err != nil {
			lr.Reason = out.Err.Error()
			return lr, out, nil
		}
	}
	if l.Expect.Kind == scenario.ExpectNone {
		lr.Pass = true
		return lr, out, nil
	}
	matches, found, err := grep(ctx, scenario.GrepPattern(l.Pattern), out.Stdout)
	if err != nil {
		lr.Reason = err.Error()
		return lr, out, nil
	}
	lr.Matches = matches
	switch l.Expect.Kind {
	case scenario.ExpectYes:
		lr.Pass = found
		if !found {
			lr.Reason = "pattern not found"
		}
	case scenario.ExpectNo:
		lr.Pass = !found
		if found {
			lr.Reason = fmt.Sprintf("pattern found %d times", len(matches))
		}
	case scenario.ExpectCount:
		// strongSwan's runner counts `echo "$matches" | wc -l`, which is 1
		// for no match at all; this runner counts the matching lines, so
		// "::1" really needs one match.
		lr.Pass = len(matches) == l.Expect.Count
		if !lr.Pass {
			lr.Reason = fmt.Sprintf("%d matching lines, want %d", len(matches), l.Expect.Count)
		}
	}
	return lr, out, nil
}

// grep matches pattern, a POSIX basic regular expression with GNU
// extensions, against text with the system's grep, so that every pattern
// means exactly what it means in strongSwan's runner. grep only filters the
// runner's copy of the output; it runs nothing of the scenario.
func grep(ctx context.Context, pattern string, text []byte) (matches []string, found bool, err error) {
	cmd := exec.CommandContext(ctx, "grep", "--", pattern)
	cmd.Env = []string{"LC_ALL=C"}
	cmd.Stdin = bytes.NewReader(text)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return nil, false, nil
	case errors.As(err, &ee):
		return nil, false, fmt.Errorf("grep %q: %s", pattern, strings.TrimSpace(stderr.String()))
	default:
		return nil, false, fmt.Errorf("grep: %w", err)
	}
	s := strings.TrimSuffix(stdout.String(), "\n")
	return strings.Split(s, "\n"), true, nil
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
