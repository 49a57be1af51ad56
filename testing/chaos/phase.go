package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Check is one thing a phase verifies.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// PhaseResult is one row group of the report: what a phase sent, what it
// measured and what held.
type PhaseResult struct {
	Phase string
	Moon  string // moon's implementation
	// Sent says what the phase did, in a few words.
	Sent string
	// Figures are measurements, in order ("half-open peak" -> "31").
	Figures []Figure
	Checks  []Check
	// charon's resident memory at the start, at its highest, at the end.
	RSSStart, RSSPeak, RSSEnd uint64
	Duration                  time.Duration
}

// Figure is a named measurement.
type Figure struct{ Name, Value string }

// OK reports whether every check held.
func (r *PhaseResult) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Figure adds a measurement.
func (r *PhaseResult) Figure(name, format string, args ...any) {
	r.Figures = append(r.Figures, Figure{name, fmt.Sprintf(format, args...)})
}

// Check adds a check.
func (r *PhaseResult) Check(name string, ok bool, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// rssSampler records the highest RSS of a process.
type rssSampler struct {
	pid  int
	peak uint64
	mu   sync.Mutex
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if r := RSS(pid); r > 0 {
				s.mu.Lock()
				s.peak = max(s.peak, r)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) Peak() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

func (s *rssSampler) Stop() uint64 {
	close(s.stop)
	<-s.done
	return s.Peak()
}

// Phase runs one phase on the lab: body does the attack and records its
// figures; afterwards every tunnel must pass traffic, moon must hold
// exactly the expected set, charon's RSS must come back within 10 % of
// where it started, and the same charon must still run.
func (l *Lab) Phase(name, sent string, e *Expected, body func(r *PhaseResult) error) PhaseResult {
	return l.phase(name, sent, e, false, body)
}

// phase is Phase; with restarted, the phase kills charon on purpose and a
// new one must run at the end instead of the same.
func (l *Lab) phase(name, sent string, e *Expected, restarted bool, body func(r *PhaseResult) error) PhaseResult {
	r := PhaseResult{Phase: name, Moon: string(l.impl), Sent: sent}
	t0 := time.Now()
	l.logf("=== phase %s (moon: %s)", name, l.impl)
	pid := l.CharonPID()
	r.RSSStart = RSS(pid)
	if anon, file := RSSParts(pid); anon != 0 {
		r.Figure("charon RSS at the start", "anonymous %s, file %s", MiB(anon), MiB(file))
	}
	smp := sampleRSS(pid)
	if err := body(&r); err != nil {
		r.Check("phase ran", false, "%v", err)
	}
	l.checkAfter(&r, pid, *e, smp, restarted)
	r.Duration = time.Since(t0)
	l.logf("=== phase %s done in %v: %s", name, r.Duration.Round(time.Second), map[bool]string{true: "held", false: "FAILED"}[r.OK()])
	return r
}

// checkAfter makes the checks every phase ends with.
func (l *Lab) checkAfter(r *PhaseResult, pid int, e Expected, smp *rssSampler, restarted bool) {
	now := l.CharonPID()
	if restarted {
		r.Check("a new charon runs", now != 0 && now != pid, "charon PID %d at the start, %d now", pid, now)
	} else {
		r.Check("daemon never stopped", pid != 0 && now == pid, "charon PID %d at the start, %d now", pid, now)
	}
	if err := l.WaitTunnels(e.Tunnels, 90*time.Second); err != nil {
		r.Check("tunnels pass traffic", false, "%v", err)
	} else {
		r.Check("tunnels pass traffic", true, "%d tunnels", len(e.Tunnels))
	}
	s, ok := l.WaitSettled(e, 60*time.Second)
	diff := e.Diff(s)
	if !ok && len(diff) == 0 {
		diff = []string{"never settled (a rekey always in flight)"}
	}
	r.Check("no SA/policy/route leaked or missing", len(diff) == 0, "%s", strings.Join(diff, "; "))
	// Memory: the runtime returns freed memory gradually; allow it two
	// minutes (two forced garbage collections) to come back.
	limit := r.RSSStart + r.RSSStart/10
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r.RSSEnd = RSS(now)
		if r.RSSEnd <= limit || time.Now().After(deadline) || r.RSSEnd == 0 {
			break
		}
		time.Sleep(2 * time.Second)
	}
	r.RSSPeak = max(smp.Stop(), r.RSSEnd)
	anon, file := RSSParts(now)
	r.Check("RSS back within 10 %", r.RSSEnd != 0 && r.RSSEnd <= limit, "%s -> peak %s -> %s (anonymous %s, file %s)",
		MiB(r.RSSStart), MiB(r.RSSPeak), MiB(r.RSSEnd), MiB(anon), MiB(file))
	if d, err := l.Debug(); err == nil {
		r.Figure("goswan memory at the end", "%s", d.Mem)
		l.saveProfile("end-" + strings.Fields(r.Phase)[0])
	}
}

// MiB formats bytes.
func MiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// attackOutput starts a command in a host with its output in the scratch
// directory; wait returns stdout.
func (l *Lab) startTool(host string, args ...string) (wait func() (string, error), err error) {
	dir, err := os.MkdirTemp("/var/tmp", "goswan-chaos-tool-")
	if err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		return nil, err
	}
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return nil, err
	}
	cmd, err := l.Topo.Host(host).Start(out, errf, append([]string{l.opts.Self}, args...)...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return func() (string, error) {
		werr := cmd.Wait()
		out.Close()
		errf.Close()
		stdout, _ := os.ReadFile(out.Name())
		stderr, _ := os.ReadFile(errf.Name())
		os.RemoveAll(dir)
		if werr != nil {
			return string(stdout), fmt.Errorf("%s %s: %v: %s", host, args[0], werr, strings.TrimSpace(string(stderr)))
		}
		return string(stdout), nil
	}, nil
}
