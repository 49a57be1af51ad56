package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

// The scale figure: moon brings up n IKE_SAs (PSK, one CHILD_SA each,
// userspace data plane) to one responder, sun; while they are up the bench
// times `ipsec statusall` on sun, and on moon (which holds as many)
// `ipsec status net-net<n/2>` and `ipsec up` of a conn not up yet (probe),
// each the median of three, and reads both daemons' RSS. The goals (statusall
// < 2 s, status and up < 100 ms) are reported, not asserted. For
// strongSwan the same run shows where it stops: the error says how many
// IKE_SAs it got to.

func scaleFigure(n int) *Figure {
	return &Figure{ID: "scale", Title: fmt.Sprintf("%d IKE_SAs against one responder: ipsec statusall on it", n),
		Unit: "s", Anchor: "ss"}
}

func benchScale(ctx context.Context, c config, f *Figure, n int) error {
	var errs []string
	for _, p := range c.pairings {
		if p.Left != p.Right {
			continue
		}
		fmt.Printf("== scale, %s (moon %s, sun %s): %d IKE_SAs\n", p.Code(), p.Left, p.Right, n)
		r, err := scaleRun(ctx, p, c.bin, n)
		if err != nil {
			fmt.Printf("   FAILED: %v\n", firstLines(err.Error(), 3))
			errs = append(errs, fmt.Sprintf("%s: %s", p.Code(), firstLines(err.Error(), 3)))
			continue
		}
		fmt.Printf("   setup %.0f IKE_SA/s; statusall %.2f s; status <conn> %.3f s; up of a new conn %.3f s; RSS sun %.0f MiB, moon %.0f MiB\n",
			float64(n)/r.setup.Seconds(), r.statusall, r.status, r.up, r.rssSun/(1<<20), r.rssMoon/(1<<20))
		row := f.add(p.Code(), pairingLabel(p), r.statusall)
		row.Extra = map[string]float64{"status_conn_s": r.status, "up_new_conn_s": r.up,
			"rss_sun_MiB": r.rssSun / (1 << 20), "rss_moon_MiB": r.rssMoon / (1 << 20), "setup_IKE_SA_per_s": float64(n) / r.setup.Seconds()}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, " / ")
}

type scaleResult struct {
	setup                 time.Duration
	statusall, status, up float64
	rssSun, rssMoon       float64
}

func scaleRun(ctx context.Context, p runner.Pairing, bin string, n int) (r scaleResult, err error) {
	net, done, err := upLoad(ctx, p, bin, netnet.LoadOptions{
		Auth: netnet.AuthPSK, Conns: n, IKE: "aes128-sha256-x25519!", ESP: "aes128gcm16!", Probe: true,
	}, 15)
	if err != nil {
		return r, err
	}
	defer done(&err)
	t0 := time.Now()
	if err := initiateAll(ctx, net, p, n); err != nil {
		return r, err
	}
	r.setup = time.Since(t0)
	timeIt := func(host, cmd string, check func(string) bool) (float64, error) {
		var ts []float64
		for i := 0; i < 3; i++ {
			s := time.Now()
			out, err := net.Run(host, cmd, 120*time.Second)
			if err != nil || !check(out) {
				return 0, fmt.Errorf("%s: %s: %v: %s", host, cmd, err, firstLines(out, 3))
			}
			ts = append(ts, time.Since(s).Seconds())
			if strings.HasPrefix(cmd, "ipsec up") {
				_, _ = net.Run(host, "ipsec down probe >/dev/null", 60*time.Second)
			}
		}
		return median(ts), nil
	}
	if r.statusall, err = timeIt("sun", "ipsec statusall >/dev/null 2>&1 && echo ok", func(o string) bool { return strings.Contains(o, "ok") }); err != nil {
		return r, err
	}
	conn := fmt.Sprintf("net-net%d", (n+1)/2)
	if r.status, err = timeIt("moon", "ipsec status "+conn, func(o string) bool { return strings.Contains(o, conn) }); err != nil {
		return r, err
	}
	if r.up, err = timeIt("moon", "ipsec up probe", func(o string) bool { return strings.Contains(o, "established successfully") }); err != nil {
		return r, err
	}
	if r.rssSun, err = rssOf(net, "sun"); err != nil {
		return r, err
	}
	r.rssMoon, err = rssOf(net, "moon")
	return r, err
}
