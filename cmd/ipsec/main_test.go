package main

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

func TestUnknownCommandExitCode(t *testing.T) {
	if rc := run([]string{"no-such-command"}); rc != 2 {
		t.Fatalf("unknown command: exit %d, want 2 as strongSwan's ipsec", rc)
	}
	if rc := run([]string{"--no-such-option"}); rc != 2 {
		t.Fatalf("unknown option: exit %d, want 2", rc)
	}
	if rc := run(nil); rc != 0 {
		t.Fatalf("no command: exit %d, want 0", rc)
	}
	if rc := run([]string{"version"}); rc != 0 {
		t.Fatalf("version: exit %d, want 0", rc)
	}
}

// stdout runs the ipsec command line args and returns what it printed.
func stdout(t *testing.T, args ...string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	run(args)
	os.Stdout = old
	w.Close()
	b, _ := io.ReadAll(r)
	return string(b)
}

// The usage texts and directory queries are the script's, checked against
// Debian's installed ipsec script.
func TestScriptTextsAsDebian(t *testing.T) {
	debian := testenv.RequireCommand(t, "/usr/sbin/ipsec")
	for _, args := range [][]string{nil, {"--help"}, {"--confdir"}, {"--piddir"}} {
		out, err := exec.Command(debian, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", debian, args, err)
		}
		if got := stdout(t, args...); !strings.HasPrefix(got, string(out)) {
			t.Errorf("ipsec %v:\n%s\nDebian's:\n%s", args, got, out)
		}
	}
	if got := stdout(t, "--directory"); strings.TrimSpace(got) == "" {
		t.Error("ipsec --directory printed nothing")
	}
}
