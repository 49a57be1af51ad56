// Command bench measures, for several pairings of implementations in one
// run, and prints each against strongSwan↔strongSwan (Debian's charon with
// kernel-libipsec):
//
//   - TCP throughput from alice to bob through a negotiated net-net tunnel
//     (AES-GCM-16-128, userspace data plane on both gateways);
//
//   - the IKE_SA setup rate with certificates (RSA-2048, ECDSA P-256): moon
//     initiates --ikesas IKE_SAs to sun, see ikesa.go.
//
//     make bench                          # gg and ss
//     bench --pairings gg,gs,sg,ss --seconds 10
//     bench --measure ikesa --ikesa-auth ecdsa256 --ikesas 50
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
	measure := flag.String("measure", "throughput,ikesa", "what to measure: throughput, ikesa or both")
	ikesas := flag.Int("ikesas", 200, "IKE_SAs moon initiates in the setup-rate measurement")
	ikesaAuth := flag.String("ikesa-auth", "rsa2048,ecdsa256", "certificate kinds of the setup-rate measurement")
	flag.Parse()
	ps, err := runner.ParsePairings(*pairings)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	auths, err := parseAuths(*ikesaAuth)
	if err != nil || *ikesas < 1 {
		fmt.Fprintln(os.Stderr, "bench: --ikesa-auth/--ikesas:", err)
		os.Exit(2)
	}
	doThroughput, doIKE := false, false
	for _, m := range strings.Split(*measure, ",") {
		switch strings.TrimSpace(m) {
		case "throughput":
			doThroughput = true
		case "ikesa":
			doIKE = true
		default:
			fmt.Fprintf(os.Stderr, "bench: unknown measurement %q (want throughput, ikesa)\n", m)
			os.Exit(2)
		}
	}
	bin, _ := filepath.Abs(*goswanBin)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if doThroughput {
		benchThroughput(ctx, ps, bin, *seconds, *repeat)
	}
	if doIKE {
		if err := benchIKERate(ctx, ps, bin, auths, *ikesas, *repeat); err != nil {
			fmt.Fprintf(os.Stderr, "bench: IKE_SA setup rate: %v\n", err)
			os.Exit(1)
		}
	}
}

// benchThroughput measures TCP throughput alice -> bob for every pairing,
// repeat rounds, and prints the medians against strongSwan↔strongSwan.
func benchThroughput(ctx context.Context, ps []runner.Pairing, bin string, seconds, repeat int) {
	// Alternating the pairings within each round spreads the load of
	// whatever else runs on the machine over all of them alike.
	runs := make([][]result, len(ps))
	for round := 1; round <= repeat; round++ {
		for i, p := range ps {
			fmt.Printf("== round %d, %s (moon %s, sun %s): iperf3 alice -> bob, %d s\n", round, p.Code(), p.Left, p.Right, seconds)
			r, err := measure(ctx, p, bin, seconds)
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
	fmt.Printf("\nmedians of %d rounds:\n%-8s %-26s %12s %8s\n", repeat, "pairing", "moon / sun", "Mbit/s", "vs ss")
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
