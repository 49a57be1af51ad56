package labconf

import (
	"os"
	"path/filepath"
	"testing"
)

// Golden compares a lab's rendered configuration file with
// testdata/<name> of the calling package's tests, so that a change to the
// shared template that would change any lab's file shows as a failing
// test. With GOSWAN_UPDATE_GOLDEN=1 it writes the file instead.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("GOSWAN_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s changed:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
