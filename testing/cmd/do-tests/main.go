// Command do-tests runs goswan's scenario tests: strongSwan-format scenarios
// on a network-namespace copy of strongSwan's test topology, each in the
// pairings of goswan and Debian's strongSwan 5.9.8. testing/do-tests builds
// and runs it; see testing/README.md.
//
//	do-tests [--impl goswan|strongswan] [--pairings gg,gs,sg,ss|all]
//	         [--impl-of HOST=IMPL]... [flags] [SCENARIO...]
//
// Exit status: 0 when every test passed, 1 when one failed, 2 for usage or
// set-up errors, 130 when interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/scenario"
	"github.com/goswan/goswan/testing/internal/vm"
)

// implOf collects repeated --impl-of HOST=IMPL flags.
type implOf map[string]runner.Impl

func (m implOf) String() string { return fmt.Sprint(map[string]runner.Impl(m)) }

func (m implOf) Set(s string) error {
	h, i, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want HOST=IMPL, got %q", s)
	}
	if _, known := hosts.Lookup(h); !known {
		return fmt.Errorf("unknown host %q (hosts: %s)", h, strings.Join(hosts.Names(), " "))
	}
	impl, err := runner.ParseImpl(i)
	if err != nil {
		return err
	}
	m[h] = impl
	return nil
}

func main() { os.Exit(run()) }

func run() int {
	fs := flag.NewFlagSet("do-tests", flag.ContinueOnError)
	var (
		testingDir = fs.String("testing", "testing", "the repository's testing/ directory")
		testsDir   = fs.String("tests", "", "scenario directory (default TESTING/tests)")
		resultsDir = fs.String("results", "", "results directory (default TESTING/results)")
		goswanBin  = fs.String("goswan-bin", "bin", "directory with goswan's ipsec and charon")
		toolsDir   = fs.String("tools", "", "directory of test tools copied onto the hosts' PATH (default TESTING/.bin/tools)")
		impl       = fs.String("impl", "", "run only the pairing in which every host runs IMPL (goswan|strongswan)")
		pairings   = fs.String("pairings", "all", "comma-separated pairings: gg, gs, sg, ss, cs, sc, cc (left side first; c: Debian's ipsec with goswan's charon), or all (gg, gs, sg, ss)")
		prefix     = fs.String("prefix", "", "namespace name prefix (default gst plus random hex)")
		timeout    = fs.Duration("cmd-timeout", 60*time.Second, "limit for every single command")
		verbose    = fs.Bool("v", false, "show whole outputs of failed evaltest lines in console.log")
		list       = fs.Bool("list", false, "list the selected scenarios and pairings and exit")
		jobs       = fs.Int("jobs", 1, "tests that run at the same time, each on its own topology (measurements should run alone)")
		laneName   = fs.String("lane", "userspace", "data plane: userspace (this kernel, kernel-libipsec) or kernel (a kernel with ESP, kernel-netlink; see --kernel)")
		kernel     = fs.Bool("kernel", false, "run the kernel lane: boot Debian's stock kernel under qemu (TCG) and run the scenarios there with --lane kernel (testing/vm/README.md)")
		runName    = fs.String("run-name", "", "name of the results directory (default: the start time)")
		vmKernel   = fs.String("vm-kernel", os.Getenv("GSN_VM_KERNEL"), "with --kernel: the vmlinuz to boot (default: the newest /boot/vmlinuz-*)")
		vmSMP      = fs.Int("vm-smp", 2, "with --kernel: guest CPUs")
		vmMem      = fs.Int("vm-mem", 2048, "with --kernel: guest memory in MB")
		vmTimeout  = fs.Duration("vm-timeout", 60*time.Minute, "with --kernel: limit for the whole guest run")
	)
	overrides := implOf{}
	fs.Var(overrides, "impl-of", "HOST=IMPL: run IMPL on HOST in every pairing (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: testing/do-tests [flags] [SCENARIO...]\n\n"+
			"SCENARIO is a group (ikev2), a scenario (ikev2/net2net-psk) or a glob\n"+
			"(ikev2/net2net-*); none means all. Pairings name the implementation of the\n"+
			"left side (gateway moon, or the roadwarriors) and then the right side (sun,\n"+
			"or moon for roadwarriors): gs = goswan left, strongSwan right.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	lane, err := runner.ParseLane(*laneName)
	if err != nil {
		return usage(err)
	}
	ps, err := runner.ParsePairings(*pairings)
	if err != nil {
		return usage(err)
	}
	if *impl != "" {
		i, err := runner.ParseImpl(*impl)
		if err != nil {
			return usage(err)
		}
		ps = []runner.Pairing{{Left: i, Right: i}}
	}
	if len(overrides) > 0 {
		for k := range ps {
			ps[k].Overrides = overrides
		}
	}
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	opt := runner.Options{
		TestingDir: abs(*testingDir),
		TestsDir:   abs(*testsDir),
		ResultsDir: abs(*resultsDir),
		GoswanBin:  abs(*goswanBin),
		ToolsDir:   abs(*toolsDir),
		Prefix:     *prefix,
		Pairings:   ps,
		CmdTimeout: *timeout,
		Verbose:    *verbose,
		Lane:       lane,
		RunName:    *runName,
		Jobs:       *jobs,
	}
	if opt.TestsDir == "" {
		opt.TestsDir = filepath.Join(opt.TestingDir, "tests")
	}
	names, err := scenario.Expand(opt.TestsDir, fs.Args())
	if err != nil {
		return usage(err)
	}
	if len(names) == 0 {
		return usage(fmt.Errorf("no scenarios in %s", opt.TestsDir))
	}
	if *kernel && !*list {
		return runKernelLane(fs, opt, vm.Config{Kernel: *vmKernel, SMP: *vmSMP, MemMB: *vmMem, Timeout: *vmTimeout})
	}
	if *list {
		for _, n := range names {
			for _, p := range ps {
				fmt.Printf("%s %s\n", n, p.Code())
			}
		}
		return 0
	}

	// The first SIGINT/SIGTERM/SIGHUP cancels the run: the current test is
	// aborted and its topology torn down. Later signals are swallowed until
	// the cleanup is done, so a second Ctrl-C cannot leave namespaces behind.
	// With stdout on a closed pipe (do-tests | head), a write must fail
	// rather than kill the runner before it has cleaned up.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	sum, err := runner.Run(ctx, opt, names)
	if err != nil {
		fmt.Fprintln(os.Stderr, "do-tests:", err)
		return 2
	}
	switch {
	case sum.Aborted:
		return 130
	case sum.Failed() > 0:
		return 1
	}
	return 0
}

func usage(err error) int {
	fmt.Fprintln(os.Stderr, "do-tests:", err)
	return 2
}

// runKernelLane boots the kernel lane's guest and runs this program in it
// with the same flags and scenarios, --lane kernel instead of --kernel, and
// the results directory shared back to the host. The guest sees this
// machine's files read-only at the same paths (testing/internal/vm), so
// every path given on the command line means the same inside.
func runKernelLane(fs *flag.FlagSet, opt runner.Options, cfg vm.Config) int {
	self, err := os.Executable()
	if err != nil {
		return usage(err)
	}
	if opt.ResultsDir == "" {
		opt.ResultsDir = filepath.Join(opt.TestingDir, "results")
	}
	if opt.RunName == "" {
		opt.RunName = time.Now().Format("20060102-1504-05") + "-kernel"
	}
	runDir := filepath.Join(opt.ResultsDir, opt.RunName)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return usage(err)
	}
	// The guest reads this machine's files live; a rebuild during the run
	// (make build, another do-tests) must not change the binaries under
	// it, so it gets copies of its own.
	snap, err := os.MkdirTemp(filepath.Join(opt.TestingDir, ".bin"), "kernel-lane.")
	if err != nil {
		return usage(err)
	}
	defer os.RemoveAll(snap)
	if self, err = snapshot(self, snap, "do-tests"); err != nil {
		return usage(err)
	}
	for _, d := range []struct {
		dir  *string
		name string
	}{{&opt.GoswanBin, "goswan-bin"}, {&opt.ToolsDir, "tools"}} {
		if *d.dir == "" {
			if d.name != "tools" {
				continue
			}
			*d.dir = filepath.Join(opt.TestingDir, ".bin", "tools")
		}
		ents, err := os.ReadDir(*d.dir)
		if err != nil {
			if d.name == "tools" {
				*d.dir = ""
				continue
			}
			return usage(err)
		}
		to := filepath.Join(snap, d.name)
		for _, e := range ents {
			if e.Type().IsRegular() {
				if _, err := snapshot(filepath.Join(*d.dir, e.Name()), to, e.Name()); err != nil {
					return usage(err)
				}
			}
		}
		*d.dir = to
	}
	args := []string{self}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "kernel", "lane", "run-name", "results", "testing", "tests", "goswan-bin", "tools":
		default:
			if strings.HasPrefix(f.Name, "vm-") {
				return
			}
			args = append(args, "--"+f.Name+"="+f.Value.String())
		}
	})
	args = append(args, "--lane=kernel", "--run-name="+opt.RunName, "--results="+opt.ResultsDir,
		"--testing="+opt.TestingDir, "--tests="+opt.TestsDir, "--goswan-bin="+opt.GoswanBin)
	if opt.ToolsDir != "" {
		args = append(args, "--tools="+opt.ToolsDir)
	}
	args = append(args, "--")
	args = append(args, fs.Args()...)
	cfg.Argv = args
	cfg.Shares = []vm.Share{{Host: opt.ResultsDir}}
	// The guest's scratch base starts empty: the host's stale-run records
	// there are not the guest's to clean up.
	cfg.Tmpfs = []string{runner.DefaultScratchBase}
	cfg.Dir, _ = os.Getwd()
	if testenvCI := os.Getenv("GOSWAN_CI"); testenvCI != "" {
		cfg.Env = append(cfg.Env, "GOSWAN_CI="+testenvCI)
	}
	cfg.Console = os.Stdout
	cfg.ConsoleLog = filepath.Join(runDir, "vm-console.log")
	cfg.Logf = func(f string, a ...any) { fmt.Printf(f+"\n", a...) }
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	res, err := vm.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "do-tests: kernel lane: %v (console: %s)\n", err, cfg.ConsoleLog)
		return 2
	}
	fmt.Printf("kernel lane: guest run took %.0fs; console %s\n", res.Duration.Seconds(), cfg.ConsoleLog)
	return res.ExitCode
}

// snapshot copies the executable file src to dir/name and returns the
// copy's path.
func snapshot(src, dir, name string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, name)
	return dst, os.WriteFile(dst, b, 0o755)
}
