package scenario

import (
	"fmt"
	"io"
	"strings"
)

// TestConf holds the variables of a scenario's test.conf, a shell fragment
// that strongSwan's runner sources.
type TestConf struct {
	// VirtHosts are the hosts the scenario needs (VIRTHOSTS).
	VirtHosts []string
	// Diagram names the topology picture (DIAGRAM); informational.
	Diagram string
	// TcpdumpHosts are "host" or "host:iface" entries (TCPDUMPHOSTS); a
	// capture runs there from before pretest until its first tcpdump line.
	TcpdumpHosts []TcpdumpHost
	// IPsecHosts run IPsec (IPSECHOSTS): their state and logs are collected
	// and they must be free of SAs and policies after posttest.
	IPsecHosts []string
	// RightHosts (RIGHTHOSTS, goswan's addition) name the IPsec hosts on
	// the right side of a pairing when the usual rule (sun, else moon)
	// does not fit, e.g. two gateways alice and moon for roadwarriors.
	RightHosts []string
	// Pairings (PAIRINGS, goswan's addition) are the codes of the only
	// pairings the scenario can pass in (e.g. "gg sg sc"), for a scenario
	// that needs a capability only goswan has on one side; its
	// description says which and why. Empty: every pairing.
	Pairings []string
	// LanePairings (PAIRINGS_USERSPACE, PAIRINGS_KERNEL: goswan's
	// addition) narrow Pairings in one lane, for a scenario that one lane's
	// data plane cannot carry in some pairings: strongSwan's kernel-libipsec,
	// the userspace lane's data plane, has tunnel mode only, so a transport
	// mode scenario passes there only with goswan on both sides.
	LanePairings map[string][]string
	// Swanctl (SWANCTL=1) says the hosts' charon is configured through
	// swanctl rather than ipsec.conf: its state is read with swanctl.
	Swanctl bool
	// Servers are "host:kind" entries (SERVERS, goswan's addition): daemons
	// the runner starts on a host before pretest and stops after posttest,
	// such as winnetou's CRL web server and OCSP responder, which strongSwan's
	// winnetou always runs. The runner knows the kinds.
	Servers []Server
	// Vars keeps every assignment, including ones this runner does not use
	// (RADIUSHOSTS, DBHOSTS, IPV6).
	Vars map[string]string
}

// TcpdumpHost is one TCPDUMPHOSTS entry.
type TcpdumpHost struct {
	Host  string
	Iface string // "eth0" when the entry names none
}

// Server is one SERVERS entry.
type Server struct {
	Host string
	Kind string // "http", "ocsp"
}

// ParseTestConf reads test.conf. It accepts what strongSwan's files contain:
// comments, blank lines and NAME=value assignments whose value is bare,
// "double-quoted" or 'single-quoted'. Anything else is an error rather than
// shell code to run.
func ParseTestConf(name string, r io.Reader) (*TestConf, error) {
	c := &TestConf{Vars: map[string]string{}}
	err := rawLines(r, func(n int, line string) error {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			return nil
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok || !isShellName(k) {
			return &ParseError{name, n, fmt.Sprintf("want NAME=value, got %q", line)}
		}
		val, err := shellValue(v)
		if err != nil {
			return &ParseError{name, n, err.Error()}
		}
		c.Vars[k] = val
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.VirtHosts = strings.Fields(c.Vars["VIRTHOSTS"])
	c.Diagram = c.Vars["DIAGRAM"]
	c.IPsecHosts = strings.Fields(c.Vars["IPSECHOSTS"])
	c.RightHosts = strings.Fields(c.Vars["RIGHTHOSTS"])
	c.Pairings = strings.Fields(c.Vars["PAIRINGS"])
	for _, lane := range Lanes {
		if v, ok := c.Vars["PAIRINGS_"+strings.ToUpper(lane)]; ok {
			if c.LanePairings == nil {
				c.LanePairings = map[string][]string{}
			}
			c.LanePairings[lane] = strings.Fields(v)
		}
	}
	c.Swanctl = c.Vars["SWANCTL"] == "1"
	for _, e := range strings.Fields(c.Vars["TCPDUMPHOSTS"]) {
		h, iface, _ := strings.Cut(e, ":")
		if iface == "" {
			iface = "eth0"
		}
		if _, ok := hostField(h); !ok || strings.ContainsAny(iface, " /") {
			return nil, &ParseError{name, 0, fmt.Sprintf("bad TCPDUMPHOSTS entry %q", e)}
		}
		c.TcpdumpHosts = append(c.TcpdumpHosts, TcpdumpHost{Host: h, Iface: iface})
	}
	for _, e := range strings.Fields(c.Vars["SERVERS"]) {
		h, kind, _ := strings.Cut(e, ":")
		if _, ok := hostField(h); !ok || kind == "" || strings.ContainsAny(kind, " /:") {
			return nil, &ParseError{name, 0, fmt.Sprintf("bad SERVERS entry %q (want host:kind)", e)}
		}
		for _, s := range c.Servers {
			if s.Host == h && s.Kind == kind {
				return nil, &ParseError{name, 0, fmt.Sprintf("SERVERS lists %q twice", e)}
			}
		}
		c.Servers = append(c.Servers, Server{Host: h, Kind: kind})
	}
	return c, nil
}

func isShellName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func shellValue(v string) (string, error) {
	// A trailing comment after a quoted value is allowed, as in shell.
	if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
		q := v[0]
		end := strings.IndexByte(v[1:], q)
		if end < 0 {
			return "", fmt.Errorf("unterminated %c quote", q)
		}
		val, rest := v[1:1+end], strings.TrimSpace(v[2+end:])
		if rest != "" && !strings.HasPrefix(rest, "#") {
			return "", fmt.Errorf("unexpected %q after the quoted value", rest)
		}
		if q == '"' && strings.ContainsAny(val, "$`\\") {
			return "", fmt.Errorf("value %q needs shell expansion, which is not supported", val)
		}
		return val, nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if strings.ContainsAny(v, " \t\"'$`\\;|&<>()") {
		return "", fmt.Errorf("unquoted value %q needs quotes", v)
	}
	return v, nil
}

// PairingsIn returns the codes of the only pairings the scenario can pass
// in lane: the lane's own list if it has one, else PAIRINGS; empty means
// every pairing.
func (c *TestConf) PairingsIn(lane string) []string {
	if pp, ok := c.LanePairings[lane]; ok {
		return pp
	}
	return c.Pairings
}
