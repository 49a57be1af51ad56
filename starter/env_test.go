package starter

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDaemonDir(t *testing.T) {
	root := t.TempDir()
	mk := func(path string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	// A build: bin/ipsec and bin/charon.
	mk(filepath.Join(root, "build/bin/ipsec"), 0o755)
	mk(filepath.Join(root, "build/bin/charon"), 0o755)
	// make install: sbin/ipsec, libexec/ipsec/charon.
	mk(filepath.Join(root, "prefix/sbin/ipsec"), 0o755)
	mk(filepath.Join(root, "prefix/libexec/ipsec/charon"), 0o755)
	// A charon that is not executable does not count.
	mk(filepath.Join(root, "odd/bin/ipsec"), 0o755)
	mk(filepath.Join(root, "odd/bin/charon"), 0o644)
	for _, tc := range []struct{ exe, daemon, want string }{
		{filepath.Join(root, "build/bin/ipsec"), "charon", filepath.Join(root, "build/bin")},
		{filepath.Join(root, "build/bin/ipsec"), "other", DefaultIPsecDir},
		{filepath.Join(root, "prefix/sbin/ipsec"), "charon", filepath.Join(root, "prefix/libexec/ipsec")},
		{filepath.Join(root, "odd/bin/ipsec"), "charon", DefaultIPsecDir},
		{"/usr/sbin/ipsec-nowhere", "charon", DefaultIPsecDir},
		{"", "charon", DefaultIPsecDir},
	} {
		if got := DaemonDir(tc.exe, tc.daemon); got != tc.want {
			t.Errorf("DaemonDir(%s, %s) = %s, want %s", tc.exe, tc.daemon, got, tc.want)
		}
	}
}

func TestPaths(t *testing.T) {
	p := (&Env{}).paths("charon")
	want := paths{daemon: "/usr/lib/ipsec/charon", charonPID: "/var/run/charon.pid",
		starterPID: "/var/run/starter.charon.pid", ctl: "/var/run/charon.ctl"}
	if p != want {
		t.Errorf("defaults: %+v, want %+v", p, want)
	}
	p = (&Env{IPsecDir: "/opt/d", PIDDir: "/r", CharonPIDFile: "/x/c.pid"}).paths("weird")
	want = paths{daemon: "/opt/d/weird", charonPID: "/x/c.pid", starterPID: "/r/starter.weird.pid", ctl: "/r/charon.ctl"}
	if p != want {
		t.Errorf("overrides: %+v, want %+v", p, want)
	}
}
