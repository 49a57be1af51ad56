package runner

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/internal/scenario"
	"github.com/goswan/goswan/testing/internal/topology"
)

// console writes a test's console.log in the layout of strongSwan's runner:
// PRE-TEST, TEST and POST-TEST sections with "host# command" lines, and for
// evaltest lines the grep, the expectation and the matches, with a FAIL
// banner and the head of the command's output when a line fails.
type console struct {
	f       *os.File
	w       *bufio.Writer
	verbose bool
	t0      time.Time
}

func newConsole(path string, verbose bool) (*console, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &console{f: f, w: bufio.NewWriter(f), verbose: verbose, t0: time.Now()}, nil
}

func (c *console) close() {
	_ = c.w.Flush()
	_ = c.f.Close()
}

func (c *console) println(s string) {
	c.w.WriteString(s)
	c.w.WriteByte('\n')
}

func (c *console) printf(format string, args ...any) {
	fmt.Fprintf(c.w, format, args...)
	c.w.WriteByte('\n')
}

func (c *console) section(title string) {
	fmt.Fprintf(c.w, "\n%s (%.2fs)\n\n", title, time.Since(c.t0).Seconds())
}

func (c *console) header(t *test) {
	c.printf("scenario: %s", t.sc.Name)
	c.printf("pairing:  %s (%s)", t.p.Name(), t.p.Code())
	c.printf("lane:     %s", t.r.opt.Lane)
	left, right := Sides(t.sc.Conf.IPsecHosts, t.sc.Conf.RightHosts)
	c.printf("sides:    left %v, right %v", left, right)
	var a []string
	for _, h := range hosts.Names() {
		a = append(a, h+"="+string(t.assign[h]))
	}
	c.printf("hosts:    %s", strings.Join(a, " "))
	c.printf("started:  %s", c.t0.Format(time.RFC3339))
	c.println("")
	c.println(strings.TrimSpace(t.sc.Description))
}

// output writes a command's stdout and stderr.
func (c *console) output(stdout, stderr []byte) {
	for _, b := range [][]byte{stdout, stderr} {
		if len(b) > 0 {
			c.w.Write(b)
			if !bytes.HasSuffix(b, []byte("\n")) {
				c.w.WriteByte('\n')
			}
		}
	}
}

func (c *console) evalLine(lr lineResult, out topology.Result) {
	l := lr.Line
	failed := !lr.Pass
	if failed {
		c.println("~~~~~~~ FAIL ~~~~~~~")
	}
	src := l.Command
	if l.IsTcpdump() {
		src = "cat " + l.Host + ".tcpdump.log"
	}
	if l.Expect.Kind == scenario.ExpectNone {
		c.printf("%s# %s", l.Host, src)
		c.output(out.Stdout, out.Stderr)
	} else {
		c.printf("%s# %s | grep '%s'  [%s]", l.Host, src, scenario.GrepPattern(l.Pattern), l.Expect)
		if len(lr.Matches) > 0 {
			c.println(strings.Join(lr.Matches, "\n"))
		}
		c.output(nil, out.Stderr)
	}
	if out.Duration > 200*time.Millisecond {
		c.printf("  [%.2fs]", out.Duration.Seconds())
	}
	if failed {
		c.printf("~~ %s", lr.Reason)
		if len(out.Stdout) > 0 && l.Expect.Kind != scenario.ExpectNone {
			c.println("~~ output ~~~~~~~~~~")
			text := string(out.Stdout)
			if !c.verbose {
				text = head(text, 10)
			}
			c.output([]byte(text), nil)
		}
		c.println("~~~~~~~~~~~~~~~~~~~~")
	}
	c.println("")
}

// head returns the first n lines of s.
func head(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "") + fmt.Sprintf("[%d more lines; -v shows all]\n", len(lines)-n)
}
