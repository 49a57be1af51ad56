package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/testenv"
)

// captureDaemon is a minimal stroke peer for client tests: it records the
// raw bytes of each request and answers with a line naming the type, or, for
// user-creds without a password, with charon's "Password:" prompt.
type captureDaemon struct {
	path string
	ln   net.Listener
	mu   sync.Mutex
	msgs [][]byte
	wg   sync.WaitGroup
}

func startCaptureDaemon(t *testing.T) *captureDaemon {
	t.Helper()
	d := &captureDaemon{path: filepath.Join(t.TempDir(), "charon.ctl")}
	ln, err := net.Listen("unix", d.path)
	if err != nil {
		t.Fatal(err)
	}
	d.ln = ln
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); d.wg.Wait() })
	return d
}

func (d *captureDaemon) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return
	}
	raw := make([]byte, binary.LittleEndian.Uint16(hdr[:]))
	copy(raw, hdr[:])
	if len(raw) < 2 {
		return
	}
	if _, err := io.ReadFull(br, raw[2:]); err != nil {
		return
	}
	d.mu.Lock()
	d.msgs = append(d.msgs, raw)
	d.mu.Unlock()
	m, err := stroke.Decode(raw)
	if err != nil {
		fmt.Fprintf(c, "undecodable: %v\n", err)
		return
	}
	if uc, ok := m.Body.(*stroke.UserCreds); ok && !uc.Password.Valid {
		fmt.Fprintf(c, "Password:\n")
		answer, _ := br.ReadString('\n')
		fmt.Fprintf(c, "got password %q\n", answer)
		return
	}
	fmt.Fprintf(c, "reply to %s verbosity %d\n", m.Type, m.Verbosity)
}

func (d *captureDaemon) take() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.msgs
	d.msgs = nil
	return m
}

// runIpsec runs our ipsec command in-process with the given stdin and
// returns what it printed and its exit code. Prompts behave as getpass
// without a terminal: prompt to stderr, answer from stdin.
func runIpsec(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	in := strings.NewReader(stdin)
	saved := strokeStdio
	strokeStdio = stdio{in: in, out: &out, err: &errb, prompt: func(p string) (string, error) {
		fmt.Fprint(&errb, p)
		return readSecretLine(in)
	}}
	defer func() { strokeStdio = saved }()
	rc := run(args)
	return out.String(), errb.String(), rc
}

// debianStrokeConf points Debian's stroke at socket, for the daemon names
// the tests use, so it never reaches a real charon on this machine.
func debianStrokeConf(t *testing.T, socket string) string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "strongswan.conf")
	var b strings.Builder
	for _, d := range []string{"charon", "foo"} {
		fmt.Fprintf(&b, "%s {\n  plugins {\n    stroke {\n      socket = unix://%s\n    }\n  }\n}\n", d, socket)
	}
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// runDebianStroke runs /usr/lib/ipsec/stroke in a new session (no
// controlling terminal, so getpass uses stdin and stderr).
func runDebianStroke(t *testing.T, bin, conf, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "STRONGSWAN_CONF="+conf)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err := cmd.Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), rc
}

// strokeCLICases exercise every keyword of stroke's table, its options and
// each of its argument errors.
var strokeCLICases = [][]string{
	{}, {"-h"}, {"--help"}, {"--he"}, {"nosuch"}, {"-x"}, {"-xh"}, {"-hx"}, {"--foo"},
	{"-d"}, {"--daemon"}, {"--utc=1", "status"}, {"--help=1"}, {"-"}, {"listgroups"},
	{"add", "myconn", "moon", "sun", "192.168.0.1", "192.168.0.2", "10.1.0.0/16", "10.2.0.0/16"},
	{"add", "myconn", "moon"}, {"del", "x"}, {"delete", "net-net"}, {"delete"}, {"del"},
	{"up"}, {"up", "net-net"}, {"up", ""}, {"up", "net-net", "extra"}, {"up-nb", "net-net"}, {"up-nb"},
	{"down", "net-net[3]"}, {"down-nb", "x{*}"}, {"down"}, {"down-nb"},
	{"down-srcip"}, {"down-srcip", "10.3.0.1"}, {"down-srcip", "10.3.0.1", "10.3.0.10"},
	{"rekey", "net-net{*}"}, {"rekey"}, {"route", "x"}, {"route"}, {"unroute", "x"}, {"unroute"},
	{"loglevel"}, {"loglevel", "ike"}, {"loglevel", "ike", "4"}, {"loglevel", "ike", "-1"},
	{"loglevel", "ike", "--", "-1"}, {"loglevel", "any", "x9"}, {"loglevel", "cfg", " 3abc"},
	{"loglevel", "knl", "99999999999"}, {"loglevel", "foo", "2"},
	{"status"}, {"status", "net-net"}, {"statusall"}, {"statusall", "x"}, {"statusall-nb"},
	{"statusallnb", "x"},
	{"listpubkeys"}, {"listcerts", "--utc"}, {"--utc", "listcacerts"}, {"listocspcerts"},
	{"listaacerts"}, {"listacerts", "--ut"}, {"listcainfos"}, {"listcrls"}, {"listocsp"},
	{"listalgs"}, {"listplugins"}, {"listall"}, {"listall", "--utc"},
	{"rereadsecrets"}, {"rereadcacerts"}, {"rereadocspcerts"}, {"rereadaacerts"},
	{"rereadacerts"}, {"rereadcrls"}, {"rereadall"},
	{"purgeocsp"}, {"purgecrls"}, {"purgecerts"}, {"purgeike"},
	{"exportx509"}, {"exportx509", "C=CH, O=strongSwan, CN=moon"}, {"exportconncert", "x"},
	{"exportconnchain", "x"}, {"exportconnchain"},
	{"leases"}, {"leases", "pool1"}, {"leases", "pool1", "10.3.0.5", "extra"}, {"memusage"},
	{"user-creds"}, {"user-creds", "a"}, {"user-creds", "net-net", "alice", "secretpw"},
	{"user-creds", "net-net", "alice"},
	{"listcounters"}, {"listcounters", "x"}, {"resetcounters"}, {"resetcounters", "x"},
	{"-d", "foo", "status"}, {"--daemon=foo", "status"}, {"-dfoo", "status"},
	{"--d", "foo", "status"}, {"status", "-d", "foo", "x"},
	{"up", strings.Repeat("n", 3000)}, {"up", strings.Repeat("n", 70000)},
}

// TestStrokeCLIMatchesDebian runs Debian's stroke and ours with the same
// arguments against the same capture daemon: the bytes on the socket, the
// output, the error output and the exit code must be the same.
func TestStrokeCLIMatchesDebian(t *testing.T) {
	bin := testenv.RequireCommand(t, "/usr/lib/ipsec/stroke")
	d := startCaptureDaemon(t)
	conf := debianStrokeConf(t, d.path)
	t.Setenv("GOSWAN_STROKE_SOCKET", d.path)
	for _, args := range strokeCLICases {
		name := strings.Join(args, " ")
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		stdin := "pw-from-stdin\n"
		wantOut, wantErr, wantRC := runDebianStroke(t, bin, conf, stdin, args...)
		wantMsgs := d.take()
		out, errOut, rc := runIpsec(t, stdin, append([]string{"stroke"}, args...)...)
		msgs := d.take()
		wantErr = strings.ReplaceAll(wantErr, bin+": ", strokeProgName+": ")
		if rc != wantRC || out != wantOut || errOut != wantErr {
			t.Errorf("stroke %s:\n rc %d, stdout %q\n stderr %q\nwant rc %d, stdout %q\n stderr %q",
				name, rc, clip(out), clip(errOut), wantRC, clip(wantOut), clip(wantErr))
		}
		if len(msgs) != len(wantMsgs) {
			t.Errorf("stroke %s: sent %d messages, Debian %d", name, len(msgs), len(wantMsgs))
			continue
		}
		for i := range msgs {
			if !bytes.Equal(msgs[i], wantMsgs[i]) {
				t.Errorf("stroke %s: message bytes differ\n got %x\nwant %x", name, msgs[i], wantMsgs[i])
			}
		}
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:150] + " ... " + s[len(s)-150:]
	}
	return s
}

// With no daemon listening, both fail the same way.
func TestStrokeCLIConnectFailureMatchesDebian(t *testing.T) {
	bin := testenv.RequireCommand(t, "/usr/lib/ipsec/stroke")
	socket := filepath.Join(t.TempDir(), "absent.ctl")
	conf := debianStrokeConf(t, socket)
	t.Setenv("GOSWAN_STROKE_SOCKET", socket)
	for _, args := range [][]string{{"status"}, {"up", "x"}, {"-d", "foo", "listall"}} {
		wantOut, wantErr, wantRC := runDebianStroke(t, bin, conf, "", args...)
		out, errOut, rc := runIpsec(t, "", append([]string{"stroke"}, args...)...)
		if rc != wantRC || out != wantOut || errOut != wantErr {
			t.Errorf("%v: rc %d %q %q, want rc %d %q %q", args, rc, out, errOut, wantRC, wantOut, wantErr)
		}
	}
}

func TestParseStrokeArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "x"}, "daemon=charon utc=false help=false pos=[up x]"},
		{[]string{"listcerts", "--utc"}, "daemon=charon utc=true help=false pos=[listcerts]"},
		{[]string{"--u", "listcerts"}, "daemon=charon utc=true help=false pos=[listcerts]"},
		{[]string{"-d", "x", "up", "-dy", "n"}, "daemon=y utc=false help=false pos=[up n]"},
		{[]string{"--daemon=x", "--", "-h"}, "daemon=x utc=false help=false pos=[-h]"},
		{[]string{"up", "-h", "-x"}, "daemon=charon utc=false help=true pos=[up]"},
		{[]string{"-x", "-h"}, "error invalid option -- 'x'"},
		{[]string{"--utc=", "up"}, "error option '--utc' doesn't allow an argument"},
		{[]string{"---"}, "error unrecognized option '---'"},
		{[]string{"--daemon"}, "error option '--daemon' requires an argument"},
		{[]string{"-"}, "daemon=charon utc=false help=false pos=[-]"},
	} {
		o, pos, e := parseStrokeArgs(tc.args)
		got := fmt.Sprintf("daemon=%s utc=%v help=%v pos=%v", o.daemon, o.utc, o.help, pos)
		if e != "" {
			got = "error " + e
		}
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.args, got, tc.want)
		}
	}
}
