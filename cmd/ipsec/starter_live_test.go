package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/testing/testenv"
)

// The live starter test: goswan's `ipsec start` (this test binary acting as
// bin/ipsec, so the daemon is Debian's /usr/lib/ipsec/charon) in a host of
// its own (testing/nshost: network and mount namespaces, a tmpfs /run), as
// an operator would run it: start in the background, conns loaded into
// charon, ipsec update after an edit, ipsec reload, ipsec stop.

const liveStrongswanConf = `# goswan starter live test
charon {
	load = random nonce aes sha1 sha2 hmac kdf pem pkcs1 x509 gmp stroke kernel-netlink socket-default updown
	filelog {
		charonlog {
			path = /run/charon.log
			default = 1
			flush_line = yes
		}
	}
}
`

const liveSecrets = "@gw.gss.test : PSK \"gss-starter-live-secret\"\n"

func liveConf(conns string) string {
	return `# goswan starter live test
config setup

conn %default
	keyexchange=ikev2
	authby=psk
	left=192.0.2.1
	leftid=@gw.gss.test
	leftsubnet=10.1.0.0/16

` + conns
}

const liveConnsV1 = `conn keep
	right=192.0.2.2
	rightsubnet=10.2.0.0/16
	auto=add

conn change
	right=192.0.2.3
	rightsubnet=10.3.0.0/16
	auto=add

conn drop
	right=192.0.2.4
	auto=add

conn trap
	right=192.0.2.5
	rightsubnet=10.5.0.0/16
	auto=route
`

const liveConnsV2 = `conn keep
	right=192.0.2.2
	rightsubnet=10.2.0.0/16
	auto=add

conn change
	right=192.0.2.3
	rightsubnet=10.33.0.0/16
	auto=add

conn trap
	right=192.0.2.5
	rightsubnet=10.5.0.0/16
	auto=route

conn fresh
	right=192.0.2.6
	rightsubnet=10.6.0.0/16
	auto=route
`

// readPID reads a pid file inside the host's mount namespace (0 if none).
func (h *ipsecHost) readPID(t *testing.T, path string) int {
	t.Helper()
	pid, _ := strconv.Atoi(strings.TrimSpace(h.ReadFile(t, path)))
	return pid
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// liveStarter is the live starter test's host and its checks.
type liveStarter struct {
	t    *testing.T
	host *ipsecHost
}

// fail ends the test with charon's log.
func (l liveStarter) fail(format string, args ...any) {
	l.t.Helper()
	l.t.Fatalf(format+"\ncharon's log:\n%s", append(args, l.host.ReadFile(l.t, "/run/charon.log"))...)
}

// statusHas is a condition: `ipsec what` succeeds and shows every want.
func (l liveStarter) statusHas(what string, want ...string) func() bool {
	return func() bool {
		r := l.host.goswan(l.t, what)
		for _, w := range want {
			if !strings.Contains(r.out, w) {
				return false
			}
		}
		return r.rc == 0
	}
}

// newLiveStarter checks the prerequisites and makes the host.
func newLiveStarter(t *testing.T) liveStarter {
	testenv.Short(t)
	for _, c := range []string{"/usr/sbin/ipsec", "/usr/lib/ipsec/charon"} {
		testenv.RequireCommand(t, c)
	}
	testenv.RequirePlugins(t, "random", "nonce", "aes", "sha1", "sha2", "hmac", "kdf", "pem", "pkcs1", "x509", "gmp",
		"stroke", "kernel-netlink", "socket-default", "updown")
	// Under -race every run of this binary as ipsec would linger 1 s (the
	// host's environment takes GORACE from the test's).
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	// The daemon must be Debian's: the host's environment has no GOSWAN_*
	// variable, and no charon may sit next to the test binary.
	if exe, _ := os.Executable(); exists(filepath.Join(filepath.Dir(exe), "charon")) {
		t.Fatalf("a charon next to the test binary would be used instead of Debian's")
	}
	host := newIpsecHosts(t, []string{"gw"}, []map[string]string{{
		"/etc/strongswan.conf": liveStrongswanConf,
		"/etc/ipsec.conf":      liveConf(liveConnsV1),
		"/etc/ipsec.secrets":   liveSecrets,
	}})[0]
	host.ip(t, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
	host.ip(t, "addr", "add", "192.0.2.1/24", "dev", "eth0")
	host.ip(t, "addr", "add", "10.1.0.1/16", "dev", "lo")
	host.ip(t, "link", "set", "eth0", "up")
	host.ip(t, "link", "set", "lo", "up")
	return liveStarter{t: t, host: host}
}

// liveBanner is what ipsec start prints: strongswan.conf's charon.load
// brings Debian's warning.
const liveBanner = "Starting strongSwan 5.9.8 IPsec [starter]...\n" +
	"!! Your strongswan.conf contains manual plugin load options for charon.\n" +
	"!! This is recommended for experts only, see\n" +
	"!! https://docs.strongswan.org/docs/5.9/plugins/pluginLoad.html\n"

// start: the foreground part prints the banner and returns 0 once the
// background starter has written its pid file; charon comes up with the
// conns; a second start changes nothing. It returns starter's and
// charon's PIDs.
func (l liveStarter) start() (starterPID, charonPID int) {
	t, host := l.t, l.host
	r := host.goswan(t, "start")
	if r.rc != 0 || r.out != "" || r.err != liveBanner {
		l.fail("ipsec start: %+v", r)
	}
	starterPID = host.readPID(t, "/run/starter.charon.pid")
	if !alive(starterPID) {
		l.fail("no live starter after ipsec start (pid %d)", starterPID)
	}
	// The background starter is this binary, in its own session.
	if sid, _ := unix.Getsid(starterPID); sid != starterPID {
		t.Errorf("starter %d runs in session %d, want its own", starterPID, sid)
	}
	waitFor(t, 20*time.Second, "charon with the conns of ipsec.conf",
		l.statusHas("statusall", "keep:", "change:", "drop:", "trap:", "10.3.0.0/16"))
	waitFor(t, 10*time.Second, "the trap conn routed", l.statusHas("status", "Routed Connections:", "trap{"))
	charonPID = host.readPID(t, "/run/charon.pid")
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", charonPID)); err != nil || exe != "/usr/lib/ipsec/charon" {
		l.fail("charon pid %d runs %q (%v), want Debian's /usr/lib/ipsec/charon", charonPID, exe, err)
	}
	// Started by starter as Debian's starter does it: --use-syslog.
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", charonPID)); string(cmdline) != "/usr/lib/ipsec/charon\x00--use-syslog\x00" {
		t.Errorf("charon's command line %q", cmdline)
	}
	r = host.goswan(t, "start")
	wantAgain := liveBanner +
		"charon is already running (/var/run/charon.pid exists) -- skipping daemon start\n" +
		"starter is already running (/var/run/starter.charon.pid exists) -- no fork done\n"
	if r.rc != 0 || r.err != wantAgain {
		l.fail("second ipsec start: %+v", r)
	}
	return starterPID, charonPID
}

// update edits ipsec.conf in place and updates: drop goes, change changes,
// fresh comes and is routed, keep and trap stay, charon stays.
func (l liveStarter) update(charonPID int) {
	t, host := l.t, l.host
	host.WriteFile(t, "/etc/ipsec.conf", []byte(liveConf(liveConnsV2)), 0o600)
	r := host.goswan(t, "update")
	if r.rc != 0 || r.err != "Updating strongSwan IPsec configuration...\n" {
		l.fail("ipsec update: %+v", r)
	}
	waitFor(t, 10*time.Second, "the update in charon", func() bool {
		r := host.goswan(t, "statusall")
		return l.statusHas("statusall", "keep:", "change:", "trap:", "fresh:", "10.33.0.0/16")() &&
			!strings.Contains(r.out, "drop:") && !strings.Contains(r.out, "10.3.0.0/16")
	})
	waitFor(t, 10*time.Second, "fresh routed", l.statusHas("status", "trap{", "fresh{"))
	if pid := host.readPID(t, "/run/charon.pid"); pid != charonPID {
		t.Errorf("charon restarted by an update: pid %d, was %d", pid, charonPID)
	}
}

// stop: starter stops charon (SIGINT first, which charon takes as a
// shutdown) and both are gone, with their pid files, by the time the
// command returns.
func (l liveStarter) stop(starterPID, charonPID int) {
	t, host := l.t, l.host
	r := host.goswan(t, "stop")
	if r.rc != 0 || r.err != "Stopping strongSwan IPsec...\n" {
		l.fail("ipsec stop: %+v", r)
	}
	if alive(starterPID) || alive(charonPID) {
		l.fail("after ipsec stop: starter alive %v, charon alive %v", alive(starterPID), alive(charonPID))
	}
	for _, f := range []string{"/run/starter.charon.pid", "/run/charon.pid"} {
		if host.ReadFile(t, f) != "" {
			t.Errorf("%s left behind", f)
		}
	}
	if r := host.goswan(t, "status"); r.rc != 3 {
		t.Errorf("status after stop: %+v", r)
	}
	if log := host.ReadFile(t, "/run/charon.log"); !strings.Contains(log, "SIGINT received, shutting down") {
		t.Errorf("charon's log does not show SIGINT:\n%s", log)
	}
}

func TestStarterLiveWithDebianCharon(t *testing.T) {
	l := newLiveStarter(t)
	// Not running yet: the script's answers.
	if r := l.host.goswan(t, "stop"); r.rc != 0 || r.err != "Stopping strongSwan IPsec failed: starter is not running\n" {
		l.fail("stop before start: %+v", r)
	}
	if r := l.host.goswan(t, "update"); r.rc != 7 || r.err != "Updating strongSwan IPsec failed: starter is not running\n" {
		l.fail("update before start: %+v", r)
	}
	starterPID, charonPID := l.start()
	l.update(charonPID)
	// Debian's ipsec script drives goswan's starter through the same pid
	// file: its reload (SIGUSR1) deletes and re-adds everything.
	if r := l.host.debian(t, "reload"); r.rc != 0 || r.err != "Reloading strongSwan IPsec configuration...\n" {
		l.fail("Debian's ipsec reload: %+v", r)
	}
	waitFor(t, 10*time.Second, "the conns after reload",
		l.statusHas("statusall", "keep:", "change:", "trap:", "fresh:"))
	waitFor(t, 10*time.Second, "the routes after reload", l.statusHas("status", "trap{", "fresh{"))
	l.stop(starterPID, charonPID)
}
