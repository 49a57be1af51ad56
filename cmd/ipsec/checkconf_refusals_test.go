package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/refusals"
)

// refusalFiles writes a set of files checkconf reads and returns the
// arguments naming them.
func refusalFiles(t *testing.T, ipsecConf, strongswanConf string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"ipsec.conf": ipsecConf, "ipsec.secrets": ": PSK \"v+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\"\n",
		"strongswan.conf": strongswanConf}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, []string{"--conf", filepath.Join(dir, "ipsec.conf"), "--secrets", filepath.Join(dir, "ipsec.secrets"),
		"--strongswan-conf", filepath.Join(dir, "strongswan.conf")}
}

// A test per refusal (testing/refusals): checkconf prints one line naming
// the conn, the keyword and that goswan does not support it, at the
// setting's position, and exits 1. The base conn alone passes.
func TestCheckconfRefusals(t *testing.T) {
	_, args := refusalFiles(t, refusals.Base+"\nconn plain\n", "")
	if _, errOut, rc := runCheckconf(t, args...); rc != 0 || errOut != "" {
		t.Fatalf("the base conn: exit %d\n%s", rc, errOut)
	}
	for _, c := range refusals.Conns {
		t.Run(c.Name, func(t *testing.T) {
			c.Check(t)
			dir, args := refusalFiles(t, c.Conf(), "")
			_, errOut, rc := runCheckconf(t, args...)
			if rc != 1 {
				t.Errorf("exit %d, want 1", rc)
			}
			want := c.CheckconfLine()
			// The conn starts on line 13; its first setting is line 14.
			pos := fmt.Sprintf("%s:13:1: ", filepath.Join(dir, "ipsec.conf"))
			for i, l := range c.Lines {
				if key, _, _ := strings.Cut(l, "="); !c.AtConn && strings.HasPrefix(c.Checkconf, key+"=") {
					pos = fmt.Sprintf("%s:%d:2: ", filepath.Join(dir, "ipsec.conf"), 14+i)
				}
			}
			if !strings.Contains(errOut, pos+want+"\n") {
				t.Errorf("stderr lacks\n%s%s\ngot:\n%s", pos, want, errOut)
			}
		})
	}
	for _, s := range refusals.Settings {
		t.Run(s.File+":"+strings.Fields(s.Text)[1], func(t *testing.T) {
			ipsecConf, ssConf := s.Text, ""
			if s.File == "strongswan.conf" {
				ipsecConf, ssConf = refusals.Base+"\nconn plain\n", s.Text
			}
			dir, args := refusalFiles(t, ipsecConf, ssConf)
			_, errOut, rc := runCheckconf(t, args...)
			want := fmt.Sprintf("%s:%d:%d: %s\n", filepath.Join(dir, s.File), s.Line, s.Column, s.Checkconf)
			if rc != 1 || !strings.Contains(errOut, want) {
				t.Errorf("exit %d, stderr lacks\n%sgot:\n%s", rc, want, errOut)
			}
		})
	}
}

// The examples of issue 12: a proposal charon refuses and a prefix it
// shortens fail checkconf, at the setting, with charon's reason.
func TestCheckconfRefusesWhatCharonRefuses(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"ike=aes128-sha999-modp3072!", "error: conn bad: charon rejects the conn: invalid ike proposal 'aes128-sha999-modp3072!': algorithm 'sha999' not recognized, skipped invalid proposal string: aes128-sha999-modp3072"},
		{"esp=aes128gcm16-modp3072-foo!", "error: conn bad: charon rejects the conn: invalid esp proposal 'aes128gcm16-modp3072-foo!': algorithm 'foo' not recognized"},
		{"ike=aes128-modp3072!", "error: conn bad: charon rejects the conn: invalid ike proposal 'aes128-modp3072!': a PRF algorithm is mandatory in IKE proposals"},
		{"leftsubnet=10.1.0.0/33", "error: conn bad: 10.1.0.0/33: the prefix length 33 does not fit a 32-bit address; charon uses 10.1.0.0/32"},
		{"leftsubnet=10.1.0.0/16,bogus", "error: conn bad: charon: invalid subnet: bogus, skipped"},
		{"rightsubnet=10.2.0.0/16[tcp/99999]", "error: conn bad: charon: invalid proto/port: tcp/99999], skipped subnet"},
		{"right=192.168.0.999", "error: conn bad: '192.168.0.999' is not an IP address; charon tries to resolve it as a host name"},
		{"margintime=2h", "error: conn bad: margintime=2h is not below lifetime=3600: charon never rekeys the CHILD_SA, it only expires"},
		{"leftprotoport=tcp/99999", "error: conn bad: bad port '99999'"},
	} {
		dir, args := refusalFiles(t, refusals.Base+"\nconn bad\n\t"+c.line+"\n", "")
		_, errOut, rc := runCheckconf(t, args...)
		want := filepath.Join(dir, "ipsec.conf") + ":14:2: " + c.want
		if rc != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stderr lacks\n%s\ngot:\n%s", c.line, rc, want, errOut)
		}
	}
}

// The cases of features goswan does now (refusals.Supported): checkconf
// passes them without a word.
func TestCheckconfSupported(t *testing.T) {
	for _, c := range refusals.Supported {
		t.Run(c.Name, func(t *testing.T) {
			_, args := refusalFiles(t, c.Conf(), "")
			if _, errOut, rc := runCheckconf(t, args...); rc != 0 || errOut != "" {
				t.Errorf("exit %d\n%s", rc, errOut)
			}
		})
	}
	for _, s := range refusals.SupportedSettings {
		_, args := refusalFiles(t, s.Text+"\n"+refusals.Base+"\nconn plain\n", "")
		if _, errOut, rc := runCheckconf(t, args...); rc != 0 || errOut != "" {
			t.Errorf("%q: exit %d\n%s", s.Text, rc, errOut)
		}
	}
}
