// Command udploss sends a numbered UDP stream to a peer running udploss
// too, and reports what happened to the peer's stream on the way: lost,
// duplicated and reordered packets, and when each gap was (see package
// testing/internal/udploss). Scenario files use it to measure a tunnel
// across rekeys:
//
//	bob::udploss start --peer PH_IP_ALICE --duration 120s
//	alice::udploss start --peer PH_IP_BOB --duration 120s
//	...
//	alice::udploss wait::result: lost=0 duplicated=0 reordered=0 ::YES
//
//	udploss run   --peer ADDR [--port N] [--rate N] [--duration D] [--size N] [--handshake D] [--report FILE]
//	udploss start (the same flags): run in the background; returns once the socket is bound
//	udploss wait  [--port N] [--report FILE] [--timeout D]: wait for the background run's report and print it
//
// A background run writes its report to /var/log/udploss.PORT.log unless
// --report says otherwise (the scenario runner collects /var/log). Exit
// status: 0 when a report was written (whatever it says; scenarios judge
// it), 1 when wait found none in time, 2 for errors.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/udploss"
)

func main() { os.Exit(run(os.Args[1:])) }

func usage() int {
	fmt.Fprintln(os.Stderr, "usage: udploss run|start --peer ADDR [--port N] [--rate N] [--duration D] [--size N] [--handshake D] [--report FILE]\n       udploss wait [--port N] [--report FILE] [--timeout D]")
	return 2
}

func defaultReport(port int) string { return fmt.Sprintf("/var/log/udploss.%d.log", port) }
func pidFile(port int) string       { return fmt.Sprintf("/run/udploss.%d.pid", port) }

func run(args []string) int {
	if len(args) == 0 {
		return usage()
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("udploss "+cmd, flag.ContinueOnError)
	port := fs.Int("port", 7777, "UDP port of both endpoints")
	report := fs.String("report", "", "report file (default for start and wait: /var/log/udploss.PORT.log)")
	var cfg udploss.Config
	var peer string
	var readyFD int
	timeout := fs.Duration("timeout", 50*time.Second, "wait: how long to wait for the report")
	if cmd == "run" || cmd == "start" {
		fs.StringVar(&peer, "peer", "", "the other endpoint's address (ADDR or ADDR:PORT)")
		fs.IntVar(&cfg.Rate, "rate", 200, "packets per second")
		fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of the stream")
		fs.IntVar(&cfg.Size, "size", 100, "UDP payload bytes per packet")
		fs.DurationVar(&cfg.Handshake, "handshake", 60*time.Second, "how long to wait for the peer")
		fs.IntVar(&readyFD, "ready-fd", 0, "internal: file descriptor to report readiness on")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch cmd {
	case "run", "start":
		ap, err := parsePeer(peer, *port)
		if err != nil {
			fmt.Fprintln(os.Stderr, "udploss:", err)
			return 2
		}
		cfg.Peer = ap
		if cmd == "start" {
			if *report == "" {
				*report = defaultReport(*port)
			}
			return start(args, *port, *report)
		}
		return runForeground(cfg, *port, *report, readyFD)
	case "wait":
		if *report == "" {
			*report = defaultReport(*port)
		}
		return wait(*port, *report, *timeout)
	}
	return usage()
}

func parsePeer(s string, port int) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, errors.New("--peer is required")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("peer %q: %w", s, err)
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// runForeground binds the socket, tells a waiting `start` (readyFD), runs
// and writes the report.
func runForeground(cfg udploss.Config, port int, report string, readyFD int) int {
	network := "udp4"
	if cfg.Peer.Addr().Is6() && !cfg.Peer.Addr().Is4In6() {
		network = "udp6"
	}
	conn, err := net.ListenPacket(network, ":"+strconv.Itoa(port))
	if readyFD > 0 {
		f := os.NewFile(uintptr(readyFD), "ready")
		if err != nil {
			fmt.Fprintf(f, "error: %v\n", err)
		} else {
			fmt.Fprintln(f, "ready")
		}
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "udploss:", err)
		return 2
	}
	// Room for the peer's stream while this process waits for a CPU: a
	// full socket buffer would count as loss on the path.
	if uc, ok := conn.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(4 << 20)
		_ = uc.SetWriteBuffer(4 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	before := udpCounters()
	res, err := udploss.Run(ctx, conn, cfg)
	text := res.String() + counterDelta(before, udpCounters())
	if err != nil {
		text = fmt.Sprintf("error: %v\n%s", err, text)
	}
	if report != "" {
		if werr := writeAtomic(report, text); werr != nil {
			fmt.Fprintln(os.Stderr, "udploss:", werr)
			return 2
		}
	}
	if readyFD == 0 {
		fmt.Print(text)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "udploss:", err)
		return 2
	}
	return 0
}

// writeAtomic writes a file under a temporary name and renames it, so that
// wait never reads half a report.
func writeAtomic(path, text string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// start runs `udploss run` with the same flags in a session of its own and
// returns once it has bound its socket.
func start(args []string, port int, report string) int {
	_ = os.Remove(report)
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "udploss:", err)
		return 2
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "udploss:", err)
		return 2
	}
	argv := append([]string{"run"}, args...)
	argv = append(argv, "--report="+report, "--ready-fd=3")
	c := exec.Command(self, argv...)
	c.ExtraFiles = []*os.File{w}
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "udploss:", err)
		return 2
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if strings.TrimSpace(line) != "ready" {
		_ = c.Process.Kill()
		_ = c.Wait()
		fmt.Fprintf(os.Stderr, "udploss: the background run did not start: %s\n", strings.TrimSpace(line))
		return 2
	}
	pid := c.Process.Pid
	_ = os.WriteFile(pidFile(port), []byte(strconv.Itoa(pid)+"\n"), 0o644)
	_ = c.Process.Release()
	fmt.Printf("udploss: running in the background (pid %d), report in %s\n", pid, report)
	return 0
}

// wait prints the report of the background run on port once it exists.
func wait(port int, report string, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(report); err == nil {
			fmt.Print(string(b))
			_ = os.Remove(pidFile(port))
			return 0
		}
		if !running(port) {
			// It may have written the report just now.
			if b, err := os.ReadFile(report); err == nil {
				fmt.Print(string(b))
				return 0
			}
			fmt.Printf("udploss: no background run on port %d and no report %s\n", port, filepath.Base(report))
			return 1
		}
		if time.Now().After(deadline) {
			fmt.Printf("udploss: no report after %v (still running)\n", timeout)
			return 1
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// running reports whether the background run of port is alive.
func running(port int) bool {
	b, err := os.ReadFile(pidFile(port))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	// A zombie or another process with a reused PID does not count:
	// the background run's command line names udploss.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(cmdline), "udploss")
}

// udpCounters reads this network namespace's UDP counters from
// /proc/net/snmp (nil if it cannot).
func udpCounters() map[string]int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return nil
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f[1:]
			continue
		}
		m := map[string]int64{}
		for i, v := range f[1:] {
			if i < len(names) {
				m[names[i]], _ = strconv.ParseInt(v, 10, 64)
			}
		}
		return m
	}
	return nil
}

// counterDelta reports the receive errors of this host's UDP during the
// run: packets the tunnel delivered but this host dropped (a full socket
// buffer) are not the path's loss.
func counterDelta(before, after map[string]int64) string {
	if before == nil || after == nil {
		return ""
	}
	return fmt.Sprintf("udp on this host during the run: RcvbufErrors +%d, InErrors +%d, NoPorts +%d\n",
		after["RcvbufErrors"]-before["RcvbufErrors"], after["InErrors"]-before["InErrors"], after["NoPorts"]-before["NoPorts"])
}
