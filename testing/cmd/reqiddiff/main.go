// Command reqiddiff is the differential test of reqid allocation (package
// testing/internal/reqiddiff): two copies of the moon/sun network, goswan
// on both gateways in one and Debian's strongSwan 5.9.8 in the other, are
// driven through the same random sequences of stroke commands and every
// reqid is compared after each step.
//
//	make reqid-diff                          # 1000 sequences, gg against ss
//	testing/.bin/reqiddiff --sequences 50 --test ss   # the harness against itself
//
// Needs root, iproute2, util-linux and Debian's strongswan package. Exit
// status 0 when every step agreed, 1 on a mismatch, 2 on a set-up error.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/reqiddiff"
)

func main() {
	var o reqiddiff.Options
	flag.StringVar(&o.Test, "test", "gg", "pairing of the lab under test (moon then sun: g goswan, s strongSwan, c goswan's charon under Debian's starter)")
	flag.StringVar(&o.Reference, "reference", "ss", "pairing of the reference lab")
	flag.StringVar(&o.TestSettings, "test-settings", "", "extra charon settings (strongswan.conf lines) of the lab under test")
	flag.StringVar(&o.ReferenceSettings, "reference-settings", "", "extra charon settings of the reference lab")
	flag.StringVar(&o.GoswanBin, "goswan-bin", "bin", "directory with goswan's ipsec and charon")
	flag.IntVar(&o.Sequences, "sequences", 1000, "number of random sequences")
	flag.IntVar(&o.Batch, "batch", 25, "sequences per start of the daemons")
	seed := flag.Uint64("seed", 1, "seed of the first sequence (the others follow)")
	flag.BoolVar(&o.Verbose, "v", false, "trace every command")
	flag.IntVar(&o.StopAfter, "stop-after", 0, "stop after this many mismatches (0: never)")
	list := flag.Bool("list", false, "print the sequences instead of running them")
	flag.Parse()
	o.Seed = *seed
	if *list {
		for i := range o.Sequences {
			fmt.Printf("sequence %d:\n", *seed+uint64(i))
			for j, s := range reqiddiff.Sequence(*seed + uint64(i)) {
				fmt.Printf("  %2d %s\n", j, s)
			}
		}
		return
	}
	o.Out = os.Stdout
	bin, err := filepath.Abs(o.GoswanBin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	o.GoswanBin = bin
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	t0 := time.Now()
	res, err := reqiddiff.Run(ctx, o)
	fmt.Printf("\n%s against %s: %d sequences, %d steps, %d reqids compared, %d mismatches, %d races (%.0fs)\n",
		o.Test, o.Reference, res.Sequences, res.Steps, res.ReqIDs, len(res.Mismatches), len(res.Races), time.Since(t0).Seconds())
	for _, m := range res.Mismatches {
		fmt.Printf("  mismatch: sequence %d (batch from %d), step %d, %s: %s\n", m.Seed, m.Batch, m.Step, m.What, m.Kind)
	}
	for _, m := range res.Races {
		fmt.Printf("  race (not seen again in a replay): sequence %d (batch from %d), step %d, %s: %s\n", m.Seed, m.Batch, m.Step, m.What, m.Kind)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "reqiddiff: %v\n", err)
		os.Exit(2)
	}
	if len(res.Mismatches) > 0 {
		os.Exit(1)
	}
}
