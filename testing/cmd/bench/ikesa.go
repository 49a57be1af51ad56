package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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
// to sun with a PSK or certificates of the given kind, each conn of moon
// with its own identity (and certificate). Both gateways are started and have loaded
// their conns first, so the figure is not about loading n certificates; the
// clock starts when moon is told to initiate them all, with one process
// sending a non-blocking STR_INITIATE per conn (bench initiate) for either
// implementation so the trigger costs the same, and stops when sun's log says it has
// established n CHILD_SAs, one per IKE_SA (initiateAll). An implementation that cannot do it is an error,
// reported with both gateways' logs, never a skipped figure.
func ikeRate(ctx context.Context, p runner.Pairing, bin, auth string, n int) (r ikeRateResult, err error) {
	r.pairing = p
	net, done, err := upLoad(ctx, p, bin, netnet.LoadOptions{
		Auth: auth, Conns: n, IKE: "aes128-sha256-x25519!", ESP: "aes128gcm16!",
	}, 25)
	if err != nil {
		return r, err
	}
	defer done(&err)
	t0 := time.Now()
	if err := initiateAll(ctx, net, p, n); err != nil {
		return r, err
	}
	r.perSec = float64(n) / time.Since(t0).Seconds()
	return r, nil
}

func ikeRateFigure(auth string, n int) *Figure {
	what := map[string]string{netnet.AuthPSK: "PSK", netnet.AuthRSA2048: "RSA-2048 certificates",
		netnet.AuthECDSA256: "ECDSA P-256 certificates"}[auth]
	return &Figure{ID: "ikesa-" + auth, Title: fmt.Sprintf("IKE_SA setup rate, moon initiating %d IKE_SAs to sun (%s, x25519)", n, what),
		Unit: "IKE_SA/s", Anchor: "ss", Goal: 3, HigherIsBetter: true}
}

// benchIKERate runs ikeRate for every pairing, rounds times with the
// pairings alternating, into f. A pairing that fails is not measured again,
// the others go on; the figure then carries the errors.
func benchIKERate(ctx context.Context, c config, f *Figure, auth string, n int) error {
	var errs []error
	failed := map[string]bool{}
	for round := 1; round <= c.rounds; round++ {
		for _, p := range c.pairings {
			if failed[p.Code()] || ctx.Err() != nil {
				continue
			}
			fmt.Printf("== IKE_SA setup, round %d, %s, %s (moon %s, sun %s): %d IKE_SAs\n", round, auth, p.Code(), p.Left, p.Right, n)
			r, err := ikeRate(ctx, p, c.bin, auth, n)
			if err != nil {
				fmt.Printf("   FAILED: %v\n", err)
				failed[p.Code()] = true
				errs = append(errs, fmt.Errorf("%s: %w", p.Code(), err))
				continue
			}
			fmt.Printf("   %.1f IKE_SAs/s\n", r.perSec)
			f.add(p.Code(), pairingLabel(p), r.perSec)
		}
	}
	return errors.Join(errs...)
}

// parseAuths checks the --ikesa-auth list.
func parseAuths(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		switch a = strings.TrimSpace(a); a {
		case "":
		case netnet.AuthPSK, netnet.AuthRSA2048, netnet.AuthECDSA256:
			out = append(out, a)
		default:
			return nil, fmt.Errorf("unknown authentication %q (want %s, %s, %s)", a, netnet.AuthPSK, netnet.AuthRSA2048, netnet.AuthECDSA256)
		}
	}
	return out, nil
}
