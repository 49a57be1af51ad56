package main

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

// The start figures: moon with n PSK conns (auto=add) in ipsec.conf, each
// with its own identity so that none merges with another. start is the time
// from `ipsec start` until the last conn is loaded (`ipsec statusall
// net-net<n>` lists it, polled every 50 ms; conns are loaded in file
// order); update the time from `ipsec update`, after one conn in the
// middle got another rightsubnet, until statusall shows the new one. The
// anchor is Debian's ipsec, starter and charon.

func startFigure(c config) *Figure {
	return &Figure{ID: "start", Title: fmt.Sprintf("ipsec start with %d conns (auto=add) until all are loaded", c.startConn),
		Unit: "s", Anchor: "s", Goal: 0.1, GoalAtMost: true}
}

func updateFigure(c config) *Figure {
	return &Figure{ID: "update", Title: fmt.Sprintf("ipsec update after changing one of %d conns until it is loaded", c.startConn),
		Unit: "s", Anchor: "s", Goal: 0.1, GoalAtMost: true}
}

// benchStart measures start and update for goswan and Debian's strongSwan,
// alternating, rounds times.
func benchStart(ctx context.Context, c config, start, update *Figure) error {
	for round := 1; round <= c.rounds; round++ {
		for _, impl := range []runner.Impl{runner.Goswan, runner.StrongSwan} {
			fmt.Printf("== ipsec start, round %d, %s: %d conns\n", round, impl, c.startConn)
			s, u, err := startTimes(ctx, impl, c.bin, c.startConn, c.startLimit)
			if err != nil {
				return fmt.Errorf("%s: %w", impl, err)
			}
			fmt.Printf("   start %.2f s, update %.2f s\n", s.Seconds(), u.Seconds())
			start.add(impl.Letter(), string(impl)+"'s ipsec, starter and charon", s.Seconds())
			update.add(impl.Letter(), string(impl)+"'s ipsec, starter and charon", u.Seconds())
		}
	}
	return nil
}

func startTimes(ctx context.Context, impl runner.Impl, bin string, n int, limit time.Duration) (start, update time.Duration, err error) {
	net, err := netnet.BuildLoad(ctx, string(impl), string(runner.Goswan), bin, netnet.LoadOptions{
		Auth: netnet.AuthPSK, Conns: n, IKE: "aes128-sha256-x25519!", ESP: "aes128gcm16!",
	})
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n--- moon's log (end):\n%s", err, net.Logs("moon", 25))
		}
		if cerr := net.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if limit == 0 {
		limit = 60*time.Second + time.Duration(n)*20*time.Millisecond
	}
	last := fmt.Sprintf("net-net%d", n)
	t0 := time.Now()
	if _, err := net.Run("moon", "ipsec start", 30*time.Second); err != nil {
		return 0, 0, err
	}
	if err := pollFor(ctx, net, "moon", "ipsec statusall "+last+" 2>/dev/null", regexp.MustCompile(`(?m)^\s*`+last+`:`), limit); err != nil {
		return 0, 0, fmt.Errorf("%d conns not loaded: %w", n, err)
	}
	start = time.Since(t0)
	mid := fmt.Sprintf("net-net%d", (n+1)/2)
	// The conns share their ends in %default; the changed one gets its own.
	edit := fmt.Sprintf("sed -i '/^conn %s$/a\\\trightsubnet=10.3.0.0/16' /etc/ipsec.conf && grep -q 10.3.0.0/16 /etc/ipsec.conf", mid)
	if _, err := net.Run("moon", edit, 10*time.Second); err != nil {
		return 0, 0, err
	}
	t0 = time.Now()
	if _, err := net.Run("moon", "ipsec update", 30*time.Second); err != nil {
		return 0, 0, err
	}
	if err := pollFor(ctx, net, "moon", "ipsec statusall "+mid+" 2>/dev/null", regexp.MustCompile(`=== 10\.3\.0\.0/16`), limit); err != nil {
		return 0, 0, fmt.Errorf("the changed conn was not reloaded: %w", err)
	}
	return start, time.Since(t0), nil
}

// pollFor runs command on host every 50 ms until its output matches re.
func pollFor(ctx context.Context, net *netnet.Net, host, command string, re *regexp.Regexp, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if re.MatchString(net.Quiet(host, command)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: `%s` did not show %q within %v", host, command, re, limit)
}
