package chaos

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

var reNetNetSPIs = regexp.MustCompile(`net-net\{\d+\}:\s+INSTALLED, TUNNEL[^\n]*SPIs: ([0-9a-f]{8})_i ([0-9a-f]{8})_o`)

// PhaseAdversary is phase 3: winnetou sets up an IKE_SA with moon and then
// misbehaves on it, one case after the other.
func (l *Lab) PhaseAdversary(e *Expected, children int) (PhaseResult, PeerResult) {
	var pr PeerResult
	sent := fmt.Sprintf("winnetou's IKE_SA, then: unknown DELETEs, bad KE values, a foreign REKEY_SA, TS 0.0.0.0/0, %d CHILD_SAs, "+
		"an IKE_AUTH retransmit with another body, a fragment bomb", children)
	r := l.Phase("3 adversarial peer", sent, e, func(r *PhaseResult) error {
		m := reNetNetSPIs.FindStringSubmatch(l.Quiet("moon", "ipsec status 2>/dev/null"))
		if m == nil {
			return fmt.Errorf("no net-net CHILD_SA on moon to name")
		}
		foreign, _ := strconv.ParseUint(m[2], 16, 32)
		wait, err := l.startTool("winnetou", "peer", "-self", WinnetouIP, "-target", MoonIP,
			"-inner", WinnetouInner+"/32", "-remote", "10.1.0.0/16", "-id", "@winnetou.strongswan.org",
			"-target-id", "@moon.strongswan.org", "-psk", WinnetouPSK, "-foreign", fmt.Sprintf("0x%08x", foreign),
			"-children", strconv.Itoa(children))
		if err != nil {
			return err
		}
		out, err := wait()
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(out), &pr); err != nil {
			return fmt.Errorf("peer result %q: %v", out, err)
		}
		for _, c := range pr.Cases {
			v := c.Answer
			if c.Figure != "" {
				v += " (" + c.Figure + ")"
			}
			r.Figure(c.Name, "%s", v)
		}
		return nil
	})
	return r, pr
}

// ComparePeers checks that moon answered every misbehaviour as charon.
func ComparePeers(g, s PeerResult) PhaseResult {
	r := PhaseResult{Phase: "3 answers vs strongSwan", Moon: "goswan", Sent: "the same misbehaviour at both"}
	for i, c := range g.Cases {
		if i >= len(s.Cases) {
			break
		}
		r.Check(c.Name, c.Answer == s.Cases[i].Answer, "goswan: %s; strongSwan: %s", c.Answer, s.Cases[i].Answer)
	}
	return r
}
