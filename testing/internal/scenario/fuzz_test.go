package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles adds every file called name in the shipped scenarios.
func seedFiles(f *testing.F, name string) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "tests", "*", "*", name))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
}

// FuzzParseEval checks that evaltest.dat parsing never panics and that a
// parsed file, written back with EvalLine.String, parses to the same lines.
func FuzzParseEval(f *testing.F) {
	seedFiles(f, "evaltest.dat")
	f.Add("moon::ipsec status::x::YES\nsun::tcpdump::ESP::3\n# c\ncarol::ls")
	f.Add("a::b::c::d::e\n::\n \n\r\n")
	f.Add("[kernel] moon::ip -s xfrm state::soft 5(sec)::YES\n[userspace]sun::x\n[kernel")
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := ParseEval("f", strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(l.String())
			b.WriteByte('\n')
		}
		again, err := ParseEval("f", strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		if len(again) != len(lines) {
			t.Fatalf("%d lines became %d", len(lines), len(again))
		}
		for i := range lines {
			a, z := lines[i], again[i]
			if a.Comment != z.Comment || a.Host != z.Host || a.Command != z.Command || a.Pattern != z.Pattern || a.Expect != z.Expect {
				t.Fatalf("line %d: %+v became %+v", i, a, z)
			}
		}
	})
}

// FuzzParseSetup checks that pretest/posttest parsing never panics and that
// every command line has a host and a command.
func FuzzParseSetup(f *testing.F) {
	seedFiles(f, "pretest.dat")
	seedFiles(f, "posttest.dat")
	f.Add("moon::ipsec start::x\n# c\n")
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := ParseSetup("f", strings.NewReader(in))
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Comment == "" && (l.Host == "" || strings.TrimSpace(l.Command) == "") {
				t.Fatalf("line %+v has no host or command", l)
			}
		}
	})
}

// FuzzParseTestConf checks that test.conf parsing never panics and never
// accepts a value that would need shell expansion.
func FuzzParseTestConf(f *testing.F) {
	seedFiles(f, "test.conf")
	f.Add(`A="b c" # x` + "\nB='$d'\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseTestConf("f", strings.NewReader(in))
		if err != nil {
			return
		}
		for k, v := range c.Vars {
			if !isShellName(k) {
				t.Fatalf("accepted name %q", k)
			}
			if strings.Contains(v, "\n") {
				t.Fatalf("value of %s spans lines", k)
			}
		}
	})
}

// FuzzGrepPattern checks that unquoting never panics and never lengthens a
// pattern.
func FuzzGrepPattern(f *testing.F) {
	f.Add(`rw\[1]: \\ \$ \" \`)
	f.Fuzz(func(t *testing.T, in string) {
		if out := GrepPattern(in); len(out) > len(in) {
			t.Fatalf("%q grew to %q", in, out)
		}
	})
}
