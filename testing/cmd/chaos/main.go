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
	"path/filepath"
	"strconv"
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
	case "storm":
		err = storm(os.Args[2:])
	case "peer":
		err = peer(os.Args[2:])
	case "stroke":
		err = strokeStress(os.Args[2:])
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
	root := fs.String("root", ".", "repository root (the storm's captures and fuzz corpora)")
	seed := fs.Int64("seed", time.Now().UnixNano()%1000000, "the storm's seed (both labs get the same)")
	children := fs.Int("children", 1000, "phase 3: CHILD_SAs the adversarial peer asks for")
	strokeTime := fs.Duration("stroke-time", time.Minute, "phase 4: duration")
	faultStep := fs.Duration("fault-step", time.Minute, "phase 5: how long each loss fault lasts")
	probes := fs.Int("probes", 2000, "phase 2: datagrams compared one by one with strongSwan's answers")
	logDir := fs.String("logs", "/var/tmp/goswan-chaos-logs", "directory for the hosts' daemon logs")
	_ = fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *root, err = filepath.Abs(*root); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	plan := chaos.DefaultFlood
	plan.Rate, plan.Seconds = *rate, *secs
	results, err := chaos.Run(ctx, chaos.RunOptions{
		Moons: splitList(*moons), Phases: splitList(*phases), GoswanBin: *bin, Self: self,
		Flood: plan, Storm: *storm, StormRate: *stormRate, LogDir: *logDir, Idle: *idle, Root: *root, Seed: *seed, Children: *children, Probes: *probes, StrokeTime: *strokeTime, FaultStep: *faultStep,
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

func storm(args []string) error {
	fs := flag.NewFlagSet("storm", flag.ExitOnError)
	target := fs.String("target", chaos.MoonIP, "gateway")
	self := fs.String("self", chaos.WinnetouIP, "the attacker's own address")
	rate := fs.Int("rate", 10000, "packets per second")
	d := fs.Duration("duration", 5*time.Minute, "duration")
	seed := fs.Int64("seed", 1, "random seed")
	root := fs.String("root", ".", "repository root (captures and fuzz corpora)")
	live := fs.String("live", "", "file of live IKE_SAs (spii spir peer initiator), read again every few seconds")
	replay := fs.String("replay", "", "tcpdump -x dump of packets to replay")
	iface := fs.String("iface", "eth0", "interface the answers arrive on")
	diff := fs.Int("differential", 0, "datagrams to send one by one first, each from its own source")
	sources := fs.String("sources", chaos.AttackNet, "the differential pass's sources (routed back to us)")
	_ = fs.Parse(args)
	o := chaos.StormOptions{Target: netip.MustParseAddr(*target), Self: netip.MustParseAddr(*self), Rate: *rate,
		Duration: *d, Seed: *seed, Corpus: chaos.CorpusFiles(*root), LiveFile: *live, Iface: *iface,
		Differential: *diff, Sources: netip.MustParsePrefix(*sources)}
	if *live != "" {
		if b, err := os.ReadFile(*live); err == nil {
			o.Live = chaos.ParseLive(string(b))
		}
	}
	if *replay != "" {
		rec, err := chaos.ReadRecorded(*replay)
		if err != nil {
			return err
		}
		o.Replay = rec
	}
	res, err := chaos.Storm(o)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func peer(args []string) error {
	fs := flag.NewFlagSet("peer", flag.ExitOnError)
	self := fs.String("self", chaos.WinnetouIP, "own address")
	target := fs.String("target", chaos.MoonIP, "gateway")
	inner := fs.String("inner", chaos.WinnetouInner+"/32", "own side of the CHILD_SAs")
	remote := fs.String("remote", "10.1.0.0/16", "the gateway's side")
	id := fs.String("id", "@winnetou.strongswan.org", "own identity")
	targetID := fs.String("target-id", "@moon.strongswan.org", "the gateway's identity")
	psk := fs.String("psk", chaos.WinnetouPSK, "pre-shared key")
	foreign := fs.String("foreign", "0", "the gateway's outbound SPI of another peer's CHILD_SA")
	children := fs.Int("children", 1000, "CHILD_SAs to ask for")
	_ = fs.Parse(args)
	spi, err := strconv.ParseUint(*foreign, 0, 32)
	if err != nil {
		return err
	}
	res, err := chaos.RunPeer(chaos.PeerOptions{Self: netip.MustParseAddr(*self), Target: netip.MustParseAddr(*target),
		Inner: netip.MustParsePrefix(*inner), Remote: netip.MustParsePrefix(*remote), ID: *id, TargetID: *targetID,
		PSK: *psk, ForeignSPI: uint32(spi), Children: *children,
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func strokeStress(args []string) error {
	fs := flag.NewFlagSet("stroke", flag.ExitOnError)
	path := fs.String("path", "/run/charon.ctl", "stroke socket")
	clients := fs.Int("clients", 200, "concurrent clients")
	d := fs.Duration("duration", time.Minute, "duration")
	_ = fs.Parse(args)
	res, err := chaos.StrokeStress(chaos.StrokeOptions{Path: *path, Clients: *clients, Duration: *d, Seed: 1})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
