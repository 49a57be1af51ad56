package starter

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/confparse/ipsecconf"
)

// invokecharon.c: starting, watching and stopping the IKE daemon.

// The pace of starter's waits; variables so that tests can run them fast.
var (
	// restartDelay is CHARON_RESTART_DELAY: a daemon that died is started
	// again this much later.
	restartDelay = restartDelaySeconds * time.Second
	// The daemon has startPolls × startPoll to write its pid file.
	startPoll  = 20 * time.Millisecond
	startPolls = 500
	// stopPoll is the pace at which starter signals a daemon it stops.
	stopPoll = 200 * time.Millisecond
	// killPoll is the pace at which it kills a daemon that did not come up.
	killPoll = 20 * time.Millisecond
	// stopKilledPoll and killKilledPoll are the same paces once the
	// daemon has been sent SIGKILL; starter does not tell them apart. A
	// test shortens the polls in which the daemon ignores a signal, but
	// not the wait for a SIGKILLed daemon to be reaped: a sleep ends as
	// soon as the daemon is reaped, so these bound the wait and do not
	// pace it.
	stopKilledPoll = stopPoll
	killKilledPoll = killPoll
	// gdbPoll is how often starter looks for the pid file of a daemon run
	// under gdb, which may take as long as the user likes.
	gdbPoll = 10 * time.Millisecond
)

const (
	restartDelaySeconds = 5
	// A daemon being stopped gets SIGINT, then SIGTERM until stopKillAt,
	// then SIGKILL until stopPolls.
	stopKillAt = 40
	stopPolls  = 50
	// A daemon that did not come up in time gets SIGINT, SIGTERM until
	// killTermUntil, then SIGKILL, killPolls times.
	killTermUntil = 10
	killPolls     = 20
	gdbPath       = "/usr/bin/gdb"
)

// Exit codes of strongSwan's daemons (utils.h SS_RC_*) that make starter
// give up instead of restarting the daemon.
const (
	rcLibIntegrity    = 64
	rcDaemonIntegrity = 65
	rcInitFailed      = 66
)

// childExit is the wait status of the daemon process.
type childExit struct {
	pid    int
	status syscall.WaitStatus
}

// charonPID is starter_charon_pid: the daemon's pid while it runs, 0
// otherwise. It first takes note of a daemon that has exited, as starter's
// SIGCHLD handler does at any moment.
func (s *starter) charonPID() int {
	for {
		select {
		case e := <-s.exits:
			s.reap(e)
		default:
			return s.pid
		}
	}
}

// running is daemonLink's view of charonPID.
func (s *starter) running() bool { return s.charonPID() != 0 }

// sleep waits d, or less if the daemon exits meanwhile (a signal cuts
// starter's usleep short).
func (s *starter) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case e := <-s.exits:
		s.reap(e)
	case <-t.C:
	}
}

// reap is the SIGCHLD handler and starter_charon_sigchild.
func (s *starter) reap(e childExit) {
	name := ""
	if e.pid == s.pid {
		name = " (" + s.opts.Daemon + ")"
	}
	exitStatus := 0
	switch {
	case e.status.Signaled():
		s.log.dbg2("child %d%s has been killed by sig %d\n", e.pid, name, int(e.status.Signal()))
	case e.status.Stopped():
		s.log.dbg2("child %d%s has been stopped by sig %d\n", e.pid, name, int(e.status.StopSignal()))
	case e.status.Exited():
		exitStatus = e.status.ExitStatus()
		if exitStatus >= rcLibIntegrity && exitStatus <= rcInitFailed {
			s.action = actQuit
		}
		s.log.dbg2("child %d%s has quit (exit code %d)\n", e.pid, name, exitStatus)
	default:
		s.log.dbg2("child %d%s has quit", e.pid, name)
	}
	if e.pid == s.pid {
		s.daemonGone(exitStatus)
	}
}

// daemonGone is starter_charon_sigchild once the daemon is gone: unless
// starter stopped it or it failed in a way a restart does not cure, it is
// started again restartDelay later.
func (s *starter) daemonGone(exitStatus int) {
	s.pid, s.proc = 0, nil
	daemon := s.opts.Daemon
	switch exitStatus {
	case rcLibIntegrity, rcDaemonIntegrity:
		what := daemon
		if exitStatus == rcLibIntegrity {
			what = "libstrongswan"
		}
		s.log.dbg1("%s has quit: integrity test of %s failed", daemon, what)
		s.stopRequested = true
	case rcInitFailed:
		s.log.dbg1("%s has quit: initialization failed", daemon)
		s.stopRequested = true
	}
	if !s.stopRequested {
		s.log.dbg1("%s has died -- restart scheduled (%dsec)", daemon, restartDelaySeconds)
		s.alarm(restartDelay)
	}
	os.Remove(s.paths.charonPID)
}

// daemonArgs is the daemon's command line: --use-syslog when starter runs
// in the background, and charondebug= as --debug-TYPE LEVEL pairs; under
// --attach-gdb all of it after gdb --args.
func (s *starter) daemonArgs(cfg *ipsecconf.Config) []string {
	var argv []string
	if s.opts.AttachGDB {
		argv = append(argv, gdbPath, "--args")
	}
	argv = append(argv, s.paths.daemon)
	if !s.opts.NoFork {
		argv = append(argv, "--use-syslog")
	}
	return append(argv, cfg.Setup.CharonDebugArgs()...)
}

// startCharon is starter_start_charon: run the daemon and wait until it has
// written its pid file. A daemon that does not within 10 s is killed. It
// reports whether the daemon came up.
func (s *starter) startCharon(cfg *ipsecconf.Config) bool {
	daemon := s.opts.Daemon
	if s.pid != 0 {
		s.log.dbg1("starter_start_charon(): %s already started...", daemon)
		return false
	}
	os.Remove(s.paths.ctl)
	s.stopRequested = false

	argv := s.daemonArgs(cfg)
	cmd := &exec.Cmd{
		Path: argv[0],
		Args: argv,
		// starter disables glibc's malloc checks for the daemon.
		Env:    append(os.Environ(), "MALLOC_CHECK_=0"),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		// The daemon gets its own session, away from the terminal's
		// signals, as starter's child calls setsid() before execv().
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		// starter's forked child would log this and exit 1, and starter
		// would see its daemon die before it came up.
		s.log.dbg1("can't execv(%s,...): %s", argv[0], strerror(err))
		s.daemonGone(1)
		s.log.dbg1("%s refused to be started", daemon)
		return false
	}
	s.pid, s.proc = cmd.Process.Pid, cmd.Process
	go waitChild(cmd.Process, s.exits)

	if s.opts.AttachGDB {
		for s.charonPID() != 0 {
			if exists(s.paths.charonPID) {
				return true
			}
			s.sleep(gdbPoll)
		}
		s.log.dbg1("%s refused to be started", daemon)
		return false
	}
	for i := 0; i < startPolls && s.pid != 0; i++ {
		s.sleep(startPoll)
		if exists(s.paths.charonPID) {
			s.log.dbg1("%s (%d) started after %d ms", daemon, s.pid, int(startPoll/time.Millisecond)*(i+1))
			return true
		}
	}
	if s.pid == 0 {
		s.log.dbg1("%s refused to be started", daemon)
		return false
	}
	s.log.dbg1("%s too long to start... - kill kill", daemon)
	for i := 0; i < killPolls && s.pid != 0; i++ {
		switch {
		case i == 0:
			s.proc.Signal(syscall.SIGINT)
		case i < killTermUntil:
			s.proc.Signal(syscall.SIGTERM)
		default:
			s.proc.Signal(syscall.SIGKILL)
		}
		if i < killTermUntil {
			s.sleep(killPoll)
		} else {
			s.sleep(killKilledPoll)
		}
	}
	return false
}

// stopCharon is starter_stop_charon: SIGINT, SIGTERM every 200 ms, SIGKILL
// after 8 s, until the daemon has gone or 10 s have passed.
func (s *starter) stopCharon() {
	daemon := s.opts.Daemon
	if s.charonPID() == 0 {
		s.log.dbg1("stater_stop_charon(): %s was not started...", daemon)
		return
	}
	s.stopRequested = true
	i := 0
	for ; i < stopPolls && s.charonPID() != 0; i++ {
		switch {
		case i == 0:
			s.proc.Signal(syscall.SIGINT)
		case i < stopKillAt:
			s.proc.Signal(syscall.SIGTERM)
		case i == stopKillAt:
			s.proc.Signal(syscall.SIGKILL)
			s.log.dbg1("starter_stop_charon(): %s does not respond, sending KILL", daemon)
		default:
			s.proc.Signal(syscall.SIGKILL)
		}
		if i < stopKillAt {
			s.sleep(stopPoll)
		} else {
			s.sleep(stopKilledPoll)
		}
	}
	if s.charonPID() == 0 {
		s.log.dbg1("%s stopped after %d ms", daemon, int(stopPoll/time.Millisecond)*i)
		return
	}
	s.log.dbg1("starter_stop_charon(): can't stop %s !!!", daemon)
}

// waitChild reaps the daemon process and reports how it ended.
func waitChild(p *os.Process, exits chan<- childExit) {
	st, err := p.Wait()
	e := childExit{pid: p.Pid}
	if err == nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok {
			e.status = ws
		}
	}
	exits <- e
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// strerror is the C library's text for the errno inside err.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			return strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	return err.Error()
}
