package starter

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

type fakeSyslog struct{ lines []string }

func (f *fakeSyslog) Info(m string) error { f.lines = append(f.lines, m); return nil }
func (f *fakeSyslog) Close() error        { return nil }

// TestLogger is starter_dbg: stderr gets the message and a newline, syslog
// a record per line (a trailing newline makes an empty last record), both
// only up to the current level.
func TestLogger(t *testing.T) {
	var buf testenv.Buffer
	sys := &fakeSyslog{}
	l := &logger{level: 2, stderr: &buf, sys: sys}
	l.dbg1("one %d", 1)
	l.dbg2("child %d has quit\n", 7)
	l.dbg3("too detailed")
	if got, want := buf.String(), "one 1\nchild 7 has quit\n\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if got, want := strings.Join(sys.lines, "|"), "one 1|child 7 has quit|"; got != want {
		t.Errorf("syslog %q, want %q", got, want)
	}

	sys.lines = nil
	l.setStderr(nil)
	l.dbg1("%s", strings.Repeat("a", 9000))
	if len(sys.lines) != 1 || len(sys.lines[0]) != syslogMax {
		t.Errorf("long message: %d records, first %d bytes; want one of %d", len(sys.lines), len(sys.lines[0]), syslogMax)
	}
	if !strings.HasSuffix(buf.String(), "\n\n") {
		t.Error("stderr written after it was turned off")
	}

	sys.lines = nil
	l.quiet = true
	l.dbg1("hidden")
	l.level = 0
	l.quiet = false
	l.dbg1("hidden too") // --nolog
	if len(sys.lines) != 0 {
		t.Errorf("logged %q while quiet or at level 0", sys.lines)
	}
}
