// Package topology builds strongSwan's test network out of Linux network
// namespaces on one machine and runs commands inside its hosts.
//
// Every host is an nshost host (its own network namespace, named
// <prefix>-<host>, and a holder owning a private mount and UTS namespace):
// /etc is an overlay of the machine's /etc (so installed software keeps
// working) with Debian's netbase and the scenario's files copied on top, the implementation's
// binaries are bound over (or, where the machine has none, placed at)
// Debian's paths, and /run, /var/log and /tmp are empty tmpfs mounts.
// Commands enter the host with nsenter. The segments are bridges inside one
// more namespace, <prefix>-sw, so nothing of the topology appears in the root
// namespace and no address of it is reachable from there.
//
// Teardown ends the processes that live in the topology's namespaces (found
// by namespace, signalled by PID through a pidfd), deletes the namespaces and
// removes the scratch directory; Build undoes its partial work on failure, and
// CleanupStale removes what a runner that was killed outright left behind.
package topology

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/nshost"
)

// File is a file to place in a host's /etc.
type File struct {
	Rel  string // slash-separated path below /etc
	Mode os.FileMode
	Data []byte
}

// Bind is a bind mount inside one host's mount namespace, used to put an
// implementation's binaries where the other implementation's would be (the
// target is made inside the host if the machine has none).
type Bind = nshost.Bind

// Result is the outcome of a command run in a host.
type Result = nshost.Result

// ErrOutside is returned instead of running a command that would not run
// inside the host's own namespaces.
var ErrOutside = nshost.ErrOutside

// HostSpec says how to set up one host.
type HostSpec struct {
	Name  string
	Etc   []File // copied over /etc, in order (later files win)
	Binds []Bind
	// Env is the environment of every command run in the host (PATH
	// included).
	Env []string
}

// Config describes a topology to build.
type Config struct {
	// Prefix starts every namespace name; it must be unique on the machine
	// (other runs and other users create namespaces too).
	Prefix string
	// Scratch is a directory owned by this topology. It must not be below
	// /tmp, /run or /var/log, which are replaced inside the hosts.
	Scratch string
	Hosts   []HostSpec
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// Topology is a built network. Close it.
type Topology struct {
	cfg    Config
	sc     *nshost.Scratch
	swNS   string
	hosts  map[string]*Host
	order  []*Host
	closed bool
}

// privateDirs get an empty tmpfs in every host.
var privateDirs = []string{"/run", "/var/log", "/tmp"}

// bridges maps the segments to bridge names inside the switch namespace.
var bridges = map[hosts.Network]string{hosts.Internet: "br-inet", hosts.Net1: "br-net1", hosts.Net2: "br-net2"}

// Build creates the namespaces, links, addresses and holders. On error it
// removes whatever it created.
func Build(ctx context.Context, cfg Config) (t *Topology, err error) {
	if err := nshost.ValidatePrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	sc, err := nshost.ScratchAt(cfg.Scratch)
	if err != nil {
		return nil, err
	}
	t = &Topology{cfg: cfg, sc: sc, swNS: cfg.Prefix + "-sw", hosts: map[string]*Host{}}
	t0 := time.Now()
	var tLinks, tAddrs time.Time
	defer func() {
		if err != nil {
			t.Close()
			t = nil
		}
	}()
	if err := sc.AddNetNS(ctx, t.swNS); err != nil {
		return t, err
	}
	specs := make([]nshost.Spec, len(cfg.Hosts))
	plans := make([]hosts.Host, len(cfg.Hosts))
	for i, spec := range cfg.Hosts {
		if specs[i], plans[i], err = t.hostSpec(spec); err != nil {
			return t, err
		}
	}
	// The hosts start in parallel, and their addresses are set in
	// parallel: every step is a few processes per host, which adds up on a
	// slow machine (the kernel lane's TCG guest).
	started := make([]*nshost.Host, len(specs))
	if err := each(len(specs), func(i int) (err error) {
		started[i], err = nshost.Start(ctx, sc, specs[i])
		return err
	}); err != nil {
		return t, err
	}
	var sw bytes.Buffer
	for _, br := range []string{bridges[hosts.Internet], bridges[hosts.Net1], bridges[hosts.Net2]} {
		fmt.Fprintf(&sw, "link add %s type bridge\nlink set %s up\n", br, br)
	}
	for i, nh := range started {
		h := &Host{Host: nh, plan: plans[i]}
		t.hosts[h.Name] = h
		t.order = append(t.order, h)
		for _, ifc := range h.plan.Ifaces {
			peer := h.Name + "-" + ifc.Name
			fmt.Fprintf(&sw, "link add %s type veth peer name %s netns %s\n", peer, ifc.Name, h.NetNS)
			fmt.Fprintf(&sw, "link set %s master %s up\n", peer, bridges[ifc.Net])
		}
	}
	tLinks = time.Now()
	if err := ipBatch(ctx, t.swNS, sw.String()); err != nil {
		return t, err
	}
	tAddrs = time.Now()
	if err := each(len(t.order), func(i int) error { return ipBatch(ctx, t.order[i].NetNS, t.order[i].addressing()) }); err != nil {
		return t, err
	}
	t.logf("topology %s: %d hosts up in %.2fs (namespaces and holders %.2fs, links %.2fs, addresses %.2fs)",
		cfg.Prefix, len(t.order), time.Since(t0).Seconds(), tLinks.Sub(t0).Seconds(),
		tAddrs.Sub(tLinks).Seconds(), time.Since(tAddrs).Seconds())
	return t, nil
}

// hostSpec turns a host of the configuration into an nshost spec: Debian's
// netbase first, as strongSwan's test hosts have it (leftprotoport=tcp/ssh,
// tcpdump's ipsec-nat-t), whatever this machine has; the scenario's files
// may replace it.
func (t *Topology) hostSpec(spec HostSpec) (nshost.Spec, hosts.Host, error) {
	hp, ok := hosts.Lookup(spec.Name)
	if !ok {
		return nshost.Spec{}, hp, fmt.Errorf("unknown host %q", spec.Name)
	}
	ns := nshost.Spec{Name: spec.Name, NetNS: t.cfg.Prefix + "-" + spec.Name, Binds: spec.Binds,
		Files: nshost.Netbase(), Private: privateDirs, Forward: hp.Forward, Env: spec.Env, Logf: t.cfg.Logf}
	for _, f := range spec.Etc {
		if f.Rel == "" || strings.HasPrefix(f.Rel, "/") {
			return ns, hp, fmt.Errorf("host %s: bad /etc path %q", spec.Name, f.Rel)
		}
		ns.Files = append(ns.Files, nshost.File{Path: "/etc/" + f.Rel, Mode: f.Mode, Data: f.Data})
	}
	return ns, hp, nil
}

// each runs fn(0) … fn(n-1) in parallel and joins their errors.
func each(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (t *Topology) logf(format string, args ...any) {
	if t.cfg.Logf != nil {
		t.cfg.Logf(format, args...)
	}
}

func ipBatch(ctx context.Context, netns, batch string) error {
	cmd := exec.CommandContext(ctx, "ip", "-n", netns, "-batch", "-")
	cmd.Stdin = strings.NewReader(batch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -n %s -batch: %v: %s\nbatch was:\n%s", netns, err, bytes.TrimSpace(out), batch)
	}
	return nil
}

// Host returns the named host, or nil.
func (t *Topology) Host(name string) *Host { return t.hosts[name] }

// Hosts returns the hosts in creation order.
func (t *Topology) Hosts() []*Host { return append([]*Host(nil), t.order...) }

// Close ends every process in the topology's namespaces, deletes the
// namespaces and removes the scratch directory. It is safe to call twice. The
// returned error lists what could not be cleaned.
func (t *Topology) Close() error {
	if t == nil || t.closed {
		return nil
	}
	t.closed = true
	// Every namespace recorded (the hosts', and any of a host whose start
	// failed half-way) is emptied in one go, and the switch, created first,
	// goes last: nothing runs in it, but its bridges keep the veth peers
	// until it goes.
	errs := t.sc.Teardown(t.cfg.Logf)
	if err := t.sc.Remove(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// MakeScratch creates the directory base/name for a run's own files and
// records the runner as its owner, so that CleanupStale removes it once the
// runner is gone.
func MakeScratch(base, name string) (string, error) {
	sc, err := nshost.MakeScratch(base, name)
	if err != nil {
		return "", err
	}
	return sc.Dir, nil
}

// CleanupStale removes the topologies under base whose runner no longer
// runs; see nshost.CleanupStale.
func CleanupStale(base string, logf func(string, ...any)) ([]string, error) {
	return nshost.CleanupStale(base, logf)
}
