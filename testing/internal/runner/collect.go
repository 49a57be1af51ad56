package runner

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/internal/topology"
)

type stateFile struct{ name, command string }

// stateFiles are recorded for every IPsec host between evaltest and
// posttest, as strongSwan's runner records them for its results pages:
// with the ipsec command, or with swanctl where the scenario configures
// charon through it.
var stateFiles = []stateFile{
	{"statusall", "ipsec statusall"},
	{"listall", "ipsec listall"},
	{"version", "ipsec version"},
	{"ipsec.conf", "cat /etc/ipsec.conf"},
	{"ipsec.secrets", "cat /etc/ipsec.secrets"},
}

var swanctlStateFiles = []stateFile{
	{"swanctl.sas", "swanctl --list-sas"},
	{"swanctl.conns", "swanctl --list-conns"},
	{"swanctl.pols", "swanctl --list-pols"},
	{"swanctl.certs", "swanctl --list-certs"},
	{"swanctl.pools", "swanctl --list-pools --leases"},
	{"swanctl.conf", "cat /etc/swanctl/swanctl.conf"},
}

var commonStateFiles = []stateFile{
	{"ip.state", "ip -s xfrm state"},
	{"ip.policy", "ip -s xfrm policy"},
	{"ip.route", "ip route list table 220; ip -6 route list table 220"},
	{"ip.rule", "ip rule; ip -6 rule"},
	{"ip.link", "ip -d link"},
	{"strongswan.conf", "cat /etc/strongswan.conf"},
	{"strongswan.conf.testing", "cat /etc/strongswan.conf.testing"},
}

// collectState records every IPsec host's status, kernel state and
// configuration in the results directory (the hosts in parallel, each
// host's commands in one batch).
func (t *test) collectState(ctx context.Context) error {
	files := stateFiles
	if t.sc.Conf.Swanctl {
		files = swanctlStateFiles
	}
	files = append(files[:len(files):len(files)], commonStateFiles...)
	cmds := make([]string, len(files))
	for i, f := range files {
		cmds[i] = f.command
	}
	return onHosts(t.sc.Conf.IPsecHosts, func(_ int, h string) error {
		results, err := t.batch(ctx, h, cmds)
		if err != nil {
			return err
		}
		for i, f := range files {
			b := results[i].Stdout
			if len(results[i].Stderr) > 0 {
				b = append(b, "\n# stderr:\n"...)
				b = append(b, results[i].Stderr...)
			}
			if err := os.WriteFile(filepath.Join(t.dir, h+"."+f.name), b, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// saLine matches an IKE_SA or CHILD_SA line of `ipsec statusall`
// ("  net-net[1]: ESTABLISHED …", "  net-net{1}:  INSTALLED, …").
var (
	saLine    = regexp.MustCompile(`(?m)^\s+\S+(\[\d+\]|\{\d+\}):\s+(ESTABLISHED|CONNECTING|REKEYING|REKEYED|DELETING|PASSIVE|CREATED|INSTALLED|INSTALLING|ROUTED|UPDATING)`)
	saHeader  = regexp.MustCompile(`Security Associations \((\d+) up, (\d+) connecting\)`)
	xfrmSA    = regexp.MustCompile(`proto.*spi`)
	ipcompSA  = regexp.MustCompile(`proto 4\b`)
	rule220   = regexp.MustCompile(`lookup 220\b`)
	notExists = regexp.MustCompile(`does not exist|No such`)
)

// checkLeftovers fails the test if posttest left anything of IPsec behind
// on an IPsec host: XFRM states (IPComp's helper states aside, as in
// strongSwan's runner) or policies, SAs in `ipsec statusall`, routes in
// table 220 or its routing rule, the userspace data plane's ipsec0 TUN
// device, or processes other than the runner's captures and servers on any
// host.
func (t *test) checkLeftovers(ctx context.Context) error {
	t.con.section("LEFTOVERS")
	found := false
	report := func(host, what, out string) {
		found = true
		t.fail("%s: %s left after posttest", host, what)
		t.con.printf("%s: %s left after posttest [NO]", host, what)
		t.con.println(strings.TrimRight(out, "\n"))
	}
	checks := []leftoverCheck{
		{"XFRM states", "ip xfrm state", func(s string, _ int) bool {
			for _, l := range strings.Split(s, "\n") {
				if xfrmSA.MatchString(l) && !ipcompSA.MatchString(l) {
					return true
				}
			}
			return false
		}},
		{"XFRM policies", "ip xfrm policy", func(s string, _ int) bool { return strings.TrimSpace(s) != "" }},
		sasCheck(t.sc.Conf.Swanctl),
		{"routes in table 220", "ip route list table 220 2>/dev/null; ip -6 route list table 220 2>/dev/null", func(s string, _ int) bool { return strings.TrimSpace(s) != "" }},
		{"the routing rule for table 220", "ip rule; ip -6 rule", func(s string, _ int) bool { return rule220.MatchString(s) }},
		{"the ipsec0 TUN device", "ip -o link show dev ipsec0 2>&1", func(s string, exit int) bool { return exit == 0 && !notExists.MatchString(s) }},
	}
	cmds := make([]string, len(checks))
	for i, c := range checks {
		cmds[i] = c.command
	}
	ipsecHosts := t.sc.Conf.IPsecHosts
	results := make([][]topology.Result, len(ipsecHosts))
	if err := onHosts(ipsecHosts, func(i int, h string) (err error) {
		results[i], err = t.batch(ctx, h, cmds)
		return err
	}); err != nil {
		return err
	}
	for i, h := range ipsecHosts {
		for j, c := range checks {
			if r := results[i][j]; c.bad(string(r.Stdout), r.ExitCode) {
				report(h, c.what, string(r.Stdout))
			}
		}
	}
	var ownPIDs []int // the runner's captures and servers
	for _, c := range t.caps {
		if p := c.pid(); p > 0 {
			ownPIDs = append(ownPIDs, p)
		}
	}
	for _, sv := range t.servers {
		if p := sv.pid(); p > 0 {
			ownPIDs = append(ownPIDs, p)
		}
	}
	for _, h := range t.topo.Hosts() {
		if procs := h.Processes(ownPIDs...); len(procs) > 0 {
			var short []string
			for _, p := range procs {
				short = append(short, shortProc(p))
			}
			report(h.Name, "processes ("+strings.Join(short, ", ")+")", strings.Join(procs, "\n"))
		}
	}
	if !found {
		t.con.println("none")
	}
	return nil
}

type leftoverCheck = struct {
	what, command string
	bad           func(stdout string, exit int) bool
}

// sasCheck looks for IKE and CHILD_SAs the way the scenario reads the
// daemon's state: `ipsec statusall`, or `swanctl --list-sas`, which lists
// nothing (or cannot connect to a stopped daemon) when there are none.
func sasCheck(swanctl bool) leftoverCheck {
	if swanctl {
		return leftoverCheck{"IKE/CHILD_SAs", "swanctl --list-sas 2>/dev/null", func(s string, _ int) bool {
			return strings.TrimSpace(s) != ""
		}}
	}
	return leftoverCheck{"IKE/CHILD_SAs", "ipsec statusall 2>/dev/null", func(s string, _ int) bool {
		if m := saHeader.FindStringSubmatch(s); m != nil && (m[1] != "0" || m[2] != "0") {
			return true
		}
		return saLine.MatchString(s)
	}}
}

// shortProc turns "/usr/lib/ipsec/charon --use-syslog (pid 12)" into
// "charon (pid 12)".
func shortProc(p string) string {
	cmd, pid, _ := strings.Cut(p, " (pid ")
	name := path.Base(strings.Fields(cmd + " x")[0])
	if pid == "" {
		return name
	}
	return name + " (pid " + pid
}

// collectLogs copies every non-empty file below each host's /var/log into
// the results directory as <host>.<file> (daemon.log is charon's filelog).
func (t *test) collectLogs(ctx context.Context) {
	names := hosts.Names()
	notes := make([]string, len(names))
	_ = onHosts(names, func(i int, name string) error {
		h := t.topo.Host(name)
		res := h.Run(ctx, "cd /var/log && tar -cf - .", t.timeout())
		if res.Err != nil || res.ExitCode != 0 {
			notes[i] = fmt.Sprintf("%s: collecting /var/log failed: %v %s", name, res.Err, res.Stderr)
			return nil
		}
		if err := untarLogs(bytes.NewReader(res.Stdout), t.dir, name); err != nil {
			notes[i] = fmt.Sprintf("%s: collecting /var/log: %v", name, err)
		}
		return nil
	})
	for _, n := range notes {
		if n != "" {
			t.con.println(n)
		}
	}
}

// untarLogs writes the regular, non-empty files of a tar stream as
// dir/<host>.<path with "/" replaced by "_">.
func untarLogs(r io.Reader, dir, host string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
			continue
		}
		rel := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if rel == "" {
			continue
		}
		out := filepath.Join(dir, host+"."+strings.ReplaceAll(rel, "/", "_"))
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
	}
}
