package files

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGlobMap(t *testing.T) {
	m := Map{
		"/etc/d/b.conf":       "",
		"/etc/d/a.conf":       "",
		"/etc/d/.hidden.conf": "",
		"/etc/d/a.txt":        "",
		"/etc/d/sub/c.conf":   "",
		"/etc/e/x.conf":       "",
		"/etc/a-/y.conf":      "",
		"/etc/a/z.conf":       "",
		"rel/r.conf":          "",
	}
	for _, tc := range []struct{ pattern, want string }{
		{"/etc/d/*.conf", "/etc/d/a.conf /etc/d/b.conf"},
		{"/etc/d/.*.conf", "/etc/d/.hidden.conf"},
		{"/etc/*/*.conf", "/etc/a-/y.conf /etc/a/z.conf /etc/d/a.conf /etc/d/b.conf /etc/e/x.conf"},
		{"/etc/d/[ab].conf", "/etc/d/a.conf /etc/d/b.conf"},
		{"/etc/d/[!a].conf", "/etc/d/b.conf"},
		{"/etc/d/?.txt", "/etc/d/a.txt"},
		{"/etc/d/a.conf", "/etc/d/a.conf"},
		{"/etc/d/missing.conf", ""},
		{"/etc/d/sub", "/etc/d/sub"},
		{"rel/*.conf", "rel/r.conf"},
		{"/etc/d/a\\.conf", "/etc/d/a.conf"},
	} {
		got, _ := Glob(m, tc.pattern)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %q, want %q", tc.pattern, got, tc.want)
		}
	}
	if _, err := Glob(m, "/nonexistent/*.conf"); err == nil {
		t.Error("an unreadable directory is GLOB_ABORTED with GLOB_ERR")
	}
}

func TestGlobOS(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.conf", "a.conf", ".h.conf"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Glob(OS{}, dir+"/*.conf")
	if err != nil || len(got) != 3 || !strings.HasSuffix(got[0], "/a.conf") || !strings.HasSuffix(got[2], "/sub.conf") {
		t.Fatalf("%q %v", got, err)
	}
	// Directories match the pattern but are not read (strongSwan skips
	// what is not a regular file).
	if _, _, err := (OS{}).ReadFile(got[2]); err == nil {
		t.Error("a directory was read")
	}
	if id0, id1 := (OS{}).Identify(got[0]), (OS{}).Identify(got[1]); id0 == nil || id0 == id1 {
		t.Error("identities")
	}
}

func TestStackIncludeOrder(t *testing.T) {
	m := Map{"/etc/main": "", "/etc/inc/1": "", "/etc/inc/2": "", "/etc/inc/1sub": ""}
	st := &Stack{FS: m}
	if err := st.OpenMain("/etc/main"); err != nil {
		t.Fatal(err)
	}
	st.Include(st.Top().Position(0), "inc/?")
	if st.Top().Name != "/etc/inc/1" {
		t.Fatalf("top %s", st.Top().Name)
	}
	st.Include(st.Top().Position(0), "1sub")
	var order []string
	for st.Top() != nil {
		order = append(order, st.Top().Name)
		if !st.EOF() {
			break
		}
	}
	if strings.Join(order, " ") != "/etc/inc/1sub /etc/inc/1 /etc/inc/2 /etc/main" {
		t.Errorf("order %q", order)
	}
	if strings.Join(st.Files(), " ") != "/etc/main /etc/inc/1 /etc/inc/1sub /etc/inc/2" {
		t.Errorf("files %q", st.Files())
	}
}
