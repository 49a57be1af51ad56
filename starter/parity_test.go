package starter

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/goswan/goswan/stroke"
)

// The parity tests run goswan's starter (Main, in the foreground, with the
// fake daemon of fakecharon_test.go) on the configurations Debian's starter
// 5.9.8 was captured with, and compare every message it sends, byte for
// byte and in order, and the daemon's arguments, with what Debian's starter
// sent.

const (
	corpusDir    = "../confparse/testdata/starter"
	referenceDir = "../confparse/testdata/reference"
	updateDir    = "testdata/update"
	startupDir   = "testdata/startup"
)

// TestStartupParity: every file of the starter corpus (confparse's and this
// package's own), from start to stop.
func TestStartupParity(t *testing.T) {
	var confs []string
	for _, dir := range []string{corpusDir, startupDir} {
		c, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
		confs = append(confs, c...)
	}
	if len(confs) < 47 {
		t.Fatalf("%d corpus files, want the 47 of confparse and more", len(confs))
	}
	for _, conf := range confs {
		base := strings.TrimSuffix(conf, ".conf")
		t.Run(filepath.Base(base), func(t *testing.T) {
			debianLog, err := os.ReadFile(base + ".starter.log")
			if err != nil {
				t.Fatalf("no capture (run testing/capture/starter-capture.sh): %v", err)
			}
			want := readBins(t, base+".[0-9][0-9]_STR_*.bin")
			h := newHarness(t)
			h.conf, _ = filepath.Abs(conf)
			rc, exited := h.start()
			if strings.Contains(string(debianLog), "fatal errors in config") {
				if !exited || rc != ExitInvalidArgument {
					t.Fatalf("Debian's starter refused the file; goswan's: exited %v rc %d\n%s", exited, rc, h.stderr.String())
				}
			} else {
				if exited {
					t.Fatalf("goswan's starter exited with %d:\n%s", rc, h.stderr.String())
				}
				if rc := h.stop(); rc != ExitSuccess {
					t.Errorf("stop: exit code %d", rc)
				}
			}
			compareMessages(t, h.messages(), want, "")
			if argv, err := os.ReadFile(base + ".argv"); err == nil {
				got, _ := os.ReadFile(filepath.Join(h.out, "argv"))
				if string(got) != string(argv) {
					t.Errorf("daemon arguments %q, Debian's starter passed %q", got, argv)
				}
			}
			compareLogs(t, h.stderr.String(), string(debianLog))
		})
	}
}

// TestUpdateParity replays testdata/update: ipsec.conf versions swapped in
// under a running starter, with SIGHUP (ipsec update), SIGUSR1 (ipsec
// reload) and SIGALRM, and the messages each step made Debian's starter
// send (testing/capture/starter-update-capture.sh).
func TestUpdateParity(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(updateDir, "*", "steps"))
	if len(dirs) < 4 {
		t.Fatalf("%d update scenarios, want 4", len(dirs))
	}
	for _, steps := range dirs {
		dir := filepath.Dir(steps)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := readBins(t, filepath.Join(dir, "[0-9][0-9]_STR_*.bin"))
			out, err := os.ReadFile(filepath.Join(dir, "steps.out"))
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(line)
				op, file, span := f[0], "", f[len(f)-1]
				if len(f) == 3 {
					file = filepath.Join(dir, f[1])
				}
				before := len(h.messages())
				switch op {
				case "start":
					h.setConf(file)
					if rc, exited := h.start(); exited {
						t.Fatalf("starter exited with %d:\n%s", rc, h.stderr.String())
					}
				case "hup":
					h.setConf(file)
					h.signal(syscall.SIGHUP)
				case "usr1":
					h.setConf(file)
					h.signal(syscall.SIGUSR1)
				case "alrm":
					h.signal(syscall.SIGALRM)
				case "kill":
					h.killDaemon()
				default:
					t.Fatalf("steps.out: unknown step %q", line)
				}
				got := h.messages()[before:]
				compareMessages(t, got, span2msgs(t, want, span), line)
			}
			if rc := h.stop(); rc != ExitSuccess {
				t.Errorf("stop: exit code %d", rc)
			}
			debianLog, err := os.ReadFile(filepath.Join(dir, "starter.log"))
			if err != nil {
				t.Fatal(err)
			}
			compareLogs(t, h.stderr.String(), string(debianLog))
		})
	}
}

// TestReloadReferenceParity: the project's reference capture of
// ipsec.full.conf: messages 1-7 as starter started, 8-20 after SIGUSR1.
func TestReloadReferenceParity(t *testing.T) {
	want := readBins(t, filepath.Join(referenceDir, "starter_full_[0-9][0-9]_STR_*.bin"))
	if len(want) != 20 {
		t.Fatalf("%d reference messages, want 20", len(want))
	}
	h := newHarness(t)
	h.setConf(filepath.Join(referenceDir, "ipsec.full.conf"))
	if rc, exited := h.start(); exited {
		t.Fatalf("starter exited with %d:\n%s", rc, h.stderr.String())
	}
	compareMessages(t, h.messages(), want[:7], "start")
	h.signal(syscall.SIGUSR1)
	compareMessages(t, h.messages()[7:], want[7:], "SIGUSR1")
}

func span2msgs(t *testing.T, all [][]byte, span string) [][]byte {
	t.Helper()
	if span == "-" {
		return nil
	}
	a, b, _ := strings.Cut(span, "-")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || from < 1 || to > len(all) || from > to {
		t.Fatalf("steps.out: bad span %q for %d messages", span, len(all))
	}
	return all[from-1 : to]
}

func readBins(t *testing.T, pattern string) [][]byte {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	sort.Strings(files)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// compareMessages requires identical bytes, and says what differs in terms
// of message types and fields when they are not.
func compareMessages(t *testing.T, got, want [][]byte, step string) {
	t.Helper()
	if step != "" {
		step += ": "
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("%smessage %d: Debian's starter sent %s, goswan's nothing", step, i+1, describe(want[i]))
		case i >= len(want):
			t.Errorf("%smessage %d: goswan's starter sent %s, Debian's nothing", step, i+1, describe(got[i]))
		case !bytes.Equal(got[i], want[i]):
			t.Errorf("%smessage %d differs:\n goswan: %s\n Debian: %s", step, i+1, describe(got[i]), describe(want[i]))
		}
	}
}

// describe names a message and, for add_conn and add_ca, dumps it.
func describe(b []byte) string {
	m, err := stroke.Decode(b)
	if err != nil {
		return fmt.Sprintf("undecodable (%v) % x", err, b)
	}
	return fmt.Sprintf("%s %d bytes %+v", m.Type, len(b), m.Body)
}

// Lines of the logs that vary between runs, and what they become.
var logVolatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\((\d+)\) started after \d+ ms`), "(X) started after X ms"},
	{regexp.MustCompile(`stopped after \d+ ms`), "stopped after X ms"},
	{regexp.MustCompile(`child \d+ \(`), "child X ("},
}

// compareLogs compares goswan's log with Debian's, without the fake
// daemon's lines and the texts of individual config problems, which are
// confparse's (see package doc): what starter does, the sections it loads
// and drops and its error summary must be the same lines in the same order.
func compareLogs(t *testing.T, goswan, debian string) {
	t.Helper()
	norm := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			for _, v := range logVolatile {
				l = v.re.ReplaceAllString(l, v.with)
			}
			if strings.HasPrefix(l, "fake charon:") || problemText(l) {
				continue
			}
			out = append(out, l)
		}
		return out
	}
	g, d := norm(goswan), norm(debian)
	if strings.Join(g, "\n") != strings.Join(d, "\n") {
		t.Errorf("starter's log differs\ngoswan:\n%s\nDebian:\n%s", strings.Join(g, "\n"), strings.Join(d, "\n"))
	}
}

var fileLine = regexp.MustCompile(`^[^ ]+:\d+(:\d+)?: `)

// problemText: a line about one config problem, whose text is confparse's.
func problemText(l string) bool {
	switch {
	case strings.HasPrefix(l, "# ignored "):
		return false
	case strings.HasPrefix(l, "# "), strings.HasPrefix(l, "  "), fileLine.MatchString(l),
		strings.HasPrefix(l, "section '"), strings.HasPrefix(l, "invalid config file"):
		return true
	}
	return false
}
