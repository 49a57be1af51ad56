package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	reSPIs = regexp.MustCompile(`(?m)^\s*([\w-]+)\[(\d+)\]: IKEv2 SPIs: ([0-9a-f]{16})_i(\*?) ([0-9a-f]{16})_r`)
	rePeer = regexp.MustCompile(`(?m)^\s*([\w-]+)\[(\d+)\]: ESTABLISHED [^,]*, [^\]]*\]\.\.\.([0-9.]+)\[`)
)

// liveSAs lists moon's established IKE_SAs as `ipsec statusall` shows
// them, in the storm's file format: "spii spir peer initiator".
func (l *Lab) liveSAs() string {
	st := l.Quiet("moon", "ipsec statusall 2>/dev/null")
	peers := map[string]string{}
	for _, m := range rePeer.FindAllStringSubmatch(st, -1) {
		peers[m[1]+"["+m[2]+"]"] = m[3]
	}
	var b strings.Builder
	for _, m := range reSPIs.FindAllStringSubmatch(st, -1) {
		peer := peers[m[1]+"["+m[2]+"]"]
		if peer == "" {
			continue
		}
		fmt.Fprintf(&b, "%s %s %s %v\n", m[3], m[5], peer, m[4] == "*")
	}
	return b.String()
}

// ParseLive reads the storm's live SA file.
func ParseLive(s string) []LiveSA {
	var out []LiveSA
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		i, err1 := strconv.ParseUint(f[0], 16, 64)
		r, err2 := strconv.ParseUint(f[1], 16, 64)
		peer, err3 := netip.ParseAddr(f[2])
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		out = append(out, LiveSA{SPIi: i, SPIr: r, Peer: peer, Initiator: f[3] == "true"})
	}
	return out
}

// writeHostFile writes a file inside a host (its own /tmp).
func (l *Lab) writeHostFile(host, path, data string) error {
	r := l.Topo.Host(host).Exec(context.Background(), 10*time.Second, strings.NewReader(data), "/bin/sh", "-c", "cat > "+path+".new && mv "+path+".new "+path)
	if r.Err != nil || r.ExitCode != 0 {
		return fmt.Errorf("writing %s on %s: %v %s", path, host, r.Err, r.Stderr)
	}
	return nil
}

// PhaseStorm is phase 2: malformed and half-valid packets of every kind.
func (l *Lab) PhaseStorm(e *Expected, rate int, d time.Duration, root string, seed int64, probes int) (PhaseResult, StormResult) {
	var sr StormResult
	sent := fmt.Sprintf("%d datagrams one by one, then %d malformed or half-valid packets/s for %v: %s", probes, rate, d,
		strings.Join(stormNames[:], ", "))
	r := l.Phase("2 malformed storm", sent, e, func(r *PhaseResult) error {
		// The tunnels' own traffic to moon, to replay.
		rec := l.Quiet("moon", "timeout 12 tcpdump -i eth0 -n -x -c 300 'dst host "+MoonIP+" and (udp port 500 or udp port 4500)' 2>/dev/null")
		if err := l.writeHostFile("winnetou", "/tmp/replay.txt", rec); err != nil {
			return err
		}
		if err := l.writeHostFile("winnetou", "/tmp/live.txt", l.liveSAs()); err != nil {
			return err
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // the live SAs change with every IKE rekey
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Second):
				}
				_ = l.writeHostFile("winnetou", "/tmp/live.txt", l.liveSAs())
			}
		}()
		toolong0 := l.countLog("receive buffer too small")
		wait, err := l.startTool("winnetou", "storm", "-target", MoonIP, "-self", WinnetouIP,
			"-rate", strconv.Itoa(rate), "-duration", d.String(), "-seed", strconv.FormatInt(seed, 10),
			"-root", root, "-live", "/tmp/live.txt", "-replay", "/tmp/replay.txt", "-iface", "eth0",
			"-differential", strconv.Itoa(probes), "-sources", AttackNet)
		if err != nil {
			close(stop)
			return err
		}
		out, err := wait()
		close(stop)
		wg.Wait()
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(out), &sr); err != nil {
			return fmt.Errorf("storm result %q: %v", out, err)
		}
		r.Figure("sent", "%d packets in %.0f s (%.0f/s), %d send errors", sr.Sent, sr.Seconds, sr.Rate, sr.SendErrors)
		for _, k := range sr.Kinds {
			r.Figure(k.Name, "%d sent, %s", k.Sent, answerSummary(k))
		}
		r.Figure("oversized logged as charon (receive buffer too small)", "%d", l.countLog("receive buffer too small")-toolong0)
		r.Check("rate reached", sr.Rate >= 0.9*float64(rate), "%.0f/s of %d/s", sr.Rate, rate)
		for _, k := range sr.Kinds {
			if k.Name == stormNames[stormInvalidKE] || k.Name == stormNames[stormCookie] {
				var n uint64
				for _, c := range k.Answers {
					n += c
				}
				r.Check(k.Name+": at most one answer per request", n <= k.Sent, "%d answers to %d requests (ping-pong included)", n, k.Sent)
			}
		}
		return nil
	})
	return r, sr
}

// answerSummary prints a kind's answers, most frequent first.
func answerSummary(k StormKind) string {
	if !k.Counted {
		return "answers go to the spoofed peer"
	}
	if len(k.Answers) == 0 {
		return "no answer"
	}
	keys := slices.Collect(maps.Keys(k.Answers))
	slices.SortFunc(keys, func(a, b string) int { return int(k.Answers[b]) - int(k.Answers[a]) })
	var parts []string
	for _, s := range keys {
		parts = append(parts, fmt.Sprintf("%d x %s", k.Answers[s], s))
	}
	return "answered " + strings.Join(parts, ", ")
}

// CompareStorms compares the differential pass datagram by datagram:
// goswan must answer each as strongSwan did (the storm itself runs at a
// rate where what is dropped follows the load, so only its survival is
// compared).
func CompareStorms(g, s StormResult) PhaseResult {
	r := PhaseResult{Phase: "2 answers vs strongSwan", Moon: "goswan",
		Sent: fmt.Sprintf("%d datagrams of the storm one by one, each from its own source, at both", len(g.Probes))}
	type tally struct {
		n, same, other int
		diffs          []string
	}
	byKind := make([]tally, stormKinds)
	for i := range min(len(g.Probes), len(s.Probes)) {
		gp, sp := g.Probes[i], s.Probes[i]
		t := &byKind[gp.Kind]
		if gp.Sum != sp.Sum {
			// The datagram depends on its lab (live SPIs, captured
			// messages): no comparison.
			t.other++
			continue
		}
		t.n++
		ga, sa := strings.Join(gp.Answers, " + "), strings.Join(sp.Answers, " + ")
		if ga == sa {
			t.same++
		} else if len(t.diffs) < 3 {
			t.diffs = append(t.diffs, fmt.Sprintf("#%d %s...: goswan %q, strongSwan %q", i, gp.Head[:min(len(gp.Head), 64)], ga, sa))
		}
	}
	for k, t := range byKind {
		if t.n+t.other == 0 {
			continue
		}
		r.Check(stormNames[k], t.same == t.n, "%d of %d identical datagrams answered alike (%d differed between the labs)%s",
			t.same, t.n, t.other, map[bool]string{true: "", false: "; " + strings.Join(t.diffs, "; ")}[t.same == t.n])
	}
	return r
}
