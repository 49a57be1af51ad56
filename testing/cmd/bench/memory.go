package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

// The memory figures: sun as the responder of n IKE_SAs (PSK, one CHILD_SA
// each, userspace data plane) that moon initiates, at several n. moon is
// goswan in every run, so that only the responder changes: gg against gs,
// strongSwan's charon as sun being the anchor.
//
//   - memory-rss: the growth of sun's resident set from before the first
//     IKE_SA_INIT to when the last IKE_SA is ESTABLISHED, per IKE_SA;
//   - memory-heap: the heap that holds the SAs, per IKE_SA: for goswan the
//     Go heap in use after a collection (GOSWAN_DEBUG_DIR, SIGUSR1), for
//     strongSwan glibc's bytes in use (statusall's "malloc: … used"), both
//     before and after. With GOSWAN_BENCH_PROFILES=DIR the memstats and
//     heap profiles goswan's charon writes stay in DIR (BENCHMARKS.md).

func memoryFigure(c config) *Figure {
	return &Figure{ID: "memory-rss", Title: fmt.Sprintf("responder (sun) RSS growth per IKE_SA with one CHILD_SA, %d IKE_SAs", maxInt(c.memSAs)),
		Unit: "KiB/IKE_SA", Anchor: "gs", Goal: 0.5, GoalAtMost: true,
		SeriesX: "IKE_SAs", SeriesY: "RSS KiB per IKE_SA"}
}

func heapFigure(c config) *Figure {
	return &Figure{ID: "memory-heap", Title: fmt.Sprintf("responder (sun) heap in use per IKE_SA, %d IKE_SAs (Go: after GC; glibc: malloc used)", maxInt(c.memSAs)),
		Unit: "KiB/IKE_SA", Anchor: "gs", Goal: 0.5, GoalAtMost: true,
		SeriesX: "IKE_SAs", SeriesY: "heap KiB per IKE_SA"}
}

func maxInt(l []int) int {
	m := 0
	for _, v := range l {
		m = max(m, v)
	}
	return m
}

// memPairings are the memory figures' pairings: goswan's moon against
// each responder.
var memPairings = []runner.Pairing{{Left: runner.Goswan, Right: runner.Goswan}, {Left: runner.Goswan, Right: runner.StrongSwan}}

// benchMemory fills the RSS figure and heap (the second figure) at every n;
// the rows are the largest n's.
func benchMemory(ctx context.Context, c config, rss, heap *Figure) error {
	top := maxInt(c.memSAs)
	for _, n := range c.memSAs {
		for _, p := range memPairings {
			fmt.Printf("== memory, %s (moon %s, sun %s): %d IKE_SAs\n", p.Code(), p.Left, p.Right, n)
			m, err := responderMemory(ctx, p, c.bin, n)
			if err != nil {
				return err
			}
			fmt.Printf("   RSS %+.1f MiB (%.2f KiB/IKE_SA), heap %+.1f MiB (%.2f KiB/IKE_SA), setup %.1f IKE_SA/s\n",
				m.rss/(1<<20), m.rss/1024/float64(n), m.heap/(1<<20), m.heap/1024/float64(n), float64(n)/m.setup.Seconds())
			addPoint(rss, p.Code(), float64(n), m.rss/1024/float64(n))
			addPoint(heap, p.Code(), float64(n), m.heap/1024/float64(n))
			if n == top {
				r := rss.add(p.Code(), "sun "+string(p.Right), m.rss/1024/float64(n))
				r.Extra = map[string]float64{"rss_before_MiB": m.rssBefore / (1 << 20), "rss_after_MiB": (m.rssBefore + m.rss) / (1 << 20),
					"setup_IKE_SA_per_s": float64(n) / m.setup.Seconds()}
				heap.add(p.Code(), "sun "+string(p.Right), m.heap/1024/float64(n))
			}
		}
	}
	return nil
}

func addPoint(f *Figure, label string, x, y float64) {
	for i := range f.Series {
		if f.Series[i].Label == label {
			f.Series[i].Points = append(f.Series[i].Points, x, y)
			return
		}
	}
	f.Series = append(f.Series, Series{Label: label, Points: []float64{x, y}})
}

type memResult struct {
	rssBefore, rss, heap float64 // bytes; rss and heap are growths
	setup                time.Duration
}

var vmRSS = regexp.MustCompile(`VmRSS:\s+(\d+) kB`)

// rssOf reads a host's charon's resident set in bytes.
func rssOf(n *netnet.Net, host string) (float64, error) {
	out := n.Quiet(host, "cat /proc/$(cat /var/run/charon.pid)/status")
	m := vmRSS.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s: no VmRSS for charon: %q", host, out)
	}
	kb, _ := strconv.ParseFloat(m[1], 64)
	return kb * 1024, nil
}

var mallocUsed = regexp.MustCompile(`malloc: sbrk \d+, mmap \d+, used (\d+), free \d+`)

// heapOf reads what a host's charon holds on its heap: goswan's Go heap
// after a collection, strongSwan's malloc'd bytes in use.
func heapOf(n *netnet.Net, host string, impl runner.Impl, debugDir string, seq int) (float64, error) {
	if impl == runner.StrongSwan {
		out := n.Quiet(host, "ipsec statusall 2>/dev/null | head -n 5")
		m := mallocUsed.FindStringSubmatch(out)
		if m == nil {
			return 0, fmt.Errorf("%s: statusall shows no malloc line: %q", host, out)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v, nil
	}
	pid := strings.TrimSpace(n.Quiet(host, "cat /var/run/charon.pid"))
	if _, err := n.Run(host, "kill -USR1 "+pid, 5*time.Second); err != nil {
		return 0, err
	}
	name := filepath.Join(debugDir, fmt.Sprintf("memstats.%s.%d.json", pid, seq))
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(name)
		if err == nil {
			var m map[string]float64
			if err := json.Unmarshal(b, &m); err != nil {
				return 0, err
			}
			return m["HeapAlloc"], nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: charon wrote no %s after SIGUSR1", host, name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// responderMemory brings up n IKE_SAs from moon to sun and measures sun.
func responderMemory(ctx context.Context, p runner.Pairing, bin string, n int) (m memResult, err error) {
	debugDir := os.Getenv("GOSWAN_BENCH_PROFILES")
	if debugDir == "" {
		if debugDir, err = os.MkdirTemp("/var/tmp", "goswan-bench-mem-"); err != nil {
			return m, err
		}
		defer os.RemoveAll(debugDir)
	}
	// The daemons inherit it through netnet's host environment.
	os.Setenv("GOSWAN_DEBUG_DIR", debugDir)
	defer os.Unsetenv("GOSWAN_DEBUG_DIR")
	net, done, err := upLoad(ctx, p, bin, netnet.LoadOptions{
		Auth: netnet.AuthPSK, Conns: n, IKE: "aes128-sha256-x25519!", ESP: "aes128gcm16!",
	}, 25)
	if err != nil {
		return m, err
	}
	defer done(&err)
	time.Sleep(2 * time.Second) // sun settles after loading
	if m.rssBefore, err = rssOf(net, "sun"); err != nil {
		return m, err
	}
	heapBefore, err := heapOf(net, "sun", p.Right, debugDir, 1)
	if err != nil {
		return m, err
	}
	t0 := time.Now()
	if err := initiateAll(ctx, net, p, n); err != nil {
		return m, err
	}
	m.setup = time.Since(t0)
	time.Sleep(2 * time.Second) // the last CHILD_SAs' updown and bookkeeping
	rssAfter, err := rssOf(net, "sun")
	if err != nil {
		return m, err
	}
	heapAfter, err := heapOf(net, "sun", p.Right, debugDir, 2)
	if err != nil {
		return m, err
	}
	m.rss, m.heap = rssAfter-m.rssBefore, heapAfter-heapBefore
	return m, nil
}

// upLoad builds a load network of o.Conns conns for p and starts it
// (startLoad). done closes it and, where the run failed (*errp set), adds
// the last logLines lines of both gateways' logs to the error; a run
// defers it on its named error result.
func upLoad(ctx context.Context, p runner.Pairing, bin string, o netnet.LoadOptions, logLines int) (net *netnet.Net, done func(errp *error), err error) {
	net, err = netnet.BuildLoad(ctx, string(p.Left), string(p.Right), bin, o)
	if err != nil {
		return nil, nil, err
	}
	done = func(errp *error) {
		if *errp != nil {
			*errp = fmt.Errorf("%w\n--- moon's log (end):\n%s\n--- sun's log (end):\n%s", *errp, net.Logs("moon", logLines), net.Logs("sun", logLines))
		}
		if cerr := net.Close(); cerr != nil && *errp == nil {
			*errp = cerr
		}
	}
	if err := startLoad(net, o.Conns); err != nil {
		done(&err)
		return nil, nil, err
	}
	return net, done, nil
}

// startLoad starts both gateways of a load network and waits until moon
// has loaded all n conns.
func startLoad(net *netnet.Net, n int) error {
	for _, h := range []string{"sun", "moon"} {
		if _, err := net.Run(h, "ipsec start", 20*time.Second); err != nil {
			return err
		}
	}
	if _, err := net.WaitFor("sun", "ipsec statusall 2>/dev/null", regexp.MustCompile(`net-net:`), 15*time.Second); err != nil {
		return err
	}
	last := regexp.MustCompile(fmt.Sprintf(`(?m)^\s*net-net%d:`, n))
	limit := 60*time.Second + time.Duration(n)*20*time.Millisecond
	if _, err := net.WaitFor("moon", "ipsec statusall 2>/dev/null", last, limit); err != nil {
		return fmt.Errorf("moon did not load its %d conns: %w", n, err)
	}
	return nil
}

// initiateAll tells moon to initiate net-net1 … net-net<n> (bench
// initiate, trigger.go) and waits until sun has established n CHILD_SAs,
// one per IKE_SA; a run that makes no progress for 30 s has failed.
func initiateAll(ctx context.Context, net *netnet.Net, p runner.Pairing, n int) error {
	limit := 60*time.Second + time.Duration(n)*10*time.Millisecond
	self, err := os.Executable()
	if err != nil {
		return err
	}
	self, cleanup, err := inHosts(self)
	if err != nil {
		return err
	}
	defer cleanup()
	if _, err := net.Run("moon", fmt.Sprintf("%s initiate net-net %d", self, n), limit); err != nil {
		return err
	}
	// sun's log says "CHILD_SA net-net{N} established with SPIs" when an
	// IKE_SA's CHILD_SA is installed, its last step; counting those lines
	// costs the daemons nothing, where polling `ipsec status` (every
	// 100 ms, as the first versions did) made the responder list all its
	// SAs ten times a second, slowing goswan's and strongSwan's setups
	// alike and more the more SAs there were.
	poll := 250 * time.Millisecond
	if n > 10000 {
		poll = 2 * time.Second
	}
	count := func() int {
		v, _ := strconv.Atoi(strings.TrimSpace(net.Quiet("sun", "grep -c 'CHILD_SA net-net{[0-9]*} established with SPIs' /var/log/daemon.log")))
		return v
	}
	up, seen, lastChange := 0, -1, time.Now()
	for up < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
		up = count()
		if up != seen {
			seen, lastChange = up, time.Now()
		}
		if time.Since(lastChange) > 30*time.Second {
			return fmt.Errorf("%s: only %d of %d IKE_SAs established, none more for 30 s", p.Code(), up, n)
		}
	}
	return nil
}
