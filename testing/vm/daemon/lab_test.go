package daemon_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
)

// vmLab is a set of hosts, each a network namespace running goswan's
// starter and charon with its own configuration directory, for the tests
// that need more than moon and sun.
type vmLab struct {
	t     *testing.T
	bin   string
	hosts []*host
}

// newVMLab skips outside the kernel lane's guest and creates the hosts'
// namespaces (removed, with whatever runs in them, when the test ends).
func newVMLab(t *testing.T, names ...string) *vmLab {
	t.Helper()
	if os.Getenv("GOSWAN_VM") != "1" {
		t.Skip("needs a kernel with ESP: runs inside the kernel lane's VM (make vmtest)")
	}
	l := &vmLab{t: t, bin: os.Getenv("GOSWAN_BIN")}
	if l.bin == "" {
		t.Fatal("GOSWAN_BIN must name the directory with goswan's binaries")
	}
	root := t.TempDir()
	for _, n := range names {
		// A bare network namespace of testing/nshost, as startGateways
		// makes: torn down with whatever runs in it when t ends.
		h := &host{name: n, ns: nshost.NewNetNS(t, n), dir: filepath.Join(root, n)}
		l.hosts = append(l.hosts, h)
	}
	t.Cleanup(func() {
		for _, h := range l.hosts {
			if h.starter != nil && h.starter.ProcessState == nil {
				_ = h.starter.Process.Kill()
				_, _ = h.starter.Process.Wait()
			}
		}
	})
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, h := range l.hosts {
			b, _ := os.ReadFile(filepath.Join(h.dir, "charon.log"))
			s, _ := os.ReadFile(filepath.Join(h.dir, "starter.out"))
			st, _ := exec.Command("ip", "-n", h.ns, "xfrm", "state").CombinedOutput()
			t.Logf("%s starter:\n%s\n%s charon.log:\n%s\n%s xfrm state:\n%s", h.name, s, h.name, b, h.name, st)
		}
	})
	return l
}

// ip runs `ip -n NS args...` for h.
func (l *vmLab) ip(h *host, args ...string) string {
	l.t.Helper()
	return sh(l.t, append([]string{"ip", "-n", h.ns}, args...)...)
}

// link connects a and b with a veth pair named aDev and bDev, up.
func (l *vmLab) link(a *host, aDev string, b *host, bDev string) {
	l.t.Helper()
	sh(l.t, "ip", "link", "add", aDev, "type", "veth", "peer", "name", bDev)
	sh(l.t, "ip", "link", "set", aDev, "netns", a.ns)
	sh(l.t, "ip", "link", "set", bDev, "netns", b.ns)
	l.ip(a, "link", "set", aDev, "up")
	l.ip(b, "link", "set", bDev, "up")
	l.ip(a, "link", "set", "lo", "up")
	l.ip(b, "link", "set", "lo", "up")
}

// start writes h's configuration files (ipsec.conf, ipsec.secrets,
// strongswan.conf) and starts its starter in the foreground.
func (l *vmLab) start(h *host, files map[string]string) {
	l.t.Helper()
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		l.t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(h.dir, name), []byte(data), 0o600); err != nil {
			l.t.Fatal(err)
		}
	}
	log, err := os.Create(filepath.Join(h.dir, "starter.out"))
	if err != nil {
		l.t.Fatal(err)
	}
	h.starter = exec.Command("ip", "netns", "exec", h.ns, filepath.Join(l.bin, "ipsec"), "start", "--nofork")
	h.starter.Env = h.env(l.bin)
	h.starter.Stdout, h.starter.Stderr = log, log
	h.starter.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := h.starter.Start(); err != nil {
		l.t.Fatal(err)
	}
}

// ipsec runs goswan's ipsec on h.
func (l *vmLab) ipsec(h *host, args ...string) string {
	l.t.Helper()
	return h.ipsec(l.t, l.bin, args...)
}

// waitStatus waits until h's statusall contains every one of want.
func (l *vmLab) waitStatus(h *host, what string, want ...string) {
	l.t.Helper()
	h.waitFor(l.t, what, func() bool {
		st := l.ipsec(h, "statusall")
		for _, w := range want {
			if !strings.Contains(st, w) {
				return false
			}
		}
		return true
	})
}

// log is h's charon.log.
func (l *vmLab) log(h *host) string {
	b, _ := os.ReadFile(filepath.Join(h.dir, "charon.log"))
	return string(b)
}

// logHas checks that h's charon.log contains each line.
func (l *vmLab) logHas(h *host, lines ...string) {
	l.t.Helper()
	log := l.log(h)
	for _, line := range lines {
		if !strings.Contains(log, line) {
			l.t.Errorf("%s: charon.log lacks %q", h.name, line)
		}
	}
}

// ping6 pings from src to dst inside h; a failure ends the test.
func (l *vmLab) ping6(h *host, src, dst, what string) {
	l.t.Helper()
	if out, err := exec.Command("ip", "netns", "exec", h.ns, "ping6", "-c", "2", "-W", "2", "-I", src, dst).CombinedOutput(); err != nil {
		l.t.Fatalf("%s: ping %s: %v\n%s", h.name, what, err, out)
	}
}

// stop stops every host's starter (and so its charon) and waits for it.
func (l *vmLab) stop() {
	l.t.Helper()
	for _, h := range l.hosts {
		if err := h.starter.Process.Signal(syscall.SIGTERM); err != nil {
			l.t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- h.starter.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			l.t.Fatalf("%s: starter did not stop", h.name)
		}
	}
}

// execIn runs a command in h's namespace.
func execIn(h *host, args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", h.ns}, args...)...).CombinedOutput()
	return string(out), err
}
