package starter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/confparse/settings"
)

// These tests check what starter does around the daemon, against logs of
// Debian's starter 5.9.8 recorded by hand (unshare -m with a tmpfs /run and
// small scripts bound over /usr/lib/ipsec/charon, the conf being two conns
// "one" and "two"); their lines are quoted in the tests.

const twoConns = `config setup

conn one
	left=10.0.0.1
	right=10.0.0.2
	auto=add

conn two
	left=10.0.0.1
	right=10.0.0.3
	auto=route
`

func (h *harness) writeConf(content string) {
	h.t.Helper()
	if err := os.WriteFile(h.conf, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// logLines is the log with pids and times replaced, as the captures have it.
func logLines(s string) string {
	for _, v := range logVolatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// TestDaemonInitFailed: a daemon exiting with 64, 65 or 66 makes starter
// give up, without restarting it. Debian's starter, charon exiting 66:
//
//	Attempting to start charon...
//	child 20919 (charon) has quit (exit code 66)
//
//	charon has quit: initialization failed
//	charon refused to be started
//	ipsec starter stopped
func TestDaemonInitFailed(t *testing.T) {
	for code, why := range map[int]string{
		64: "integrity test of libstrongswan failed",
		65: "integrity test of charon failed",
		66: "initialization failed",
	} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			h := newHarness(t)
			t.Setenv(fakeExitEnv, fmt.Sprint(code))
			h.writeConf(twoConns)
			rc, exited := h.start()
			if !exited || rc != ExitSuccess {
				t.Fatalf("exited %v with %d, want starter to stop with 0", exited, rc)
			}
			want := fmt.Sprintf("Attempting to start charon...\nchild X (charon) has quit (exit code %d)\n\n"+
				"charon has quit: %s\ncharon refused to be started\nipsec starter stopped\n", code, why)
			if got := logLines(h.stderr.String()); !strings.HasSuffix(got, want) {
				t.Errorf("log:\n%s\nwant it to end with\n%s", got, want)
			}
			if exists(filepath.Join(h.env.PIDDir, "starter.charon.pid")) {
				t.Error("starter's pid file left behind")
			}
		})
	}
}

// TestDaemonRefusedIsRestarted: a daemon that exits before it wrote its pid
// file is started again 5 s later, for ever. Debian's, charon exiting 1:
//
//	Attempting to start charon...
//	child 20924 (charon) has quit (exit code 1)
//
//	charon has died -- restart scheduled (5sec)
//	charon refused to be started
//	Attempting to start charon...
//	...
func TestDaemonRefusedIsRestarted(t *testing.T) {
	h := newHarness(t)
	t.Setenv(fakeExitEnv, "1")
	h.writeConf(twoConns)
	if _, exited := h.start(); exited {
		t.Fatalf("starter exited:\n%s", h.stderr.String())
	}
	attempt := "Attempting to start charon...\nchild X (charon) has quit (exit code 1)\n\n" +
		"charon has died -- restart scheduled (5sec)\ncharon refused to be started\n"
	for strings.Count(logLines(h.stderr.String()), attempt) < 3 {
		if _, exited := h.waitIdle(); exited {
			t.Fatalf("starter exited:\n%s", h.stderr.String())
		}
	}
	if rc := h.stop(); rc != ExitSuccess {
		t.Errorf("stop: %d", rc)
	}
	if len(h.messages()) != 0 {
		t.Error("messages sent to a daemon that never came up")
	}
}

// TestDaemonTooSlow: a daemon that does not write its pid file in time is
// killed (SIGINT, SIGTERM, SIGKILL) and started again later.
func TestDaemonTooSlow(t *testing.T) {
	h := newHarness(t)
	t.Setenv(fakeNoPIDEnv, "1")
	t.Setenv(fakeStubbornEnv, "1")
	startPoll, startPolls = time.Millisecond, 500
	h.writeConf(twoConns)
	if _, exited := h.start(); exited {
		t.Fatalf("starter exited:\n%s", h.stderr.String())
	}
	want := "Attempting to start charon...\ncharon too long to start... - kill kill\n" +
		"child X (charon) has been killed by sig 9\n\ncharon has died -- restart scheduled (5sec)\n"
	if got := logLines(h.stderr.String()); !strings.Contains(got, want) {
		t.Errorf("log:\n%s\nwant\n%s", got, want)
	}
}

// TestStubbornDaemonIsKilled: a daemon that ignores SIGINT and SIGTERM gets
// SIGKILL after 40 tries. Debian's (reference capture starter_full.log):
//
//	child 8878 (charon) has been killed by sig 9
//
//	starter_stop_charon(): charon does not respond, sending KILL
//	charon stopped after 8200 ms
//	ipsec starter stopped
func TestStubbornDaemonIsKilled(t *testing.T) {
	h := newHarness(t)
	t.Setenv(fakeStubbornEnv, "1")
	stopPoll = time.Millisecond
	h.writeConf(twoConns)
	if _, exited := h.start(); exited {
		t.Fatalf("starter exited:\n%s", h.stderr.String())
	}
	if rc := h.stop(); rc != ExitSuccess {
		t.Errorf("stop: %d", rc)
	}
	got := logLines(h.stderr.String())
	if !strings.Contains(got, "starter_stop_charon(): charon does not respond, sending KILL\n") ||
		!strings.Contains(got, "child X (charon) has been killed by sig 9\n\n") ||
		!strings.HasSuffix(got, "charon stopped after X ms\nipsec starter stopped\n") {
		t.Errorf("log:\n%s", got)
	}
}

// TestQuitSignals: SIGTERM, SIGINT and SIGQUIT stop the daemon and starter,
// and the pid files go.
func TestQuitSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			h := newHarness(t)
			h.writeConf(twoConns)
			if _, exited := h.start(); exited {
				t.Fatalf("starter exited:\n%s", h.stderr.String())
			}
			for _, f := range []string{"charon.pid", "starter.charon.pid"} {
				if !exists(filepath.Join(h.env.PIDDir, f)) {
					t.Errorf("%s missing while running", f)
				}
			}
			h.sigs <- sig
			if rc := <-h.done; rc != ExitSuccess {
				t.Errorf("exit %d", rc)
			}
			h.running = false
			for _, f := range []string{"charon.pid", "starter.charon.pid"} {
				if exists(filepath.Join(h.env.PIDDir, f)) {
					t.Errorf("%s left behind", f)
				}
			}
			want := "child X (charon) has quit (exit code 0)\n\ncharon stopped after X ms\nipsec starter stopped\n"
			if got := logLines(h.stderr.String()); !strings.HasSuffix(got, want) {
				t.Errorf("log:\n%s", got)
			}
		})
	}
}

// TestAlreadyRunning: a live daemon pid file makes starter skip starting
// one (and then it has nobody to send the conns to); a live starter pid
// file makes it exit 0. Debian's, with a live /var/run/charon.pid and a
// garbage /var/run/starter.charon.pid:
//
//	Starting strongSwan 5.9.8 IPsec [starter]...
//	charon is already running (/var/run/charon.pid exists) -- skipping daemon start
//	Loading config setup
//	Loading conn 'one'
//	Loading conn 'two'
//	removing pidfile '/var/run/starter.charon.pid', process not running
//	ipsec starter stopped
func TestAlreadyRunning(t *testing.T) {
	h := newHarness(t)
	h.writeConf(twoConns)
	charonPID := filepath.Join(h.env.PIDDir, "charon.pid")
	starterPID := filepath.Join(h.env.PIDDir, "starter.charon.pid")
	live := fmt.Sprintf("%d\n", os.Getppid())
	os.WriteFile(charonPID, []byte(live), 0o644)
	os.WriteFile(starterPID, []byte("garbage\n"), 0o644)
	if _, exited := h.start(); exited {
		t.Fatalf("starter exited:\n%s", h.stderr.String())
	}
	if rc := h.stop(); rc != ExitSuccess {
		t.Errorf("stop: %d", rc)
	}
	want := fmt.Sprintf("Starting strongSwan 5.9.8 IPsec [starter]...\n"+
		"charon is already running (%s exists) -- skipping daemon start\n"+
		"Loading config setup\nLoading conn 'one'\nLoading conn 'two'\n"+
		"removing pidfile '%s', process not running\nipsec starter stopped\n", charonPID, starterPID)
	if got := h.stderr.String(); got != want {
		t.Errorf("log:\n%s\nwant\n%s", got, want)
	}
	if len(h.messages()) != 0 {
		t.Error("messages sent to a daemon starter did not start")
	}
	if b, _ := os.ReadFile(charonPID); string(b) != live {
		t.Error("the running daemon's pid file was touched")
	}

	h2 := newHarness(t)
	h2.writeConf(twoConns)
	other := filepath.Join(h2.env.PIDDir, "starter.charon.pid")
	os.WriteFile(other, []byte(live), 0o644)
	rc, exited := h2.start()
	if !exited || rc != ExitSuccess {
		t.Fatalf("second starter: exited %v rc %d", exited, rc)
	}
	if want := fmt.Sprintf("starter is already running (%s exists) -- no fork done\n", other); !strings.HasSuffix(h2.stderr.String(), want) {
		t.Errorf("log:\n%s", h2.stderr.String())
	}
}

// TestRefusals: the checks before starter does anything, with Debian's
// messages and exit codes.
func TestRefusals(t *testing.T) {
	h := newHarness(t)
	h.writeConf(twoConns)
	h.env.IPsecDir = t.TempDir()
	rc, exited := h.start()
	if want := "IKE daemon '" + h.env.IPsecDir + "/charon' not found\n"; !exited || rc != ExitFailure || h.stderr.String() != want {
		t.Errorf("no daemon: exited %v rc %d log %q, want 1 and %q", exited, rc, h.stderr.String(), want)
	}

	h = newHarness(t)
	missing := filepath.Join(h.dir, "nonexistent.conf")
	rc, exited = h.run("--nofork", "--conf", missing)
	want := "Starting strongSwan 5.9.8 IPsec [starter]...\n" +
		"no files found matching '" + missing + "'\nfailed to open config file '" + missing + "'\n" +
		"unable to start strongSwan -- fatal errors in config\n"
	if !exited || rc != ExitInvalidArgument || h.stderr.String() != want {
		t.Errorf("no ipsec.conf: exited %v rc %d log\n%s\nwant\n%s", exited, rc, h.stderr.String(), want)
	}

	h = newHarness(t)
	rc, exited = h.run("--bogus")
	if !exited || rc != ExitInvalidArgument || h.stderr.String() != Usage {
		t.Errorf("bad option: exited %v rc %d log %q", exited, rc, h.stderr.String())
	}
}

// TestConfTest is starter --conftest. Debian's:
//
//	$ starter --conftest --conf a.conf          → config OK (0)
//	$ starter --conftest --conf /nonexist       → no files found matching '/nonexist'
//	                                              failed to open config file '/nonexist'
//	                                              config invalid! (2)
func TestConfTest(t *testing.T) {
	h := newHarness(t)
	h.writeConf(twoConns)
	if rc, exited := h.run("--conftest", "--conf", h.conf); !exited || rc != 0 || h.stderr.String() != "config OK\n" {
		t.Errorf("good file: rc %d log %q", rc, h.stderr.String())
	}
	h = newHarness(t)
	rc, exited := h.run("--conftest", "--conf", "/nonexist")
	want := "no files found matching '/nonexist'\nfailed to open config file '/nonexist'\nconfig invalid!\n"
	if !exited || rc != ExitInvalidArgument || h.stderr.String() != want {
		t.Errorf("missing file: rc %d log %q", rc, h.stderr.String())
	}
}

// TestStrongswanConf: starter.config_file, the load warning, weakSwan and
// the daemon's stroke socket setting. Debian's, with charon.load and
// i_dont_care_about_security_and_use_aggressive_mode_psk set and the stroke
// socket moved:
//
//	Starting weakSwan 5.9.8 IPsec [starter]...
//	!! Your strongswan.conf contains manual plugin load options for charon.
//	!! This is recommended for experts only, see
//	!! https://docs.strongswan.org/docs/5.9/plugins/pluginLoad.html
//	...
//	connecting to 'unix:///run/other.ctl' failed: No such file or directory
//	failed to connect to stroke socket 'unix:///run/other.ctl'
func TestStrongswanConf(t *testing.T) {
	h := newHarness(t)
	h.writeConf(twoConns)
	other := filepath.Join(h.dir, "other.ctl")
	s, err := settings.Parse("strongswan.conf", []byte(fmt.Sprintf(`
starter {
	config_file = %s
}
charon {
	load = random nonce
	i_dont_care_about_security_and_use_aggressive_mode_psk = yes
	plugins {
		stroke {
			socket = unix://%s
		}
	}
}
`, h.conf, other)), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.env.Settings = s
	if _, exited := h.run("--nofork"); exited {
		t.Fatalf("starter exited:\n%s", h.stderr.String())
	}
	if rc := h.stop(); rc != ExitSuccess {
		t.Errorf("stop: %d", rc)
	}
	fail := fmt.Sprintf("connecting to 'unix://%s' failed: No such file or directory\n"+
		"failed to connect to stroke socket 'unix://%s'\n", other, other)
	want := "Starting weakSwan 5.9.8 IPsec [starter]...\n" +
		"!! Your strongswan.conf contains manual plugin load options for charon.\n" +
		"!! This is recommended for experts only, see\n" +
		"!! https://docs.strongswan.org/docs/5.9/plugins/pluginLoad.html\n" +
		"charon (X) started after X ms\n" + fail + fail + fail +
		"charon stopped after X ms\nipsec starter stopped\n"
	if got := logLines(h.stderr.String()); got != want {
		t.Errorf("log:\n%s\nwant\n%s", got, want)
	}

	// starter.load_warning = no silences the warning.
	h = newHarness(t)
	s, _ = settings.Parse("strongswan.conf", []byte("starter.load_warning = no\ncharon.load = x\n"), nil)
	h.env.Settings = s
	h.env.IPsecDir = t.TempDir() // stops right after the warning would come
	h.env.AllowNonRoot = true
	h.start()
	if strings.Contains(h.stderr.String(), "!!") {
		t.Errorf("load warning despite starter.load_warning = no:\n%s", h.stderr.String())
	}
}

// TestAutoUpdate: --auto-update rereads ipsec.conf as SIGHUP does.
func TestAutoUpdate(t *testing.T) {
	h := newHarness(t)
	h.writeConf(twoConns)
	if _, exited := h.start("--auto-update", "1"); exited {
		t.Fatalf("starter exited:\n%s", h.stderr.String())
	}
	if n := len(h.messages()); n != 3 {
		t.Fatalf("%d messages at start, want 3", n)
	}
	h.writeConf(strings.Replace(twoConns, "10.0.0.3", "10.0.0.4", 1))
	for len(h.messages()) < 7 {
		if _, exited := h.waitIdle(); exited {
			t.Fatalf("starter exited:\n%s", h.stderr.String())
		}
	}
	if !strings.Contains(h.stderr.String(), "Reloading config...") {
		t.Errorf("no reload in the log:\n%s", h.stderr.String())
	}
	var got []string
	for _, f := range recorded(h.out)[3:] {
		got = append(got, strings.SplitN(filepath.Base(f), "_", 2)[1])
	}
	if strings.Join(got, " ") != "STR_UNROUTE.bin STR_DEL_CONN.bin STR_ADD_CONN.bin STR_ROUTE.bin" {
		t.Errorf("auto update sent %v", got)
	}
}

// TestBrokenStrongswanConf: libstrongswan reports a strongswan.conf it
// cannot use on stderr and starter goes on with the defaults. Debian's:
//
//	$ STRONGSWAN_CONF=/nonexist starter --conftest --conf a.conf
//	no files found matching '/nonexist'
//	abort initialization due to invalid configuration
//	config OK
func TestBrokenStrongswanConf(t *testing.T) {
	h := newHarness(t)
	h.writeConf(twoConns)
	h.env.Settings = nil
	missing := filepath.Join(h.dir, "nonexist")
	t.Setenv("STRONGSWAN_CONF", missing)
	rc, exited := h.run("--conftest", "--conf", h.conf)
	want := "no files found matching '" + missing + "'\nabort initialization due to invalid configuration\nconfig OK\n"
	if !exited || rc != 0 || h.stderr.String() != want {
		t.Errorf("rc %d log %q, want %q", rc, h.stderr.String(), want)
	}

	h = newHarness(t)
	h.writeConf(twoConns)
	h.env.Settings = nil
	broken := filepath.Join(h.dir, "strongswan.conf")
	os.WriteFile(broken, []byte("charon {\n  load = x\n"), 0o644)
	t.Setenv("STRONGSWAN_CONF", broken)
	rc, exited = h.run("--conftest", "--conf", h.conf)
	got := h.stderr.String()
	if !exited || rc != 0 || !strings.HasPrefix(got, broken+":") ||
		!strings.HasSuffix(got, "\nabort initialization due to invalid configuration\nconfig OK\n") {
		t.Errorf("rc %d log %q", rc, got)
	}
}
