package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Snapshot is what moon holds at one moment: its IKE_SAs and CHILD_SAs as
// `ipsec status` shows them, the kernel's XFRM state, the routes in
// table 220, the TUN device and, for goswan, the data plane's own counts.
type Snapshot struct {
	// IKE and Child count the SAs per conn and state ("net-net
	// ESTABLISHED").
	IKE, Child     map[string]int
	Up, Connecting int
	Routes         []string // destinations in table 220
	XfrmStates     int
	XfrmPolicies   int
	TUN            bool // ipsec0 exists
	// Goswan's own view (nil for strongSwan).
	Debug *DebugState
}

// DebugState is goswan's GOSWAN_DEBUG_SOCKET "state" answer.
type DebugState struct {
	IKESAs            int      `json:"ike_sas"`
	HalfOpen          int      `json:"half_open"`
	HalfOpenResponder int      `json:"half_open_responder"`
	HalfOpenAddresses int      `json:"half_open_addresses"`
	HalfOpenMostPerIP int      `json:"half_open_most_per_ip"`
	JobsQueued        int      `json:"jobs_queued"`
	DataPlaneSAs      int      `json:"dataplane_sas"`
	DataPlaneLarval   int      `json:"dataplane_larval"`
	DataPlanePolicies int      `json:"dataplane_policies"`
	Mem               MemState `json:"mem"`
}

// MemState is the Go runtime's view of goswan's memory.
type MemState struct {
	HeapAlloc    uint64 `json:"heap_alloc"`
	HeapInuse    uint64 `json:"heap_inuse"`
	HeapIdle     uint64 `json:"heap_idle"`
	HeapReleased uint64 `json:"heap_released"`
	HeapObjects  uint64 `json:"heap_objects"`
	StackInuse   uint64 `json:"stack_inuse"`
	Sys          uint64 `json:"sys"`
	Goroutines   int    `json:"goroutines"`
}

func (m MemState) String() string {
	return fmt.Sprintf("heap in use %s, idle %s (released %s), stacks %s, %d objects, %d goroutines",
		MiB(m.HeapInuse), MiB(m.HeapIdle), MiB(m.HeapReleased), MiB(m.StackInuse), m.HeapObjects, m.Goroutines)
}

var (
	reIKELine   = regexp.MustCompile(`(?m)^\s*([\w-]+)\[\d+\]: ([A-Z_]+)`)
	reChildLine = regexp.MustCompile(`(?m)^\s*([\w-]+)\{\d+\}:\s+([A-Z_]+)`)
	reSAHeader  = regexp.MustCompile(`Security Associations \((\d+) up, (\d+) connecting\)`)
)

// Snap takes a snapshot of moon.
func (l *Lab) Snap() Snapshot {
	s := Snapshot{IKE: map[string]int{}, Child: map[string]int{}}
	st := l.Quiet("moon", "ipsec status 2>/dev/null")
	for _, m := range reIKELine.FindAllStringSubmatch(st, -1) {
		s.IKE[m[1]+" "+m[2]]++
	}
	for _, m := range reChildLine.FindAllStringSubmatch(st, -1) {
		s.Child[m[1]+" "+m[2]]++
	}
	if m := reSAHeader.FindStringSubmatch(st); m != nil {
		s.Up, _ = strconv.Atoi(m[1])
		s.Connecting, _ = strconv.Atoi(m[2])
	}
	for _, line := range strings.Split(l.Quiet("moon", "ip -4 route show table 220"), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			s.Routes = append(s.Routes, f[0])
		}
	}
	slices.Sort(s.Routes)
	s.XfrmStates = strings.Count(l.Quiet("moon", "ip xfrm state"), "\nsrc ") + prefixed(l.Quiet("moon", "ip xfrm state"), "src ")
	s.XfrmPolicies = strings.Count(l.Quiet("moon", "ip xfrm policy"), "\nsrc ") + prefixed(l.Quiet("moon", "ip xfrm policy"), "src ")
	s.TUN = strings.TrimSpace(l.Quiet("moon", "ip -o link show ipsec0 2>/dev/null")) != ""
	if l.impl == "goswan" {
		if d, err := l.Debug(); err == nil {
			s.Debug = &d
		}
	}
	return s
}

func prefixed(s, p string) int {
	if strings.HasPrefix(s, p) {
		return 1
	}
	return 0
}

// Debug asks moon's goswan for its state over the debug socket (entered
// through moon's mount namespace: the socket lives in moon's /run).
func (l *Lab) Debug() (DebugState, error) {
	var d DebugState
	out, err := l.DebugCommand("state")
	if err != nil {
		return d, err
	}
	err = json.Unmarshal(out, &d)
	return d, err
}

// DebugCommand sends one command to moon's debug socket and returns the
// answer.
func (l *Lab) DebugCommand(cmd string) ([]byte, error) {
	r := l.Topo.Host("moon").Exec(context.Background(), 30*time.Second, strings.NewReader(cmd+"\n"),
		l.opts.Self, "debugsock", DebugSocket)
	if r.Err != nil || r.ExitCode != 0 {
		return nil, fmt.Errorf("debug socket: %v %s", r.Err, r.Stderr)
	}
	return r.Stdout, nil
}

// DebugClient is the `chaos debugsock PATH` command run inside moon: it
// copies stdin to the socket and the answer to stdout.
func DebugClient(path string) error {
	c, err := net.Dial("unix", path)
	if err != nil {
		return err
	}
	defer c.Close()
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return err
	}
	if _, err := c.Write([]byte(line)); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).WriteTo(os.Stdout)
	return err
}

// Expected is the set moon must hold with every tunnel up and settled.
type Expected struct {
	Tunnels []Tunnel
	// PoliciesPerChild is the data plane's policies per CHILD_SA, learned
	// at the start (goswan only).
	PoliciesPerChild int
}

// settled reports whether a snapshot shows each tunnel with exactly one
// ESTABLISHED IKE_SA and one INSTALLED CHILD_SA and nothing else: no
// rekey in flight.
func settled(s Snapshot, e Expected) bool {
	if s.Connecting != 0 || len(s.IKE) != len(e.Tunnels) || len(s.Child) != len(e.Tunnels) {
		return false
	}
	for _, t := range e.Tunnels {
		if s.IKE[t.Name+" ESTABLISHED"] != 1 || s.Child[t.Name+" INSTALLED"] != 1 {
			return false
		}
	}
	if d := s.Debug; d != nil && (d.DataPlaneSAs != 2*len(e.Tunnels) || d.DataPlaneLarval != 0) {
		// A rekeyed SA's inbound half stays a few seconds
		// (delete_rekeyed_delay): not settled yet.
		return false
	}
	return true
}

// Diff lists how a settled snapshot differs from the expected set: SAs,
// policies, routes or the TUN device that leaked or went missing.
func (e Expected) Diff(s Snapshot) []string {
	var out []string
	var want []string
	for _, t := range e.Tunnels {
		want = append(want, t.Route)
		if s.IKE[t.Name+" ESTABLISHED"] != 1 {
			out = append(out, fmt.Sprintf("%s: %d ESTABLISHED IKE_SAs", t.Name, s.IKE[t.Name+" ESTABLISHED"]))
		}
		if s.Child[t.Name+" INSTALLED"] != 1 {
			out = append(out, fmt.Sprintf("%s: %d INSTALLED CHILD_SAs", t.Name, s.Child[t.Name+" INSTALLED"]))
		}
	}
	for k, n := range s.IKE {
		if !slices.ContainsFunc(e.Tunnels, func(t Tunnel) bool { return k == t.Name+" ESTABLISHED" }) {
			out = append(out, fmt.Sprintf("unexpected IKE_SA: %d x %s", n, k))
		}
	}
	for k, n := range s.Child {
		if !slices.ContainsFunc(e.Tunnels, func(t Tunnel) bool { return k == t.Name+" INSTALLED" }) {
			out = append(out, fmt.Sprintf("unexpected CHILD_SA: %d x %s", n, k))
		}
	}
	slices.Sort(want)
	if !slices.Equal(want, s.Routes) {
		out = append(out, fmt.Sprintf("routes in table 220: %v, want %v", s.Routes, want))
	}
	if s.XfrmStates != 0 || s.XfrmPolicies != 0 {
		// The userspace data plane installs nothing in XFRM.
		out = append(out, fmt.Sprintf("XFRM holds %d states and %d policies", s.XfrmStates, s.XfrmPolicies))
	}
	if !s.TUN {
		out = append(out, "TUN device ipsec0 missing")
	}
	if d := s.Debug; d != nil {
		if d.DataPlaneSAs != 2*len(e.Tunnels) || d.DataPlaneLarval != 0 {
			out = append(out, fmt.Sprintf("data plane holds %d SAs and %d larval SPIs for %d CHILD_SAs",
				d.DataPlaneSAs, d.DataPlaneLarval, len(e.Tunnels)))
		}
		if e.PoliciesPerChild != 0 && d.DataPlanePolicies != e.PoliciesPerChild*len(e.Tunnels) {
			out = append(out, fmt.Sprintf("data plane holds %d policies, want %d", d.DataPlanePolicies,
				e.PoliciesPerChild*len(e.Tunnels)))
		}
		if d.HalfOpen != 0 || d.IKESAs != len(e.Tunnels) {
			out = append(out, fmt.Sprintf("manager holds %d IKE_SAs (%d half-open) for %d tunnels", d.IKESAs, d.HalfOpen, len(e.Tunnels)))
		}
	}
	return out
}

// WaitSettled polls moon until a snapshot is settled (no rekey in flight)
// and returns it; after limit it returns the last one and false.
func (l *Lab) WaitSettled(e Expected, limit time.Duration) (Snapshot, bool) {
	deadline := time.Now().Add(limit)
	for {
		s := l.Snap()
		if settled(s, e) {
			return s, true
		}
		if time.Now().After(deadline) {
			return s, false
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// RSS is a process's resident set in bytes (0 if it is gone).
func RSS(pid int) uint64 { return procStatus(pid, "VmRSS:") }

// RSSParts are the anonymous and file-backed parts of the resident set.
func RSSParts(pid int) (anon, file uint64) {
	return procStatus(pid, "RssAnon:"), procStatus(pid, "RssFile:")
}

func procStatus(pid int, key string) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
