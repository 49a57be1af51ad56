// Command vm runs a command as root inside a qemu guest that boots Debian's
// stock kernel with the host's own userland (the host's root shared
// read-only over virtio-9p under a RAM overlay); see testing/vm/README.md.
//
//	vm [--kernel VMLINUZ] [--smp N] [--mem MB] [--timeout D]
//	   [--share HOSTDIR[:GUESTDIR]]... [--tmpfs DIR]... [--env K=V]...
//	   [--dir DIR] [--console-log FILE] -- COMMAND [ARG...]
//
// The console streams to stdout. The exit status is the command's; 125 means
// the guest did not report one (boot failure, timeout).
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

	"github.com/goswan/goswan/testing/internal/vm"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() { os.Exit(run()) }

func run() int {
	fs := flag.NewFlagSet("vm", flag.ContinueOnError)
	var cfg vm.Config
	var shares, tmpfs, env list
	fs.StringVar(&cfg.Kernel, "kernel", os.Getenv("GSN_VM_KERNEL"), "vmlinuz to boot (default: the newest /boot/vmlinuz-*; env GSN_VM_KERNEL)")
	fs.IntVar(&cfg.SMP, "smp", 2, "guest CPUs")
	fs.IntVar(&cfg.MemMB, "mem", 2048, "guest memory in MB")
	fs.DurationVar(&cfg.Timeout, "timeout", 15*time.Minute, "limit for the whole run")
	fs.StringVar(&cfg.Dir, "dir", "", "working directory in the guest (default: the current directory)")
	fs.StringVar(&cfg.ConsoleLog, "console-log", "", "also write the console to this file")
	fs.Var(&shares, "share", "HOSTDIR[:GUESTDIR]: mount a host directory read-write (repeatable)")
	fs.Var(&tmpfs, "tmpfs", "guest directory to cover with an empty tmpfs (repeatable)")
	fs.Var(&env, "env", "K=V for the command's environment (repeatable)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.Argv = fs.Args()
	if len(cfg.Argv) == 0 {
		fmt.Fprintln(os.Stderr, "vm: no command (vm [flags] -- COMMAND [ARG...])")
		return 2
	}
	if cfg.Dir == "" {
		cfg.Dir, _ = os.Getwd()
	}
	for _, s := range shares {
		h, g, _ := strings.Cut(s, ":")
		h, _ = filepath.Abs(h)
		cfg.Shares = append(cfg.Shares, vm.Share{Host: h, Guest: g})
	}
	cfg.Tmpfs, cfg.Env = tmpfs, env
	cfg.Console = os.Stdout
	cfg.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	res, err := vm.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	fmt.Fprintf(os.Stderr, "vm: the command exited with %d (%.0fs)\n", res.ExitCode, res.Duration.Seconds())
	return res.ExitCode
}
