// Command charon is goswan's IKEv2 keying daemon, a drop-in for strongSwan's
// charon 5.9.8: same command line, strongswan.conf, stroke socket, PID file
// and log format.

// EAP-TLS's MSK is the TLS 1.2 exporter output (RFC 5216, RFC 5705), also
// with peers that do not negotiate the extended master secret, as
// strongSwan's own TLS stack does not.
//
//go:debug tlsunsafeekm=1
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/daemon"
	"github.com/goswan/goswan/internal/netdb"
	"github.com/goswan/goswan/internal/version"
	"github.com/goswan/goswan/selectors"
)

// Exit codes of charon (SS_RC_*).
const (
	rcInitializationFailed = 66
)

func usage() {
	fmt.Fprint(os.Stderr, `Usage: charon
         [--help]
         [--version]
         [--use-syslog]
         [--debug-<type> <level>]
           <type>:  log context type (dmn|mgr|ike|chd|job|cfg|knl|net|asn|enc|tnc|imc|imv|pts|tls|esp|lib)
           <level>: log verbosity (-1 = silent, 0 = audit, 1 = control,
                                    2 = controlmore, 3 = raw, 4 = private)

`)
}

// parseArgs reads charon's options as getopt_long does: "--debug-ike 2"
// and "--debug-ike=2" alike, unambiguous prefixes of the long names.
func parseArgs(args []string) (opts daemon.Options, exit int, done bool) {
	opts.Levels = bus.DefaultLevels()
	long := []string{"help", "version", "use-syslog"}
	groups := []string{"dmn", "mgr", "ike", "chd", "job", "cfg", "knl", "net", "asn", "enc", "tnc", "imc", "imv",
		"pts", "tls", "esp", "lib"}
	for _, g := range groups {
		long = append(long, "debug-"+g)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") || a == "--" {
			if a == "--" {
				break
			}
			usage()
			return opts, 1, true
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		var match []string
		for _, l := range long {
			if l == name {
				match = []string{l}
				break
			}
			if strings.HasPrefix(l, name) {
				match = append(match, l)
			}
		}
		if len(match) != 1 {
			usage()
			return opts, 1, true
		}
		switch m := match[0]; m {
		case "help":
			usage()
			return opts, 0, true
		case "version":
			fmt.Printf("Linux strongSwan %s\ngoswan %s\n", version.StrongSwan, version.Goswan)
			return opts, 0, true
		case "use-syslog":
			opts.UseSyslog = true
		default:
			if !hasVal {
				if i+1 >= len(args) {
					usage()
					return opts, 1, true
				}
				i++
				val = args[i]
			}
			g, _ := bus.ParseGroup(strings.TrimPrefix(m, "debug-"))
			n, _ := strconv.Atoi(val) // atoi: garbage is 0, as in charon
			opts.Levels[g] = bus.Level(n)
		}
	}
	return opts, 0, false
}

func main() {
	if r, err := strconv.Atoi(os.Getenv("GOSWAN_MEMPROFILERATE")); err == nil && r > 0 {
		runtime.MemProfileRate = r // a developer's knob, see debugsock.go
	}
	opts, rc, done := parseArgs(os.Args[1:])
	if done {
		os.Exit(rc)
	}
	// goswan's ipsec moves the pid files and socket with GOSWAN_PIDDIR;
	// the daemon it starts follows.
	opts.PidDir = os.Getenv("GOSWAN_PIDDIR")
	// The names selectors print and parse ([tcp/ssh]), which charon gets
	// from the C library's files; read once, at start.
	selectors.SetNames(netdb.System())
	d, err := daemon.New(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "charon: %v\n", err)
		os.Exit(rcInitializationFailed)
	}
	// A developer's knob, not charon's: GOSWAN_CPUPROFILE=PREFIX writes a
	// CPU profile of the whole run to PREFIX.<pid> (see BENCHMARKS.md).
	if p := os.Getenv("GOSWAN_CPUPROFILE"); p != "" {
		if f, err := os.Create(fmt.Sprintf("%s.%d", p, os.Getpid())); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	debugMemory()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancel(context.Background())
	startMemStats(ctx)
	startDebugSocket(ctx, d)
	go func() {
		for s := range sigs {
			switch s {
			case syscall.SIGHUP:
				d.Reload()
			default:
				name := "SIGTERM"
				if s == syscall.SIGINT {
					name = "SIGINT"
				}
				d.Bus().Log(0, nil, bus.DMN, bus.Control, "%s received, shutting down", name)
				cancel()
				return
			}
		}
	}()
	if err := d.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "charon: %v\n", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
