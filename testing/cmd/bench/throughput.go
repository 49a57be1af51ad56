package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
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
//
// wireguard-go (wireguard.go) runs in each round too: its throughput is the
// anchor of fwg, and its packets/s with 64-byte payloads that of pps, next
// to goswan↔goswan's of the same round.
func benchThroughput(ctx context.Context, c config, f, fwg, pps *Figure) error {
	for round := 1; round <= c.rounds; round++ {
		for _, p := range c.pairings {
			fmt.Printf("== round %d, %s (moon %s, sun %s): iperf3 alice -> bob, %d s\n", round, p.Code(), p.Left, p.Right, c.seconds)
			gg := p.Left == runner.Goswan && p.Right == runner.Goswan
			bps, retrans, pktps, err := measureThroughput(ctx, p, c.bin, c.seconds, gg)
			if err != nil {
				return fmt.Errorf("%s: %w", p.Code(), err)
			}
			fmt.Printf("   %.1f Mbit/s (%d retransmits)\n", bps/1e6, retrans)
			r := f.add(p.Code(), pairingLabel(p), bps/1e6)
			if r.Extra == nil {
				r.Extra = map[string]float64{}
			}
			r.Extra["retransmits"] = float64(retrans)
			if gg {
				fmt.Printf("   %.0f packets/s with 64-byte UDP payloads\n", pktps)
				fwg.add("gg", "goswan's negotiated tunnel (userspace)", bps/1e6)
				pps.add("gg", "goswan's negotiated tunnel (userspace)", pktps)
			}
		}
		fmt.Printf("== round %d, wireguard-go on moon and sun: iperf3 alice -> bob, %d s\n", round, c.seconds)
		bps, pktps, err := measureWG(ctx, c.bin, c.seconds, true)
		if err != nil {
			return fmt.Errorf("wireguard-go: %w", err)
		}
		fmt.Printf("   %.1f Mbit/s, %.0f packets/s with 64-byte UDP payloads\n", bps/1e6, pktps)
		fwg.add("wg", "wireguard-go (same topology)", bps/1e6)
		pps.add("wg", "wireguard-go (same topology)", pktps)
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

func measureThroughput(ctx context.Context, p runner.Pairing, bin string, seconds int, withPPS bool) (bps float64, retrans int, pps float64, err error) {
	n, err := netnet.Build(ctx, string(p.Left), string(p.Right), bin, netnet.Options{ESP: "aes128gcm16!", IKE: "aes128-sha256-x25519!"})
	if err != nil {
		return 0, 0, 0, err
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
		return 0, 0, 0, err
	}
	if err := n.Up(); err != nil {
		return 0, 0, 0, err
	}
	if _, err := n.Run("alice", "ping -c 1 -W 2 "+netnet.Bob, 10*time.Second); err != nil {
		return 0, 0, 0, err
	}
	res, err := iperf3(ctx, n, "alice", "bob", netnet.Bob, fmt.Sprintf("-t %d", seconds), seconds)
	if err != nil {
		return 0, 0, 0, err
	}
	if withPPS {
		if pps, err = measurePPS(ctx, n, seconds); err != nil {
			return 0, 0, 0, err
		}
	}
	return res.End.SumReceived.BitsPerSecond, res.End.SumSent.Retransmits, pps, nil
}

// iperf3 runs an iperf3 server on host to and the client on from with
// args, and returns the client's report.
func iperf3(ctx context.Context, n *netnet.Net, from, to, addr, args string, seconds int) (iperf3Result, error) {
	stop, err := iperf3Server(n, to, 5201)
	if err != nil {
		return iperf3Result{}, err
	}
	defer stop()
	out, err := n.Run(from, fmt.Sprintf("iperf3 -c %s -p 5201 %s -J", addr, args), time.Duration(seconds+30)*time.Second)
	if err != nil {
		return iperf3Result{}, fmt.Errorf("%v: %s", err, out)
	}
	return parseIperf3(out)
}

// iperf3Server starts a one-shot iperf3 server on host and waits until it
// listens on port, however long a busy machine takes to start it (the
// client fails if it connects first). stop ends the server and removes its
// output.
func iperf3Server(n *netnet.Net, host string, port int) (stop func(), err error) {
	out, err := os.CreateTemp("", "iperf3-server-")
	if err != nil {
		return nil, err
	}
	srv, err := n.Topo.Host(host).Start(out, out, "iperf3", "-s", "-1", "-p", strconv.Itoa(port))
	if err != nil {
		out.Close()
		os.Remove(out.Name())
		return nil, err
	}
	stop = func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
		out.Close()
		os.Remove(out.Name())
	}
	// iperf3's control connection is TCP, with -u too: the listening socket
	// in host's namespace, local port in hex, state 0A (LISTEN).
	listening := regexp.MustCompile(fmt.Sprintf(`(?m)^\s*\d+: [0-9A-F]+:%04X 0+:0000 0A `, port))
	if _, err := n.WaitFor(host, "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null", listening, 20*time.Second); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}
