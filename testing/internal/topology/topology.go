// Package topology builds strongSwan's test network out of Linux network
// namespaces on one machine and runs commands inside its hosts.
//
// Every host gets its own network namespace (named <prefix>-<host>) and a
// long-lived holder process, started with unshare inside that namespace,
// which owns a private mount and UTS namespace: /etc is an overlay of the
// machine's /etc (so installed software keeps working) with the scenario's
// files copied on top, and /run, /var/log and /tmp are empty tmpfs mounts.
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
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
)

// File is a file to place in a host's /etc.
type File struct {
	Rel  string // slash-separated path below /etc
	Mode os.FileMode
	Data []byte
}

// Bind is a bind mount inside one host's mount namespace, used to put an
// implementation's binaries where the other implementation's would be.
type Bind struct {
	Source string // path in the root namespace
	Target string // existing path inside the host
}

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
	// Scratch is an empty directory owned by this topology. It must not be
	// below /tmp, /run or /var/log, which are replaced inside the hosts.
	Scratch string
	Hosts   []HostSpec
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// Topology is a built network. Close it.
type Topology struct {
	cfg     Config
	swNS    string
	hosts   map[string]*Host
	order   []*Host
	mu      sync.Mutex // guards created while hosts are set up in parallel
	created []string   // netns names, in creation order (the switch first)
	closed  bool
}

// bridges maps the segments to bridge names inside the switch namespace.
var bridges = map[hosts.Network]string{hosts.Internet: "br-inet", hosts.Net1: "br-net1", hosts.Net2: "br-net2"}

// Build creates the namespaces, links, addresses and holders. On error it
// removes whatever it created.
func Build(ctx context.Context, cfg Config) (t *Topology, err error) {
	if err := validatePrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	for _, shadowed := range []string{"/tmp", "/run", "/var/log"} {
		if cfg.Scratch == shadowed || strings.HasPrefix(cfg.Scratch, shadowed+"/") {
			return nil, fmt.Errorf("scratch %s is below %s, which hosts replace", cfg.Scratch, shadowed)
		}
	}
	t = &Topology{cfg: cfg, swNS: cfg.Prefix + "-sw", hosts: map[string]*Host{}}
	t0 := time.Now()
	var tLinks, tAddrs time.Time
	defer func() {
		if err != nil {
			t.Close()
			t = nil
		}
	}()
	if err := os.MkdirAll(cfg.Scratch, 0o700); err != nil {
		return t, err
	}
	if err := writeOwner(cfg.Scratch); err != nil {
		return t, err
	}
	if err := t.addNetNS(ctx, t.swNS); err != nil {
		return t, err
	}
	var sw bytes.Buffer
	for _, br := range []string{bridges[hosts.Internet], bridges[hosts.Net1], bridges[hosts.Net2]} {
		fmt.Fprintf(&sw, "link add %s type bridge\nlink set %s up\n", br, br)
	}
	for _, spec := range cfg.Hosts {
		hp, ok := hosts.Lookup(spec.Name)
		if !ok {
			return t, fmt.Errorf("unknown host %q", spec.Name)
		}
		h := &Host{Name: spec.Name, NetNS: cfg.Prefix + "-" + spec.Name, plan: hp, spec: spec, topo: t}
		t.hosts[h.Name] = h
		t.order = append(t.order, h)
		for _, ifc := range hp.Ifaces {
			peer := h.Name + "-" + ifc.Name
			fmt.Fprintf(&sw, "link add %s type veth peer name %s netns %s\n", peer, ifc.Name, h.NetNS)
			fmt.Fprintf(&sw, "link set %s master %s up\n", peer, bridges[ifc.Net])
		}
	}
	// Each step below runs for all hosts in parallel: every step is a few
	// processes per host, which adds up on a slow machine (the kernel
	// lane's TCG guest).
	if err := t.eachHost(func(h *Host) error { return t.addNetNS(ctx, h.NetNS) }); err != nil {
		return t, err
	}
	tLinks = time.Now()
	if err := ipBatch(ctx, t.swNS, sw.String()); err != nil {
		return t, err
	}
	if err := t.eachHost(func(h *Host) error { return ipBatch(ctx, h.NetNS, h.addressing()) }); err != nil {
		return t, err
	}
	tAddrs = time.Now()
	if err := t.eachHost(func(h *Host) error { return h.startHolder(ctx, filepath.Join(cfg.Scratch, h.Name)) }); err != nil {
		return t, err
	}
	t.logf("topology %s: %d hosts up in %.2fs (namespaces %.2fs, links and addresses %.2fs, holders %.2fs)",
		cfg.Prefix, len(t.order), time.Since(t0).Seconds(), tLinks.Sub(t0).Seconds(),
		tAddrs.Sub(tLinks).Seconds(), time.Since(tAddrs).Seconds())
	return t, nil
}

// eachHost runs fn for every host in parallel; the error names the hosts
// that failed.
func (t *Topology) eachHost(fn func(*Host) error) error {
	errs := make([]error, len(t.order))
	var wg sync.WaitGroup
	for i, h := range t.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(h); err != nil {
				errs[i] = fmt.Errorf("host %s: %w", h.Name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// validatePrefix keeps namespace names short and harmless.
func validatePrefix(p string) error {
	if len(p) < 3 || len(p) > 20 {
		return fmt.Errorf("namespace prefix %q: want 3 to 20 characters", p)
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("namespace prefix %q: only a-z and 0-9", p)
		}
	}
	return nil
}

func (t *Topology) logf(format string, args ...any) {
	if t.cfg.Logf != nil {
		t.cfg.Logf(format, args...)
	}
}

// addNetNS creates a network namespace and records it (also on disk, for
// CleanupStale) before anything else can fail. It may run for several
// hosts at once; the switch's namespace must be the first.
func (t *Topology) addNetNS(ctx context.Context, name string) error {
	if _, err := os.Stat("/run/netns/" + name); err == nil {
		return fmt.Errorf("network namespace %s already exists (another run with the same prefix?)", name)
	}
	if out, err := exec.CommandContext(ctx, "ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add %s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.created = append(t.created, name)
	f, err := os.OpenFile(filepath.Join(t.cfg.Scratch, "netns"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, name)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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
	errs := teardown(t.created, t.cfg.Logf)
	if err := os.RemoveAll(t.cfg.Scratch); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// teardown kills the processes of the named namespaces and deletes them.
// The namespaces are emptied together (one grace period for all, not one
// each) and then deleted, hosts first and the switch last: nothing runs in
// the switch, but its bridges keep the veth peers until it goes.
func teardown(names []string, logf func(string, ...any)) []error {
	var errs []error
	type entry struct {
		name string
		ns   nsID
	}
	var live []entry
	for i := len(names) - 1; i >= 0; i-- {
		ns, err := nsOfFile("/run/netns/" + names[i])
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		live = append(live, entry{names[i], ns})
	}
	set := make([]nsID, len(live))
	for i, e := range live {
		set[i] = e.ns
	}
	if forced := killNetNSs(set, 2*time.Second); len(forced) > 0 && logf != nil {
		logf("teardown: killed %s", strings.Join(forced, ", "))
	}
	del := func(e entry) error {
		if left := procsInNetNS(e.ns); len(left) > 0 {
			return fmt.Errorf("%s: processes survive SIGKILL: %v", e.name, left)
		}
		if out, err := exec.Command("ip", "netns", "del", e.name).CombinedOutput(); err != nil {
			return fmt.Errorf("ip netns del %s: %v: %s", e.name, err, bytes.TrimSpace(out))
		}
		return nil
	}
	// live is in reverse creation order: the switch, created first, is
	// deleted last, after the hosts (which go in parallel).
	last := len(live) - 1
	if last >= 0 && live[last].name == names[0] {
		derrs := make([]error, last)
		var wg sync.WaitGroup
		for i, e := range live[:last] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				derrs[i] = del(e)
			}()
		}
		wg.Wait()
		errs = append(errs, derrs...)
		live = live[last:]
	}
	for _, e := range live {
		if err := del(e); err != nil {
			errs = append(errs, err)
		}
	}
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
