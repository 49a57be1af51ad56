// Command bench measures TCP throughput from alice to bob through a
// negotiated net-net tunnel (AES-GCM-16-128, userspace data plane on both
// gateways) for several pairings of implementations in one run, and prints
// each against strongSwan↔strongSwan (Debian's charon with kernel-libipsec).
//
//	make bench                          # gg and ss
//	bench --pairings gg,gs,sg,ss --seconds 10
//
// Needs root, iperf3, iproute2, util-linux and Debian's strongswan.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

type result struct {
	pairing runner.Pairing
	bps     float64
	retrans int
}

func main() {
	pairings := flag.String("pairings", "gg,ss", "pairings to measure (left = moon), e.g. gg,gs,sg,ss")
	seconds := flag.Int("seconds", 10, "iperf3 duration")
	repeat := flag.Int("repeat", 3, "rounds; the pairings alternate within a round and each reports its median")
	goswanBin := flag.String("goswan-bin", "bin", "directory with goswan's ipsec and charon")
	flag.Parse()
	ps, err := runner.ParsePairings(*pairings)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bin, _ := filepath.Abs(*goswanBin)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// Alternating the pairings within each round spreads the load of
	// whatever else runs on the machine over all of them alike.
	runs := make([][]result, len(ps))
	for round := 1; round <= *repeat; round++ {
		for i, p := range ps {
			fmt.Printf("== round %d, %s (moon %s, sun %s): iperf3 alice -> bob, %d s\n", round, p.Code(), p.Left, p.Right, *seconds)
			r, err := measure(ctx, p, bin, *seconds)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench %s: %v\n", p.Code(), err)
				os.Exit(1)
			}
			fmt.Printf("   %.1f Mbit/s (%d retransmits)\n", r.bps/1e6, r.retrans)
			runs[i] = append(runs[i], r)
		}
	}
	var results []result
	for _, rs := range runs {
		sort.Slice(rs, func(a, b int) bool { return rs[a].bps < rs[b].bps })
		results = append(results, rs[len(rs)/2])
	}
	var ss float64
	for _, r := range results {
		if r.pairing.Left == runner.StrongSwan && r.pairing.Right == runner.StrongSwan {
			ss = r.bps
		}
	}
	fmt.Printf("\nmedians of %d rounds:\n%-8s %-26s %12s %8s\n", *repeat, "pairing", "moon / sun", "Mbit/s", "vs ss")
	for _, r := range results {
		ratio := "-"
		if ss > 0 {
			ratio = fmt.Sprintf("%.1fx", r.bps/ss)
		}
		fmt.Printf("%-8s %-26s %12.1f %8s\n", r.pairing.Code(), string(r.pairing.Left)+" / "+string(r.pairing.Right), r.bps/1e6, ratio)
	}
}

// listening5201 matches a socket listening on TCP port 5201 in
// /proc/net/tcp or tcp6.
var listening5201 = regexp.MustCompile(`(?m)^\s*\d+: [0-9A-F]+:1451 0+:0000 0A `)

func measure(ctx context.Context, p runner.Pairing, bin string, seconds int) (r result, err error) {
	r.pairing = p
	n, err := netnet.Build(ctx, string(p.Left), string(p.Right), bin, netnet.Options{ESP: "aes128gcm16!", IKE: "aes128-sha256-x25519!"})
	if err != nil {
		return r, err
	}
	defer func() {
		if err != nil {
			fmt.Println(n.Logs("moon", 30))
		}
		if cerr := n.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := n.Start(); err != nil {
		return r, err
	}
	if err := n.Up(); err != nil {
		return r, err
	}
	if _, err := n.Run("alice", "ping -c 1 -W 2 "+netnet.Bob, 10*time.Second); err != nil {
		return r, err
	}
	bob := n.Topo.Host("bob")
	srvOut, err := os.CreateTemp("", "iperf3-server-")
	if err != nil {
		return r, err
	}
	defer os.Remove(srvOut.Name())
	defer srvOut.Close()
	srv, err := bob.Start(srvOut, srvOut, "iperf3", "-s", "-1", "-p", "5201")
	if err != nil {
		return r, err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	// The server must listen before the client connects: wait until bob's
	// network namespace has the listening socket (port 5201 is 0x1451,
	// state 0A is LISTEN), however long a busy machine takes to start it.
	if _, err := n.WaitFor("bob", "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null", listening5201, 20*time.Second); err != nil {
		return r, err
	}
	out, err := n.Run("alice", fmt.Sprintf("iperf3 -c %s -p 5201 -t %d -J", netnet.Bob, seconds), time.Duration(seconds+30)*time.Second)
	if err != nil {
		return r, fmt.Errorf("%v: %s", err, out)
	}
	var res struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
			SumSent struct {
				Retransmits int `json:"retransmits"`
			} `json:"sum_sent"`
		} `json:"end"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		return r, fmt.Errorf("iperf3 output: %v", err)
	}
	r.bps, r.retrans = res.End.SumReceived.BitsPerSecond, res.End.SumSent.Retransmits
	return r, nil
}
