// Package runner runs strongSwan-format test scenarios on the namespace
// topology of package topology, with every host running either Debian's
// strongSwan or goswan, and records the results.
//
// For each scenario and pairing it builds a fresh topology, starts the
// captures of TCPDUMPHOSTS, runs pretest.dat, checks that each IPsec host
// runs the implementation the pairing gave it, evaluates evaltest.dat,
// collects every IPsec host's state, runs posttest.dat, fails the test if an
// IPsec host kept SAs, policies, routes or daemons, collects every host's
// logs and tears the topology down. See testing/README.md for the layout of
// the results.
package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/internal/scenario"
	"github.com/goswan/goswan/testing/internal/topology"
)

// Options configure a run.
type Options struct {
	// TestingDir is the repository's testing/ directory; its
	// hosts/default/etc is copied into every host, hosts/<host>/etc into
	// that host, and hosts/default/bin is put on every host's PATH.
	TestingDir string
	// TestsDir holds the scenarios as <group>/<name>/ (default
	// TestingDir/tests).
	TestsDir string
	// ResultsDir receives <run>/<scenario>/<pairing>/ (default
	// TestingDir/results).
	ResultsDir string
	// ScratchBase holds the runs' scratch directories (default
	// /var/tmp/goswan-testing); it must not be below /tmp, /run or /var/log.
	ScratchBase string
	// Prefix starts every namespace name; empty picks "gst" and a random
	// suffix.
	Prefix   string
	Pairings []Pairing
	// GoswanBin holds goswan's ipsec and charon (the repository's bin/).
	GoswanBin string
	// ToolsDir holds the test tools built from testing/cmd (udploss) that
	// scenarios call; they are copied onto every host's PATH. Default
	// TestingDir/.bin/tools (testing/do-tests builds them there); a
	// missing directory means no tools.
	ToolsDir string
	// CmdTimeout bounds every single command (default 60 s).
	CmdTimeout time.Duration
	// Verbose prints whole command outputs of failed lines, not ten lines.
	Verbose bool
	// Out receives the progress lines and the summary (default os.Stdout).
	Out io.Writer
	// RunName names the results directory of this run (default the start
	// time, as strongSwan's runner does).
	RunName string
	// Lane is the data plane (default Userspace); lane.go says what
	// differs.
	Lane Lane
	// Jobs is how many tests run at the same time (default 1), each on a
	// topology of its own. Scenarios that measure timing or loss should
	// run alone.
	Jobs int
}

// Outcome is the result of one scenario in one pairing.
type Outcome struct {
	Scenario string
	Pairing  Pairing
	Passed   bool
	Aborted  bool
	Reasons  []string // why it failed, one line each
	Duration time.Duration
	Dir      string // results directory
}

// Summary is the result of a run.
type Summary struct {
	RunDir   string
	Outcomes []Outcome
	// NotApplicable counts the scenario-pairings skipped because the
	// scenario's PAIRINGS leaves the pairing out.
	NotApplicable int
	Aborted       bool
	Duration      time.Duration
}

// Passed counts passed outcomes.
func (s *Summary) Passed() int {
	n := 0
	for _, o := range s.Outcomes {
		if o.Passed {
			n++
		}
	}
	return n
}

// Failed counts failed outcomes (aborted ones included).
func (s *Summary) Failed() int { return len(s.Outcomes) - s.Passed() }

// DefaultScratchBase is where topologies keep their scratch files. It is
// outside /tmp, /run and /var/log because hosts mount their own there.
const DefaultScratchBase = "/var/tmp/goswan-testing"

// Run runs the named scenarios (see scenario.Expand) in every pairing of
// opt.Pairings. It returns an error only when nothing could be run; test
// failures are in the Summary. Cancelling ctx (Ctrl-C) aborts the current
// test, tears its topology down and ends the run.
func Run(ctx context.Context, opt Options, names []string) (*Summary, error) {
	r, err := newRun(opt)
	if err != nil {
		return nil, err
	}
	defer r.close()
	scens := make([]*scenario.Scenario, len(names))
	var loadErrs []error
	for i, n := range names {
		if scens[i], err = scenario.Load(r.opt.TestsDir, n); err != nil {
			loadErrs = append(loadErrs, err)
		}
	}
	for _, sc := range scens {
		if sc != nil {
			if err := checkServers(sc); err != nil {
				loadErrs = append(loadErrs, err)
			}
		}
	}
	if err := errors.Join(loadErrs...); err != nil {
		return nil, err
	}
	if err := r.prepare(); err != nil {
		return nil, err
	}
	sum := &Summary{RunDir: r.runDir}
	t0 := time.Now()
	var jobs []job
	for _, sc := range scens {
		for _, p := range r.opt.Pairings {
			if pp := sc.Conf.PairingsIn(string(r.opt.Lane)); len(pp) > 0 && !slices.Contains(pp, p.Code()) {
				fmt.Fprintf(r.opt.Out, "    %s [%s]: not applicable (runs in %s only in the %s lane: see its description)\n",
					sc.Name, p.Code(), strings.Join(pp, ", "), r.opt.Lane)
				sum.NotApplicable++
				continue
			}
			jobs = append(jobs, job{sc, p, len(jobs) + 1})
		}
	}
	outcomes := r.runJobs(ctx, jobs)
	for _, o := range outcomes {
		if o == nil {
			sum.Aborted = true
			continue
		}
		sum.Outcomes = append(sum.Outcomes, *o)
		if o.Aborted {
			sum.Aborted = true
		}
	}
	sum.Duration = time.Since(t0)
	r.printSummary(sum)
	return sum, nil
}

// job is one test of a run: scenario sc in pairing p, numbered n.
type job struct {
	sc *scenario.Scenario
	p  Pairing
	n  int
}

// runJobs runs the tests, Jobs at a time, and returns their outcomes in
// order (nil for tests an interruption kept from running).
func (r *run) runJobs(ctx context.Context, jobs []job) []*Outcome {
	outcomes := make([]*Outcome, len(jobs))
	if r.opt.Jobs <= 1 {
		for i, j := range jobs {
			if ctx.Err() != nil {
				break
			}
			o := r.runOne(ctx, j.sc, j.p, j.n, r.opt.Out, r.opt.Prefix)
			outcomes[i] = &o
		}
	} else {
		// Workers take the tests in order; each test's progress line is
		// printed whole when it ends.
		next := make(chan int)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < r.opt.Jobs; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				prefix := fmt.Sprintf("%sw%d", r.opt.Prefix, w)
				for i := range next {
					var b bytes.Buffer
					o := r.runOne(ctx, jobs[i].sc, jobs[i].p, jobs[i].n, &b, prefix)
					mu.Lock()
					outcomes[i] = &o
					_, _ = r.opt.Out.Write(b.Bytes())
					mu.Unlock()
				}
			}()
		}
		for i := range jobs {
			if ctx.Err() != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
	}
	return outcomes
}

// run is the state shared by the tests of one run.
type run struct {
	opt        Options
	impls      map[Impl]Implementation
	runDir     string
	runScratch string
	binDirs    map[Impl]string
	defaultEtc []topology.File
	// hostEtc holds testing/hosts/<host>/etc per host (the test PKI's
	// credentials, winnetou's servers), copied over hosts/default/etc and
	// under the scenario's own files, as strongSwan's host images are.
	hostEtc map[string][]topology.File
}

func newRun(opt Options) (*run, error) {
	if opt.TestingDir == "" {
		return nil, errors.New("runner: TestingDir is required")
	}
	if opt.TestsDir == "" {
		opt.TestsDir = filepath.Join(opt.TestingDir, "tests")
	}
	if opt.ResultsDir == "" {
		opt.ResultsDir = filepath.Join(opt.TestingDir, "results")
	}
	if opt.ToolsDir == "" {
		opt.ToolsDir = filepath.Join(opt.TestingDir, ".bin", "tools")
	}
	if opt.ScratchBase == "" {
		opt.ScratchBase = DefaultScratchBase
	}
	if opt.Prefix == "" {
		opt.Prefix = RandomPrefix()
	}
	if opt.Jobs > 1 && len(opt.Prefix) > 17 {
		return nil, fmt.Errorf("runner: prefix %q too long for parallel tests (at most 17 characters)", opt.Prefix)
	}
	if len(opt.Pairings) == 0 {
		opt.Pairings = slices.Clone(AllPairings)
	}
	if opt.CmdTimeout == 0 {
		opt.CmdTimeout = 60 * time.Second
	}
	if opt.Out == nil {
		opt.Out = os.Stdout
	}
	if opt.Lane == "" {
		opt.Lane = Userspace
	}
	if opt.RunName == "" {
		opt.RunName = time.Now().Format("20060102-1504-05")
		if opt.Lane != Userspace {
			opt.RunName += "-" + string(opt.Lane)
		}
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("the scenario runner needs root (network and mount namespaces)")
	}
	return &run{opt: opt, impls: Implementations(opt.GoswanBin), binDirs: map[Impl]string{}}, nil
}

// prepare checks the implementations the run needs, removes stale
// topologies of killed runs, and lays out the run's directories.
func (r *run) prepare() error {
	used := map[Impl]bool{}
	for _, p := range r.opt.Pairings {
		used[p.Left], used[p.Right] = true, true
		for _, i := range p.Overrides {
			used[i] = true
		}
	}
	used[StrongSwan] = true // hosts without IPsec get strongSwan's ipsec
	for i := range used {
		if err := r.impls[i].Check(); err != nil {
			return err
		}
	}
	if err := r.opt.Lane.checkKernel(); err != nil {
		return err
	}
	r.opt.Lane.warmUp(context.Background(), r.logf)
	for _, tool := range []string{"ip", "nsenter", "unshare", "tcpdump", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the scenario runner needs %s: %w", tool, err)
		}
	}
	cleaned, err := topology.CleanupStale(r.opt.ScratchBase, r.logf)
	for _, c := range cleaned {
		r.logf("removed the leftovers of a killed run: %s", c)
	}
	if err != nil {
		r.logf("cleaning stale runs: %v", err)
	}
	if r.runScratch, err = topology.MakeScratch(r.opt.ScratchBase, r.opt.Prefix+"-run"); err != nil {
		return err
	}
	for i := range used {
		if err := r.makeBinDir(i); err != nil {
			return err
		}
	}
	if r.defaultEtc, err = readTree(filepath.Join(r.opt.TestingDir, "hosts", "default", "etc")); err != nil {
		return err
	}
	r.hostEtc = map[string][]topology.File{}
	for _, h := range hosts.Names() {
		dir := filepath.Join(r.opt.TestingDir, "hosts", h, "etc")
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if r.hostEtc[h], err = readTree(dir); err != nil {
			return err
		}
	}
	r.runDir = filepath.Join(r.opt.ResultsDir, r.opt.RunName)
	if err := os.MkdirAll(r.runDir, 0o755); err != nil {
		return err
	}
	latest := filepath.Join(r.opt.ResultsDir, "latest")
	_ = os.Remove(latest)
	_ = os.Symlink(r.opt.RunName, latest)
	return nil
}

// makeBinDir creates the directory that leads every host's PATH for hosts
// of implementation i: `ipsec` links to the implementation's path inside the
// host (never to this machine's, which may be below /tmp, which hosts
// replace), and the helper commands of hosts/default/bin
// (expect-connection) and the tools of ToolsDir (udploss) are copied in.
func (r *run) makeBinDir(i Impl) error {
	dir := filepath.Join(r.runScratch, "bin-"+string(i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(DebianIPsec, filepath.Join(dir, "ipsec")); err != nil {
		return err
	}
	helpers, err := readTree(filepath.Join(r.opt.TestingDir, "hosts", "default", "bin"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(r.opt.ToolsDir); err == nil {
		tools, err := readTree(r.opt.ToolsDir)
		if err != nil {
			return err
		}
		helpers = append(helpers, tools...)
	}
	for _, f := range helpers {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Rel)), f.Data, 0o755); err != nil {
			return err
		}
	}
	r.binDirs[i] = dir
	return nil
}

func (r *run) close() {
	if r.runScratch != "" {
		_ = os.RemoveAll(r.runScratch)
	}
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.opt.Out, format+"\n", args...)
}

// hostEnv is the environment of every command in a host. STRONGSWAN_CONF
// points at the test defaults, which include the scenario's
// /etc/strongswan.conf, as strongSwan's test images compile in
// /etc/strongswan.conf.testing.
func hostEnv(binDir string) []string {
	return []string{
		"PATH=" + binDir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh",
		"LANG=C", "LC_ALL=C", "TERM=dumb",
		"STRONGSWAN_CONF=/etc/strongswan.conf.testing",
	}
}

// readTree reads every regular file below dir.
func readTree(dir string) ([]topology.File, error) {
	var out []topology.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, topology.File{Rel: filepath.ToSlash(rel), Mode: info.Mode().Perm(), Data: b})
		return nil
	})
	return out, err
}

// RandomPrefix returns "gst" and four random hex digits.
func RandomPrefix() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("gst%02x%02x", b[0], b[1])
}

// reasonLines formats failure reasons for the progress output, one per line
// and at most eight.
func reasonLines(r []string, indent string) string {
	var b strings.Builder
	for i, s := range r {
		if i == 8 {
			fmt.Fprintf(&b, "%sand %d more\n", indent, len(r)-i)
			break
		}
		b.WriteString(indent + s + "\n")
	}
	return b.String()
}
