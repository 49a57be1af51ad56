// Package testenv decides whether a test that needs the real world (root,
// network namespaces, Debian's strongSwan, qemu) can run here.
//
// Outside CI such a test skips with a loud reason. Under CI (GOSWAN_CI=1, set by
// .ci/run, which installs everything the tests need) a missing prerequisite is
// a failure: a skipped interop test must never be counted as a pass.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under .ci/run, where every prerequisite
// is installed and a skip would hide a defect.
func InCI() bool { return os.Getenv("GOSWAN_CI") == "1" }

// Unavailable skips t (or fails it under CI) because of reason.
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("PREREQUISITE MISSING IN CI: %s", reason)
	}
	t.Skipf("SKIPPED, NOT PASSED: %s (runs in CI, where .ci/run installs it)", reason)
}

// RequireRoot needs uid 0 (network and mount namespaces).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "needs root for network namespaces")
	}
}

// RequireCommand needs an executable file at path, or on $PATH when path has
// no slash; it returns the resolved path.
func RequireCommand(t testing.TB, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		Unavailable(t, "needs "+path+" (Debian package strongswan or similar)")
	}
	return p
}

// Short skips long-running real-world tests under `go test -short`, but never
// in CI.
func Short(t testing.TB) {
	t.Helper()
	if testing.Short() && !InCI() {
		t.Skip("SKIPPED, NOT PASSED: -short")
	}
}
