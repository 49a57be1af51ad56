package stroke

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
)

// testServer runs a server with a recorder on a socket in a temporary
// directory; it is closed at the end of the test.
func testServer(t *testing.T, cfg ServerConfig) (*Server, *recorder, *logRecorder) {
	t.Helper()
	rec := &recorder{}
	logs := &logRecorder{level: bus.Raw - 1}
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "charon.ctl")
	}
	if cfg.Handlers == (Handlers{}) {
		cfg.Handlers = rec.handlers()
	}
	cfg.Log = logs
	cfg.UID, cfg.GID = -1, -1
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv, rec, logs
}

// exchange writes raw bytes, closes the write side if asked, and reads the
// reply until the server closes.
func exchange(t *testing.T, path string, raw []byte, closeWrite bool) string {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(raw); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		c.(*net.UnixConn).CloseWrite()
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(reply)
}

func send(t *testing.T, path string, m *Msg, prompt PromptFunc) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := (&Client{URI: "unix://" + path, Out: &out, Prompt: prompt}).Send(m)
	return out.String(), err
}

func TestServerDispatchesCaptures(t *testing.T) {
	srv, rec, _ := testServer(t, ServerConfig{})
	want := map[string][]string{
		"stroke_01_STR_INITIATE.bin":         {`Initiate("net-net") v=1`},
		"stroke_02_STR_INITIATE.bin":         {`Initiate("net-net") v=-1`},
		"stroke_03_STR_TERMINATE.bin":        {`Terminate("net-net") v=1`},
		"stroke_04_STR_TERMINATE.bin":        {`Terminate("net-net") v=-1`},
		"stroke_05_STR_TERMINATE.bin":        {`Terminate("net-net[3]") v=1`},
		"stroke_06_STR_TERMINATE_SRCIP.bin":  {`TerminateSrcIP("10.3.0.1", "10.3.0.10") v=1`},
		"stroke_07_STR_REKEY.bin":            {`Rekey("net-net{*}") v=1`},
		"stroke_08_STR_ROUTE.bin":            {`Route("net-net") v=1`},
		"stroke_09_STR_UNROUTE.bin":          {`Unroute("net-net") v=1`},
		"stroke_10_STR_STATUS.bin":           {`Status(NULL, all=false, wait=true) v=1`},
		"stroke_11_STR_STATUS.bin":           {`Status("net-net", all=false, wait=true) v=1`},
		"stroke_12_STR_STATUS_ALL.bin":       {`Status(NULL, all=true, wait=true) v=1`},
		"stroke_13_STR_STATUS_ALL_NOBLK.bin": {`Status(NULL, all=true, wait=false) v=1`},
		"stroke_14_STR_LIST.bin": {`ListCAInfos(utc=false) v=1`,
			`List(PUBKEYS|CERTS|CACERTS|OCSPCERTS|AACERTS|ACERTS|GROUPS|CAINFOS|CRLS|OCSP|ALGS|PLUGINS, utc=false) v=1`},
		"stroke_15_STR_LIST.bin":         {`List(CERTS, utc=true) v=1`},
		"stroke_16_STR_LIST.bin":         {`List(ALGS, utc=false) v=1`},
		"stroke_17_STR_REREAD.bin":       {`Reread(SECRETS) v=1`},
		"stroke_18_STR_REREAD.bin":       {`Reread(SECRETS|CACERTS|OCSPCERTS|AACERTS|ACERTS|CRLS) v=1`},
		"stroke_19_STR_PURGE.bin":        {`PurgeIKE() v=1`},
		"stroke_20_STR_PURGE.bin":        {`FlushCache(OCSP)`},
		"stroke_21_STR_LEASES.bin":       {`Leases(NULL, NULL) v=1`},
		"stroke_22_STR_LEASES.bin":       {`Leases("pool1", "10.3.0.5") v=1`},
		"stroke_23_STR_LOGLEVEL.bin":     {`SetLevel(IKE, 4)`},
		"stroke_24_STR_DEL_CONN.bin":     {`DelConn("net-net")`},
		"stroke_25_STR_ADD_CONN.bin":     {`AddConn("myconn" me="192.168.0.1" other="192.168.0.2")`},
		"stroke_26_STR_USER_CREDS.bin":   {`UserCreds("net-net", "alice", "secretpw") v=1`},
		"stroke_27_STR_COUNTERS.bin":     {`PrintCounters(NULL) v=1`},
		"stroke_28_STR_COUNTERS.bin":     {`ResetCounters("net-net")`},
		"stroke_29_STR_EXPORT.bin":       {`Export(X509, "C=CH, O=strongSwan, CN=moon") v=1`},
		"stroke_30_STR_MEMUSAGE.bin":     {`MemUsage() v=1`},
		"stroke_31_STR_STATUS.bin":       {`Status(NULL, all=false, wait=true) v=1`},
		"stroke_32_STR_INITIATE.bin":     {`Initiate("net-net") v=1`},
		"starter_full_01_STR_ADD_CA.bin": {`AddCA("strongswan")`},
		"starter_full_02_STR_ADD_CONN.bin": {
			`AddConn("net-net" me="192.168.0.1" other="192.168.0.2")`},
		"starter_full_04_STR_ROUTE.bin":    {`Route("net-net-psk") v=-1`},
		"starter_full_05_STR_ADD_CONN.bin": {`AddConn("rw" me="%any" other="%any")`},
		"starter_full_06_STR_INITIATE.bin": {`Initiate("rw") v=-1`},
		"starter_full_08_STR_DEL_CONN.bin": {`DelConn("net-net")`},
		"starter_full_09_STR_UNROUTE.bin":  {`Unroute("net-net-psk") v=-1`},
		"starter_full_13_STR_DEL_CA.bin":   {`DelCA("strongswan")`},
		"starter_minimal_01_STR_ADD_CONN.bin": {
			`AddConn("minimal" me="192.168.0.1" other="192.168.0.2")`},
	}
	caps := captures(t)
	for _, name := range sortedNames(caps) {
		exchange(t, srv.Path(), caps[name], false)
		got := rec.take()
		if w, ok := want[name]; ok {
			if strings.Join(got, "\n") != strings.Join(w, "\n") {
				t.Errorf("%s:\n got %q\nwant %q", name, got, w)
			}
		} else if len(got) == 0 {
			t.Errorf("%s: no handler called", name)
		}
	}
}

func TestServerStreamsLogByVerbosity(t *testing.T) {
	srv, _, _ := testServer(t, ServerConfig{})
	for _, tc := range []struct {
		verbosity int32
		want      string
	}{
		{-1, ""},
		{0, "initiating IKE_SA x[1] to 192.168.0.2\nconnection 'x' established successfully\n"},
		{1, "initiating IKE_SA x[1] to 192.168.0.2\ngenerating IKE_SA_INIT request 0 [ SA KE No ]\n" +
			"connection 'x' established successfully\n"},
		{4, "initiating IKE_SA x[1] to 192.168.0.2\ngenerating IKE_SA_INIT request 0 [ SA KE No ]\n" +
			"level 2 line\nlevel 3 line\nconnection 'x' established successfully\n"},
	} {
		got, err := send(t, srv.Path(), &Msg{Type: TypeInitiate, Verbosity: tc.verbosity,
			Body: &Initiate{S("x")}}, nil)
		if err != nil || got != tc.want {
			t.Errorf("verbosity %d: %q, %v; want %q", tc.verbosity, got, err, tc.want)
		}
	}
}

func TestServerPrompt(t *testing.T) {
	srv, rec, _ := testServer(t, ServerConfig{})
	var prompts []string
	got, err := send(t, srv.Path(), &Msg{Type: TypeUserCreds, Verbosity: 1,
		Body: &UserCreds{Name: S("rw"), Username: S("carol")}},
		func(p string) (string, error) { prompts = append(prompts, p); return "s3cret", nil })
	if err != nil || got != "credentials set\n" {
		t.Errorf("reply %q, %v", got, err)
	}
	if len(prompts) != 1 || prompts[0] != "Password: " {
		t.Errorf("prompts %q", prompts)
	}
	if c := rec.take(); len(c) != 1 || c[0] != `UserCreds("rw", "carol", "s3cret") v=1` {
		t.Errorf("calls %q", c)
	}

	// Without a way to prompt, the client hangs up and the handler learns.
	_, err = send(t, srv.Path(), &Msg{Type: TypeUserCreds, Verbosity: 1,
		Body: &UserCreds{Name: S("rw"), Username: S("carol")}}, nil)
	var ce *ClientError
	if !errors.As(err, &ce) || ce.Op != OpPrompt {
		t.Errorf("no prompter: %v", err)
	}
	srv.Close() // waits for the handler
	if c := rec.take(); len(c) != 1 || !strings.Contains(c[0], "prompt failed") {
		t.Errorf("calls %q", c)
	}
}

func TestReplyPromptNeedsKeyword(t *testing.T) {
	var out bytes.Buffer
	r := NewReply(strings.NewReader("x\n"), &out, 1)
	if _, err := r.Prompt("Enter it"); !errors.Is(err, ErrPromptKeyword) {
		t.Errorf("prompt without keyword: %v", err)
	}
	r.Printf("private key 'k' is encrypted.\n")
	if ans, err := r.Prompt("Passphrase:\n"); err != nil || ans != "x" {
		t.Errorf("answer %q, %v", ans, err)
	}
	if out.String() != "private key 'k' is encrypted.\nPassphrase:\n" {
		t.Errorf("sent %q", out.String())
	}
	if _, err := r.Prompt("PIN:"); !errors.Is(err, io.EOF) {
		t.Errorf("prompt after EOF: %v", err)
	}
}

// header returns the first bytes of a message of the given length and type.
func header(length int, typ int32) []byte {
	b := make([]byte, HeaderLen)
	binary.LittleEndian.PutUint16(b, uint16(length))
	binary.LittleEndian.PutUint32(b[offType:], uint32(typ))
	return b
}

func TestServerMalformed(t *testing.T) {
	srv, rec, logs := testServer(t, ServerConfig{RequestTimeout: 200 * time.Millisecond})
	status := mustEncode(t, &Msg{Type: TypeStatus, Verbosity: 1})
	badPointer := mustEncode(t, &Msg{Type: TypeInitiate, Body: &Initiate{S("net-net")}})
	binary.LittleEndian.PutUint64(badPointer[16:], 1000)
	huge := header(MaxLen, int32(TypeStatus))
	huge = append(huge, bytes.Repeat([]byte{'A'}, MaxLen-HeaderLen)...)
	for _, tc := range []struct {
		name       string
		raw        []byte
		closeWrite bool
		log        string
	}{
		{"connect and close", nil, true,
			"[CFG] 1 reading length of stroke message failed: Connection reset by peer"},
		{"one byte", []byte{0x92}, true,
			"[CFG] 1 reading length of stroke message failed: Connection reset by peer"},
		{"silent client", nil, false,
			"[CFG] 1 reading length of stroke message failed: Connection timed out"},
		{"length 0", header(0, 8)[:2], false, "[CFG] 1 invalid stroke message length 0"},
		{"length 657", header(657, 8), false, "[CFG] 1 invalid stroke message length 657"},
		{"truncated", header(700, 8), true,
			"[CFG] 1 reading stroke message failed: Connection reset by peer"},
		{"unknown type", header(HeaderLen, 23), false, "[CFG] 1 received unknown stroke"},
		{"negative type", header(HeaderLen, -1), false, "[CFG] 1 received unknown stroke"},
		{"bad pointer", badPointer, false,
			"[CFG] 1 received invalid stroke: invalid pointer in stroke msg: initiate.name at offset 1000, outside 658..666"},
	} {
		if got := exchange(t, srv.Path(), tc.raw, tc.closeWrite); got != "" {
			t.Errorf("%s: reply %q", tc.name, got)
		}
		if got := logs.take(); got != tc.log {
			t.Errorf("%s: log\n%s\nwant\n%s", tc.name, got, tc.log)
		}
		if c := rec.take(); len(c) != 0 {
			t.Errorf("%s: handler called: %q", tc.name, c)
		}
		// The server keeps serving.
		if got := exchange(t, srv.Path(), status, false); !strings.HasPrefix(got, "Security Associations") {
			t.Fatalf("after %s: status reply %q", tc.name, got)
		}
		rec.take()
		logs.take()
	}
	// The largest message is fine; its string area is never looked at.
	if got := exchange(t, srv.Path(), huge, false); !strings.HasPrefix(got, "Security Associations") {
		t.Errorf("64k message: reply %q", got)
	}
	// Bytes after the message are not part of it (they would be a prompt
	// answer), and do not disturb it.
	if got := exchange(t, srv.Path(), append(append([]byte(nil), status...), "junk"...), true); !strings.HasPrefix(got, "Security Associations") {
		t.Errorf("trailing bytes: reply %q", got)
	}
}

func TestServerLogLevel(t *testing.T) {
	srv, rec, logs := testServer(t, ServerConfig{})
	for _, tc := range []struct {
		typ   Str
		level int32
		reply string
		call  string
	}{
		{S("ike"), 4, "", "SetLevel(IKE, 4)"},
		{S("ANY"), -1, "", "SetLevel(ANY, -1)"},
		{S("knl"), 99, "", "SetLevel(KNL, 4)"},
		{S("foo"), 2, "unknown type 'foo'!\n", ""},
		{Str{}, 2, "unknown type '(null)'!\n", ""},
	} {
		got, err := send(t, srv.Path(), &Msg{Type: TypeLogLevel, Verbosity: 1,
			Body: &LogLevel{Type: tc.typ, Level: tc.level}}, nil)
		if err != nil || got != tc.reply {
			t.Errorf("%s %d: reply %q, %v", tc.typ, tc.level, got, err)
		}
		if c := strings.Join(rec.take(), ""); c != tc.call {
			t.Errorf("%s %d: call %q", tc.typ, tc.level, c)
		}
	}
	if got := logs.take(); !strings.Contains(got, "[CFG] 1 received stroke: loglevel 4 for ike") ||
		!strings.Contains(got, "[CFG] 1 received stroke: loglevel 2 for (null)") {
		t.Errorf("log:\n%s", got)
	}

	srv2, rec2, logs2 := testServer(t, ServerConfig{PreventLoglevelChanges: true})
	got, _ := send(t, srv2.Path(), &Msg{Type: TypeLogLevel, Body: &LogLevel{Type: S("ike"), Level: 2}}, nil)
	if got != "command not allowed!\n" || len(rec2.take()) != 0 ||
		!strings.Contains(logs2.take(), "[CFG] 1 prevented log level change") {
		t.Errorf("prevented: %q", got)
	}
}

func TestServerWithoutHandlers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "charon.ctl")
	logs := &logRecorder{level: bus.Control}
	srv, err := Listen(ServerConfig{Path: path, UID: -1, GID: -1, Log: logs})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	got, _ := send(t, path, &Msg{Type: TypeCounters, Verbosity: 1}, nil)
	if got != "\nNo counters available (plugin missing?)\n\n" {
		t.Errorf("counters: %q", got)
	}
	got, _ = send(t, path, &Msg{Type: TypeInitiate, Verbosity: 1, Body: &Initiate{S("a")}}, nil)
	if got != "" {
		t.Errorf("initiate: %q", got)
	}
	if l := logs.take(); !strings.Contains(l, "received stroke: initiate 'a'") ||
		!strings.Contains(l, "no handler for stroke STR_INITIATE, ignored") {
		t.Errorf("log:\n%s", l)
	}
}

func TestServerLogsAddConn(t *testing.T) {
	srv, _, logs := testServer(t, ServerConfig{})
	raw, _ := os.ReadFile("testdata/captures/starter_full_05_STR_ADD_CONN.bin")
	exchange(t, srv.Path(), raw, false)
	want := `[CFG] 1 received stroke: add connection 'rw'
[CFG] 2 conn rw
[CFG] 2   left=%any
[CFG] 2   leftsubnet=10.1.0.0/16
[CFG] 2   leftupdown=/usr/local/bin/myupdown
[CFG] 2   right=%any
[CFG] 2   rightsourceip=10.3.0.0/24
[CFG] 2   rightdns=10.1.0.20
[CFG] 2   rightauth=eap-md5
[CFG] 2   rightauth2=xauth
[CFG] 2   eap_identity=%identity
[CFG] 2   dpddelay=30
[CFG] 2   dpdtimeout=150
[CFG] 2   sha256_96=yes
[CFG] 2   mediation=no
[CFG] 2   keyexchange=ikev2`
	if got := logs.take(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}

func TestServerMaxConcurrent(t *testing.T) {
	const limit, clients = 2, 5
	var active, peak atomic.Int32
	started := make(chan struct{}, clients)
	release := make(chan struct{})
	rec := &recorder{block: func(string) {
		n := active.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		active.Add(-1)
	}}
	srv, _, _ := testServer(t, ServerConfig{MaxConcurrent: limit, Handlers: rec.handlers()})
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(t, srv.Path(), &Msg{Type: TypeRekey, Body: &Rekey{S("x")}}, nil)
		}()
	}
	for range limit {
		<-started
	}
	// The others are read and wait for a slot.
	select {
	case <-started:
		t.Fatalf("a request beyond max_concurrent %d was handled", limit)
	case <-time.After(200 * time.Millisecond):
	}
	for range clients {
		release <- struct{}{}
	}
	wg.Wait()
	if p := peak.Load(); p != limit {
		t.Errorf("peak concurrency %d, want %d", p, limit)
	}
}

func TestServerCloseEndsPrompt(t *testing.T) {
	prompting := make(chan struct{})
	rec := &recorder{}
	srv, _, _ := testServer(t, ServerConfig{Handlers: Handlers{Config: promptingConfig{rec, prompting}}})
	c, err := net.Dial("unix", srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(mustEncode(t, &Msg{Type: TypeUserCreds, Body: &UserCreds{Name: S("a"), Username: S("b")}}))
	<-prompting
	srv.Close() // must not wait for an answer that never comes
	if got := rec.take(); len(got) != 1 || !strings.Contains(got[0], "prompt failed") {
		t.Errorf("calls %q", got)
	}
}

type promptingConfig struct {
	*recorder
	prompting chan struct{}
}

func (p promptingConfig) UserCreds(ctx context.Context, c *UserCreds, out *Reply) {
	close(p.prompting)
	p.recorder.UserCreds(ctx, c, out)
}

func TestListenSocketFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "charon.ctl")

	// A socket left behind by a dead daemon is replaced.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	srv, err := Listen(ServerConfig{Path: path, UID: -1, GID: -1})
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	go srv.Serve()
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0770 {
		t.Errorf("socket mode %v, %v; want 0770 socket", fi.Mode(), err)
	}

	// A live one is not taken over.
	if _, err := Listen(ServerConfig{Path: path, UID: -1, GID: -1}); !errors.Is(err, ErrInUse) {
		t.Errorf("live socket: %v", err)
	}
	srv.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}

	// Anything else at the path is left alone.
	os.WriteFile(path, []byte("keep"), 0600)
	if _, err := Listen(ServerConfig{Path: path, UID: -1, GID: -1}); err == nil {
		t.Error("a regular file was replaced")
	}
	if b, _ := os.ReadFile(path); string(b) != "keep" {
		t.Error("the regular file was changed")
	}
}

func TestParseSocketURI(t *testing.T) {
	for uri, want := range map[string]string{
		"unix:///var/run/charon.ctl":          "/var/run/charon.ctl",
		"/run/x.ctl":                          "/run/x.ctl",
		"unix://":                             "",
		"tcp://127.0.0.1:4502":                "",
		"unix:///" + strings.Repeat("x", 107): "",
	} {
		got, err := ParseSocketURI(uri)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("%q: %q, %v", uri, got, err)
		}
	}
}

func TestClientErrors(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := (&Client{URI: "unix://" + dir + "/none.ctl", Out: &out}).Send(&Msg{Type: TypeStatus})
	var ce *ClientError
	if !errors.As(err, &ce) || ce.Op != OpConnect ||
		err.Error() != "connecting to 'unix://"+dir+"/none.ctl' failed: No such file or directory" {
		t.Errorf("connect: %v", err)
	}
	err = (&Client{URI: "unix://" + dir + "/none.ctl", Out: &out}).Send(
		&Msg{Type: TypeInitiate, Body: &Initiate{S(strings.Repeat("x", MaxLen))}})
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("too long: %v", err)
	}
}

func TestClientPrintsUpToNUL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.ctl")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.ReadFull(c, make([]byte, HeaderLen))
		c.Write([]byte("abc\x00def\n"))
		c.Close()
	}()
	got, err := send(t, path, &Msg{Type: TypeStatus}, nil)
	if err != nil || got != "abc" {
		t.Errorf("%q, %v", got, err)
	}
}

// A client that writes its request slowly, or not at all, holds no slot:
// with max_concurrent such clients connected, a request still gets its
// answer at once (charon would wait for them for good).
func TestServerSlowClientsHoldNoSlot(t *testing.T) {
	const limit = 2
	rec := &recorder{}
	srv, _, _ := testServer(t, ServerConfig{MaxConcurrent: limit, Handlers: rec.handlers(), RequestTimeout: time.Minute})
	for range 2 * limit {
		c, err := net.Dial("unix", srv.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte{0x40}); err != nil { // one byte of the length, then nothing
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		send(t, srv.Path(), &Msg{Type: TypeRekey, Body: &Rekey{S("x")}}, nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("a request waited for clients that do not finish theirs")
	}
}
