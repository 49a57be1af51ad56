package topology

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

func requireNamespaces(t *testing.T) {
	t.Helper()
	nshost.Require(t)
	testenv.RequireCommand(t, "ping")
}

func testPrefix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("gstt%x", b)
}

const testBase = "/var/tmp/goswan-testing"

func buildTest(t *testing.T, prefix string, names ...string) *Topology {
	t.Helper()
	var specs []HostSpec
	for _, n := range names {
		specs = append(specs, HostSpec{Name: n,
			Etc: []File{
				{Rel: "hostname", Mode: 0o644, Data: []byte(n + "\n")},
				{Rel: "goswan-topology-test/marker", Mode: 0o600, Data: []byte("host " + n + "\n")},
			},
			Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"},
		})
	}
	topo, err := Build(context.Background(), Config{Prefix: prefix, Scratch: filepath.Join(testBase, prefix+"-t"), Hosts: specs, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// TestTopology builds a small topology and checks the isolation the runner
// promises: each host has its own hostname, /etc, /run and /tmp, the segments
// route through the gateway, nothing shows in the root namespace, and
// teardown leaves no namespace, process or scratch file.
func TestTopology(t *testing.T) {
	requireNamespaces(t)
	prefix := testPrefix()
	topo := buildTest(t, prefix, "alice", "moon", "sun")
	defer topo.Close()
	ctx := context.Background()
	moon := topo.Host("moon")

	res := moon.Run(ctx, "hostname; cat /etc/goswan-topology-test/marker; stat -c %a /etc /etc/goswan-topology-test/marker; "+
		"touch /run/x /tmp/x /var/log/x /etc/x; ls /run/x /tmp/x; cat /proc/sys/net/ipv4/ip_forward; ip -4 -o addr show | awk '{print $2, $4}'", 5*time.Second)
	if res.Err != nil || res.ExitCode != 0 {
		t.Fatalf("moon: %v, exit %d: %s", res.Err, res.ExitCode, res.Stderr)
	}
	want := "moon\nhost moon\n755\n600\n/run/x\n/tmp/x\n1\nlo 127.0.0.1/8\neth0 192.168.0.1/24\neth1 10.1.0.1/16\n"
	if got := string(res.Stdout); got != want {
		t.Errorf("moon sees:\n%s\nwant:\n%s", got, want)
	}
	for _, p := range []string{"/etc/x", "/etc/goswan-topology-test", "/run/x", "/var/log/x"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s leaked into the root namespace", p)
		}
	}
	if res := topo.Host("sun").Run(ctx, "ls /run/x /tmp/x /var/log/x /etc/x 2>/dev/null; hostname", 5*time.Second); string(res.Stdout) != "sun\n" {
		t.Errorf("sun shares moon's files: %q", res.Stdout)
	}
	// alice reaches the internet side of moon through her default route;
	// she does not forward.
	if res := topo.Host("alice").Run(ctx, "cat /proc/sys/net/ipv4/ip_forward; ping -c 1 -W 2 192.168.0.1 >/dev/null", 5*time.Second); res.ExitCode != 0 || string(res.Stdout) != "0\n" {
		t.Errorf("alice: exit %d, %s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	// A background process and a daemon that escaped into its own session.
	if res := moon.Run(ctx, "sleep 300 & setsid sleep 301 </dev/null >/dev/null 2>&1 &", 5*time.Second); res.ExitCode != 0 {
		t.Fatalf("starting background processes: %v", res.Err)
	}
	if procs := moon.Processes(); len(procs) != 2 {
		t.Errorf("Processes() = %v, want the two sleeps", procs)
	}
	// A command that hangs is killed at its timeout.
	if res := moon.Run(ctx, "sleep 30", 200*time.Millisecond); res.Err == nil || res.Duration > 5*time.Second {
		t.Errorf("hanging command: err %v after %v", res.Err, res.Duration)
	}

	if err := topo.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"sw", "alice", "moon", "sun"} {
		if _, err := os.Stat("/run/netns/" + prefix + "-" + n); err == nil {
			t.Errorf("namespace %s-%s survived", prefix, n)
		}
	}
	if _, err := os.Stat(filepath.Join(testBase, prefix+"-t")); err == nil {
		t.Error("scratch directory survived")
	}
	if res := moon.Run(ctx, "true", time.Second); !errors.Is(res.Err, ErrOutside) {
		t.Errorf("Run after Close: %v, want ErrOutside", res.Err)
	}
}

// TestCleanupStale checks that the namespaces of a run whose runner died
// are removed by the next run, and that a live run's are left alone.
func TestCleanupStale(t *testing.T) {
	requireNamespaces(t)
	prefix := testPrefix()
	topo := buildTest(t, prefix, "moon")
	defer topo.Close()
	scratch := filepath.Join(testBase, prefix+"-t")
	if cleaned, _ := CleanupStale(testBase, t.Logf); contains(cleaned, scratch) {
		t.Fatal("cleaned a live run")
	}
	// Pretend the runner died: PID 1 never has a start time of 0.
	if err := os.WriteFile(filepath.Join(scratch, "owner"), []byte("1 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cleaned, err := CleanupStale(testBase, t.Logf)
	if err != nil {
		t.Error(err)
	}
	if !contains(cleaned, scratch) {
		t.Fatalf("cleaned %v, want %s", cleaned, scratch)
	}
	for _, n := range []string{"sw", "moon"} {
		if _, err := os.Stat("/run/netns/" + prefix + "-" + n); err == nil {
			t.Errorf("namespace %s-%s survived", prefix, n)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
