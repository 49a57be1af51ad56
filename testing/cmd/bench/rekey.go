package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

// The rekey storm: moon brings up n IKE_SAs to sun (PSK, one CHILD_SA
// each) whose CHILD_SAs have lifetime=2m, margintime=30s and rekeyfuzz=100%
// on moon (sun keeps an hour, so moon alone rekeys): each rekeys 60 to 90 s
// after it came up, all of them in a window of the setup's length plus 30 s.
// While they rekey, moon brings an unrelated conn (probe) up and down
// again and again, `ipsec up probe` timed each time. The figure is the p99
// of those times, goswan↔goswan against strongSwan↔strongSwan; beside it
// how many rekeys completed (moon's "closing CHILD_SA" lines), how many
// log lines say a rekey or CHILD_SA failed, and how many of the n IKE_SAs
// and CHILD_SAs sun still has at the end. The goal (no failed rekey, no
// lost SA, p99 < 1 s) is reported, not asserted.

func rekeyFigure(n int) *Figure {
	return &Figure{ID: "rekey-storm", Title: fmt.Sprintf("rekey storm: %d CHILD_SAs rekeying within about a minute; p99 of an unrelated ipsec up", n),
		Unit: "s", Anchor: "ss"}
}

var (
	closingChild = regexp.MustCompile(`closing CHILD_SA net-net\d+\{`)
	rekeyFailure = regexp.MustCompile(`(?i)(rekey\w* failed|failed to establish CHILD_SA|establishing CHILD_SA .* failed|giving up after)`)
	retransmit   = regexp.MustCompile(`retransmit \d+ of request`)
	installedSA  = regexp.MustCompile(`(?m)^\s*net-net\{\d+\}:\s+INSTALLED`)
)

// benchRekey runs one round whatever the suite's rounds: a storm of ten
// thousand takes minutes per pairing.
func benchRekey(ctx context.Context, c config, f *Figure, n int) error {
	for round := 1; round <= 1; round++ {
		for _, p := range c.pairings {
			if p.Left != p.Right {
				continue // the storm's anchor is ss; mixed pairings add nothing here
			}
			fmt.Printf("== rekey storm, round %d, %s (moon %s, sun %s): %d CHILD_SAs\n", round, p.Code(), p.Left, p.Right, n)
			r, err := rekeyStorm(ctx, p, c.bin, n)
			if err != nil {
				return fmt.Errorf("%s: %w", p.Code(), err)
			}
			fmt.Printf("   ipsec up probe: p50 %.3f s, p99 %.3f s over %d; %d rekeys in %.0f s, %d failure and %d retransmit lines, sun keeps %d IKE_SAs / %d CHILD_SAs of %d\n",
				r.p50, r.p99, r.probes, r.rekeys, r.window.Seconds(), r.failures, r.retransmits, r.ikeLeft, r.childLeft, n)
			row := f.add(p.Code(), pairingLabel(p), r.p99)
			row.Extra = map[string]float64{"p50_s": r.p50, "probes": float64(r.probes), "rekeys": float64(r.rekeys),
				"rekey_window_s": r.window.Seconds(), "failure_lines": float64(r.failures), "retransmit_lines": float64(r.retransmits),
				"ike_sas_left": float64(r.ikeLeft), "child_sas_left": float64(r.childLeft)}
		}
	}
	return nil
}

type stormResult struct {
	p50, p99              float64
	probes, rekeys        int
	failures, retransmits int
	ikeLeft, childLeft    int
	window                time.Duration
}

func rekeyStorm(ctx context.Context, p runner.Pairing, bin string, n int) (r stormResult, err error) {
	net, done, err := upLoad(ctx, p, bin, netnet.LoadOptions{
		Auth: netnet.AuthPSK, Conns: n, IKE: "aes128-sha256-x25519!", ESP: "aes128gcm16!",
		Lifetime: "2m", Margin: "30s", RekeyFuzz: "100%", InitiatorOnly: true, Probe: true,
	}, 25)
	if err != nil {
		return r, err
	}
	defer done(&err)
	t0 := time.Now()
	if err := initiateAll(ctx, net, p, n); err != nil {
		return r, err
	}
	setup := time.Since(t0)
	// The storm lasts from 60 s after the first SA came up to 90 s after
	// the last: probe until every CHILD_SA was rekeyed once, or that time
	// and 30 s more have passed.
	end := t0.Add(setup + 120*time.Second)
	var lat []float64
	var first, last time.Time
	for time.Now().Before(end) {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		s := time.Now()
		out, err := net.Run("moon", "ipsec up probe", 30*time.Second)
		if err != nil || !strings.Contains(out, "established successfully") {
			return r, fmt.Errorf("ipsec up probe during the storm: %v: %s", err, out)
		}
		lat = append(lat, time.Since(s).Seconds())
		_, _ = net.Run("moon", "ipsec down probe >/dev/null", 30*time.Second)
		done := len(closingChild.FindAllString(net.Quiet("moon", "cat /var/log/daemon.log"), -1))
		if done > 0 && first.IsZero() {
			first = time.Now()
		}
		if done > r.rekeys {
			r.rekeys, last = done, time.Now()
		}
		if r.rekeys >= n {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.window = last.Sub(first)
	sort.Float64s(lat)
	r.probes = len(lat)
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	for _, h := range []string{"moon", "sun"} {
		log := net.Quiet(h, "cat /var/log/daemon.log")
		r.failures += len(rekeyFailure.FindAllString(log, -1))
		r.retransmits += len(retransmit.FindAllString(log, -1))
	}
	status := net.Quiet("sun", "ipsec status 2>/dev/null")
	r.ikeLeft = len(establishedSA.FindAllString(status, -1))
	r.childLeft = len(installedSA.FindAllString(status, -1))
	if os.Getenv("GOSWAN_BENCH_KEEP_LOGS") != "" {
		_ = os.WriteFile(fmt.Sprintf("/var/tmp/rekey-%s-moon.log", p.Code()), []byte(net.Quiet("moon", "cat /var/log/daemon.log")), 0o644)
	}
	return r, nil
}
