package starter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

// TestCheckPID: a pid file counts only if it names a live process that is
// not starter itself; any other pid file is removed with starter's message.
func TestCheckPID(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.pid")
	for _, tc := range []struct {
		content string // "" means no file
		live    bool
	}{
		{"", false},
		{fmt.Sprintf("%d\n", os.Getppid()), true},
		{fmt.Sprintf("  %d junk", os.Getppid()), true},
		{fmt.Sprintf("%d\n", os.Getpid()), false}, // starter's own pid
		{"0\n", false},
		{"garbage\n", false},
		{"\n", false},
		{"2147483646\n", false},           // no such process
		{strings.Repeat("9", 100), false}, // atoi: -1
		{"-1\n", false},
	} {
		os.Remove(f)
		if tc.content != "" {
			if err := os.WriteFile(f, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var buf testenv.Buffer
		log := &logger{level: 1, stderr: &buf}
		if got := checkPID(f, log); got != tc.live {
			t.Errorf("%q: running %v, want %v", tc.content, got, tc.live)
		}
		_, err := os.Stat(f)
		switch {
		case tc.content == "":
			if buf.String() != "" {
				t.Errorf("no file: logged %q", buf.String())
			}
		case tc.live:
			if err != nil || buf.String() != "" {
				t.Errorf("%q: live pid file touched (%v) or logged %q", tc.content, err, buf.String())
			}
		default:
			if err == nil {
				t.Errorf("%q: stale pid file kept", tc.content)
			}
			if want := "removing pidfile '" + f + "', process not running\n"; buf.String() != want {
				t.Errorf("%q: logged %q, want %q", tc.content, buf.String(), want)
			}
		}
	}
}

func TestWritePID(t *testing.T) {
	f := filepath.Join(t.TempDir(), "s.pid")
	writePID(f)
	b, err := os.ReadFile(f)
	if err != nil || string(b) != fmt.Sprintf("%d\n", os.Getpid()) {
		t.Errorf("pid file %q, %v", b, err)
	}
	writePID(filepath.Join(f, "not-a-dir", "s.pid")) // silently nothing
}
