package stroke

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/testing/nshost"
)

// The interop tests run Debian's stroke and starter against this package's
// server. The server runs in a "fake charon": this test binary, started
// with fakeCharonEnv set, inside a host whose /run is a tmpfs, so that it
// listens on the real default path /var/run/charon.ctl without touching
// the machine's /run. Starter is made to launch it by bind-mounting the
// test binary over /usr/lib/ipsec/charon in that host only.
//
// The fake charon appends one line per event to the file named by
// fakeCharonEnv: "CALL <handler call>" as recorder formats it, "CONN <json>"
// and "CA <json>" with the full decoded add_conn and add_ca, "RAW <hex>"
// with each request's bytes, and "LOG <line>" for the server's log up to
// level 2.
const fakeCharonEnv = "GOSWAN_STROKE_FAKE_CHARON"

func TestMain(m *testing.M) {
	if path := os.Getenv(fakeCharonEnv); path != "" {
		os.Exit(fakeCharon(path))
	}
	os.Exit(m.Run())
}

type fakeConfig struct {
	*recorder
	write func(kind string, v any)
}

func (f fakeConfig) AddConn(ctx context.Context, c *AddConn) {
	f.write("CONN", c)
	f.recorder.AddConn(ctx, c)
}

func (f fakeConfig) AddCA(ctx context.Context, ca *AddCA) {
	f.write("CA", ca)
	f.recorder.AddCA(ctx, ca)
}

func fakeCharon(recordPath string) int {
	f, err := os.OpenFile(recordPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	write := func(kind string, v any) {
		text, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			text = string(b)
		}
		mu.Lock()
		defer mu.Unlock()
		f.WriteString(kind + " " + strings.ReplaceAll(text, "\n", `\n`) + "\n")
	}
	rec := &recorder{block: func(call string) { write("CALL", call) }}
	h := rec.handlers()
	h.Config = fakeConfig{rec, write}
	h.CA = fakeConfig{rec, write}
	logger := bus.LoggerFunc(func(g bus.Group, l bus.Level, format string, args ...any) {
		// The server's level-3 dump carries the raw request.
		if raw, ok := firstArg(args).(hexDump); ok {
			write("RAW", hex.EncodeToString(raw))
		}
		if l <= bus.Diag {
			write("LOG", fmt.Sprintf("[%s] %d %s", g, l, fmt.Sprintf(format, args...)))
		}
	})
	srv, err := Listen(ServerConfig{Path: "/var/run/charon.ctl", UID: 0, GID: 0, Handlers: h, Log: logger})
	if err != nil {
		write("ERROR", err.Error())
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	// Starter waits for the pid file, and wants the socket to be there by
	// then.
	if err := os.WriteFile("/var/run/charon.pid", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		write("ERROR", err.Error())
		return 1
	}
	fmt.Println("ready")
	select {
	case <-sig:
	case err := <-done:
		write("ERROR", fmt.Sprint("Serve: ", err))
	}
	srv.Close()
	os.Remove("/var/run/charon.pid")
	return 0
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// newHost makes the host (testing/nshost) the interop tests run Debian's
// stroke and starter in, with a private /run (the fake charon listens on
// the real default /var/run/charon.ctl without touching the machine's),
// Debian's netbase (starter resolves leftprotoport=tcp/http) and the given
// /etc files and binds.
func newHost(t *testing.T, files []nshost.File, binds ...nshost.Bind) *nshost.Host {
	t.Helper()
	return nshost.NewHost(t, nshost.Spec{Name: "stroke", Files: append(nshost.Netbase(), files...), Binds: binds})
}

// command runs name inside the host (nsenter execs it, so the PID is the
// program's), with env added to the host's environment.
func command(t *testing.T, h *nshost.Host, env []string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd, err := h.Command(env, append([]string{name}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// records reads the fake charon's record file from offset on.
type records struct {
	path string
	off  int
}

// next returns the lines written since the last call.
func (r *records) next(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(r.path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(b) < r.off {
		t.Fatal("record file shrank")
	}
	// Only whole lines; a line being written is picked up next time.
	chunk := b[r.off:]
	end := strings.LastIndexByte(string(chunk), '\n') + 1
	r.off += end
	if end == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(chunk[:end]), "\n"), "\n")
}

// waitCalls collects lines until n CALL lines arrived. Starter sends its
// messages on its own schedule, so this polls the record file (an interop
// harness, not protocol logic).
func (r *records) waitCalls(t *testing.T, n int, timeout time.Duration) []string {
	t.Helper()
	var lines []string
	deadline := time.Now().Add(timeout)
	for {
		lines = append(lines, r.next(t)...)
		if len(filterKind(lines, "CALL")) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %d calls, got:\n%s", timeout, n, strings.Join(lines, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func filterKind(lines []string, kind string) []string {
	var out []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, kind+" "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// checkLogs fails on any sign that a message was not understood, and checks
// that every raw request re-encodes to its own bytes.
func checkLogs(t *testing.T, lines []string) {
	t.Helper()
	for _, h := range filterKind(lines, "RAW") {
		raw, _ := hex.DecodeString(h)
		m, err := Decode(raw)
		if err != nil {
			t.Errorf("request %x: %v", raw, err)
			continue
		}
		if again, err := m.Encode(); err != nil || !bytes.Equal(again, raw) {
			t.Errorf("request does not re-encode to its bytes (%v):\n got %x\nwant %x", err, again, raw)
		}
	}
	for _, l := range append(filterKind(lines, "LOG"), filterKind(lines, "ERROR")...) {
		for _, bad := range []string{"invalid", "unknown stroke", "failed", "Serve:"} {
			if strings.Contains(l, bad) {
				t.Errorf("fake charon: %s", l)
			}
		}
	}
}
