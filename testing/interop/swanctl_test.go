package interop

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/tasks"
	"github.com/goswan/goswan/testing/internal/swanlab"
)

// TestSwanctlAgainstBothDaemons drives moon with Debian's swanctl, once with
// Debian's charon on moon and once with goswan's (sun runs Debian's charon
// both times), through the same steps in the same lab state, and requires
// the two transcripts to be identical apart from SPIs, times, counters and
// uptime: what an operator sees from swanctl must not tell the daemons
// apart.
func TestSwanctlAgainstBothDaemons(t *testing.T) {
	bin := labBin(t, "/usr/sbin/swanctl", "ping")
	want := swanctlTranscript(t, "strongswan", bin)
	got := swanctlTranscript(t, "goswan", bin)
	if t.Failed() {
		return
	}
	compareTranscripts(t, want, got, map[string]bool{"list-certs": true, "log-start": true, "list-sas-none": true})
}

type transcriptStep struct {
	step, cmd, out string
}

// compareTranscripts requires goswan's charon (got) to have made swanctl
// print what Debian's (want) made it print at each step, apart from what
// normalize blanks. Steps that show nothing in either run would compare
// equal without proving anything: only those in quiet may.
func compareTranscripts(t *testing.T, want, got []transcriptStep, quiet map[string]bool) {
	t.Helper()
	for i, w := range want {
		g := got[i]
		if !quiet[w.step] && (strings.TrimSpace(w.out) == "" || strings.TrimSpace(g.out) == "") {
			t.Errorf("swanctl %s printed nothing (%s): Debian's charon %q, goswan's %q", w.step, w.cmd, w.out, g.out)
		}
		t.Logf("%s (%s), goswan's charon:\n%s", w.step, w.cmd, g.out)
		if normalize(fragmentsInAnyOrder(g.out)) != normalize(fragmentsInAnyOrder(withoutUnannounced(w.out))) {
			t.Errorf("swanctl %s differs (%s):\n--- Debian's charon:\n%s\n--- goswan's charon:\n%s",
				w.step, w.cmd, w.out, g.out)
		}
	}
}

// startLab builds the lab with moonImpl's charon on moon (sun: Debian's)
// and starts it; it returns what swanctl --load-all printed on moon and
// the function that tears the lab down (showing the daemons' logs if the
// test failed).
func startLab(ctx context.Context, t *testing.T, moonImpl, bin string, o swanlab.Options) (*swanlab.Lab, string, func()) {
	t.Helper()
	testingDir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := swanlab.Build(ctx, moonImpl, "strongswan", bin, testingDir, o)
	if err != nil {
		t.Fatal(err)
	}
	closeLab := func() {
		if t.Failed() {
			for _, h := range []string{"moon", "sun"} {
				t.Logf("%s daemon.log (moon: %s):\n%s", h, moonImpl, lab.Logs(h, 80))
			}
		}
		if err := lab.Close(); err != nil {
			t.Errorf("teardown: %v", err)
		}
	}
	loaded, err := lab.Start()
	if err != nil {
		closeLab()
		t.Fatalf("%s: %v", moonImpl, err)
	}
	return lab, loaded["moon"], closeLab
}

// swanctlTranscript runs the steps with moonImpl's charon on moon and
// returns what moon's swanctl printed at each.
func swanctlTranscript(t *testing.T, moonImpl, bin string) []transcriptStep {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	lab, loaded, closeLab := startLab(ctx, t, moonImpl, bin, swanlab.Options{})
	defer closeLab()
	out := []transcriptStep{{"load-all", "swanctl --load-all --noprompt", loaded}}
	run := func(step, cmd string) {
		o, stderr, err := lab.Run("moon", cmd, 60*time.Second)
		if err != nil {
			t.Errorf("%s: moon# %s: %v\n%s", moonImpl, cmd, err, stderr)
		}
		out = append(out, transcriptStep{step, cmd, o})
	}
	wait := func(what string, re *regexp.Regexp) {
		if err := lab.WaitFor("moon", "swanctl --list-sas", re, 20*time.Second); err != nil {
			t.Errorf("%s: %s: %v", moonImpl, what, err)
		}
	}
	run("version", "swanctl --version")
	run("stats", "swanctl --stats")
	run("list-conns", "swanctl --list-conns")
	run("list-pols", "swanctl --list-pols")
	run("list-certs", "swanctl --list-certs")
	// swanctl --log streams the daemon's log until it is stopped.
	run("log-start", "stdbuf -oL swanctl --log >/tmp/swanctl-log.txt 2>&1 & echo $! >/tmp/swanctl-log.pid")
	if err := lab.WaitFor("moon", "cat /var/log/daemon.log", regexp.MustCompile(`vici client \d+ registered for: log`),
		10*time.Second); err != nil {
		t.Errorf("%s: swanctl --log: %v", moonImpl, err)
	}
	run("initiate", "swanctl --initiate --child net-net")
	if _, _, err := lab.Run("alice", "ping -c 2 -W 2 "+swanlab.Bob, 15*time.Second); err != nil {
		t.Errorf("%s: ping through the tunnel: %v", moonImpl, err)
	}
	run("list-sas", "swanctl --list-sas")
	run("list-sas-raw", "swanctl --list-sas --raw")
	run("rekey-child", "swanctl --rekey --child net-net")
	wait("CHILD_SA rekeyed", regexp.MustCompile(`(?s)net-net: #3, reqid 2, INSTALLED.*`))
	waitGone := func(what, s string) {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if o, _, _ := lab.Run("moon", "swanctl --list-sas", 10*time.Second); !strings.Contains(o, s) {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Errorf("%s: %s: still listed after 20s", moonImpl, what)
	}
	waitGone("old CHILD_SA", "net-net: #2,")
	run("rekey-ike", "swanctl --rekey --ike gw-gw")
	wait("IKE_SA rekeyed", regexp.MustCompile(`gw-gw: #2, ESTABLISHED`))
	waitGone("old IKE_SA", "gw-gw: #1,")
	run("list-sas-rekeyed", "swanctl --list-sas")
	run("counters", "swanctl --counters")
	run("counters-all", "swanctl --counters --all")
	run("log", "sleep 1; pid=$(cat /tmp/swanctl-log.pid); kill $pid; "+
		"while kill -0 $pid 2>/dev/null; do sleep 0.1; done; cat /tmp/swanctl-log.txt")
	run("terminate", "swanctl --terminate --ike gw-gw")
	run("list-sas-none", "swanctl --list-sas")
	run("socket", "stat -c '%a %U %G %F' /var/run/charon.vici")
	return out
}

var normalizers = []struct {
	re   *regexp.Regexp
	repl string
}{
	// SPIs: IKE (16 hex digits) and ESP (8).
	{regexp.MustCompile(`\b[0-9a-f]{16}(_[ir]\b)?`), "SPI64$1"},
	{regexp.MustCompile(`\b[0-9a-f]{8}(_[io]\b)?`), "SPI32$1"},
	// Times: uptime, relative times, lifetimes with jitter.
	{regexp.MustCompile(`uptime: .*`), "uptime: T"},
	{regexp.MustCompile(`\b(in|after|lifetime|to) \d+s\b`), "$1 Ts"},
	{regexp.MustCompile(`\b\d+s ago\b`), "Ts ago"},
	{regexp.MustCompile(`\b\d+ (second|minute|hour|day)s? ago\b`), "T ago"},
	{regexp.MustCompile(`\b(established|rekey-time|reauth-time|life-time|install-time|use-in|use-out)=\d+`), "$1=T"},
	// Counters.
	{regexp.MustCompile(`\d+ bytes, +\d+ packets`), "N bytes, N packets"},
	{regexp.MustCompile(`\((\d+) pkts?, `), "(N pkts, "},
	{regexp.MustCompile(`\b(bytes-in|bytes-out|packets-in|packets-out)=\d+`), "$1=N"},
	{regexp.MustCompile(`(\d+) idle, working: \d+/\d+/\d+/\d+`), "N idle, working: N/N/N/N"},
	{regexp.MustCompile(`job queues: \d+/\d+/\d+/\d+`), "job queues: N/N/N/N"},
	{regexp.MustCompile(`jobs scheduled: \d+`), "jobs scheduled: N"},
	{regexp.MustCompile(`mallinfo: .*`), "mallinfo: M"},
	// The hosts' link-local addresses are random.
	{regexp.MustCompile(`fe80::[0-9a-f:]+`), "fe80::X"},
	// Thread numbers of log lines.
	{regexp.MustCompile(`(?m)^\d\d\[`), "NN["},
}

// withoutUnannounced takes out of charon's log what goswan deliberately does
// not send: the capability notifies of features it does not do yet
// (tasks.Unannounced, from config/feature), and their 8 bytes each (a
// notify without data: payload header, protocol, SPI size, type) from the
// size of the packet that carried them. A fragmented message (the
// certificate lab's IKE_AUTH) is split from a shorter plaintext: the
// "splitting" line's size shrinks, and so does the last fragment, the
// only one not cut at the fragment size. A notify goswan does announce, or
// any other size difference, still fails the comparison.
func withoutUnannounced(s string) string {
	lines := strings.Split(s, "\n")
	removed, fragments := 0, 0
	for i, l := range lines {
		switch {
		case strings.Contains(l, "[ENC] generating ") && strings.Contains(l, " EF("):
			// The fragments of the message generated before.
		case strings.Contains(l, "[ENC] generating "):
			removed, fragments = 0, 0
			for _, n := range tasks.Unannounced() {
				tok := " N(" + n.ShortName() + ")"
				removed += strings.Count(l, tok)
				l = strings.ReplaceAll(l, tok, "")
			}
			lines[i] = l
		case removed > 0 && strings.Contains(l, "[ENC] splitting IKE message "):
			if m := splitting.FindStringSubmatchIndex(l); m != nil {
				n, _ := strconv.Atoi(l[m[2]:m[3]])
				fragments, _ = strconv.Atoi(l[m[4]:m[5]])
				lines[i] = l[:m[2]] + strconv.Itoa(n-8*removed) + l[m[3]:]
			}
		case removed > 0 && strings.Contains(l, "[NET] sending packet: "):
			if fragments > 1 {
				fragments--
				continue
			}
			if m := packetSize.FindStringSubmatchIndex(l); m != nil {
				n, _ := strconv.Atoi(l[m[2]:m[3]])
				lines[i] = l[:m[2]] + strconv.Itoa(n-8*removed) + l[m[3]:]
			}
			removed, fragments = 0, 0
		}
	}
	return strings.Join(lines, "\n")
}

var splitting = regexp.MustCompile(`splitting IKE message \((\d+) bytes\) into (\d+) fragments`)

var packetSize = regexp.MustCompile(`\((\d+) bytes\)$`)

// normalize blanks what may differ between two runs of the same steps; log
// lines (which concurrent threads write in any order) are sorted.
func normalize(s string) string {
	for _, n := range normalizers {
		s = n.re.ReplaceAllString(s, n.repl)
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "NN[") {
		sort.Strings(lines)
	}
	return strings.Join(lines, "\n")
}

func TestNormalizeKeepsWhatMustMatch(t *testing.T) {
	a := normalize("gw-gw: #1, ESTABLISHED, IKEv2, 6408ec8a6bfcbab5_i* 2527de18f73f88ef_r\n  established 3s ago, reauth in 10708s")
	b := normalize("gw-gw: #1, ESTABLISHED, IKEv2, ef1dd8cad7172aa1_i* c2069661739c6339_r\n  established 0s ago, reauth in 9741s")
	if a != b {
		t.Errorf("%q != %q", a, b)
	}
	for _, pair := range [][2]string{
		{"gw-gw: #1, ESTABLISHED", "gw-gw: #2, ESTABLISHED"},
		{"net-net: TUNNEL, rekeying every 5400s", "net-net: TUNNEL, rekeying every 3600s"},
		{"local:  10.1.0.0/16", "local:  10.2.0.0/16"},
	} {
		if normalize(pair[0]) == normalize(pair[1]) {
			t.Errorf("normalizing hides a real difference: %q vs %q", pair[0], pair[1])
		}
	}
}

// TestStrokeAndViciConnsSideBySide loads a conn through stroke (ipsec.conf
// via starter) and conns through vici (swanctl.conf) on moon, brings up one
// of each, and requires `ipsec statusall` and `swanctl --list-sas` to
// describe the same SAs (the same SPIs) and to list the other backend's
// conns, as charon does: both plugins feed one set of config backends. The
// views must also equal Debian's charon's in the same lab state.
func TestStrokeAndViciConnsSideBySide(t *testing.T) {
	bin := labBin(t, "/usr/sbin/swanctl", "/usr/sbin/ipsec")
	views := map[string][]transcriptStep{}
	for _, impl := range []string{"strongswan", "goswan"} {
		views[impl] = sideBySide(t, impl, bin)
	}
	if t.Failed() {
		return
	}
	// charon lists IKE_SAs in the order of its hash table, which is no
	// order: compare the SAs as sets.
	for i, w := range views["strongswan"] {
		g := views["goswan"][i]
		if sortBlocks(normalize(g.out)) != sortBlocks(normalize(w.out)) {
			t.Errorf("%s differs:\n--- Debian's charon:\n%s\n--- goswan's charon:\n%s", w.cmd, w.out, g.out)
		}
	}
}

var (
	reStatusSPIs = regexp.MustCompile(`(?m)^\s*(\S+)\{\d+\}:  INSTALLED, TUNNEL, reqid \d+, ESP in UDP SPIs: ([0-9a-f]{8})_i ([0-9a-f]{8})_o`)
	reListSAName = regexp.MustCompile(`(?m)^\s+(\S+): #\d+, reqid \d+, INSTALLED`)
	reListSASPI  = regexp.MustCompile(`(?m)^\s+(in|out) +([0-9a-f]{8}),`)
)

func sideBySide(t *testing.T, impl, bin string) []transcriptStep {
	t.Helper()
	testingDir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lab, err := swanlab.Build(ctx, impl, "strongswan", bin, testingDir, swanlab.Options{Stroke: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("moon daemon.log (%s):\n%s", impl, lab.Logs("moon", 80))
		}
		if err := lab.Close(); err != nil {
			t.Errorf("teardown: %v", err)
		}
	}()
	if _, err := lab.Start(); err != nil {
		t.Fatalf("%s: %v", impl, err)
	}
	run := func(cmd string) string {
		out, stderr, err := lab.Run("moon", cmd, 60*time.Second)
		if err != nil {
			t.Errorf("%s: moon# %s: %v\n%s", impl, cmd, err, stderr)
		}
		return out
	}
	run("swanctl --initiate --child net-net")
	run("ipsec up alice-bob")
	statusall := run("ipsec statusall")
	listSAs := run("swanctl --list-sas")
	listConns := run("swanctl --list-conns")
	// statusall lists vici's conns beside stroke's; list-conns stroke's
	// beside vici's.
	for _, c := range []string{"alice-bob:", "gw-gw:", "trap:", "pass:"} {
		if !strings.Contains(statusall, "\n"+fmt.Sprintf("%12s:", strings.TrimSuffix(c, ":"))) {
			t.Errorf("%s: statusall lacks conn %s:\n%s", impl, c, statusall)
		}
		if !strings.Contains(listConns, "\n"+c) && !strings.HasPrefix(listConns, c) {
			t.Errorf("%s: swanctl --list-conns lacks conn %s:\n%s", impl, c, listConns)
		}
	}
	// The same CHILD_SAs, by name and SPIs, in both views.
	fromStatus := map[string]string{}
	for _, m := range reStatusSPIs.FindAllStringSubmatch(statusall, -1) {
		fromStatus[m[1]] = m[2] + "/" + m[3]
	}
	fromList := map[string]string{}
	names := reListSAName.FindAllStringSubmatch(listSAs, -1)
	spis := reListSASPI.FindAllStringSubmatch(listSAs, -1)
	for i, n := range names {
		if 2*i+1 < len(spis) {
			fromList[n[1]] = spis[2*i][2] + "/" + spis[2*i+1][2]
		}
	}
	if len(fromStatus) != 2 || fmt.Sprint(fromStatus) != fmt.Sprint(fromList) {
		t.Errorf("%s: statusall and swanctl --list-sas disagree: %v vs %v\n%s\n%s", impl, fromStatus, fromList, statusall, listSAs)
	}
	steps := []transcriptStep{
		{"list-sas", "swanctl --list-sas", listSAs},
		{"list-conns", "swanctl --list-conns", listConns},
		{"status", "ipsec status | sort", run("ipsec status | sort")},
	}
	run("ipsec down alice-bob")
	run("swanctl --terminate --ike gw-gw")
	return steps
}

// sortBlocks sorts the blocks of a listing, each a line at the left margin
// with the indented lines that follow it.
func sortBlocks(s string) string {
	var blocks []string
	for _, l := range strings.Split(s, "\n") {
		if len(blocks) == 0 || !strings.HasPrefix(l, " ") {
			blocks = append(blocks, l)
		} else {
			blocks[len(blocks)-1] += "\n" + l
		}
	}
	sort.Strings(blocks)
	return strings.Join(blocks, "\n")
}
