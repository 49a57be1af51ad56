package feature

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite README's paragraph")

const (
	readme = "../../README.md"
	begin  = "<!-- feature.Readme: go test ./config/feature -update -->\n"
	end    = "<!-- end of feature.Readme -->\n"
)

// README's "What goswan does not do yet" is the feature list.
func TestReadme(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README lacks the markers %q and %q", begin, end)
	}
	want := text[:i+len(begin)] + Readme() + text[j:]
	if *update {
		if err := os.WriteFile(readme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if text != want {
		t.Errorf("README's paragraph is not feature.Readme() (go test ./config/feature -update):\n%s", Readme())
	}
}

func TestNames(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range All {
		if f.Name == "" || seen[f.Name] {
			t.Errorf("feature %q: empty or twice", f.Name)
		}
		seen[f.Name] = true
	}
}
