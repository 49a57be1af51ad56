package goswan_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMakeTestNoRaceLineNamesRealTests: make test's second line runs, by
// name, the tests that skip themselves under -race (allocation tests, the
// collision sweeps). go test passes a -run that matches nothing, so a
// renamed or moved test would silently stop running anywhere: each name in
// that line must be a Test function of one of the packages it lists.
func TestMakeTestNoRaceLineNamesRealTests(t *testing.T) {
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\t\$\(GO\) test -count=1 -run '\^\(([^)]*)\)\$\$' (.*)$`).FindSubmatch(mk)
	if line == nil {
		t.Fatal("Makefile: make test's line without -race not found")
	}
	names := strings.Split(string(line[1]), "|")
	pkgs := strings.Fields(string(line[2]))
	for _, name := range names {
		decl := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(t \*testing\.T\)`)
		found := false
		for _, pkg := range pkgs {
			files, _ := filepath.Glob(filepath.Join(pkg, "*_test.go"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				found = found || decl.Match(b)
			}
		}
		if !found {
			t.Errorf("Makefile runs %s without -race, but no package of %v declares it", name, pkgs)
		}
	}
}
