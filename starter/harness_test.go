package starter

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/testing/netbase"
	"github.com/goswan/goswan/testing/testenv"
)

// harness runs Main in this process, in the foreground (--nofork), with a
// temporary pid directory and the fake daemon of fakecharon_test.go, and
// turns its waits into events: idle says that starter has sent everything
// and waits for a signal, done that Main returned.
type harness struct {
	t       *testing.T
	dir     string
	conf    string // the ipsec.conf starter reads
	out     string // where the fake daemon stores messages
	env     Env
	sigs    chan os.Signal
	idle    chan struct{}
	done    chan int
	stderr  *testenv.Buffer
	running bool
}

// timeout bounds every wait; it only matters when something is broken.
const harnessTimeout = 20 * time.Second

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{
		t: t, dir: dir, conf: filepath.Join(dir, "ipsec.conf"), out: filepath.Join(dir, "out"),
		sigs: make(chan os.Signal, 8), idle: make(chan struct{}, 1), done: make(chan int, 1),
		stderr: &testenv.Buffer{},
	}
	for _, d := range []string{"run", "lib", "out"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, "lib", "charon")); err != nil {
		t.Fatal(err)
	}
	// A race-enabled fake daemon would linger 1 s on exit.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	t.Setenv(fakeOutEnv, h.out)
	t.Setenv(fakePIDDirEnv, filepath.Join(dir, "run"))
	h.env = Env{
		IPsecDir:     filepath.Join(dir, "lib"),
		PIDDir:       filepath.Join(dir, "run"),
		Settings:     settings.Empty(),
		NetDB:        netbase.DB(), // the captures were made with Debian's netbase
		Stderr:       h.stderr,
		AllowNonRoot: true,
		Signals:      h.sigs,
	}
	delay, start, starts, stop, kill, stopKilled, killKilled := restartDelay, startPoll, startPolls, stopPoll, killPoll, stopKilledPoll, killKilledPoll
	restartDelay, startPoll, stopPoll, killPoll = time.Millisecond, 5*time.Millisecond, 50*time.Millisecond, 5*time.Millisecond
	// The fake daemon is this race-enabled test binary: with both cores
	// busy it took more than 500 × 5 ms to write its pid file, and starter
	// killed it (make test-loaded). A daemon that comes up is waited for
	// up to a minute; TestDaemonTooSlow shortens this again.
	startPolls = 12000
	// A SIGKILLed daemon is waited for until it is reaped, however busy
	// the machine: these only bound the wait.
	stopKilledPoll, killKilledPoll = time.Minute, time.Minute
	testHookIdle = func() {
		select {
		case h.idle <- struct{}{}:
		default:
		}
	}
	t.Cleanup(func() {
		if h.running {
			h.sigs <- syscall.SIGTERM
			<-h.done
		}
		testHookIdle = nil
		restartDelay, startPoll, startPolls, stopPoll, killPoll = delay, start, starts, stop, kill
		stopKilledPoll, killKilledPoll = stopKilled, killKilled
	})
	return h
}

// setConf puts an ipsec.conf in place.
func (h *harness) setConf(path string) {
	h.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.conf, b, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// start runs Main with --nofork --debug --conf and more arguments, and
// waits until starter is idle or has returned; it returns Main's exit code
// and whether Main returned.
func (h *harness) start(args ...string) (rc int, exited bool) {
	h.t.Helper()
	return h.run(append([]string{"--nofork", "--debug", "--conf", h.conf}, args...)...)
}

// run is start with exactly the arguments given.
func (h *harness) run(args ...string) (rc int, exited bool) {
	h.t.Helper()
	h.running = true
	go func() {
		h.done <- Main(args, h.env)
	}()
	return h.waitIdle()
}

func (h *harness) waitIdle() (rc int, exited bool) {
	h.t.Helper()
	select {
	case <-h.idle:
		return 0, false
	case rc := <-h.done:
		h.running = false
		return rc, true
	case <-time.After(harnessTimeout):
		h.t.Fatalf("starter neither idle nor done after %v; log:\n%s", harnessTimeout, h.stderr.String())
	}
	return 0, false
}

// signal delivers sig to starter and waits until it has acted on it.
func (h *harness) signal(sig os.Signal) {
	h.t.Helper()
	select {
	case <-h.idle: // a stale wake-up
	default:
	}
	h.sigs <- sig
	if _, exited := h.waitIdle(); exited {
		h.t.Fatalf("starter exited on %v; log:\n%s", sig, h.stderr.String())
	}
}

// killDaemon kills the daemon with SIGKILL and waits until starter has
// started a new one and sent it everything.
func (h *harness) killDaemon() {
	h.t.Helper()
	old := h.daemonPID()
	if old == 0 {
		h.t.Fatal("no daemon to kill")
	}
	select {
	case <-h.idle:
	default:
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		h.t.Fatal(err)
	}
	for {
		if _, exited := h.waitIdle(); exited {
			h.t.Fatalf("starter exited; log:\n%s", h.stderr.String())
		}
		if pid := h.daemonPID(); pid != 0 && pid != old {
			return
		}
	}
}

// daemonPID reads the fake daemon's pid file (0 without one).
func (h *harness) daemonPID() int {
	b, err := os.ReadFile(filepath.Join(h.env.PIDDir, "charon.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// stop sends SIGTERM and returns Main's exit code.
func (h *harness) stop() int {
	h.t.Helper()
	h.sigs <- syscall.SIGTERM
	for {
		select {
		case <-h.idle:
		case rc := <-h.done:
			h.running = false
			return rc
		case <-time.After(harnessTimeout):
			h.t.Fatalf("starter did not stop; log:\n%s", h.stderr.String())
		}
	}
}

// messages reads what the fake daemon recorded.
func (h *harness) messages() [][]byte {
	h.t.Helper()
	var out [][]byte
	for _, f := range recorded(h.out) {
		b, err := os.ReadFile(f)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
