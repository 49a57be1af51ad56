package nshost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPlanFiles: which directories a host overlays. Needs no root.
func TestPlanFiles(t *testing.T) {
	src := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(src, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := planFiles(Spec{
		Files: []File{
			{Path: "/etc/ipsec.conf"},
			{Path: "/etc/ipsec.d/private/key.pem"},
			{Path: "/usr/lib/goswan-nshost-none/a/b"},
			{Path: "/usr/lib/goswan-nshost-none/c"},
		},
		Binds: []Bind{
			{Source: src, Target: "/usr/sbin/goswan-nshost-none"},
			{Source: src, Target: "/bin/sh"}, // exists: a plain bind
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/etc", "/usr/lib", "/usr/sbin"}; !slices.Equal(p.overlays, want) {
		t.Errorf("overlays %v, want %v", p.overlays, want)
	}
	// The missing bind target gets a placeholder, the existing one none.
	var placeholders []string
	for _, f := range p.files[4:] {
		placeholders = append(placeholders, f.Path)
	}
	if want := []string{"/usr/sbin/goswan-nshost-none"}; !slices.Equal(placeholders, want) {
		t.Errorf("placeholders %v, want %v", placeholders, want)
	}
	for _, bad := range []Spec{
		{Files: []File{{Path: "relative"}}},
		{Files: []File{{Path: "/etc/../x"}}},
		{Files: []File{{Path: "/run/x"}}, Private: []string{"/run"}},
		{Files: []File{{Path: "/goswan-nshost-none"}}},
		{Binds: []Bind{{Source: "/nonexistent-goswan", Target: "/usr/sbin/x"}}},
	} {
		if _, err := planFiles(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestHost makes a host and checks what it promises: its files (also where
// the machine has no such directory), its binds (also from below /tmp, and
// onto a path the machine lacks), its private directories, and that none of
// it shows outside; Close leaves no namespace or process.
func TestHost(t *testing.T) {
	dir := t.TempDir() // below /tmp, which the host replaces
	prog := filepath.Join(dir, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho bound program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := NewHost(t, Spec{
		Name: "moon",
		Files: []File{
			{Path: "/etc/goswan-nshost-test/marker", Mode: 0o600, Data: []byte("marker\n")},
			{Path: "/usr/lib/goswan-nshost-test/sub/made", Mode: 0o644, Data: []byte("made\n")},
		},
		Binds:   []Bind{{Source: prog, Target: "/usr/sbin/goswan-nshost-test"}},
		Private: []string{"/run", "/tmp"},
	})
	out := h.Sh(t, "hostname; cat /etc/goswan-nshost-test/marker /usr/lib/goswan-nshost-test/sub/made; "+
		"stat -c %a /etc /usr/lib /etc/goswan-nshost-test/marker; goswan-nshost-test; "+
		"touch /run/gsn-x /tmp/gsn-x /etc/gsn-x; ls /tmp; ip -o link show | wc -l")
	want := "moon\nmarker\nmade\n755\n755\n600\nbound program\ngsn-x\n1\n"
	if out != want {
		t.Errorf("inside:\n%s\nwant:\n%s", out, want)
	}
	if got := h.ReadFile(t, "/tmp/gsn-x"); got != "" {
		t.Errorf("ReadFile: %q", got)
	}
	h.WriteFile(t, "/run/gsn-y", []byte("y\n"), 0o640)
	for path, own := range map[string]bool{"/run/gsn-y": true, "/etc/goswan-nshost-test/new": true, "/usr/lib/x": true,
		"/usr/sbin/x": true, "/usr/bin/x": false, "/var/x": false, "/tmp/gsn-x": true, "/run": false} {
		if h.Owns(path) != own {
			t.Errorf("Owns(%s) = %v", path, !own)
		}
	}
	if out := h.Sh(t, "cat /run/gsn-y; stat -c %a /run/gsn-y"); out != "y\n640\n" {
		t.Errorf("WriteFile: %q", out)
	}
	// (names of the test's own: a machine may well have a /tmp/x)
	for _, p := range []string{"/etc/goswan-nshost-test", "/usr/lib/goswan-nshost-test", "/usr/sbin/goswan-nshost-test",
		"/run/gsn-x", "/run/gsn-y", "/tmp/gsn-x", "/etc/gsn-x"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s shows outside the host", p)
		}
	}
	// A daemon that left the command's process group is ended by Close.
	if r := h.Run(context.Background(), "setsid sleep 301 </dev/null >/dev/null 2>&1 &", 5*time.Second); r.ExitCode != 0 {
		t.Fatalf("starting a daemon: %v", r.Err)
	}
	if procs := h.Processes(); len(procs) != 1 || !strings.Contains(procs[0], "sleep 301") {
		t.Errorf("Processes() = %v, want the sleep", procs)
	}
	// A command that hangs is killed at its timeout.
	if r := h.Run(context.Background(), "sleep 30", 200*time.Millisecond); r.Err == nil || r.Duration > 5*time.Second {
		t.Errorf("hanging command: err %v after %v", r.Err, r.Duration)
	}
	netID := h.netID
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/run/netns/" + h.NetNS); err == nil {
		t.Errorf("namespace %s survived", h.NetNS)
	}
	if left := procsInNetNS(netID); len(left) > 0 {
		t.Errorf("processes survived: %v", left)
	}
	if r := h.Run(context.Background(), "true", time.Second); !errors.Is(r.Err, ErrOutside) {
		t.Errorf("Run after Close: %v, want ErrOutside", r.Err)
	}
}

// TestRefusesForeignNamespaces checks that a host whose recorded namespaces
// no longer match (here: pointed at this process's own) refuses to run.
func TestRefusesForeignNamespaces(t *testing.T) {
	h := NewHost(t, Spec{Name: "moon"})
	own, err := selfNS("net")
	if err != nil {
		t.Fatal(err)
	}
	saved := h.netID
	h.netID = own
	if r := h.Run(context.Background(), "touch /tmp/should-not-exist", time.Second); !errors.Is(r.Err, ErrOutside) {
		t.Errorf("got %v, want ErrOutside", r.Err)
	}
	h.netID = saved
	savedPID := h.holderPID
	h.holderPID = os.Getpid()
	if r := h.Run(context.Background(), "true", time.Second); !errors.Is(r.Err, ErrOutside) {
		t.Errorf("with a foreign holder: %v, want ErrOutside", r.Err)
	}
	if _, err := h.Path("/etc"); !errors.Is(err, ErrOutside) {
		t.Errorf("Path with a foreign holder: %v, want ErrOutside", err)
	}
	h.holderPID = savedPID
	if r := h.Run(context.Background(), "true", time.Second); r.Err != nil {
		t.Errorf("restored host: %v", r.Err)
	}
}

// TestCleanupStale checks that the namespaces of a run whose owner died are
// removed by the next run, and that a live run's are left alone.
func TestCleanupStale(t *testing.T) {
	Require(t)
	base := filepath.Join(TestBase, "stale-test")
	sc, err := MakeScratch(base, "gshstale"+strings.ReplaceAll(time.Now().Format("150405.000"), ".", ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	h, err := Start(context.Background(), sc, Spec{Name: "moon", NetNS: filepath.Base(sc.Dir) + "-moon", Env: TestEnv()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if cleaned, _ := CleanupStale(base, t.Logf); slices.Contains(cleaned, sc.Dir) {
		t.Fatal("cleaned a live run")
	}
	// Pretend the owner died: PID 1 never has a start time of 0.
	if err := os.WriteFile(filepath.Join(sc.Dir, "owner"), []byte("1 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cleaned, err := CleanupStale(base, t.Logf)
	if err != nil {
		t.Error(err)
	}
	if !slices.Contains(cleaned, sc.Dir) {
		t.Fatalf("cleaned %v, want %s", cleaned, sc.Dir)
	}
	if _, err := os.Stat("/run/netns/" + h.NetNS); err == nil {
		t.Errorf("namespace %s survived", h.NetNS)
	}
}
