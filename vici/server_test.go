package vici

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
)

type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Logf(g bus.Group, l bus.Level, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf("%d[%s] ", l, g)+fmt.Sprintf(format, args...))
}

func (r *logRecorder) has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func startServer(t *testing.T) (*Server, string, *logRecorder) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "charon.vici")
	log := &logRecorder{}
	s, err := Listen(ServerConfig{URI: "unix://" + path, UID: -1, GID: -1, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return s, "unix://" + path, log
}

func dial(t *testing.T, uri string) *Client {
	t.Helper()
	c, err := Dial(uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSocketMode(t *testing.T) {
	_, uri, _ := startServer(t)
	fi, err := os.Stat(strings.TrimPrefix(uri, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o770 {
		t.Errorf("socket mode %v, want srwxrwx---", fi.Mode())
	}
}

func TestCommandsAndStreamedEvents(t *testing.T) {
	s, uri, log := startServer(t)
	s.Event("list-thing")
	s.Command("echo", func(r *Request) []byte {
		for i := 0; i < 3; i++ {
			b := NewBuilder()
			b.KVf("n", "%d", i)
			m, _ := b.Finalize()
			s.Raise("list-thing", r.Client, m)
		}
		b := NewBuilder()
		b.KV("got", r.Msg.StrDefault("in", "none"))
		m, _ := b.Finalize()
		return m
	})
	c := dial(t, uri)
	other := dial(t, uri)
	var otherEvents int
	if err := other.Register("list-thing", func(*Message) { otherEvents++ }); err != nil {
		t.Fatal(err)
	}
	events, resp, err := c.Stream("echo", "list-thing", Msg("in", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := resp.Str("got"); got != "hello" {
		t.Errorf("response %q", got)
	}
	if len(events) != 3 || events[2].Int("n", -1) != 2 {
		t.Errorf("events %d", len(events))
	}
	// Streamed events go to the requesting client only.
	if _, err := other.Request("echo", nil); err != nil {
		t.Fatal(err)
	}
	if otherEvents != 3 {
		t.Errorf("the other client saw %d events of its own request", otherEvents)
	}
	if _, err := c.Request("no-such-command", nil); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("unknown command: %v", err)
	}
	if err := c.Register("no-such-event", nil); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("unknown event: %v", err)
	}
	if err := c.Unregister("list-thing"); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("unregistering an event not registered for: %v", err)
	}
	if !log.has("2[CFG] vici client 1 requests: echo") || !log.has("1[CFG] vici client 1 invalid request: no-such-command") ||
		!log.has("1[CFG] vici client 1 invalid registration: no-such-event") {
		t.Errorf("log:\n%s", strings.Join(log.lines, "\n"))
	}
}

func TestBroadcastAndDisconnect(t *testing.T) {
	s, uri, log := startServer(t)
	s.Event("ike-updown")
	got := make(chan string, 10)
	c := dial(t, uri)
	if err := c.Register("ike-updown", func(m *Message) { got <- m.StrDefault("up", "no") }); err != nil {
		t.Fatal(err)
	}
	if !s.HasListeners("ike-updown") {
		t.Fatal("no listeners after registration")
	}
	b := NewBuilder()
	b.KV("up", "yes")
	m, _ := b.Finalize()
	s.Raise("ike-updown", 0, m)
	select {
	case v := <-got:
		if v != "yes" {
			t.Errorf("event %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for s.HasListeners("ike-updown") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.HasListeners("ike-updown") {
		t.Error("a disconnected client is still registered")
	}
	if !log.has("vici client 1 disconnected") {
		t.Error("no disconnect message")
	}
}

func TestMalformedInputKeepsTheServerServing(t *testing.T) {
	s, uri, log := startServer(t)
	s.Command("version", func(r *Request) []byte {
		b := NewBuilder()
		b.KV("daemon", "charon")
		m, _ := b.Finalize()
		return m
	})
	nc, err := net.Dial("unix", strings.TrimPrefix(uri, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	// An unsupported operation, an empty packet, a request without name.
	for _, seg := range [][]byte{{CmdResponse}, {}, {CmdRequest}} {
		if _, err := nc.Write(Frame(seg)); err != nil {
			t.Fatal(err)
		}
	}
	c := NewClient(nc)
	defer c.Close()
	resp, err := c.Request("version", nil)
	if err != nil || resp.StrDefault("daemon", "") != "charon" {
		t.Fatalf("version after garbage: %v %v", resp, err)
	}
	for _, want := range []string{"unsupported vici operation: 1", "invalid vici message", "invalid vici request message"} {
		if !log.has(want) {
			t.Errorf("missing log %q", want)
		}
	}
	// An oversized length header ends the connection.
	nc2, err := net.Dial("unix", strings.TrimPrefix(uri, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	nc2.Write([]byte{0xff, 0xff, 0xff, 0xff})
	nc2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc2.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after an oversized header")
	}
	if !log.has("exceeds 524288 bytes limit, ignored") {
		t.Error("no log for the oversized header")
	}
}

func TestStaleSocketIsReplacedLiveOneRefused(t *testing.T) {
	_, uri, _ := startServer(t)
	if _, err := Listen(ServerConfig{URI: uri, UID: -1, GID: -1}); err == nil {
		t.Fatal("a second server took over a live socket")
	}
}
