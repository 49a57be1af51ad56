package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

// establishedSA matches one ESTABLISHED IKE_SA line of `ipsec status`.
var establishedSA = regexp.MustCompile(`(?m)^\s*\S+\[\d+\]: ESTABLISHED`)

// ikeRateResult is one measurement of the IKE_SA setup rate.
type ikeRateResult struct {
	pairing runner.Pairing
	perSec  float64
}

// ikeRate measures how fast moon brings up n IKE_SAs (one CHILD_SA each)
// to sun with certificates of the given kind, each conn of moon with its
// own identity and certificate. Both gateways are started and have loaded
// their conns first, so the figure is not about loading n certificates; the
// clock starts when moon is told to initiate them all, with Debian's stroke
// client (`stroke up-nb`, which does not wait) for either implementation so
// the trigger costs the same, and stops when sun's `ipsec status` lists n
// ESTABLISHED IKE_SAs. An implementation that cannot do it is an error,
// reported with both gateways' logs, never a skipped figure.
func ikeRate(ctx context.Context, p runner.Pairing, bin, auth string, n int) (r ikeRateResult, err error) {
	r.pairing = p
	net, err := netnet.BuildLoad(ctx, string(p.Left), string(p.Right), bin, netnet.LoadOptions{
		Auth: auth, Conns: n, IKE: "aes128-sha256-x25519!", ESP: "aes128gcm16!",
	})
	if err != nil {
		return r, err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n--- moon's log (end):\n%s\n--- sun's log (end):\n%s", err, net.Logs("moon", 25), net.Logs("sun", 25))
		}
		if cerr := net.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	for _, h := range []string{"sun", "moon"} {
		if _, err := net.Run(h, "ipsec start", 20*time.Second); err != nil {
			return r, err
		}
	}
	if _, err := net.WaitFor("sun", "ipsec statusall 2>/dev/null", regexp.MustCompile(`net-net:`), 15*time.Second); err != nil {
		return r, err
	}
	last := regexp.MustCompile(fmt.Sprintf(`(?m)^\s*net-net%d:`, n))
	if _, err := net.WaitFor("moon", "ipsec statusall 2>/dev/null", last, 60*time.Second); err != nil {
		return r, fmt.Errorf("moon did not load its %d conns with %s certificates: %w", n, auth, err)
	}
	t0 := time.Now()
	if _, err := net.Run("moon", fmt.Sprintf("i=1; while [ $i -le %d ]; do /usr/lib/ipsec/stroke up-nb net-net$i >/dev/null || exit 1; i=$((i+1)); done", n), 60*time.Second); err != nil {
		return r, err
	}
	// Polled, not timed per SA: the figure is n over the whole span. A run
	// that makes no progress for 20 s has failed.
	up, seen, lastChange := 0, -1, time.Now()
	for up < n {
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		up = len(establishedSA.FindAllString(net.Quiet("sun", "ipsec status 2>/dev/null"), -1))
		if up != seen {
			seen, lastChange = up, time.Now()
		}
		if time.Since(lastChange) > 20*time.Second {
			return r, fmt.Errorf("%s: only %d of %d IKE_SAs with %s certificates established, none more for 20 s", p.Code(), up, n, auth)
		}
	}
	r.perSec = float64(n) / time.Since(t0).Seconds()
	return r, nil
}

// benchIKERate runs ikeRate for every auth kind and pairing, rounds times
// with the pairings alternating, and prints each median beside
// strongSwan↔strongSwan's as a ratio.
func benchIKERate(ctx context.Context, ps []runner.Pairing, bin string, auths []string, n, rounds int) error {
	type row struct {
		auth string
		res  ikeRateResult
	}
	var rows []row
	for _, auth := range auths {
		runs := make([][]ikeRateResult, len(ps))
		for round := 1; round <= rounds; round++ {
			for i, p := range ps {
				fmt.Printf("== IKE_SA setup, round %d, %s certificates, %s (moon %s, sun %s): %d IKE_SAs\n", round, auth, p.Code(), p.Left, p.Right, n)
				r, err := ikeRate(ctx, p, bin, auth, n)
				if err != nil {
					return err
				}
				fmt.Printf("   %.1f IKE_SAs/s\n", r.perSec)
				runs[i] = append(runs[i], r)
			}
		}
		for _, rs := range runs {
			sort.Slice(rs, func(a, b int) bool { return rs[a].perSec < rs[b].perSec })
			rows = append(rows, row{auth, rs[len(rs)/2]})
		}
	}
	fmt.Printf("\nIKE_SA setup rate, medians of %d rounds (moon initiates %d IKE_SAs to sun, one CHILD_SA each):\n", rounds, n)
	fmt.Printf("%-10s %-8s %-26s %10s %8s\n", "auth", "pairing", "moon / sun", "IKE_SA/s", "vs ss")
	for _, rw := range rows {
		var ss float64
		for _, o := range rows {
			if o.auth == rw.auth && o.res.pairing.Left == runner.StrongSwan && o.res.pairing.Right == runner.StrongSwan {
				ss = o.res.perSec
			}
		}
		ratio := "-"
		if ss > 0 {
			ratio = fmt.Sprintf("%.2fx", rw.res.perSec/ss)
		}
		p := rw.res.pairing
		fmt.Printf("%-10s %-8s %-26s %10.1f %8s\n", rw.auth, p.Code(), string(p.Left)+" / "+string(p.Right), rw.res.perSec, ratio)
	}
	return nil
}

// parseAuths checks the --ikesa-auth list.
func parseAuths(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		switch a = strings.TrimSpace(a); a {
		case "":
		case netnet.AuthRSA2048, netnet.AuthECDSA256:
			out = append(out, a)
		default:
			return nil, fmt.Errorf("unknown certificate kind %q (want %s, %s)", a, netnet.AuthRSA2048, netnet.AuthECDSA256)
		}
	}
	return out, nil
}
