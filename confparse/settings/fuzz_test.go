package settings

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
)

// FuzzStrongswanConf loads arbitrary strongswan.conf content, which may
// include a second in-memory file or itself: errors, never panics, and the
// lookups work on whatever loads.
func FuzzStrongswanConf(f *testing.F) {
	for _, p := range []string{
		"../testdata/seeds/000-net2net-rekey/moon/strongswan.conf",
		"../testdata/reference/live/strongswan.conf",
		"../testdata/debian/etc/strongswan.conf",
	} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	more, _ := filepath.Glob("../testdata/debian/etc/strongswan.d/*.conf")
	for _, p := range more {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Add("a : b, c.d { x = 1 }\nb { y = \"2\" }\nc { d { z = 3 } }\ninclude inc.conf\n")
	f.Add("include strongswan.conf\n")
	f.Add("a : a { b : a { } }\n")
	f.Fuzz(func(t *testing.T, src string) {
		fsys := files.Map{
			"/etc/strongswan.conf": src,
			"/etc/inc.conf":        "charon { plugins { p { load = 3 } } }\n",
		}
		s, err := Load("/etc/strongswan.conf", &Options{FS: fsys})
		if s == nil {
			t.Fatal("nil settings")
		}
		if (err != nil) != (len(s.Problems.Filter(confparse.Fatal)) > 0) {
			t.Fatalf("error %v disagrees with problems %v", err, s.Problems)
		}
		for _, p := range s.Problems {
			if p.Pos.File == "" || p.Msg == "" {
				t.Fatalf("problem without position or message: %+v", p)
			}
		}
		_ = s.Plugins("charon", DebianPlugins)
		_ = s.FileLoggers("charon")
		_ = s.SyslogLoggers("charon")
		_ = s.Charon("charon")
		for _, c := range s.Root.Children() {
			_ = s.Sections(c.Name)
			_ = s.KeyValues(c.Name)
		}
	})
}
