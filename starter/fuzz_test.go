package starter

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/testing/netbase"
	"github.com/goswan/goswan/testing/testenv"
)

// FuzzCheckPID: any pid file content is read without a panic, and only a
// live process counts.
func FuzzCheckPID(f *testing.F) {
	for _, s := range []string{"1234\n", "", "abc", "-1\n", "0", " 42 junk", strings.Repeat("9", 80), "12\x0034"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(dir, "x.pid")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if checkPID(path, &logger{level: 4, stderr: io.Discard}) {
			if _, err := os.Stat(path); err != nil {
				t.Error("a live pid file was removed")
			}
		} else if _, err := os.Stat(path); err == nil {
			t.Error("a stale pid file was kept")
		}
	})
}

// FuzzConfigLog: whatever confparse makes of a file, starter's logging of
// it (sections, problems, summary) neither panics nor loses a problem.
func FuzzConfigLog(f *testing.F) {
	for _, dir := range []string{corpusDir, startupDir, "testdata/update/*"} {
		confs, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
		for _, c := range confs {
			if b, err := os.ReadFile(c); err == nil && len(b) < 4096 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := ipsecconf.Parse("ipsec.conf", src, &ipsecconf.Options{NetDB: netbase.DB()})
		var buf testenv.Buffer
		out := logConfig("ipsec.conf", cfg, err, &logger{level: 3, stderr: &buf})
		if (out == nil) != (err != nil) {
			t.Fatalf("refused %v, load error %v", out == nil, err)
		}
		if err != nil || cfg == nil {
			return
		}
		log := buf.String()
		for _, p := range cfg.Problems {
			if p.Severity == confparse.Warning && !counted(p) {
				continue
			}
			_, lines := problemLines(p)
			if !strings.Contains(log, lines[0]) {
				t.Errorf("problem %q not logged:\n%s", lines[0], log)
			}
		}
	})
}
