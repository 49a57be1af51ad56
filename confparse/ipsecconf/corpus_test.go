package ipsecconf

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/internal/netdb"
)

// testNetDB holds the Debian values the corpus uses, so the test does not
// depend on the machine's /etc/protocols and /etc/services.
var testNetDB = netdb.Parse(
	"icmp 1 ICMP\ntcp 6 TCP\nudp 17 UDP\ngre 47 GRE\n",
	"http 80/tcp www\ndomain 53/tcp\ndomain 53/udp\n")

var (
	reIgnored = regexp.MustCompile(`^# ignored (conn|ca) '(.*)' due to (\d+) parsing errors?$`)
	reFatalAt = regexp.MustCompile(`^[^:]+:(\d+): `)
)

// TestStarterCorpus checks goswan's reading of every file in
// testdata/starter against what Debian's starter did with it, as recorded
// by testing/capture/starter-capture.sh: whether the file was refused,
// which sections were dropped, how many warnings were logged, the charon
// arguments, and every stroke message, field by field.
func TestStarterCorpus(t *testing.T) {
	confs, _ := filepath.Glob("../testdata/starter/*.conf")
	if len(confs) < 30 {
		t.Fatalf("corpus has %d files, want at least 30", len(confs))
	}
	for _, conf := range confs {
		base := strings.TrimSuffix(conf, ".conf")
		t.Run(filepath.Base(base), func(t *testing.T) {
			logData, err := os.ReadFile(base + ".starter.log")
			if err != nil {
				t.Fatalf("no capture for %s (run testing/capture/starter-capture.sh): %v", conf, err)
			}
			log := strings.Split(string(logData), "\n")
			cfg, err := Load(conf, &Options{NetDB: testNetDB})
			refused := strings.Contains(string(logData), "fatal errors in config")
			if refused != (err != nil) {
				t.Fatalf("starter refused the file: %v; goswan: %v\nproblems:\n%v", refused, err, cfg.Problems)
			}
			if refused {
				checkFatalLine(t, log, cfg.Problems.Filter(confparse.Fatal))
				return
			}
			checkDropped(t, log, cfg)
			checkWarnings(t, log, cfg)
			if argv, err := os.ReadFile(base + ".argv"); err == nil {
				want := strings.Fields(string(argv))
				if got := cfg.Setup.CharonDebugArgs(); strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("charon arguments %q, starter passed %q", got, want)
				}
			}
			bins, _ := filepath.Glob(base + ".[0-9][0-9]_STR_*.bin")
			sort.Strings(bins)
			compareSequence(t, cfg, bins)
		})
	}
}

// checkFatalLine: starter names the line where bison noticed the error,
// which can be the line after the offending token (the lookahead); for an
// unterminated string it is where the file ended, goswan names the opening
// quote.
func checkFatalLine(t *testing.T, log []string, fatal confparse.Errors) {
	t.Helper()
	for _, l := range log {
		m := reFatalAt.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		line, _ := strconv.Atoi(m[1])
		unterminated := strings.Contains(l, "unterminated string")
		for _, e := range fatal {
			if e.Pos.Line == line || e.Pos.Line == line-1 || (unterminated && e.Pos.Line < line) {
				return
			}
		}
		t.Errorf("starter reported %q; goswan's fatal errors are elsewhere:\n%v", l, fatal)
		return
	}
}

func checkDropped(t *testing.T, log []string, cfg *Config) {
	t.Helper()
	want := map[string]int{}
	for _, l := range log {
		if m := reIgnored.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[3])
			want[m[1]+" "+m[2]] = n
		}
	}
	got := map[string]int{}
	for _, e := range cfg.Problems.Filter(confparse.Dropped) {
		got[e.Section]++
	}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("starter dropped %s with %d errors, goswan found %d", s, n, got[s])
		}
	}
	for s := range got {
		if _, ok := want[s]; !ok {
			t.Errorf("goswan dropped %s, starter kept it: %v", s, cfg.Problems.Filter(confparse.Dropped))
		}
	}
	if len(cfg.Dropped) != len(want) {
		t.Errorf("Dropped = %v, starter dropped %v", cfg.Dropped, want)
	}
}

func checkWarnings(t *testing.T, log []string, cfg *Config) {
	t.Helper()
	want := 0
	for _, l := range log {
		if strings.HasPrefix(l, "# unknown keyword") || strings.HasPrefix(l, "# deprecated keyword") {
			want++
		}
	}
	got := 0
	for _, e := range cfg.Problems.Filter(confparse.Warning) {
		if strings.HasPrefix(e.Msg, "unknown keyword") || strings.HasPrefix(e.Msg, "deprecated keyword") {
			got++
		}
	}
	if got != want {
		t.Errorf("starter logged %d unknown/deprecated keywords, goswan %d:\n%v", want, got, cfg.Problems.Filter(confparse.Warning))
	}
}
