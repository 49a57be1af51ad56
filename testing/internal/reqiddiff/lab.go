package reqiddiff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/topology"
)

const scratchBase = "/var/tmp/goswan-reqiddiff"

// Lab is one copy of the network: moon and sun, each running an
// implementation.
type Lab struct {
	Name    string // "gg", "ss", …
	ctx     context.Context
	topo    *topology.Topology
	scratch string
	// Trace, if set, receives every command and its output.
	Trace func(lab, host, command, out string)
}

// settings are further charon settings of a lab (strongswan.conf lines in
// the charon section).
func hostSpec(name string, im runner.Implementation, settings string) topology.HostSpec {
	return topology.HostSpec{Name: name, Binds: im.Binds,
		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C", "LC_ALL=C", "TERM=dumb"},
		Etc: []topology.File{
			{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(ipsecConf(name))},
			{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(ipsecSecrets)},
			{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(strongswanConf(settings))},
		}}
}

// BuildLab builds a lab for pairing (e.g. "gg": goswan on moon and sun);
// goswanBin holds goswan's binaries, settings are extra charon settings.
func BuildLab(ctx context.Context, pairing, goswanBin, settings string, logf func(string, ...any)) (*Lab, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("network namespaces need root")
	}
	if len(pairing) != 2 {
		return nil, fmt.Errorf("pairing %q: want two letters (g, s or c)", pairing)
	}
	sides, err := runner.Pick(goswanBin, pairing[:1], pairing[1:])
	if err != nil {
		return nil, err
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if _, err := topology.CleanupStale(scratchBase, logf); err != nil {
		return nil, err
	}
	scratch, err := topology.MakeScratch(scratchBase, fmt.Sprintf("%s-%d-%d", pairing, os.Getpid(), time.Now().UnixNano()%1e6))
	if err != nil {
		return nil, err
	}
	topo, err := topology.Build(ctx, topology.Config{
		Prefix:  fmt.Sprintf("grd%s%x", pairing, (os.Getpid()+int(time.Now().UnixNano()))&0xffff),
		Scratch: scratch,
		Logf:    logf,
		Hosts:   []topology.HostSpec{hostSpec("moon", sides[0], settings), hostSpec("sun", sides[1], settings)},
	})
	if err != nil {
		os.RemoveAll(scratch)
		return nil, err
	}
	return &Lab{Name: pairing, ctx: ctx, topo: topo, scratch: scratch}, nil
}

// run runs a command on a host; a non-zero exit is not an error (ipsec up
// of a conn that fails is part of a sequence).
func (l *Lab) run(host, command string, timeout time.Duration) (string, error) {
	r := l.topo.Host(host).Run(l.ctx, command, timeout)
	out := string(r.Stdout) + string(r.Stderr)
	if l.Trace != nil {
		l.Trace(l.Name, host, command, out)
	}
	return out, r.Err
}

// Snapshot reads a host's statusall.
func (l *Lab) Snapshot(host string) (Snapshot, error) {
	r := l.topo.Host(host).Run(l.ctx, "ipsec statusall 2>/dev/null", 10*time.Second)
	if r.Err != nil {
		return Snapshot{}, r.Err
	}
	return ParseStatusall(string(r.Stdout)), nil
}

// pollEvery is the interval of the settle polls.
const pollEvery = 120 * time.Millisecond

// Settle waits until both gateways are settled and unchanged over two
// polls, and returns their snapshots.
func (l *Lab) Settle(limit time.Duration) (map[string]Snapshot, error) {
	deadline := time.Now().Add(limit)
	var last map[string]Snapshot
	for {
		cur := map[string]Snapshot{}
		settled := true
		for _, h := range []string{"moon", "sun"} {
			s, err := l.Snapshot(h)
			if err != nil {
				return nil, err
			}
			cur[h] = s
			settled = settled && s.Settled
		}
		if settled && last != nil && cur["moon"].Equal(last["moon"]) && cur["sun"].Equal(last["sun"]) {
			return cur, nil
		}
		if time.Now().After(deadline) {
			return cur, fmt.Errorf("%s: SAs did not settle within %v: moon %v %v, sun %v %v", l.Name, limit,
				cur["moon"].IKE, cur["moon"].Children, cur["sun"].IKE, cur["sun"].Children)
		}
		if settled {
			last = cur
		} else {
			last = nil
		}
		select {
		case <-l.ctx.Done():
			return nil, l.ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// waitFor polls a host's statusall until ok accepts it.
func (l *Lab) waitFor(host, what string, limit time.Duration, ok func(string) bool) error {
	deadline := time.Now().Add(limit)
	for {
		r := l.topo.Host(host).Run(l.ctx, "ipsec statusall 2>/dev/null", 10*time.Second)
		if r.Err == nil && ok(string(r.Stdout)) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s: %s not seen within %v", l.Name, host, what, limit)
		}
		select {
		case <-l.ctx.Done():
			return l.ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// Start starts IPsec on both gateways and waits until each has loaded all
// conns (the last one, a trap, is routed).
func (l *Lab) Start() error {
	for _, h := range []string{"moon", "sun"} {
		if err := l.start(h); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) start(host string) error {
	if _, err := l.run(host, "ipsec start", 30*time.Second); err != nil {
		return err
	}
	last := conns[len(conns)-1].name
	return l.waitFor(host, "conn "+last+" routed", 20*time.Second, func(out string) bool {
		_, routed, _ := strings.Cut(out, "Routed Connections:")
		return strings.Contains(routed, " "+last+"{")
	})
}

// Stop stops IPsec on both gateways.
func (l *Lab) Stop() error {
	var errs []error
	for _, h := range []string{"moon", "sun"} {
		if _, err := l.run(h, "ipsec stop", 30*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Log returns the end of a gateway's daemon log.
func (l *Lab) Log(host string, lines int) string {
	r := l.topo.Host(host).Run(l.ctx, fmt.Sprintf("tail -n %d /var/log/daemon.log", lines), 10*time.Second)
	return string(r.Stdout)
}

// Close stops IPsec and removes the network.
func (l *Lab) Close() error {
	_ = l.Stop()
	err := l.topo.Close()
	os.RemoveAll(l.scratch)
	return err
}

// settleLimit bounds a step: a restart against a stopped peer gives up
// after its retransmits (about 2 s), a reauthentication takes about 3 s.
const settleLimit = 30 * time.Second

// Do runs one step and returns the snapshots taken during it: after a
// Reauth both the one after the reauthentication and the one after the
// group is down again, otherwise the one after the step has settled.
func (l *Lab) Do(s Step) ([]map[string]Snapshot, error) {
	switch s.Kind {
	case Restart:
		// Every IKE_SA goes first, one after the other, moon's first (so
		// that nothing restarts): on shutdown charon deletes them all at
		// once, the peer releases their reqids on several threads in an
		// order that varies from run to run, and a peer restarting an
		// IKE_SA races the daemon going down.
		for _, h := range []string{"moon", "sun"} {
			if err := l.downAll(h); err != nil {
				return nil, err
			}
		}
		if _, err := l.run(s.Host, "ipsec stop", 30*time.Second); err != nil {
			return nil, err
		}
		if _, err := l.Settle(settleLimit); err != nil {
			return nil, err
		}
		if err := l.start(s.Host); err != nil {
			return nil, err
		}
	case Reauth:
		return l.reauth(s)
	default:
		out, err := l.run(s.Host, s.Command(), 30*time.Second)
		if err != nil {
			return nil, err
		}
		// A command the ipsec script does not know would make the step a
		// silent no-op in both labs.
		if strings.Contains(out, "unknown command") || strings.Contains(out, "usage:") {
			return nil, fmt.Errorf("%s: %s: %s", l.Name, s, strings.TrimSpace(out))
		}
	}
	snap, err := l.Settle(settleLimit)
	if err != nil {
		return nil, err
	}
	return []map[string]Snapshot{snap}, nil
}

// reauth brings the pe group up, waits until its IKE_SA was replaced by a
// reauthentication, and takes it down.
func (l *Lab) reauth(s Step) ([]map[string]Snapshot, error) {
	first := "e1"
	for _, c := range s.Conns {
		if _, err := l.run(s.Host, "ipsec up "+c, 30*time.Second); err != nil {
			return nil, err
		}
	}
	before, err := l.Settle(settleLimit)
	if err != nil {
		return nil, err
	}
	old := ikeOf(before[s.Host], first)
	if err := l.waitFor(s.Host, "reauthentication of "+first, 15*time.Second, func(out string) bool {
		id := ikeOf(ParseStatusall(out), first)
		return id != "" && id != old
	}); err != nil {
		return nil, err
	}
	after, err := l.Settle(settleLimit)
	if err != nil {
		return nil, err
	}
	if _, err := l.run(s.Host, "ipsec down '"+first+"[*]'", 30*time.Second); err != nil {
		return nil, err
	}
	down, err := l.Settle(settleLimit)
	if err != nil {
		return nil, err
	}
	return []map[string]Snapshot{after, down}, nil
}

// ikeOf returns the established IKE_SA of a group ("e1[3]"), "" if none.
func ikeOf(s Snapshot, name string) string {
	for _, ike := range s.IKE {
		if id, state, _ := strings.Cut(ike, " "); strings.HasPrefix(id, name+"[") && state == "ESTABLISHED" {
			return id
		}
	}
	return ""
}

// downAll takes a host's IKE_SAs down, group by group (only the groups
// with an IKE_SA, in the order of peers).
func (l *Lab) downAll(host string) error {
	snap, err := l.Snapshot(host)
	if err != nil {
		return err
	}
	var cmds []string
	for _, p := range peers {
		if snap.hasIKE(p.first) {
			cmds = append(cmds, "ipsec down '"+p.first+"[*]' >/dev/null 2>&1")
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	if _, err := l.run(host, strings.Join(cmds, "; "), 60*time.Second); err != nil {
		return err
	}
	_, err = l.Settle(settleLimit)
	return err
}

// Clear takes every IKE_SA down and every trap away on both gateways:
// moon's first, so that sun's deletes do not restart moon's pr CHILD_SAs.
// Only what exists is taken down (the labs agree on what that is).
func (l *Lab) Clear() (map[string]Snapshot, error) {
	for _, h := range []string{"moon", "sun"} {
		if err := l.downAll(h); err != nil {
			return nil, err
		}
		snap, err := l.Snapshot(h)
		if err != nil {
			return nil, err
		}
		var cmds []string
		for _, c := range conns {
			if snap.hasTrap(c.name) {
				cmds = append(cmds, "ipsec unroute "+c.name+" >/dev/null 2>&1")
			}
		}
		if len(cmds) == 0 {
			continue
		}
		if _, err := l.run(h, strings.Join(cmds, "; "), 60*time.Second); err != nil {
			return nil, err
		}
		if _, err := l.Settle(settleLimit); err != nil {
			return nil, err
		}
	}
	return l.Settle(settleLimit)
}
