package nshost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scratch is a directory owned by one process: it holds the files of the
// hosts made in it and the list of network namespaces created for them.
// The owner (PID and start time) is recorded in it, so that CleanupStale
// can tell a live run from one that was killed outright and remove what
// the dead one left: its namespaces, its processes, its files.
type Scratch struct {
	Dir   string
	mu    sync.Mutex
	netns []string // created here, in order
	hosts []*Host  // started here, closed by Teardown
}

// MakeScratch creates the directory base/name (which must not exist) and
// records this process as its owner. base must not be below /tmp, /run or
// /var/log, which hosts usually replace.
func MakeScratch(base, name string) (*Scratch, error) {
	if err := checkScratch(base); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, err
	}
	dir := filepath.Join(base, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	return &Scratch{Dir: dir}, writeOwner(dir)
}

// ScratchAt is MakeScratch for a directory that may exist already.
func ScratchAt(dir string) (*Scratch, error) {
	if err := checkScratch(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Scratch{Dir: dir}, writeOwner(dir)
}

func checkScratch(dir string) error {
	for _, shadowed := range []string{"/tmp", "/run", "/var/log"} {
		if dir == shadowed || strings.HasPrefix(dir, shadowed+"/") {
			return fmt.Errorf("scratch %s is below %s, which hosts replace", dir, shadowed)
		}
	}
	return nil
}

// AddNetNS creates a network namespace and records it (on disk, for
// CleanupStale, and for Teardown) before anything else can fail. ip is not
// cancelled half-way: a cancelled ctx stops it from starting only.
func (s *Scratch) AddNetNS(ctx context.Context, name string) error {
	if err := validateNetNS(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := os.Stat("/run/netns/" + name); err == nil {
		return fmt.Errorf("network namespace %s already exists (another run with the same prefix?)", name)
	}
	if err := s.record(name); err != nil {
		return err
	}
	// Outside the lock: hosts are started in parallel.
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add %s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	return nil
}

// record adds a namespace name to the scratch's list and to its netns file.
func (s *Scratch) record(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(s.Dir, "netns"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, name)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	s.netns = append(s.netns, name)
	return nil
}

// addHost records a started host, for Teardown to close.
func (s *Scratch) addHost(h *Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts = append(s.hosts, h)
}

// Teardown closes the hosts started here and ends the processes of every
// network namespace created here, also those of hosts whose start failed
// half-way, and deletes them, all in one go (see Teardown): the first
// namespace created is deleted last.
func (s *Scratch) Teardown(logf func(string, ...any)) []error {
	s.mu.Lock()
	names := append([]string(nil), s.netns...)
	for _, h := range s.hosts {
		h.closed = true
	}
	s.mu.Unlock()
	return Teardown(names, logf)
}

// Remove removes the scratch directory.
func (s *Scratch) Remove() error { return os.RemoveAll(s.Dir) }

// validateNetNS keeps namespace names short and harmless: a prefix of 3 to
// 20 characters a-z0-9, a dash, and a host name.
func validateNetNS(name string) error {
	prefix, host, ok := strings.Cut(name, "-")
	if !ok || host == "" {
		return fmt.Errorf("network namespace %q: want PREFIX-HOST", name)
	}
	if err := ValidatePrefix(prefix); err != nil {
		return err
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("network namespace %q: only a-z, 0-9 and - in the host name", name)
		}
	}
	return nil
}

// ValidatePrefix checks a namespace name prefix: 3 to 20 characters, a-z
// and 0-9 only.
func ValidatePrefix(p string) error {
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

// writeOwner records this process in the scratch directory.
func writeOwner(scratch string) error {
	t0, err := startTime(os.Getpid())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(scratch, "owner"), fmt.Appendf(nil, "%d %d\n", os.Getpid(), t0), 0o600)
}

// ownerAlive reports whether the process recorded in scratch still runs.
func ownerAlive(scratch string) bool {
	b, err := os.ReadFile(filepath.Join(scratch, "owner"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	want, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := startTime(pid)
	return err == nil && got == want
}

// CleanupStale removes the scratch directories under base whose owner no
// longer runs (killed with SIGKILL, machine hiccup): it ends the processes
// in the namespaces they recorded, deletes the namespaces and the
// directories. Only namespaces listed in a directory's netns file are
// touched, never anything found by name alone. It returns the directories
// it cleaned.
func CleanupStale(base string, logf func(string, ...any)) ([]string, error) {
	ents, err := os.ReadDir(base)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cleaned []string
	var errs []error
	for _, e := range ents {
		dir := filepath.Join(base, e.Name())
		if !e.IsDir() || ownerAlive(dir) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "owner")); err != nil {
			// Without an owner file the directory may be a live run's in the
			// moment between its creation and writeOwner; leave young ones.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) < time.Minute {
				continue
			}
		}
		var names []string
		if b, err := os.ReadFile(filepath.Join(dir, "netns")); err == nil {
			for _, n := range strings.Fields(string(b)) {
				if validateNetNS(n) == nil {
					names = append(names, n)
				}
			}
		}
		errs = append(errs, Teardown(names, logf)...)
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
		cleaned = append(cleaned, dir)
	}
	return cleaned, errors.Join(errs...)
}

// Teardown ends the processes of the named network namespaces (SIGTERM,
// then SIGKILL after two seconds, by PID through a pidfd) and deletes the
// namespaces. The namespaces are emptied together (one grace period for
// all, not one each); then all but the first are deleted in parallel and
// the first, the oldest, last: a topology's switch, whose bridges keep the
// veth peers of the hosts until it goes.
func Teardown(names []string, logf func(string, ...any)) []error {
	var errs []error
	type entry struct {
		name string
		ns   nsID
	}
	var live []entry
	for _, name := range names {
		ns, err := nsOfFile("/run/netns/" + name)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		live = append(live, entry{name, ns})
	}
	set := make([]nsID, len(live))
	for i, e := range live {
		set[i] = e.ns
	}
	if forced := killNetNSs(set, 2*time.Second); len(forced) > 0 && logf != nil {
		logf("teardown %s: killed %s", strings.Join(names, " "), strings.Join(forced, ", "))
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
	var first []entry
	if len(live) > 0 && live[0].name == names[0] {
		first, live = live[:1], live[1:]
	}
	derrs := make([]error, len(live))
	var wg sync.WaitGroup
	for i, e := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			derrs[i] = del(e)
		}()
	}
	wg.Wait()
	for _, e := range first {
		derrs = append(derrs, del(e))
	}
	for _, err := range derrs {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
