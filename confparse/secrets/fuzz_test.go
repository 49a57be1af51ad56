package secrets

import (
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/confparse/internal/files"
	"github.com/goswan/goswan/credentials"
)

// FuzzSecrets loads arbitrary ipsec.secrets content (which may include
// another in-memory file or itself) and looks secrets up in it: problems,
// never panics.
func FuzzSecrets(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/secrets/*.secrets")
	paths = append(paths, "../testdata/reference/live/moon/ipsec.secrets")
	files.AddSeedFiles(f, paths...)
	f.Add("include ipsec.secrets\n: PSK x\n")
	f.Add("include inc.secrets\n")
	f.Fuzz(func(t *testing.T, src string) {
		fsys := files.Map{
			"/etc/ipsec.secrets": src,
			"/etc/inc.secrets":   "@a @b : PSK 0x0102\n",
		}
		s, _ := Load("/etc/ipsec.secrets", &Options{FS: fsys})
		for _, p := range s.Problems {
			if p.Pos.File == "" || p.Msg == "" {
				t.Fatalf("problem without position or message: %+v", p)
			}
		}
		for _, e := range s.Entries {
			_ = e.Redacted()
			if len(e.Owners) == 0 {
				t.Fatalf("entry without owners: %+v", e)
			}
		}
		_, _ = s.Lookup(credentials.SharedIKE, credentials.ParseIdentity("@a"), credentials.ParseIdentity("@b"))
		if got, want := len(s.Candidates(credentials.SharedAny, nil, nil)), len(credentials.SharedOrder(s.SharedKeys())); got != want {
			t.Fatalf("%d candidates for any ids, %d distinct shared secrets", got, want)
		}
	})
}
