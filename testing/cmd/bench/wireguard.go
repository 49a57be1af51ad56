package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
)

// wireguard-go as the data-plane anchor: the same network (alice behind
// moon, bob behind sun), with wireguard-go's device (testing/cmd/wgdev,
// built from the module goswan already depends on) on both gateways
// instead of IPsec, configured by the bench with Debian's wg: one peer
// each, moon's for 10.2.0.0/16 and sun's for 10.1.0.0/16, routes into the
// device. The traffic is the same iperf3 run as through goswan's tunnel.

func wgThroughputFigure() *Figure {
	return &Figure{ID: "throughput-wg", Title: "TCP alice → bob: goswan's negotiated tunnel against wireguard-go",
		Unit: "Mbit/s", Anchor: "wg", Goal: 1, HigherIsBetter: true}
}

func ppsFigure() *Figure {
	return &Figure{ID: "pps64", Title: "UDP alice → bob with 64-byte payloads: packets received per second",
		Unit: "packets/s", Anchor: "wg", Goal: 1, HigherIsBetter: true}
}

// wgNet is a netnet network with wireguard-go instead of IPsec.
type wgNet struct {
	*netnet.Net
	devs      []*exec.Cmd
	removeDev func() // removes the copy of wgdev the hosts run
}

// buildWG makes the network and brings wireguard-go up on moon and sun.
func buildWG(ctx context.Context, bin string) (w *wgNet, err error) {
	wgdev, err := wgdevPath()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("wg"); err != nil {
		return nil, fmt.Errorf("wg (Debian's wireguard-tools) is not installed: %w", err)
	}
	n, err := netnet.Build(ctx, string(runner.Goswan), string(runner.Goswan), bin, netnet.Options{})
	if err != nil {
		return nil, err
	}
	w = &wgNet{Net: n}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	if wgdev, w.removeDev, err = inHosts(wgdev); err != nil {
		return w, err
	}
	pub := map[string]string{}
	for _, h := range []string{"moon", "sun"} {
		cmd, err := n.Topo.Host(h).Start(os.Stderr, os.Stderr, wgdev, "wg0")
		if err != nil {
			return w, err
		}
		w.devs = append(w.devs, cmd)
		if _, err := n.Run(h, "i=0; while [ ! -S /var/run/wireguard/wg0.sock ]; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done", 15*time.Second); err != nil {
			return w, fmt.Errorf("%s: wireguard-go's UAPI socket did not appear: %w", h, err)
		}
		out, err := n.Run(h, "umask 077; wg genkey >/run/wg0.key && wg pubkey </run/wg0.key", 10*time.Second)
		if err != nil {
			return w, err
		}
		pub[h] = strings.TrimSpace(out)
	}
	conf := func(h, peer, peerAddr, peerNet string) string {
		return fmt.Sprintf("wg set wg0 listen-port 51820 private-key /run/wg0.key peer %s endpoint %s:51820 allowed-ips %s && "+
			"ip link set wg0 up && ip route add %s dev wg0", pub[peer], peerAddr, peerNet, peerNet)
	}
	if _, err := n.Run("moon", conf("moon", "sun", netnet.Sun, netnet.SunNet), 10*time.Second); err != nil {
		return w, err
	}
	if _, err := n.Run("sun", conf("sun", "moon", netnet.Moon, netnet.MoonNet), 10*time.Second); err != nil {
		return w, err
	}
	if _, err := n.Run("alice", "ping -c 1 -W 5 "+netnet.Bob, 15*time.Second); err != nil {
		return w, fmt.Errorf("no traffic through wireguard-go: %w", err)
	}
	return w, nil
}

// Close stops wireguard-go and removes the network.
func (w *wgNet) Close() error {
	for _, c := range w.devs {
		_ = c.Process.Kill()
		_ = c.Wait()
	}
	if w.removeDev != nil {
		w.removeDev()
	}
	return w.Net.Close()
}

// inHosts returns a copy of the executable at src that the network's hosts
// can run, and the function that removes it. The hosts get an empty /tmp
// (and /run, /var/log): from a checkout under /tmp, as CI clones, src does
// not exist inside them; /var/tmp they share.
func inHosts(src string) (string, func(), error) {
	dir, err := os.MkdirTemp("/var/tmp", "goswan-bench-")
	if err != nil {
		return "", func() {}, err
	}
	p, err := copyExecutable(src, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", func() {}, err
	}
	return p, func() { _ = os.RemoveAll(dir) }, nil
}

// copyExecutable copies the program at src into dir and returns the copy's
// path.
func copyExecutable(src, dir string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, filepath.Base(src))
	return dst, os.WriteFile(dst, b, 0o755)
}

// wgdevPath finds wgdev next to the bench binary (make bench builds both).
func wgdevPath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	p := filepath.Join(filepath.Dir(self), "wgdev")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("wireguard-go's device program %s is missing (go build -o %s ./testing/cmd/wgdev): %w", p, p, err)
	}
	return p, nil
}

// measureWG measures TCP throughput and 64-byte UDP packets/s through
// wireguard-go.
func measureWG(ctx context.Context, bin string, seconds int, pps bool) (bps, pktps float64, err error) {
	w, err := buildWG(ctx, bin)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	res, err := iperf3(ctx, w.Net, "alice", "bob", netnet.Bob, fmt.Sprintf("-t %d", seconds), seconds)
	if err != nil {
		return 0, 0, err
	}
	if pps {
		if pktps, err = measurePPS(ctx, w.Net, seconds); err != nil {
			return 0, 0, err
		}
	}
	return res.End.SumReceived.BitsPerSecond, pktps, nil
}

// measurePPS sends UDP with 64-byte payloads from alice to bob as fast as
// iperf3 can and returns the packets bob received per second.
func measurePPS(ctx context.Context, n *netnet.Net, seconds int) (float64, error) {
	stop, err := iperf3Server(n, "bob", 5202)
	if err != nil {
		return 0, err
	}
	defer stop()
	out, err := n.Run("alice", fmt.Sprintf("iperf3 -c %s -p 5202 -u -b 0 -l 64 -t %d -J", netnet.Bob, seconds), time.Duration(seconds+30)*time.Second)
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, out)
	}
	var res struct {
		End struct {
			Sum struct {
				Seconds     float64 `json:"seconds"`
				Packets     float64 `json:"packets"`
				LostPackets float64 `json:"lost_packets"`
			} `json:"sum"`
		} `json:"end"`
	}
	i := strings.Index(out, "{")
	if i < 0 {
		return 0, fmt.Errorf("iperf3 printed no JSON: %s", out)
	}
	if err := json.Unmarshal([]byte(out[i:]), &res); err != nil {
		return 0, err
	}
	s := res.End.Sum
	if s.Seconds <= 0 {
		return 0, fmt.Errorf("iperf3 reported no UDP duration: %s", out)
	}
	return (s.Packets - s.LostPackets) / s.Seconds, nil
}
