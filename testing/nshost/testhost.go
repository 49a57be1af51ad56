package nshost

import (
	"context"
	"crypto/rand"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/netbase"
	"github.com/goswan/goswan/testing/testenv"
)

// TestBase holds the scratch directories of test hosts.
const TestBase = "/var/tmp/goswan-nshost"

var staleOnce sync.Once

// Require skips t (fails it under GOSWAN_CI=1) unless hosts can be made
// here: root, ip, nsenter and unshare.
func Require(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t)
	for _, c := range []string{"ip", "nsenter", "unshare"} {
		testenv.RequireCommand(t, c)
	}
}

// TestEnv is the environment test hosts get when their Spec sets none: the
// usual PATH, root's HOME and the C locale, and nothing of the test
// process's environment but the race detector's and coverage settings
// (binaries built by `go test -race` run inside).
func TestEnv() []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C", "LC_ALL=C", "TERM=dumb"}
	for _, v := range []string{"GORACE", "GOCOVERDIR"} {
		if val, ok := os.LookupEnv(v); ok {
			env = append(env, v+"="+val)
		}
	}
	return env
}

// New makes hosts for t (Require first): each spec's NetNS is set to a
// fresh name, an unset Env to TestEnv(), an unset Private to /run only (so
// that a daemon's pid file and socket stay inside; the test's own temporary
// directory in /tmp stays reachable). The hosts are closed, and their
// scratch directory removed, when t ends.
func New(t testing.TB, specs ...Spec) []*Host {
	t.Helper()
	Require(t)
	staleOnce.Do(func() {
		if _, err := CleanupStale(TestBase, t.Logf); err != nil {
			t.Logf("cleaning up after earlier runs: %v", err)
		}
	})
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := fmt.Sprintf("gsh%x", b)
	sc, err := MakeScratch(TestBase, prefix)
	if err != nil {
		t.Fatal(err)
	}
	var hosts []*Host
	t.Cleanup(func() {
		// All hosts in one go (Teardown), not one grace period each.
		for _, err := range sc.Teardown(t.Logf) {
			t.Error(err)
		}
		if err := sc.Remove(); err != nil {
			t.Error(err)
		}
	})
	for _, spec := range specs {
		spec.NetNS = prefix + "-" + spec.Name
		if spec.Env == nil {
			spec.Env = TestEnv()
		}
		if spec.Private == nil {
			spec.Private = []string{"/run"}
		}
		h, err := Start(context.Background(), sc, spec)
		if err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, h)
	}
	return hosts
}

// NewNetNS makes a bare network namespace for t, named PREFIX-name: no
// holder and no mount namespace, for tests that only need netlink and
// sockets in a namespace of their own (it works where nsenter and overlays
// do not, in the kernel lane's VM). It is recorded for CleanupStale and
// torn down (its processes ended, the namespace deleted) when t ends.
func NewNetNS(t testing.TB, name string) string {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "ip")
	staleOnce.Do(func() {
		if _, err := CleanupStale(TestBase, t.Logf); err != nil {
			t.Logf("cleaning up after earlier runs: %v", err)
		}
	})
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := fmt.Sprintf("gsh%x", b)
	sc, err := MakeScratch(TestBase, prefix)
	if err != nil {
		t.Fatal(err)
	}
	ns := prefix + "-" + name
	t.Cleanup(func() {
		for _, err := range sc.Teardown(t.Logf) {
			t.Error(err)
		}
		if err := sc.Remove(); err != nil {
			t.Error(err)
		}
	})
	if err := sc.AddNetNS(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns
}

// NewHost makes one host for t; see New.
func NewHost(t testing.TB, spec Spec) *Host {
	t.Helper()
	return New(t, spec)[0]
}

// Link connects two hosts with a veth pair, aIf in a and bIf in b, both
// down and unaddressed.
func Link(t testing.TB, a *Host, aIf string, b *Host, bIf string) {
	t.Helper()
	if out, err := exec.Command("ip", "-n", a.NetNS, "link", "add", aIf, "type", "veth",
		"peer", "name", bIf, "netns", b.NetNS).CombinedOutput(); err != nil {
		t.Fatalf("veth %s:%s - %s:%s: %v: %s", a.Name, aIf, b.Name, bIf, err, out)
	}
}

// Sh runs a shell script in the host and returns its standard output; an
// error or a non-zero exit fails t.
func (h *Host) Sh(t testing.TB, script string) string {
	t.Helper()
	r := h.Run(context.Background(), script, 60*time.Second)
	if r.Err != nil || r.ExitCode != 0 {
		t.Fatalf("%s# %s: exit %d, %v\n%s%s", h.Name, script, r.ExitCode, r.Err, r.Stdout, r.Stderr)
	}
	return string(r.Stdout)
}

// WriteFile writes a file inside the host (in its mount namespace); the
// path must be the host's own (Owns), or the write would reach the
// machine's file.
func (h *Host) WriteFile(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if !h.Owns(path) {
		t.Fatalf("%s: %s is the machine's, not the host's: give the host a file there (Spec.Files) or a private directory", h.Name, path)
	}
	p, err := h.Path(path)
	if err == nil {
		err = os.WriteFile(p, data, mode)
	}
	if err == nil {
		err = os.Chmod(p, mode)
	}
	if err != nil {
		t.Fatalf("%s: writing %s: %v", h.Name, path, err)
	}
}

// ReadFile reads a file inside the host; a missing file reads as empty.
func (h *Host) ReadFile(t testing.TB, path string) string {
	t.Helper()
	p, err := h.Path(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("%s: reading %s: %v", h.Name, path, err)
	}
	return string(b)
}

// Netbase returns Debian's /etc/protocols and /etc/services
// (testing/netbase) as files for a host, so that what runs inside resolves
// tcp/http and prints [tcp/ssh] the same on every machine.
func Netbase() []File {
	return []File{
		{Path: "/etc/protocols", Mode: 0o644, Data: []byte(netbase.Protocols)},
		{Path: "/etc/services", Mode: 0o644, Data: []byte(netbase.Services)},
	}
}

// DirFiles returns every regular file below dir (on this machine) as a
// file of a host below target, with its mode.
func DirFiles(t testing.TB, dir, target string) []File {
	t.Helper()
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, File{Path: filepath.Join(target, rel), Mode: info.Mode().Perm(), Data: b})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// String is the host's name and namespace, for messages.
func (h *Host) String() string { return h.Name + " (" + strings.TrimSpace(h.NetNS) + ")" }
