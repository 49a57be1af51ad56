package ipsecconf

import (
	"os"
	"path/filepath"
	"testing"
)

// An include with a relative path resolves against the directory of the
// file that includes it, not the working directory (what `ipsec start
// --conf /elsewhere/ipsec.conf` relies on), at every level of nesting.
func TestIncludeRelativeToIncludingFile(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/ipsec.conf", "config setup\ninclude conns/*.conf\n")
	write("etc/conns/a.conf", "conn a\n\tleft=192.168.0.1\n\tright=192.168.0.2\ninclude more/b.conf\n")
	write("etc/conns/more/b.conf", "conn b\n\tleft=192.168.0.1\n\tright=192.168.0.3\n")
	t.Chdir(t.TempDir())
	cfg, err := Load(filepath.Join(dir, "etc", "ipsec.conf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cfg.Conns {
		names = append(names, c.Name)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("conns %v, want [a b]", names)
	}
}
