package chaos

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FloodPlan is phase 1's load.
type FloodPlan struct {
	Rate          int
	Seconds       int
	Sources       int
	CookieSources int
	// DaveAfter: dave starts this long into the flood.
	DaveAfter time.Duration
}

// DefaultFlood is the issue's: 20 000 IKE_SA_INIT/s from 16 384 spoofed
// sources for 60 s, 8 of which answer COOKIEs.
var DefaultFlood = FloodPlan{Rate: 20000, Seconds: 60, Sources: 16384, CookieSources: 8, DaveAfter: 10 * time.Second}

// moon's DoS settings: charon's defaults (cookie_threshold 30,
// cookie_threshold_ip 3, block_threshold 5, half_open_timeout 30).
const (
	cookieThreshold = 30
	blockThreshold  = 5
	legitLimit      = 10 * time.Second
)

var reConnecting = regexp.MustCompile(`Security Associations \(\d+ up, (\d+) connecting\)`)

// PhaseFlood is phase 1: a half-open flood from spoofed sources, dave
// connecting while it runs.
func (l *Lab) PhaseFlood(e *Expected, p FloodPlan) PhaseResult {
	sent := fmt.Sprintf("%d IKE_SA_INIT/s from %d spoofed sources for %d s (%d answer COOKIEs); dave connects after %v",
		p.Rate, p.Sources, p.Seconds, p.CookieSources, p.DaveAfter)
	return l.Phase("1 half-open flood", sent, e, func(r *PhaseResult) error {
		blocked0 := l.countLog("per-IP half-open IKE_SA limit")
		if d, err := l.Debug(); err == nil {
			r.Figure("goswan heap before the flood", "%s", d.Mem)
			l.saveProfile("before-flood")
		}
		wait, err := l.startTool("winnetou", "flood", "-target", MoonIP, "-sources", AttackNet,
			"-n", strconv.Itoa(p.Sources), "-rate", strconv.Itoa(p.Rate), "-seconds", strconv.Itoa(p.Seconds),
			"-cookie-sources", strconv.Itoa(p.CookieSources), "-iface", "eth0")
		if err != nil {
			return err
		}
		// Half-open figures while the flood runs.
		stop := make(chan struct{})
		var mu sync.Mutex
		peak, perIP := 0, 0
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
				n := l.halfOpen()
				mu.Lock()
				peak = max(peak, n)
				mu.Unlock()
				if d, err := l.Debug(); err == nil {
					mu.Lock()
					peak = max(peak, d.HalfOpen)
					perIP = max(perIP, d.HalfOpenMostPerIP)
					mu.Unlock()
				}
			}
		}()
		time.Sleep(p.DaveAfter)
		t0 := time.Now()
		out, upErr := l.Run("dave", "ipsec up home", 60*time.Second)
		setup := time.Since(t0)
		up := upErr == nil && strings.Contains(out, "established successfully")
		res, ferr := wait()
		close(stop)
		wg.Wait()
		if ferr != nil {
			return ferr
		}
		var fr FloodResult
		if err := json.Unmarshal([]byte(res), &fr); err != nil {
			return fmt.Errorf("flood result %q: %v", res, err)
		}
		if up {
			l.AddTunnel(RWDave)
			e.Tunnels = l.Tunnels()
		}
		blocked := l.countLog("per-IP half-open IKE_SA limit") - blocked0
		if d, err := l.Debug(); err == nil {
			r.Figure("goswan heap after the flood", "%s", d.Mem)
			l.saveProfile("heap-after-flood")
		}
		r.Figure("sent", "%d IKE_SA_INIT in %.1f s (%.0f/s), %d send errors", fr.Sent, fr.Seconds, fr.Rate, fr.SendErrors)
		r.Figure("COOKIE answers", "%d", fr.Cookies)
		r.Figure("half-open answers", "%d (%d retried with the COOKIE)", fr.HalfOpenAnswers, fr.CookieRetries)
		mu.Lock()
		r.Figure("half-open peak", "%d", peak)
		if perIP > 0 {
			r.Figure("half-open per IP, most (moon)", "%d", perIP)
		}
		mu.Unlock()
		r.Figure("half-open per cookie source in 30 s (attacker)", "%d", fr.HalfOpenPerSource)
		r.Figure("per-IP limit log lines", "%d", blocked)
		r.Figure("legitimate setup (dave)", "%.2f s", setup.Seconds())
		r.Check("cookies engaged", fr.Cookies > 0, "%d COOKIEs for %d requests", fr.Cookies, fr.Sent)
		r.Check("block_threshold held per IP", fr.HalfOpenPerSource <= blockThreshold && perIP <= blockThreshold,
			"at most %d half-open per source (limit %d)", max(fr.HalfOpenPerSource, perIP), blockThreshold)
		r.Check("rate reached", fr.Rate >= 0.9*float64(p.Rate), "%.0f/s of %d/s", fr.Rate, p.Rate)
		r.Check("legitimate peer up within 10 s", up && setup <= legitLimit, "%.2f s%s", setup.Seconds(),
			map[bool]string{true: "", false: ": " + strings.TrimSpace(lastLines(out, 3))}[up])
		return nil
	})
}

// halfOpen is the number of connecting IKE_SAs `ipsec status` shows.
func (l *Lab) halfOpen() int {
	m := reConnecting.FindStringSubmatch(l.Quiet("moon", "ipsec status 2>/dev/null | head -n 40"))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// countLog counts moon's daemon.log lines containing s.
func (l *Lab) countLog(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(l.Quiet("moon", "grep -c -F '"+s+"' /var/log/daemon.log")))
	return n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// PhaseIdle is the control row: the tunnels rekey, nothing attacks; what
// charon's memory does on its own in that time is the yardstick for the
// phases that follow.
func (l *Lab) PhaseIdle(e *Expected, d time.Duration) PhaseResult {
	return l.Phase("0 control", fmt.Sprintf("nothing for %v: the tunnels rekey", d), e, func(r *PhaseResult) error {
		time.Sleep(d)
		return nil
	})
}
