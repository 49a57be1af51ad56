package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The script-level commands around the starter, with the pid files in a
// private directory and, as targets, only processes this test starts. The
// expected texts are what Debian's /usr/sbin/ipsec (dash) prints, less
// dash's "/usr/sbin/ipsec: 301:" prefix on kill's complaints.

// proc is a process the test started, reaped as soon as it ends (a zombie
// would still answer kill -0).
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	out.Read(buf) // "ready": its signal dispositions are set
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

// sleeper starts a process that dies of the signals the commands send.
func sleeper(t *testing.T) *proc {
	return startProc(t, "sh", "-c", "echo ready; exec sleep 1000")
}

// signal waits (a bounded time) for the process to end and returns the
// signal that ended it.
func (p *proc) signal(t *testing.T) syscall.Signal {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the process did not end")
	}
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() {
		return 0
	}
	return ws.Signal()
}

// pidDirEnv moves the pid files and the subsys lock into a temporary
// directory.
func pidDirEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	saved := lockDir
	lockDir = filepath.Join(dir, "subsys")
	os.Mkdir(lockDir, 0o755)
	t.Cleanup(func() { lockDir = saved })
	t.Setenv("GOSWAN_PIDDIR", dir)
	t.Setenv("DAEMON_NAME", "")
	t.Setenv("GOSWAN_STARTER_PID", "")
	t.Setenv("GOSWAN_CHARON_PID", "")
	return filepath.Join(dir, "starter.charon.pid")
}

func TestStopReloadUpdateWithoutStarter(t *testing.T) {
	pidDirEnv(t)
	for _, tc := range []struct {
		cmd, err string
		rc       int
	}{
		{"stop", "Stopping strongSwan IPsec failed: starter is not running\n", 0},
		{"reload", "Reloading strongSwan IPsec failed: starter is not running\n", 7},
		{"update", "Updating strongSwan IPsec failed: starter is not running\n", 7},
	} {
		out, errOut, rc := runIpsec(t, "", tc.cmd)
		if rc != tc.rc || out != "" || errOut != tc.err {
			t.Errorf("%s: rc %d out %q err %q, want %d %q", tc.cmd, rc, out, errOut, tc.rc, tc.err)
		}
	}
}

func TestStopReloadUpdateSignalTheStarter(t *testing.T) {
	pidFile := pidDirEnv(t)
	for _, tc := range []struct {
		cmd, err string
		sig      syscall.Signal
	}{
		{"reload", "Reloading strongSwan IPsec configuration...\n", syscall.SIGUSR1},
		{"update", "Updating strongSwan IPsec configuration...\n", syscall.SIGHUP},
		{"stop", "Stopping strongSwan IPsec...\n", syscall.SIGTERM},
	} {
		s := sleeper(t)
		os.WriteFile(pidFile, []byte(fmt.Sprintf("%d\n", s.cmd.Process.Pid)), 0o644)
		out, errOut, rc := runIpsec(t, "", tc.cmd)
		if rc != 0 || out != "" || errOut != tc.err {
			t.Errorf("%s: rc %d out %q err %q", tc.cmd, rc, out, errOut)
		}
		if sig := s.signal(t); sig != tc.sig {
			t.Errorf("%s: the starter ended by %v, want %v", tc.cmd, sig, tc.sig)
		}
		// The script removes the pid file only after SIGKILL; starter
		// removes its own.
		if _, err := os.Stat(pidFile); err != nil {
			t.Errorf("%s removed the pid file", tc.cmd)
		}
	}
}

// TestStopKillsAStubbornStarter: after 110 checks the script kills the
// starter and removes its pid file.
func TestStopKillsAStubbornStarter(t *testing.T) {
	pidFile := pidDirEnv(t)
	saved := stopPoll
	stopPoll = time.Millisecond
	defer func() { stopPoll = saved }()
	p := startProc(t, "sh", "-c", "trap '' TERM; echo ready; exec sleep 1000")
	os.WriteFile(pidFile, []byte(fmt.Sprintf("%d\n", p.cmd.Process.Pid)), 0o644)
	if _, errOut, rc := runIpsec(t, "", "stop"); rc != 0 || errOut != "Stopping strongSwan IPsec...\n" {
		t.Errorf("stop: rc %d err %q", rc, errOut)
	}
	if sig := p.signal(t); sig != syscall.SIGKILL {
		t.Errorf("stubborn starter ended by %v, want SIGKILL", sig)
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Error("pid file left after SIGKILL")
	}
}

// TestScriptPidFileOddities: what Debian's script does with pid files that
// hold no live pid (observed with dash 0.5.12):
//
//	(empty)   update: kill's usage, rc 0; reload: rc 7; stop: rc 0
//	abc       update: "kill: Illegal number: abc"; reload: rc 7
//	<dead>    update: "kill: No such process" and an empty line; reload: rc 7
func TestScriptPidFileOddities(t *testing.T) {
	pidFile := pidDirEnv(t)
	dead := exec.Command("true")
	dead.Run()
	deadPID := fmt.Sprint(dead.Process.Pid)
	for _, tc := range []struct{ content, updateErr string }{
		{"", "ipsec: kill: Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or\nkill -l [exitstatus]\n"},
		{" \n", "ipsec: kill: Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or\nkill -l [exitstatus]\n"},
		{"abc\n", "ipsec: kill: Illegal number: abc\n"},
		{deadPID + "\n", "ipsec: kill: No such process\n\n"},
		{"0\n", "ipsec: kill: Illegal number: 0\n"},
	} {
		os.WriteFile(pidFile, []byte(tc.content), 0o644)
		_, errOut, rc := runIpsec(t, "", "update")
		if want := "Updating strongSwan IPsec configuration...\n" + tc.updateErr; rc != 0 || errOut != want {
			t.Errorf("update with %q: rc %d err %q, want %q", tc.content, rc, errOut, want)
		}
		if _, errOut, rc := runIpsec(t, "", "reload"); rc != 7 || errOut != "Reloading strongSwan IPsec configuration...\n" {
			t.Errorf("reload with %q: rc %d err %q", tc.content, rc, errOut)
		}
		start := time.Now()
		if _, errOut, rc := runIpsec(t, "", "stop"); rc != 0 || errOut != "Stopping strongSwan IPsec...\n" {
			t.Errorf("stop with %q: rc %d err %q", tc.content, rc, errOut)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("stop with %q waited for nothing", tc.content)
		}
		if _, err := os.Stat(pidFile); err != nil {
			t.Errorf("stop with %q removed the pid file", tc.content)
		}
	}
}

// TestStartRefusesWithoutDaemon: ipsec start with nothing to start says so
// as starter does, exit 1; restart stops first.
func TestStartRefusesWithoutDaemon(t *testing.T) {
	pidDirEnv(t)
	empty := t.TempDir()
	t.Setenv("GOSWAN_IPSEC_DIR", empty)
	_, errOut, rc := runIpsec(t, "", "start")
	if want := "IKE daemon '" + empty + "/charon' not found\n"; rc != 1 || errOut != want {
		t.Errorf("start: rc %d err %q, want 1 %q", rc, errOut, want)
	}
	// The script touches the lock whatever starter then does.
	if _, err := os.Stat(filepath.Join(lockDir, "ipsec")); err != nil {
		t.Errorf("no subsys lock after start: %v", err)
	}
	saved := restartPause
	restartPause = 0
	defer func() { restartPause = saved }()
	_, errOut, rc = runIpsec(t, "", "restart", "--nofork")
	want := "Stopping strongSwan IPsec failed: starter is not running\nIKE daemon '" + empty + "/charon' not found\n"
	if rc != 1 || errOut != want {
		t.Errorf("restart: rc %d err %q, want 1 %q", rc, errOut, want)
	}
	runIpsec(t, "", "stop")
	if _, err := os.Stat(filepath.Join(lockDir, "ipsec")); err == nil {
		t.Error("subsys lock left after stop")
	}
	if _, errOut, rc := runIpsec(t, "", "start", "--bogus"); rc != 2 || !strings.HasPrefix(errOut, "Usage: starter [--nofork]") {
		t.Errorf("start --bogus: rc %d err %q", rc, errOut)
	}
}
