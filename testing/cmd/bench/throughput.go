package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

func throughputFigure(c config) *Figure {
	return &Figure{ID: "throughput", Title: "TCP alice → bob through a negotiated tunnel (userspace data planes)",
		Unit: "Mbit/s", Anchor: "ss", Goal: 10, HigherIsBetter: true}
}

// benchThroughput measures TCP throughput alice -> bob for every pairing,
// the pairings alternating within each round so that whatever else runs on
// the machine weighs on all of them alike.
func benchThroughput(ctx context.Context, c config, f *Figure) error {
	for round := 1; round <= c.rounds; round++ {
		for _, p := range c.pairings {
			fmt.Printf("== round %d, %s (moon %s, sun %s): iperf3 alice -> bob, %d s\n", round, p.Code(), p.Left, p.Right, c.seconds)
			bps, retrans, err := measureThroughput(ctx, p, c.bin, c.seconds)
			if err != nil {
				return fmt.Errorf("%s: %w", p.Code(), err)
			}
			fmt.Printf("   %.1f Mbit/s (%d retransmits)\n", bps/1e6, retrans)
			r := f.add(p.Code(), pairingLabel(p), bps/1e6)
			if r.Extra == nil {
				r.Extra = map[string]float64{}
			}
			r.Extra["retransmits"] = float64(retrans)
		}
	}
	return nil
}

// iperf3Result is what iperf3 -J reports that the bench reads.
type iperf3Result struct {
	End struct {
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
		SumSent struct {
			Retransmits int `json:"retransmits"`
		} `json:"sum_sent"`
	} `json:"end"`
}

func parseIperf3(out string) (iperf3Result, error) {
	var res iperf3Result
	i := strings.Index(out, "{")
	if i < 0 {
		return res, fmt.Errorf("iperf3 printed no JSON: %s", out)
	}
	if err := json.Unmarshal([]byte(out[i:]), &res); err != nil {
		return res, fmt.Errorf("iperf3 output: %v", err)
	}
	return res, nil
}

func measureThroughput(ctx context.Context, p runner.Pairing, bin string, seconds int) (bps float64, retrans int, err error) {
	n, err := netnet.Build(ctx, string(p.Left), string(p.Right), bin, netnet.Options{ESP: "aes128gcm16!", IKE: "aes128-sha256-x25519!"})
	if err != nil {
		return 0, 0, err
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
		return 0, 0, err
	}
	if err := n.Up(); err != nil {
		return 0, 0, err
	}
	if _, err := n.Run("alice", "ping -c 1 -W 2 "+netnet.Bob, 10*time.Second); err != nil {
		return 0, 0, err
	}
	res, err := iperf3(ctx, n, "alice", "bob", netnet.Bob, fmt.Sprintf("-t %d", seconds), seconds)
	if err != nil {
		return 0, 0, err
	}
	return res.End.SumReceived.BitsPerSecond, res.End.SumSent.Retransmits, nil
}

// iperf3 runs an iperf3 server on host to and the client on from with
// args, and returns the client's report.
func iperf3(ctx context.Context, n *netnet.Net, from, to, addr, args string, seconds int) (iperf3Result, error) {
	srvOut, err := os.CreateTemp("", "iperf3-server-")
	if err != nil {
		return iperf3Result{}, err
	}
	defer os.Remove(srvOut.Name())
	defer srvOut.Close()
	srv, err := n.Topo.Host(to).Start(srvOut, srvOut, "iperf3", "-s", "-1", "-p", "5201")
	if err != nil {
		return iperf3Result{}, err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	time.Sleep(500 * time.Millisecond) // the server must listen before the client connects
	out, err := n.Run(from, fmt.Sprintf("iperf3 -c %s -p 5201 %s -J", addr, args), time.Duration(seconds+30)*time.Second)
	if err != nil {
		return iperf3Result{}, fmt.Errorf("%v: %s", err, out)
	}
	return parseIperf3(out)
}
