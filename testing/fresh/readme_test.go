// Package fresh holds `make fresh-check` (check.sh) and the list of the
// packages README.md names for its two commands (packages.txt); this test
// keeps the two in step.
package fresh

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// listed reads packages.txt: the packages for both commands (the fresh
// machine's own and those README names for both) and those for the demo.
func listed(t *testing.T) (both, demo []string) {
	t.Helper()
	b, err := os.ReadFile("packages.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "base", "both":
			both = append(both, f[1])
		case "demo":
			demo = append(demo, f[1])
		default:
			t.Errorf("packages.txt: %q: want base, both or demo", l)
		}
	}
	slices.Sort(both)
	slices.Sort(demo)
	return both, demo
}

var backticked = regexp.MustCompile("`([^`]+)`")

// named returns the backticked words of README's line that starts with
// label, up to a parenthesis.
func named(t *testing.T, readme, label string) []string {
	t.Helper()
	for _, l := range strings.Split(readme, "\n") {
		if !strings.HasPrefix(l, label) {
			continue
		}
		l = strings.TrimPrefix(l, label)
		if i := strings.IndexByte(l, '('); i >= 0 {
			l = l[:i]
		}
		var out []string
		for _, m := range backticked.FindAllStringSubmatch(l, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	t.Fatalf("README.md has no line %q", label)
	return nil
}

// TestREADMENamesThePackages: README.md names exactly the packages that
// make fresh-check installs, for each command.
func TestREADMENamesThePackages(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	both, demo := listed(t)
	if got := named(t, string(b), "- both commands:"); !slices.Equal(got, both) {
		t.Errorf("README names %v for both commands, packages.txt %v", got, both)
	}
	if got := named(t, string(b), "- `make demo` also:"); !slices.Equal(got, demo) {
		t.Errorf("README names %v for the demo, packages.txt %v", got, demo)
	}
}

// TestCIPackages: .ci/packages.txt gives every package its lanes and a
// reason, and lists no package twice.
func TestCIPackages(t *testing.T) {
	b, err := os.ReadFile("../../.ci/packages.txt")
	if err != nil {
		t.Fatal(err)
	}
	lanes := map[string]bool{"test": true, "scenarios": true, "demo": true, "bench": true, "vmtest": true,
		"fresh-check": true, "test-loaded": true}
	seen := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 3 {
			t.Errorf("%q: want package, lanes and why", l)
			continue
		}
		if seen[f[0]] {
			t.Errorf("%s listed twice", f[0])
		}
		seen[f[0]] = true
		for _, lane := range strings.Split(f[1], ",") {
			if !lanes[lane] {
				t.Errorf("%s: unknown lane %q", f[0], lane)
			}
		}
	}
}
