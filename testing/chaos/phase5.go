package chaos

import (
	"fmt"
	"strings"
	"time"
)

// faultHosts carry the internet segment's netem qdiscs: each host's eth0
// egress, so that both directions of every tunnel suffer.
var faultHosts = []string{"moon", "sun", "carol", "dave"}

// netem puts a netem qdisc with args on every fault host ("" removes it).
func (l *Lab) netem(args string) error {
	for _, h := range faultHosts {
		_, _ = l.Run(h, "tc qdisc del dev eth0 root 2>/dev/null; true", 5*time.Second)
		if args == "" {
			continue
		}
		if _, err := l.Run(h, "tc qdisc add dev eth0 root netem "+args, 5*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// faultStep is one fault of phase 5.
type faultStep struct {
	name  string
	netem string
	for_  time.Duration
	// during runs while the fault holds (establishing a tunnel).
	during func(l *Lab) string
}

// recoverTime waits for every tunnel to pass traffic again and says how
// long it took.
func (l *Lab) recoverTime(e *Expected, limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	err := l.WaitTunnels(e.Tunnels, limit)
	return time.Since(t0), err
}

// counts of moon's and the peers' log lines that show how they recovered.
func (l *Lab) recoveryCounts() map[string]int {
	c := map[string]int{}
	c["moon retransmits"] = l.countLog("retransmit ")
	c["moon DPD-cleared or closed IKE_SAs"] = l.countLog("deleting IKE_SA")
	for _, h := range []string{"sun", "carol", "dave"} {
		n := strings.TrimSpace(l.Quiet(h, "grep -c -F 'restarting CHILD_SA' /var/log/daemon.log"))
		var v int
		fmt.Sscan(n, &v)
		c["peer restarts"] += v
	}
	return c
}

// PhaseFaults is phase 5: loss, duplication, reordering, jitter and 5 s
// blackholes on the internet segment, while the tunnels rekey and DPD
// runs; after each fault, the time until every tunnel passes traffic
// again.
func (l *Lab) PhaseFaults(e *Expected, step time.Duration) PhaseResult {
	steps := []faultStep{
		{name: "10 % loss", netem: "loss 10%", for_: step},
		{name: "30 % loss", netem: "loss 30%", for_: step},
		{name: "10 % duplication", netem: "duplicate 10%", for_: step / 2},
		{name: "reordering (25 % of packets 10 ms early)", netem: "delay 10ms reorder 75% 50%", for_: step / 2},
		{name: "200 ms jitter", netem: "delay 200ms 200ms", for_: step / 2},
		{name: "5 s blackhole during establishment (dave)", netem: "loss 100%", for_: 5 * time.Second,
			during: func(l *Lab) string {
				_, _ = l.Run("dave", "ipsec down home >/dev/null 2>&1; ipsec up home >/dev/null 2>&1 &", 10*time.Second)
				return "dave's tunnel torn down and started again as the blackhole began"
			}},
		{name: "5 s blackhole during rekeys and DPD", netem: "loss 100%", for_: 5 * time.Second},
		{name: "5 s blackhole, again", netem: "loss 100%", for_: 5 * time.Second},
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.name)
	}
	sent := "netem on every gateway's eth0: " + strings.Join(names, ", ")
	return l.Phase("5 network faults", sent, e, func(r *PhaseResult) error {
		defer l.netem("")
		for _, s := range steps {
			before := l.recoveryCounts()
			if err := l.netem(s.netem); err != nil {
				return err
			}
			note := ""
			if s.during != nil {
				note = s.during(l)
			}
			time.Sleep(s.for_)
			if err := l.netem(""); err != nil {
				return err
			}
			took, err := l.recoverTime(e, 3*time.Minute)
			after := l.recoveryCounts()
			var deltas []string
			for _, k := range []string{"moon retransmits", "moon DPD-cleared or closed IKE_SAs", "peer restarts"} {
				deltas = append(deltas, fmt.Sprintf("%s %d", k, after[k]-before[k]))
			}
			v := fmt.Sprintf("%v, then recovered in %.1f s; %s", s.for_, took.Seconds(), strings.Join(deltas, ", "))
			if note != "" {
				v += " (" + note + ")"
			}
			if err != nil {
				v += ": NOT RECOVERED"
			}
			r.Figure(s.name, "%s", v)
			r.Check("recovered after "+s.name, err == nil, "%.1f s", took.Seconds())
		}
		return nil
	})
}
