package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/stroke"
)

// describe decodes captured messages into one line each.
func describe(t *testing.T, msgs [][]byte) string {
	t.Helper()
	var parts []string
	for _, raw := range msgs {
		m, err := stroke.Decode(raw)
		if err != nil {
			t.Fatalf("our client sent an undecodable message: %v", err)
		}
		parts = append(parts, fmt.Sprintf("%s v=%d %+v", m.Type, m.Verbosity, m.Body))
	}
	return strings.Join(parts, "; ")
}

// ipsecEnv points our ipsec at a capture daemon and a private pid directory.
func ipsecEnv(t *testing.T) (*captureDaemon, string) {
	d := startCaptureDaemon(t)
	dir := t.TempDir()
	t.Setenv("GOSWAN_PIDDIR", dir)
	t.Setenv("GOSWAN_STROKE_SOCKET", d.path)
	t.Setenv("DAEMON_NAME", "")
	return d, dir
}

func TestIpsecCommandsNeedCharonPidFile(t *testing.T) {
	d, _ := ipsecEnv(t)
	for _, args := range [][]string{
		{"up", "x"}, {"down", "x"}, {"down-srcip", "10.3.0.1"}, {"route", "x"}, {"unroute", "x"},
		{"leases"}, {"listall"}, {"listcerts", "--utc"}, {"rereadsecrets"}, {"secrets"},
		{"purgeike"}, {"purgeocsp"}, {"listcounters"}, {"resetcounters", "x"},
	} {
		out, errOut, rc := runIpsec(t, "", args...)
		if rc != exitNotRunning || out != "" || errOut != "" {
			t.Errorf("%v without charon.pid: rc %d %q %q, want rc 7 and silence", args, rc, out, errOut)
		}
	}
	// status says "not running" with 3, and asks nobody.
	for _, op := range []string{"status", "statusall"} {
		if out, errOut, rc := runIpsec(t, "", op); rc != 3 || out != "" || errOut != "" {
			t.Errorf("%s: rc %d %q %q", op, rc, out, errOut)
		}
	}
	if m := d.take(); len(m) != 0 {
		t.Errorf("messages sent without charon.pid: %s", describe(t, m))
	}
}

func TestIpsecCommandUsage(t *testing.T) {
	ipsecEnv(t) // the argument checks come before the pid file check
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"up"}, "Usage: ipsec up <connection name>\n"},
		{[]string{"up", "a", "b"}, "Usage: ipsec up <connection name>\n"},
		{[]string{"down"}, "Usage: ipsec down <connection name>\n"},
		{[]string{"route", "a", "b"}, "Usage: ipsec route <connection name>\n"},
		{[]string{"unroute"}, "Usage: ipsec unroute <connection name>\n"},
		{[]string{"down-srcip"}, "Usage: ipsec down-srcip <start> [<end>]\n"},
	} {
		out, errOut, rc := runIpsec(t, "", tc.args...)
		if rc != 2 || out != tc.want || errOut != "" {
			t.Errorf("%v: rc %d %q %q", tc.args, rc, out, errOut)
		}
	}
}

func TestIpsecCommandsSend(t *testing.T) {
	d, dir := ipsecEnv(t)
	os.WriteFile(filepath.Join(dir, "charon.pid"), []byte("1\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "net-net"}, "STR_INITIATE v=1 &{Name:net-net}"},
		{[]string{"down", "net-net{*}"}, "STR_TERMINATE v=1 &{Name:net-net{*}}"},
		// The script passes $* unquoted: the shell splits it again.
		{[]string{"down-srcip", "10.3.0.1 10.3.0.9"}, "STR_TERMINATE_SRCIP v=1 &{Start:10.3.0.1 End:10.3.0.9}"},
		{[]string{"route", "x"}, "STR_ROUTE v=1 &{Name:x}"},
		{[]string{"unroute", "x"}, "STR_UNROUTE v=1 &{Name:x}"},
		{[]string{"leases", "p", "10.3.0.1", "ignored"}, "STR_LEASES v=1 &{Pool:p Address:10.3.0.1}"},
		{[]string{"listcerts", "--utc"}, "STR_LIST v=1 &{Flags:CERTS UTC:1}"},
		{[]string{"listall"}, "STR_LIST v=1 &{Flags:PUBKEYS|CERTS|CACERTS|OCSPCERTS|AACERTS|ACERTS|GROUPS|CAINFOS|CRLS|OCSP|ALGS|PLUGINS UTC:0}"},
		{[]string{"secrets"}, "STR_REREAD v=1 &{Flags:SECRETS}"},
		{[]string{"rereadall"}, "STR_REREAD v=1 &{Flags:SECRETS|CACERTS|OCSPCERTS|AACERTS|ACERTS|CRLS}"},
		{[]string{"purgeike", "ignored"}, "STR_PURGE v=1 &{Flags:IKE}"},
		{[]string{"purgeocsp"}, "STR_PURGE v=1 &{Flags:OCSP}"},
		{[]string{"resetcounters", "x"}, "STR_COUNTERS v=1 &{Reset:1 Name:x}"},
		{[]string{"status", "x", "ignored"}, "STR_STATUS v=1 &{Name:x}"},
		{[]string{"statusall"}, "STR_STATUS_ALL v=1 &{Name:(null)}"},
		{[]string{"stroke", "up-nb", "x"}, "STR_INITIATE v=-1 &{Name:x}"},
	} {
		out, _, rc := runIpsec(t, "", tc.args...)
		got := describe(t, d.take())
		if got != tc.want {
			t.Errorf("%v: sent %s, want %s", tc.args, got, tc.want)
		}
		if !strings.HasPrefix(out, "reply to ") {
			t.Errorf("%v: printed %q", tc.args, out)
		}
		if tc.args[0] != "status" && tc.args[0] != "statusall" && rc != 0 {
			t.Errorf("%v: rc %d", tc.args, rc)
		}
	}
	// listgroups is accepted by the script, and stroke then prints its usage.
	if out, _, rc := runIpsec(t, "", "listgroups"); rc != 0 || !strings.HasPrefix(out, "stroke [OPTIONS]") {
		t.Errorf("listgroups: rc %d %q", rc, clip(out))
	}
}

func TestIpsecStatusExitCode(t *testing.T) {
	_, dir := ipsecEnv(t)
	os.WriteFile(filepath.Join(dir, "charon.pid"), []byte("1\n"), 0o644)
	starter := filepath.Join(dir, "starter.charon.pid")
	for _, tc := range []struct {
		pidFile string // "" for none
		rc      int
	}{
		{"", 3}, // even though charon answered
		{fmt.Sprintf("%d\n", os.Getpid()), 0},
		{"999999999\n", 1},
		{"abc\n", 2},
		{"\n", 2},
		{fmt.Sprintf("%d 999999999\n", os.Getpid()), 1},
	} {
		os.Remove(starter)
		if tc.pidFile != "" {
			os.WriteFile(starter, []byte(tc.pidFile), 0o644)
		}
		out, _, rc := runIpsec(t, "", "status")
		if rc != tc.rc || out != "reply to STR_STATUS verbosity 1\n" {
			t.Errorf("starter pid file %q: rc %d %q, want rc %d", tc.pidFile, rc, out, tc.rc)
		}
	}
}

func TestIpsecDaemonNameMovesPidFiles(t *testing.T) {
	d, dir := ipsecEnv(t)
	t.Setenv("DAEMON_NAME", "weird")
	os.WriteFile(filepath.Join(dir, "charon.pid"), []byte("1\n"), 0o644)
	if _, _, rc := runIpsec(t, "", "up", "x"); rc != exitNotRunning {
		t.Errorf("charon.pid used for DAEMON_NAME=weird: rc %d", rc)
	}
	os.WriteFile(filepath.Join(dir, "weird.pid"), []byte("1\n"), 0o644)
	if _, _, rc := runIpsec(t, "", "up", "x"); rc != 0 || len(d.take()) != 1 {
		t.Errorf("weird.pid: rc %d", rc)
	}
}
