package main

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of checkconf")

func runCheckconf(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	rc := checkconf(args, &out, &errOut)
	return out.String(), errOut.String(), rc
}

// TestCheckconfGolden prints a valid set of files: every conn and ca as
// resolved, the secrets without their values, the daemon settings.
func TestCheckconfGolden(t *testing.T) {
	const dir = "testdata/checkconf/good/"
	out, errOut, rc := runCheckconf(t, "--conf", dir+"ipsec.conf", "--secrets", dir+"ipsec.secrets",
		"--strongswan-conf", dir+"strongswan.conf")
	if rc != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr:\n%s", rc, errOut)
	}
	if strings.Contains(out, "never printed") {
		t.Error("a secret value was printed")
	}
	golden := "testdata/checkconf/good.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("output differs from %s (go test -run Checkconf -update to rewrite):\n%s", golden, out)
	}
	for _, s := range []string{
		"conn net-net\t# testdata/checkconf/good/ipsec.conf:21:1, inherits from conn base, conn %default",
		"\tlifetime=10s\n\tmargintime=5s\n",
		"\t# CHILD_SA: rekeyed after 5s minus up to 0s, expires after 10s\n",
		"\tleftupdown=\"ipsec _updown iptables\"\n",
		"\t# starter sends STR_ADD_CONN 'net-net', STR_ROUTE 'net-net'\n",
		"@gw-a.example.net @gw-b.example.net : PSK <13 bytes>",
		": RSA \"/etc/ipsec.d/private/gw.pem\" %prompt",
		"# plugins in load order: aes sha2 stroke\n", // aes has priority 5; then the compiled order
		"charon.delete_rekeyed_delay=2\n",
		"# file logger log: path /var/log/charon.log, default level 2, knl 3\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
}

// TestCheckconfErrors: every problem is reported with its position and the
// exit status is 1; what strongSwan still uses is printed.
func TestCheckconfErrors(t *testing.T) {
	const dir = "testdata/checkconf/bad/"
	out, errOut, rc := runCheckconf(t, "--conf", dir+"ipsec.conf", "--secrets", dir+"ipsec.secrets",
		"--strongswan-conf", dir+"strongswan.conf")
	if rc != 1 {
		t.Errorf("exit %d, want 1", rc)
	}
	for _, s := range []string{
		dir + "strongswan.conf:3:1: error: syntax error: unexpected end of file (expected '}')",
		dir + "ipsec.conf:8:2: error: conn broken: bad value: lifetime=1.5h (expected a time such as 90s, 30m, 8h or 1d)",
		dir + "ipsec.secrets:2:10: error: missing second delimiter (expected a closing \"); charon ignores the rest of this file",
	} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
	for _, s := range []string{
		"conn ok\t#",
		"# conn broken: IGNORED because of errors (see below)",
		": PSK <4 bytes>",
		"# NOT USED: libstrongswan ignores a file with errors",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "<10 bytes>") {
		t.Error("the line after the bad secrets line must not be loaded")
	}

	out, errOut, rc = runCheckconf(t, "--conf", dir+"refused.conf", "--secrets", dir+"none", "--strongswan-conf", "")
	if rc != 1 || !strings.Contains(out, "# REFUSED") || !strings.Contains(out, "# strongswan.conf: (none)") ||
		!strings.Contains(errOut, dir+"refused.conf:2:1: error: syntax error: \"left\" at the start of a line") ||
		!strings.Contains(errOut, "opening secrets file '"+dir+"none' failed") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, errOut)
	}
}

func TestCheckconfUsage(t *testing.T) {
	if _, _, rc := runCheckconf(t, "--bogus"); rc != 2 {
		t.Errorf("unknown flag: exit %d, want 2", rc)
	}
	if _, errOut, rc := runCheckconf(t, "extra"); rc != 2 || !strings.Contains(errOut, "Usage: ipsec checkconf") {
		t.Errorf("extra argument: exit %d, %s", rc, errOut)
	}
	if _, ok := commands["checkconf"]; !ok {
		t.Error("checkconf is not registered")
	}
}
