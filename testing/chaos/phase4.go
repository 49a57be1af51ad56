package chaos

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The files whose modes and owners must be charon's.
var permFiles = []string{"/run/charon.ctl", "/run/charon.pid", "/run/starter.charon.pid", "/etc/ipsec.secrets"}

// Perms lists moon's stroke socket, PID files and ipsec.secrets as
// "path mode owner:group type".
func (l *Lab) Perms() []string {
	var out []string
	for _, f := range permFiles {
		out = append(out, f+" "+strings.TrimSpace(l.Quiet("moon", "stat -c '%a %U:%G %F' "+f+" 2>&1")))
	}
	return out
}

// PhaseStroke is phase 4: the stroke socket under 200 concurrent clients,
// most of them misbehaving, while a probe asks for the status.
func (l *Lab) PhaseStroke(e *Expected, clients int, d time.Duration) (PhaseResult, []string) {
	var perms []string
	sent := fmt.Sprintf("%d concurrent stroke clients for %v: status requests, malformed, oversized, truncated and slow-loris ones",
		clients, d)
	r := l.Phase("4 stroke socket", sent, e, func(r *PhaseResult) error {
		perms = l.Perms()
		for _, p := range perms {
			f := strings.Fields(p)
			r.Figure("file "+f[0], "%s", strings.Join(f[1:], " "))
		}
		wait, err := l.startTool("moon", "stroke", "-path", "/run/charon.ctl", "-clients", strconv.Itoa(clients),
			"-duration", d.String())
		if err != nil {
			return err
		}
		out, err := wait()
		if err != nil {
			return err
		}
		var sr StrokeResult
		if err := json.Unmarshal([]byte(out), &sr); err != nil {
			return fmt.Errorf("stroke result %q: %v", out, err)
		}
		var parts []string
		for _, b := range strokeBehaviours {
			parts = append(parts, fmt.Sprintf("%s %d", b.name, sr.Sent[b.name]))
		}
		r.Figure("requests", "%s", strings.Join(parts, ", "))
		r.Figure("status requests answered", "%d, %d failed", sr.LegitOK, sr.LegitFailed)
		r.Figure("probe wait (ms)", "max %.0f, median %.0f, 99th percentile %.0f over %d probes (%d failed)",
			sr.ProbeMaxMS, sr.ProbeP50MS, sr.ProbeP99MS, sr.Probes, sr.ProbeFailed)
		r.Check("no request blocked another > 1 s", sr.ProbeMaxMS < 1000 && sr.ProbeFailed == 0,
			"the probe waited %.0f ms at most", sr.ProbeMaxMS)
		return nil
	})
	return r, perms
}

// ComparePerms checks that goswan's files have strongSwan's modes and
// owners.
func ComparePerms(g, s []string) PhaseResult {
	r := PhaseResult{Phase: "4 files vs strongSwan", Moon: "goswan", Sent: "stroke socket, PID files, ipsec.secrets"}
	for i := range min(len(g), len(s)) {
		r.Check(strings.Fields(g[i])[0], g[i] == s[i], "goswan: %s; strongSwan: %s", g[i], s[i])
	}
	return r
}
