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
		impl       = fs.String("impl", "", "run only the pairing in which every host runs IMPL (goswan|strongswan)")
		pairings   = fs.String("pairings", "all", "comma-separated pairings: gg, gs, sg, ss, cs, sc, cc (left side first; c: Debian's ipsec with goswan's charon), or all (gg, gs, sg, ss)")
		prefix     = fs.String("prefix", "", "namespace name prefix (default gst plus random hex)")
		timeout    = fs.Duration("cmd-timeout", 60*time.Second, "limit for every single command")
		verbose    = fs.Bool("v", false, "show whole outputs of failed evaltest lines in console.log")
		list       = fs.Bool("list", false, "list the selected scenarios and pairings and exit")
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
		Prefix:     *prefix,
		Pairings:   ps,
		CmdTimeout: *timeout,
		Verbose:    *verbose,
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
