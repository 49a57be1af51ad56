package starter

import (
	"reflect"
	"testing"

	"github.com/goswan/goswan/confparse"
)

// TestProblemLines: confparse's messages begin with starter's; its hints
// become starter's second lines or are dropped.
func TestProblemLines(t *testing.T) {
	pos := confparse.Position{File: "ipsec.conf", Line: 3, Column: 2}
	for _, tc := range []struct {
		p     confparse.Error
		level int
		want  []string
	}{
		{confparse.Error{Pos: pos, Severity: confparse.Warning, Msg: "unknown keyword 'x'"},
			1, []string{"# unknown keyword 'x'"}},
		{confparse.Error{Pos: pos, Severity: confparse.Warning, Msg: "deprecated keyword 'pfs' in conn 'c' (PFS is enabled by specifying a DH group in the 'esp' cipher suite)"},
			1, []string{"# deprecated keyword 'pfs' in conn 'c'", "  PFS is enabled by specifying a DH group in the 'esp' cipher suite"}},
		{confparse.Error{Pos: pos, Severity: confparse.Warning, Msg: "deprecated keyword 'pkcs11module' in config setup (use the 'pkcs11' plugin instead)"},
			1, []string{"# deprecated keyword 'pkcs11module' in config setup", "  use the 'pkcs11' plugin instead"}},
		{confparse.Error{Pos: pos, Severity: confparse.Dropped, Section: "ca x", Msg: "unsupported keyword 'leftid' in ca 'x' (it belongs in a conn section)"},
			1, []string{"# unsupported keyword 'leftid' in ca 'x'"}},
		{confparse.Error{Pos: pos, Severity: confparse.Dropped, Section: "conn c", Msg: "bad value: auto=maybe (expected 'ignore', 'add', 'route' or 'start')"},
			1, []string{"# bad value: auto=maybe (expected 'ignore', 'add', 'route' or 'start')", "  bad argument value in conn 'c'"}},
		{confparse.Error{Pos: pos, Severity: confparse.Fatal, Msg: "bad value: uniqueids=maybe (expected yes or no)"},
			1, []string{"# bad value: uniqueids=maybe (expected yes or no)", "  bad argument value in config setup"}},
		{confparse.Error{Pos: pos, Severity: confparse.Warning, Msg: "no files found matching '/etc/ipsec.d/*.conf'"},
			1, []string{"no files found matching '/etc/ipsec.d/*.conf'"}},
		{confparse.Error{Pos: pos, Severity: confparse.Warning, Msg: "unable to open '/etc/x.conf': permission denied"},
			2, []string{"unable to open '/etc/x.conf': permission denied"}},
		{confparse.Error{Pos: pos, Severity: confparse.Warning, Msg: "setting 'x' before any section is ignored"},
			1, []string{"ipsec.conf:3:2: warning: setting 'x' before any section is ignored"}},
	} {
		level, lines := problemLines(&tc.p)
		if level != tc.level || !reflect.DeepEqual(lines, tc.want) {
			t.Errorf("%q: level %d %q, want %d %q", tc.p.Msg, level, lines, tc.level, tc.want)
		}
	}
}
