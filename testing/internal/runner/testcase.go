package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/internal/scenario"
	"github.com/goswan/goswan/testing/internal/topology"
)

// test is one scenario in one pairing.
type test struct {
	r       *run
	out     io.Writer // progress line: the run's output, or a buffer when tests run in parallel
	prefix  string    // namespace prefix of this test's topology
	sc      *scenario.Scenario
	p       Pairing
	assign  map[string]Impl
	dir     string
	con     *console
	topo    *topology.Topology
	caps    map[string]*capture
	servers []*server
	reasons []string
	lines   []lineResult
	aborted bool
}

func (t *test) fail(format string, args ...any) {
	t.reasons = append(t.reasons, fmt.Sprintf(format, args...))
}

// runOne runs scenario sc in pairing p; n numbers the test in the run.
// Its progress line goes to out; prefix starts its namespaces' names
// (tests that run at the same time need different ones).
func (r *run) runOne(ctx context.Context, sc *scenario.Scenario, p Pairing, n int, out io.Writer, prefix string) Outcome {
	t0 := time.Now()
	t := &test{r: r, out: out, prefix: prefix, sc: sc, p: p, caps: map[string]*capture{},
		assign: p.Assign(sc.Conf.IPsecHosts, sc.Conf.RightHosts, hosts.Names()),
		dir:    filepath.Join(r.runDir, filepath.FromSlash(sc.Name), p.Name())}
	fmt.Fprintf(out, "%3d %s [%s]: ", n, sc.Name, p.Code())
	o := Outcome{Scenario: sc.Name, Pairing: p, Dir: t.dir}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		t.fail("results directory: %v", err)
	} else if t.con, err = newConsole(filepath.Join(t.dir, "console.log"), r.opt.Verbose); err != nil {
		t.fail("console log: %v", err)
	} else {
		t.execute(ctx, n)
		t.con.close()
	}
	o.Duration = time.Since(t0)
	o.Reasons, o.Aborted = t.reasons, t.aborted
	o.Passed = len(t.reasons) == 0 && !t.aborted
	status := "passed"
	if !o.Passed {
		status = "FAILED"
	}
	if o.Aborted {
		status = "ABORTED"
	}
	fmt.Fprintf(out, "%s (%.1fs)\n", status, o.Duration.Seconds())
	if !o.Passed {
		fmt.Fprintf(out, "%s      see %s\n", reasonLines(o.Reasons, "      "), filepath.Join(t.dir, "console.log"))
	}
	t.writeResult(o)
	return o
}

// execute runs the phases; the topology is torn down on every path out.
func (t *test) execute(ctx context.Context, n int) {
	t.con.header(t)
	var specs []topology.HostSpec
	for _, h := range hosts.Names() {
		impl := t.r.impls[t.assign[h]]
		etc, err := t.etcFiles(h)
		if err != nil {
			t.fail("%v", err)
			t.con.printf("%v", err)
			return
		}
		specs = append(specs, topology.HostSpec{Name: h, Etc: etc, Binds: impl.Binds, Env: hostEnv(t.r.binDirs[impl.Name])})
	}
	topo, err := topology.Build(ctx, topology.Config{
		Prefix:  t.prefix,
		Scratch: filepath.Join(t.r.opt.ScratchBase, fmt.Sprintf("%s-t%d", t.prefix, n)),
		Hosts:   specs,
		Logf:    t.con.printf,
	})
	if err != nil {
		t.abortOr(ctx, "building the topology: %v", err)
		return
	}
	t.topo = topo
	defer func() {
		for _, c := range t.caps {
			c.stop()
		}
		_ = t.stopServers(ctx)
		if err := t.topo.Close(); err != nil {
			t.fail("teardown: %v", err)
			t.con.printf("teardown: %v", err)
		}
	}()
	phases := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"", t.checkPath},
		{"", t.startCaptures},
		{"", t.startServers},
		{"pre..", func(ctx context.Context) error { return t.setup(ctx, "PRE-TEST", t.sc.Pre) }},
		{"", t.checkDaemons},
		{"test..", t.evaluate},
		{"", t.collectState},
		{"post", func(ctx context.Context) error { return t.setup(ctx, "POST-TEST", t.sc.Post) }},
		{"", t.checkLeftovers},
		{"", t.stopServers},
	}
	for _, ph := range phases {
		if ph.name != "" {
			fmt.Fprint(t.out, ph.name)
		}
		if err := ph.fn(ctx); err != nil {
			t.abortOr(ctx, "%v", err)
			break
		}
	}
	if !t.aborted {
		t.collectLogs(ctx)
	}
	t.con.section("TEARDOWN")
	fmt.Fprint(t.out, " ")
}

// etcFiles returns the files copied over host h's /etc: the defaults, the
// host's own (testing/hosts/<host>/etc), the hostname, the scenario's files,
// and the lane's block at the end of strongswan.conf.testing (lane.go).
func (t *test) etcFiles(h string) ([]topology.File, error) {
	var conf []byte
	for _, f := range t.sc.Etc[h] {
		if f.Rel == "strongswan.conf" {
			conf = f.Data
		}
	}
	block, err := t.r.opt.Lane.confBlock(h, conf)
	if err != nil {
		return nil, err
	}
	var etc []topology.File
	for _, f := range t.r.defaultEtc {
		if f.Rel == testingConf && block != "" {
			f.Data = append(append([]byte{}, f.Data...), block...)
		}
		etc = append(etc, f)
	}
	etc = append(etc, t.r.hostEtc[h]...)
	etc = append(etc, topology.File{Rel: "hostname", Mode: 0o644, Data: []byte(h + "\n")})
	for _, f := range t.sc.Etc[h] {
		etc = append(etc, topology.File{Rel: f.Rel, Mode: f.Mode, Data: f.Data})
	}
	return etc, nil
}

// testingConf is the file STRONGSWAN_CONF names in every host.
const testingConf = "strongswan.conf.testing"

// abortOr records an interruption as an abort and anything else as a
// failure.
func (t *test) abortOr(ctx context.Context, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if ctx.Err() != nil {
		t.aborted = true
		msg = "aborted: " + msg
	}
	t.fail("%s", msg)
	if t.con != nil {
		t.con.printf("%s", msg)
	}
}

// timeout is the per-command limit.
func (t *test) timeout() time.Duration { return t.r.opt.CmdTimeout }

// run runs command on host, failing the test on runner-level errors (the
// host refused, the command was killed); a non-zero exit status is the
// command's own business.
func (t *test) run(ctx context.Context, host, command string) (topology.Result, error) {
	h := t.topo.Host(host)
	if h == nil {
		return topology.Result{}, fmt.Errorf("no host %q in the topology", host)
	}
	res := h.Run(ctx, command, t.timeout())
	if res.Err != nil {
		if errors.Is(res.Err, topology.ErrOutside) || ctx.Err() != nil {
			return res, fmt.Errorf("%s# %s: %w", host, command, res.Err)
		}
	}
	return res, nil
}

// checkPath makes sure plain `ipsec` resolves to the assigned
// implementation on every IPsec host.
func (t *test) checkPath(ctx context.Context) error {
	for _, h := range t.sc.Conf.IPsecHosts {
		res, err := t.run(ctx, h, "command -v ipsec")
		if err != nil {
			return err
		}
		want := filepath.Join(t.r.binDirs[t.assign[h]], "ipsec")
		if got := strings.TrimSpace(string(res.Stdout)); got != want {
			return fmt.Errorf("%s: ipsec resolves to %q, want %q", h, got, want)
		}
		// And that link's target inside the host is the implementation's
		// program (a bind mount of it, for goswan).
		impl := t.r.impls[t.assign[h]]
		inside, err := t.topo.Host(h).Path(DebianIPsec)
		if err != nil {
			return err
		}
		got, err1 := os.Stat(inside)
		want2, err2 := os.Stat(impl.IPsec)
		if err1 != nil || err2 != nil || !os.SameFile(got, want2) {
			return fmt.Errorf("%s: %s inside the host is not %s's %s (%v %v)", h, DebianIPsec, impl.Name, impl.IPsec, err1, err2)
		}
	}
	return nil
}

// setup runs pretest.dat or posttest.dat. As in strongSwan's runner, the
// commands' exit status does not judge the test (their effect is what the
// evaltest checks), but it is logged.
func (t *test) setup(ctx context.Context, title string, lines []scenario.SetupLine) error {
	t.con.section(title)
	for _, l := range lines {
		if l.Comment != "" {
			t.con.println(l.Comment)
			continue
		}
		if !scenario.InLane(l.Lane, string(t.r.opt.Lane)) {
			t.con.printf("[%s] %s# %s  (%s lane only: skipped)\n", l.Lane, l.Host, l.Command, l.Lane)
			continue
		}
		t.con.printf("%s# %s", l.Host, l.Command)
		res, err := t.run(ctx, l.Host, l.Command)
		t.con.output(res.Stdout, res.Stderr)
		if res.Err != nil {
			t.con.printf("  [%v]", res.Err)
			if err == nil {
				t.fail("%s line %d: %s# %s: %v", strings.ToLower(title), l.Line, l.Host, l.Command, res.Err)
			}
		} else if res.ExitCode != 0 {
			t.con.printf("  [exit status %d, %.2fs]", res.ExitCode, res.Duration.Seconds())
		} else if res.Duration > 200*time.Millisecond {
			t.con.printf("  [%.2fs]", res.Duration.Seconds())
		}
		t.con.println("")
		if err != nil {
			return err
		}
	}
	return nil
}

// checkDaemons verifies that the charon running on each IPsec host is the
// binary of the implementation the pairing assigned to it, so that a pairing
// can never pass while testing the wrong daemon.
func (t *test) checkDaemons(ctx context.Context) error {
	t.con.section("IMPLEMENTATIONS")
	for _, h := range t.sc.Conf.IPsecHosts {
		impl := t.r.impls[t.assign[h]]
		res, err := t.run(ctx, h, "cat /var/run/charon.pid")
		if err != nil {
			return err
		}
		pid, perr := strconv.Atoi(strings.TrimSpace(string(res.Stdout)))
		if res.ExitCode != 0 || perr != nil || pid <= 0 {
			t.con.printf("%s: assigned %s; no charon running after pretest", h, impl.Name)
			continue
		}
		exe, err1 := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
		want, err2 := os.Stat(impl.Charon)
		switch {
		case err1 != nil:
			t.con.printf("%s: assigned %s; charon pid %d is not running (%v)", h, impl.Name, pid, err1)
		case err2 != nil || !os.SameFile(exe, want):
			target, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
			t.fail("%s runs the wrong daemon: pid %d is %s, not %s's %s", h, pid, target, impl.Name, impl.Charon)
			t.con.printf("%s: assigned %s; charon pid %d is NOT %s", h, impl.Name, pid, impl.Charon)
		default:
			t.con.printf("%s: assigned %s; charon pid %d is %s", h, impl.Name, pid, impl.Charon)
		}
	}
	return nil
}

// writeResult writes the test's verdict and reasons.
func (t *test) writeResult(o Outcome) {
	var b strings.Builder
	switch {
	case o.Aborted:
		b.WriteString("aborted\n")
	case o.Passed:
		b.WriteString("passed\n")
	default:
		b.WriteString("failed\n")
	}
	fmt.Fprintf(&b, "scenario: %s\npairing: %s (%s)\nlane: %s\nduration: %.1fs\n", o.Scenario, o.Pairing.Name(), o.Pairing.Code(), t.r.opt.Lane, o.Duration.Seconds())
	for _, h := range hosts.Names() {
		fmt.Fprintf(&b, "host %s: %s\n", h, t.assign[h])
	}
	for _, r := range o.Reasons {
		fmt.Fprintf(&b, "reason: %s\n", r)
	}
	_ = os.WriteFile(filepath.Join(t.dir, "result"), []byte(b.String()), 0o644)
	if len(t.lines) > 0 {
		var e strings.Builder
		for _, l := range t.lines {
			fmt.Fprintf(&e, "%s %3d %s", l.verdict(), l.Line.Line, l.Line.String())
			if l.Reason != "" {
				fmt.Fprintf(&e, "  # %s", l.Reason)
			}
			e.WriteByte('\n')
		}
		_ = os.WriteFile(filepath.Join(t.dir, "evaltest.result"), []byte(e.String()), 0o644)
	}
}
