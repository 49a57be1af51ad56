package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/stroke"
)

// FuzzStrokeAddConn: any add_conn a stroke client can send (decoded as
// the socket decodes it) is turned into configs or refused with a log
// line, and del_conn removes what was added. Seeds are the add_conn
// messages Debian's starter sent for the scenario corpus.
func FuzzStrokeAddConn(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "confparse", "testdata", "starter", "*_STR_ADD_CONN.bin"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := stroke.Decode(b)
		if err != nil {
			return
		}
		c, ok := m.Body.(*stroke.AddConn)
		if !ok {
			return
		}
		d := configDaemon(t)
		sc := &strokeConfig{d: d}
		sc.AddConn(context.Background(), c)
		sc.DelConn(context.Background(), c.Name)
		if c.Name.Value != "" {
			if p := d.backends.ByName(c.Name.Value); p != nil {
				t.Fatalf("%q still loaded after del_conn", c.Name.Value)
			}
		}
	})
}

// FuzzParseSpecifier: the names stroke commands carry ("conn", "conn[3]",
// "conn{*}") parse or are refused, never more.
func FuzzParseSpecifier(f *testing.F) {
	for _, s := range []string{"net-net", "net-net[1]", "net-net{*}", "{3}", "[", "x{", "a[b]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, ok := parseSpecifier(s)
		if s != "" && !strings.ContainsAny(s, "[]{}") && (!ok || sp.name != s) {
			t.Fatalf("plain name %q parsed to %+v, %v", s, sp, ok)
		}
	})
}
