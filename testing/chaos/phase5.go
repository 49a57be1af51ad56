package chaos

import (
	"fmt"
	"strings"
	"time"
)

// faultHosts carry the internet segment's faults: each host's eth0
// egress, so that both directions of every tunnel suffer.
var faultHosts = []string{"moon", "sun", "carol", "dave"}

// fault is one network fault: netem's arguments, and the nftables rule
// that does the same where the kernel has no netem (CONFIG_NET_SCH_NETEM
// is not set on every host that runs the lab). nftables can drop and
// duplicate packets at random but not delay them: a fault with no nft rule
// needs netem.
type fault struct {
	netem string
	// nftFamily and nft: a rule on packets leaving eth0 (hook postrouting,
	// so the gateways' forwarded packets count too).
	nftFamily, nft string
}

func loss(percent int) fault {
	f := fault{netem: fmt.Sprintf("loss %d%%", percent), nftFamily: "inet",
		nft: fmt.Sprintf("numgen random mod 100 < %d drop", percent)}
	if percent >= 100 {
		f.nft = "drop" // numgen's values end at 99
	}
	return f
}

func duplication(percent int) fault {
	return fault{netem: fmt.Sprintf("duplicate %d%%", percent), nftFamily: "ip",
		nft: fmt.Sprintf(`numgen random mod 100 < %d dup to ip daddr device "eth0"`, percent)}
}

// hasNetem reports whether the lab's kernel has netem, trying it on moon.
func (l *Lab) hasNetem() bool {
	_, err := l.Run("moon", "tc qdisc add dev eth0 root netem delay 0ms && tc qdisc del dev eth0 root", 5*time.Second)
	return err == nil
}

// setFault puts f on every fault host, with netem if useNetem, else with
// nftables; the zero fault removes what is there.
func (l *Lab) setFault(f fault, useNetem bool) error {
	for _, h := range faultHosts {
		_, _ = l.Run(h, "tc qdisc del dev eth0 root 2>/dev/null; nft delete table inet chaosfault 2>/dev/null; "+
			"nft delete table ip chaosfault 2>/dev/null; true", 5*time.Second)
		var cmd string
		switch {
		case f == fault{}:
			continue
		case useNetem:
			cmd = "tc qdisc add dev eth0 root netem " + f.netem
		case f.nft == "":
			return fmt.Errorf("netem %q needs the kernel's netem, which this one lacks", f.netem)
		default:
			cmd = fmt.Sprintf(`nft 'add table %[1]s chaosfault; add chain %[1]s chaosfault out { type filter hook postrouting priority 0; }; `+
				`add rule %[1]s chaosfault out oifname "eth0" %[2]s'`, f.nftFamily, f.nft)
		}
		if out, err := l.Run(h, cmd, 5*time.Second); err != nil {
			return fmt.Errorf("%s: %s: %v %s", h, cmd, err, out)
		}
	}
	return nil
}

// faultStep is one fault of phase 5.
type faultStep struct {
	name  string
	fault fault
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
	blackhole := loss(100)
	steps := []faultStep{
		{name: "10 % loss", fault: loss(10), for_: step},
		{name: "30 % loss", fault: loss(30), for_: step},
		{name: "10 % duplication", fault: duplication(10), for_: step / 2},
		{name: "reordering (25 % of packets 10 ms early)", fault: fault{netem: "delay 10ms reorder 75% 50%"}, for_: step / 2},
		{name: "200 ms jitter", fault: fault{netem: "delay 200ms 200ms"}, for_: step / 2},
		{name: "5 s blackhole during establishment (dave)", fault: blackhole, for_: 5 * time.Second,
			during: func(l *Lab) string {
				_, _ = l.Run("dave", "ipsec down home >/dev/null 2>&1; ipsec up home >/dev/null 2>&1 &", 10*time.Second)
				// From here dave's tunnel is expected, as after phase 1
				// (which this run may have left out).
				l.AddTunnel(RWDave)
				e.Tunnels = l.Tunnels()
				return "dave's tunnel torn down and started again as the blackhole began"
			}},
		{name: "5 s blackhole during rekeys and DPD", fault: blackhole, for_: 5 * time.Second},
		{name: "5 s blackhole, again", fault: blackhole, for_: 5 * time.Second},
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.name)
	}
	useNetem := l.hasNetem()
	how := "netem"
	if !useNetem {
		how = "nftables (no netem in this kernel: the delaying faults cannot run)"
	}
	sent := "on every gateway's eth0, with " + how + ": " + strings.Join(names, ", ")
	return l.Phase("5 network faults", sent, e, func(r *PhaseResult) error {
		defer l.setFault(fault{}, useNetem)
		for _, s := range steps {
			if !useNetem && s.fault.nft == "" {
				// Not run, and not passed: the phase says so and fails.
				r.Figure(s.name, "NOT RUN: needs netem (CONFIG_NET_SCH_NETEM), which this kernel lacks")
				r.Check(s.name+" run", false, "no netem in this kernel")
				continue
			}
			before := l.recoveryCounts()
			if err := l.setFault(s.fault, useNetem); err != nil {
				return err
			}
			note := ""
			if s.during != nil {
				note = s.during(l)
			}
			time.Sleep(s.for_)
			if err := l.setFault(fault{}, useNetem); err != nil {
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
