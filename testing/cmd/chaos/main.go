// Command chaos runs goswan's reliability and security lab (make chaos,
// root): see testing/chaos. Its other subcommands are the lab's tools,
// which the lab runs inside its hosts' namespaces (never in the root
// namespace): flood, debugsock.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/chaos"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: chaos run [flags] | flood [flags] | debugsock PATH")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "flood":
		err = flood(os.Args[2:])
	case "debugsock":
		if len(os.Args) != 3 {
			err = fmt.Errorf("usage: chaos debugsock PATH")
		} else {
			err = chaos.DebugClient(os.Args[2])
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	bin := fs.String("goswan-bin", "bin", "directory with goswan's ipsec and charon")
	moons := fs.String("moon", "goswan,strongswan", "moon's implementations to run the lab with, in turn")
	phases := fs.String("phases", "0,1,2,3,4,5,6", "phases to run (0: the control, nothing attacks)")
	idle := fs.Duration("idle", time.Minute, "phase 0: duration")
	rate := fs.Int("flood-rate", chaos.DefaultFlood.Rate, "phase 1: IKE_SA_INIT per second")
	secs := fs.Int("flood-seconds", chaos.DefaultFlood.Seconds, "phase 1: seconds")
	storm := fs.Duration("storm", 5*time.Minute, "phase 2: duration")
	stormRate := fs.Int("storm-rate", 10000, "phase 2: packets per second")
	logDir := fs.String("logs", "/var/tmp/goswan-chaos-logs", "directory for the hosts' daemon logs")
	_ = fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	plan := chaos.DefaultFlood
	plan.Rate, plan.Seconds = *rate, *secs
	results, err := chaos.Run(ctx, chaos.RunOptions{
		Moons: splitList(*moons), Phases: splitList(*phases), GoswanBin: *bin, Self: self,
		Flood: plan, Storm: *storm, StormRate: *stormRate, LogDir: *logDir, Idle: *idle,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		},
	})
	chaos.Report(os.Stdout, results)
	if err != nil {
		return err
	}
	for _, r := range results {
		if !r.OK() && r.Moon == "goswan" {
			return fmt.Errorf("phase %s did not hold", r.Phase)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func flood(args []string) error {
	fs := flag.NewFlagSet("flood", flag.ExitOnError)
	target := fs.String("target", chaos.MoonIP, "gateway to flood")
	sources := fs.String("sources", chaos.AttackNet, "spoofed source prefix")
	n := fs.Int("n", 16384, "number of sources")
	rate := fs.Int("rate", 20000, "requests per second")
	secs := fs.Int("seconds", 60, "duration")
	cookies := fs.Int("cookie-sources", 8, "sources that answer COOKIEs")
	iface := fs.String("iface", "eth0", "interface the answers arrive on")
	_ = fs.Parse(args)
	o := chaos.FloodOptions{Target: netip.MustParseAddr(*target), Sources: netip.MustParsePrefix(*sources),
		NumSources: *n, Rate: *rate, Duration: time.Duration(*secs) * time.Second, CookieSources: *cookies, Iface: *iface}
	res, err := chaos.Flood(o)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
