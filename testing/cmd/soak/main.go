// Command soak runs long soaks of two gateways under packet loss (package
// testing/internal/soak), one per pairing and all pairings at once, and
// writes each one's report, logs and memory samples below --results.
// With --kernel it boots the kernel lane's guest (Debian's kernel, which
// has netem and ESP; testing/vm/README.md) and runs itself there. make
// soak runs it.
//
//	soak [--kernel] [--pairings gg,ss] [--duration 30m] [--conns 10]
//	     [--loss 10] [--sample 30s] [--results DIR] [--goswan-bin DIR]
//
// Exit status: 0 when every soak passed, 1 when one failed, 2 when one
// could not run.
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
	"sync"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/soak"
	"github.com/goswan/goswan/testing/internal/vm"
)

func main() { os.Exit(run()) }

func run() int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	var o soak.Options
	kernel := fs.Bool("kernel", false, "run in the kernel lane's qemu guest (netem and ESP)")
	pairings := fs.String("pairings", "gg,ss", "pairings to soak at the same time (moon's implementation first)")
	results := fs.String("results", "testing/results/soak", "directory for the reports (a subdirectory per run)")
	runName := fs.String("run-name", "", "name of this run's subdirectory (default: the start time)")
	userspace := fs.Bool("userspace", false, "use the userspace data plane (kernel-libipsec) instead of the kernel's ESP")
	fs.StringVar(&o.GoswanBin, "goswan-bin", "bin", "directory with goswan's ipsec and charon")
	fs.DurationVar(&o.Duration, "duration", 30*time.Minute, "how long the loss lasts")
	fs.IntVar(&o.Conns, "conns", 10, "CHILD_SAs")
	fs.DurationVar(&o.MinLife, "min-life", 10*time.Second, "shortest CHILD_SA lifetime")
	fs.DurationVar(&o.MaxLife, "max-life", 20*time.Second, "longest CHILD_SA lifetime")
	fs.DurationVar(&o.IKELife, "ike-life", time.Minute, "IKE_SA lifetime, plus 3 s per conn (rekeyed, not reauthenticated)")
	fs.IntVar(&o.Loss, "loss", 10, "percent of packets netem drops on each gateway's internet side")
	fs.DurationVar(&o.Sample, "sample", 30*time.Second, "interval of the memory and traffic samples")
	vmTimeout := fs.Duration("vm-timeout", 0, "with --kernel: limit for the guest (default: duration plus 20 minutes)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ps, err := runner.ParsePairings(*pairings)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	o.GoswanBin, o.Userspace = abs(o.GoswanBin), *userspace
	resDir := abs(*results)
	if *runName == "" {
		*runName = time.Now().Format("20060102-1504-05")
	}
	if err := os.MkdirAll(filepath.Join(resDir, *runName), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if *kernel {
		self, _ := os.Executable()
		args := []string{self}
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "kernel" && f.Name != "results" && f.Name != "run-name" && f.Name != "goswan-bin" && f.Name != "vm-timeout" {
				args = append(args, "--"+f.Name+"="+f.Value.String())
			}
		})
		args = append(args, "--results="+resDir, "--run-name="+*runName, "--goswan-bin="+o.GoswanBin)
		timeout := *vmTimeout
		if timeout == 0 {
			timeout = o.Duration + 20*time.Minute
		}
		wd, _ := os.Getwd()
		res, err := vm.Run(ctx, vm.Config{Argv: args, Dir: wd, Timeout: timeout,
			Shares:     []vm.Share{{Host: resDir}},
			Tmpfs:      []string{"/var/tmp/goswan-soak", runner.DefaultScratchBase},
			Console:    os.Stdout,
			ConsoleLog: filepath.Join(resDir, *runName, "vm-console.log"),
			Logf:       func(f string, a ...any) { fmt.Printf(f+"\n", a...) }})
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 2
		}
		return res.ExitCode
	}
	var wg sync.WaitGroup
	reports := make([]*soak.Report, len(ps))
	errs := make([]error, len(ps))
	var mu sync.Mutex
	for i, p := range ps {
		po := o
		po.Left, po.Right = p.Left, p.Right
		po.Dir = filepath.Join(resDir, *runName, p.Name())
		po.Logf = func(f string, a ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Printf(f+"\n", a...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = soak.Run(ctx, po)
		}()
	}
	wg.Wait()
	rc := 0
	var sum strings.Builder
	for i, p := range ps {
		switch {
		case errs[i] != nil:
			fmt.Fprintf(&sum, "soak %s: could not run: %v\n", p.Code(), errs[i])
			rc = 2
		default:
			sum.WriteString(reports[i].String())
			if !reports[i].Passed() && rc == 0 {
				rc = 1
			}
		}
		if reports[i] != nil && errs[i] != nil {
			sum.WriteString(reports[i].String())
		}
	}
	fmt.Print("\n" + sum.String())
	_ = os.WriteFile(filepath.Join(resDir, *runName, "summary.txt"), []byte(sum.String()), 0o644)
	fmt.Printf("results in %s\n", filepath.Join(resDir, *runName))
	return rc
}
