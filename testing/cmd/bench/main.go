// Command bench is make bench: a suite of figures, each measured for
// goswan and for its anchor (Debian's strongSwan 5.9.8, or wireguard-go) in
// the same run and printed as a ratio to it, in network namespaces on this
// machine. It writes bench/results.json and a PNG per figure (BENCHMARKS.md
// explains each):
//
//   - throughput: TCP alice → bob through a negotiated net-net tunnel, both
//     data planes in userspace; throughput-wg and pps64: goswan↔goswan's
//     tunnel against wireguard-go's in the same topology (wireguard.go);
//
//   - ikesa-psk, ikesa-rsa2048, ikesa-ecdsa256: the IKE_SA setup rate, moon
//     initiating N IKE_SAs to sun (ikesa.go);
//
//   - memory: sun's RSS growth and Go heap per IKE_SA as responder to N
//     IKE_SAs, at several N (memory.go);
//
//   - start: `ipsec start` of N conns and `ipsec update` of one (start.go);
//
//   - rekey-storm: N CHILD_SAs rekeying at once and an unrelated `ipsec up`
//     meanwhile (rekey.go; not in the quick suite);
//
//   - scale: N IKE_SAs against one responder, status and up while they are
//     up (scale.go; only when asked for with --only scale).
//
//     make bench                 # the full suite
//     make bench-quick           # the CI suite, under 5 minutes
//     bench --only ikesa-psk --pairings gg,gs,sg,ss --ikesas 1000
//
// Needs root, iperf3, iproute2, util-linux and Debian's strongswan.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

// config is one run's parameters: a suite's defaults, then the flags.
type config struct {
	suite     string
	only      map[string]bool
	pairings  []runner.Pairing
	seconds   int
	rounds    int
	ikesas    int
	certSAs   int
	auths     []string
	memSAs    []int
	startConn int
	// startLimit is how long the start figure waits for either
	// implementation to load its conns (and then the changed one); 0: 60 s
	// and 20 ms per conn.
	startLimit time.Duration
	rekeySAs   int
	scaleSAs   int
	out        string
	bin        string
}

// suites are the defaults of make bench (full) and make bench-quick.
var suites = map[string]config{
	"full": {seconds: 10, rounds: 3, ikesas: 1000, certSAs: 200, memSAs: []int{1000, 3000, 10000}, startConn: 10000, rekeySAs: 10000,
		auths: []string{netnet.AuthPSK, netnet.AuthRSA2048, netnet.AuthECDSA256}},
	"quick": {seconds: 5, rounds: 1, ikesas: 100, certSAs: 50, memSAs: []int{300}, startConn: 1000, rekeySAs: 0,
		auths: []string{netnet.AuthPSK}},
}

// figureIDs are the figures in the order they run.
var figureIDs = []string{"throughput", "ikesa", "memory", "start", "rekey", "scale"}

func parseFlags() (config, error) {
	suite := flag.String("suite", "full", "full (make bench) or quick (make bench-quick, for CI)")
	only := flag.String("only", "", "comma-separated figures to run (throughput, ikesa, memory, start, rekey, scale); default all")
	measure := flag.String("measure", "", "old name of --only (throughput, ikesa)")
	pairings := flag.String("pairings", "", "pairings of the two-gateway figures (left = moon), e.g. gg,gs,sg,ss; default gg,ss (quick) or all (full)")
	seconds := flag.Int("seconds", 0, "iperf3 duration")
	repeat := flag.Int("repeat", 0, "rounds; the pairings alternate within a round and each reports its median")
	ikesas := flag.Int("ikesas", 0, "IKE_SAs moon initiates in the PSK setup-rate figure")
	certSAs := flag.Int("cert-ikesas", 0, "IKE_SAs moon initiates in the certificate setup-rate figures")
	auths := flag.String("ikesa-auth", "", "setup-rate figures: psk, rsa2048, ecdsa256")
	memSAs := flag.String("mem-ikesas", "", "IKE_SA counts of the memory figure, e.g. 1000,3000,10000")
	conns := flag.Int("conns", 0, "conns in ipsec.conf for the start figure")
	startLimit := flag.Duration("start-limit", 0, "how long the start figure waits for the conns to load, and for the update (default 60 s + 20 ms per conn)")
	rekeySAs := flag.Int("rekey-ikesas", 0, "CHILD_SAs of the rekey storm (0 in the quick suite: no storm)")
	scaleSAs := flag.Int("scale-ikesas", 0, "IKE_SAs of the scale figure (only with --only scale: it takes long)")
	out := flag.String("out", "bench", "directory for results.json and the plots")
	goswanBin := flag.String("goswan-bin", "bin", "directory with goswan's ipsec and charon")
	flag.Parse()
	c, ok := suites[*suite]
	if !ok {
		return c, fmt.Errorf("unknown suite %q (want full or quick)", *suite)
	}
	c.suite, c.out = *suite, *out
	c.bin, _ = filepath.Abs(*goswanBin)
	pick := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	pick(&c.seconds, *seconds)
	pick(&c.rounds, *repeat)
	pick(&c.ikesas, *ikesas)
	pick(&c.certSAs, *certSAs)
	pick(&c.startConn, *conns)
	c.startLimit = *startLimit
	pick(&c.rekeySAs, *rekeySAs)
	pick(&c.scaleSAs, *scaleSAs)
	ps := *pairings
	if ps == "" {
		ps = map[string]string{"full": "all", "quick": "gg,ss"}[*suite]
	}
	var err error
	if c.pairings, err = runner.ParsePairings(ps); err != nil {
		return c, err
	}
	if *auths != "" {
		if c.auths, err = parseAuths(*auths); err != nil {
			return c, err
		}
	}
	if *memSAs != "" {
		c.memSAs = nil
		for _, f := range strings.Split(*memSAs, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return c, fmt.Errorf("--mem-ikesas: %q is not a count", f)
			}
			c.memSAs = append(c.memSAs, n)
		}
	}
	sel := *only
	if sel == "" {
		sel = *measure
	}
	c.only = map[string]bool{}
	for _, id := range strings.Split(sel, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !contains(figureIDs, id) {
			return c, fmt.Errorf("unknown figure %q (want %s)", id, strings.Join(figureIDs, ", "))
		}
		c.only[id] = true
	}
	return c, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "initiate" {
		os.Exit(initiateMain(os.Args[2:]))
	}
	c, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	res := newResults(c.suite)
	failed := false
	// runFigs runs fn, which measures figs, and records them.
	runFigs := func(fn func() error, figs ...*Figure) {
		load := loadAvg()
		fmt.Printf("\n==== %s (load average %.1f, %s)\n", figs[0].Title, load, time.Now().Format("15:04:05"))
		err := fn()
		for _, f := range figs {
			f.Load = [2]float64{load, loadAvg()}
			if err != nil {
				f.Error = err.Error()
				failed = true
			}
			f.finish()
			res.Figures = append(res.Figures, f)
			f.print()
			if files, err := plotFigure(f, c.out); err != nil {
				fmt.Fprintln(os.Stderr, "bench: plot:", err)
			} else {
				fmt.Printf("  plots: %s\n", strings.Join(files, " "))
			}
		}
		// Written after every figure, so that an interrupted run keeps
		// what it measured.
		res.Finished, res.Load[1] = time.Now().UTC(), loadAvg()
		if err := res.write(c.out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
	want := func(id string) bool { return len(c.only) == 0 || c.only[id] }
	if want("throughput") {
		f, fwg, pps := throughputFigure(c), wgThroughputFigure(), ppsFigure()
		runFigs(func() error { return benchThroughput(ctx, c, f, fwg, pps) }, f, fwg, pps)
	}
	if want("ikesa") {
		for _, auth := range c.auths {
			n := c.certSAs
			if auth == netnet.AuthPSK {
				n = c.ikesas
			}
			f := ikeRateFigure(auth, n)
			runFigs(func() error { return benchIKERate(ctx, c, f, auth, n) }, f)
		}
	}
	if want("memory") {
		rss, heap := memoryFigure(c), heapFigure(c)
		runFigs(func() error { return benchMemory(ctx, c, rss, heap) }, rss, heap)
	}
	if want("start") {
		start, update := startFigure(c), updateFigure(c)
		runFigs(func() error { return benchStart(ctx, c, start, update) }, start, update)
	}
	if want("rekey") && c.rekeySAs > 0 {
		f := rekeyFigure(c.rekeySAs)
		runFigs(func() error { return benchRekey(ctx, c, f, c.rekeySAs) }, f)
	}
	if c.only["scale"] {
		n := c.scaleSAs
		if n == 0 {
			n = 100000
		}
		f := scaleFigure(n)
		runFigs(func() error { return benchScale(ctx, c, f, n) }, f)
	}
	if ctx.Err() != nil {
		os.Exit(1)
	}
	fmt.Printf("\nresults: %s\n", filepath.Join(c.out, "results.json"))
	if failed {
		fmt.Fprintln(os.Stderr, "bench: some figures failed (see above)")
		os.Exit(1)
	}
}

// pairingLabel is "moon goswan / sun strongswan".
func pairingLabel(p runner.Pairing) string {
	return fmt.Sprintf("moon %s / sun %s", p.Left, p.Right)
}
