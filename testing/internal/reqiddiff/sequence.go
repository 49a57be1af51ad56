package reqiddiff

import (
	"fmt"
	"math/rand/v2"
)

// Kind is what a step does.
type Kind int

const (
	// Up is `ipsec up CONN` (a CHILD_SA, on the conn's IKE_SA if one is up).
	Up Kind = iota
	// DownChild is `ipsec down CONN{*}`.
	DownChild
	// DownIKE is `ipsec down FIRST[*]`: every IKE_SA of a peer group; on
	// sun, for the pr group, moon restarts its CHILD_SAs (closeaction).
	DownIKE
	// Route and Unroute install and remove trap policies.
	Route
	Unroute
	// RekeyChild is `ipsec stroke rekey CONN{*}`, RekeyIKE `ipsec stroke
	// rekey FIRST[*]` (the ipsec script has no rekey command of its own).
	RekeyChild
	RekeyIKE
	// Acquire sends a packet from the gateway's inside address to the other
	// side's subnet, so that a trap policy triggers.
	Acquire
	// Restart stops the daemon, lets the peer settle, and starts it again
	// (auto=route conns are routed anew, the reqid counter starts over).
	Restart
	// Reauth brings up the pe group's conns, waits for one break-before-
	// make reauthentication and takes the group down again.
	Reauth
)

// cleanUp is not a step of a sequence: it is what follows every sequence
// (Lab.Clear).
const cleanUp Kind = -1

var kindNames = [...]string{"up", "down-child", "down-ike", "route", "unroute", "rekey-child", "rekey-ike",
	"acquire", "restart", "reauth"}

func (k Kind) String() string {
	if k == cleanUp {
		return "clean-up"
	}
	return kindNames[k]
}

// Step is one action of a sequence, on one gateway.
type Step struct {
	Kind Kind
	Host string // "moon" or "sun"
	Conn string // conn name (a group's first conn for DownIKE and RekeyIKE)
	// Conns are the conns Reauth brings up, in order.
	Conns []string
}

// Command is the shell command of a simple step ("" for the composite
// ones: Restart and Reauth).
func (s Step) Command() string {
	switch s.Kind {
	case Up:
		return "ipsec up " + s.Conn
	case DownChild:
		return "ipsec down '" + s.Conn + "{*}'"
	case DownIKE:
		return "ipsec down '" + s.Conn + "[*]'"
	case Route:
		return "ipsec route " + s.Conn
	case Unroute:
		return "ipsec unroute " + s.Conn
	case RekeyChild:
		return "ipsec stroke rekey '" + s.Conn + "{*}'"
	case RekeyIKE:
		return "ipsec stroke rekey '" + s.Conn + "[*]'"
	case Acquire:
		if s.Host == "moon" {
			return "ping -c 1 -W 1 -I 10.1.0.1 10.2.0.10"
		}
		return "ping -c 1 -W 1 -I 10.2.0.1 10.1.0.10"
	}
	return ""
}

func (s Step) String() string {
	switch s.Kind {
	case cleanUp:
		return "clean-up"
	case Restart:
		return s.Host + ": restart"
	case Reauth:
		return fmt.Sprintf("%s: reauth %v", s.Host, s.Conns)
	}
	return s.Host + ": " + s.Command()
}

// weights of the kinds in a random sequence (restarts and reauths take
// seconds, so they are rarer). Acquire has weight 0 in this lab: both
// gateways run the userspace data plane, and strongSwan's kernel-libipsec
// drops a packet that matches a policy without SA instead of raising an
// acquire (5.9.8 libipsec/ipsec_processor.c leaves it as a TODO), while
// goswan's raises one as XFRM does. A ping would compare goswan's acquire
// against strongSwan doing nothing, so trap-triggered reqids are compared
// where both sides acquire: the tasks tests of keep_reqids through a
// trap's acquire, and the kernel lane.
var weights = []struct {
	kind   Kind
	weight int
}{
	{Up, 26}, {DownChild, 11}, {DownIKE, 10}, {Route, 12}, {Unroute, 8}, {RekeyChild, 10}, {RekeyIKE, 5},
	{Acquire, 0}, {Restart, 3}, {Reauth, 2},
}

// everyday conns: all but the pe group, which only Reauth uses.
func everyday() []conn {
	var out []conn
	for _, c := range conns {
		if c.peer != "pe" {
			out = append(out, c)
		}
	}
	return out
}

func firstOf(c conn) string {
	for _, p := range peers {
		if p.name == c.peer {
			return p.first
		}
	}
	return c.name
}

// Sequence returns the random sequence of seed: 3 to 8 steps (cheap;
// the history goes on across the sequences of a batch).
func Sequence(seed uint64) []Step {
	r := rand.New(rand.NewPCG(seed, 0x7265716964))
	n := 3 + r.IntN(6)
	total := 0
	for _, w := range weights {
		total += w.weight
	}
	cs := everyday()
	steps := make([]Step, 0, n)
	for range n {
		x := r.IntN(total)
		var k Kind
		for _, w := range weights {
			if x < w.weight {
				k = w.kind
				break
			}
			x -= w.weight
		}
		host := "moon"
		if r.IntN(3) == 0 {
			host = "sun"
		}
		c := cs[r.IntN(len(cs))]
		s := Step{Kind: k, Host: host, Conn: c.name}
		switch k {
		case DownChild:
			if host == "sun" && c.moonExtra != "" {
				// moon would restart the CHILD_SA (closeaction) while sun
				// still handles the delete's response: charon itself then
				// releases and allocates in either order (its IKE_SA
				// checkout is not first come, first served), so that
				// race is no test. moon deletes it instead.
				s.Host = "moon"
			}
		case DownIKE, RekeyIKE:
			s.Conn = firstOf(c)
		case Restart:
			s.Conn = ""
		case Reauth:
			// Only moon's pe group reauthenticates.
			s.Host, s.Conn = "moon", ""
			s.Conns = []string{"e1", "e2"}
			if r.IntN(2) == 0 {
				s.Conns = []string{"e2", "e1"}
			}
		}
		steps = append(steps, s)
	}
	return steps
}
