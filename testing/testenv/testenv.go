// Package testenv decides whether a test that needs the real world (root,
// network namespaces, Debian's strongSwan and its plugins, qemu) can run
// here.
//
// Outside CI such a test skips with a loud reason. Under CI (GOSWAN_CI=1, set by
// .ci/run, which installs everything the tests need) a missing prerequisite is
// a failure: a skipped interop test must never be counted as a pass. Every
// skip in the repository goes through Unavailable (or says in its comment
// why it may not).
//
// The reasons name the Debian package that has what is missing, so that a
// fresh machine (make fresh-check) says what to install.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// debianPackages names the Debian bookworm package of each program the
// tests and lanes run.
var debianPackages = map[string]string{
	"ip":                     "iproute2",
	"nsenter":                "util-linux",
	"unshare":                "util-linux",
	"ping":                   "iputils-ping",
	"grep":                   "grep",
	"tcpdump":                "tcpdump",
	"tshark":                 "tshark",
	"iperf3":                 "iperf3",
	"python3":                "python3",
	"git":                    "git",
	"gcc":                    "gcc",
	"stress-ng":              "stress-ng",
	"debootstrap":            "debootstrap",
	"qemu-system-x86_64":     "qemu-system-x86",
	"busybox":                "busybox-static",
	"cpio":                   "cpio",
	"ipsec":                  "strongswan-starter",
	"/usr/sbin/ipsec":        "strongswan-starter",
	"/usr/lib/ipsec/starter": "strongswan-starter",
	"/usr/lib/ipsec/stroke":  "strongswan-starter",
	"/usr/lib/ipsec/charon":  "strongswan-charon",
	"charon":                 "strongswan-charon",
	"pki":                    "strongswan-pki",
	"swanctl":                "strongswan-swanctl",
}

// DebianPackage returns the Debian package that has a program (by name or
// path), or "" if the table does not know it.
func DebianPackage(program string) string { return debianPackages[program] }

// LookCommand finds a program: at path when it has a slash, else on $PATH.
// Its error names the Debian package to install.
func LookCommand(program string) (string, error) {
	p, err := exec.LookPath(program)
	if err == nil {
		return p, nil
	}
	if pkg := DebianPackage(program); pkg != "" {
		return "", fmt.Errorf("needs %s (Debian package %s)", program, pkg)
	}
	return "", fmt.Errorf("needs %s", program)
}

// RequireCommand needs an executable file at path, or on $PATH when path has
// no slash; it returns the resolved path.
func RequireCommand(t testing.TB, path string) string {
	t.Helper()
	p, err := LookCommand(path)
	if err != nil {
		Unavailable(t, err.Error())
	}
	return p
}

// PluginDir is where Debian's strongSwan keeps its plugins.
const PluginDir = "/usr/lib/ipsec/plugins"

// pluginPackages names the Debian package of each strongSwan plugin a test
// or lane loads that is not in libstrongswan or strongswan-charon itself.
var pluginPackages = map[string]string{
	"openssl":         "libstrongswan-standard-plugins",
	"gcm":             "libstrongswan-standard-plugins",
	"agent":           "libstrongswan-standard-plugins",
	"curve25519":      "libstrongswan-extra-plugins",
	"kernel-libipsec": "libcharon-extra-plugins",
	"stroke":          "strongswan-starter",
	"eap-md5":         "libcharon-extra-plugins",
	"eap-identity":    "libcharon-extra-plugins",
	"socket-default":  "strongswan-libcharon",
	"updown":          "strongswan-libcharon",
	"counters":        "strongswan-libcharon",
}

// MissingPlugins returns, for each named strongSwan plugin Debian's charon
// (or pki) would fail to load here, "NAME (Debian package PKG)".
func MissingPlugins(names ...string) []string {
	var missing []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(PluginDir, "libstrongswan-"+n+".so")); err == nil {
			continue
		}
		pkg := pluginPackages[n]
		if pkg == "" {
			pkg = "libstrongswan"
		}
		missing = append(missing, fmt.Sprintf("%s (Debian package %s)", n, pkg))
	}
	return missing
}

// RequirePlugins needs Debian's strongSwan plugins of these names: a test
// that runs Debian's charon or pki checks for the plugins it loads, not
// just for the binary.
func RequirePlugins(t testing.TB, names ...string) {
	t.Helper()
	if m := MissingPlugins(names...); len(m) > 0 {
		Unavailable(t, "needs strongSwan's plugin "+strings.Join(m, ", plugin "))
	}
}

// OtherLane skips t, also under CI, because by design it cannot run in this
// lane and belongs to another one that CI runs (lane: its make target), for
// example an ESP test on a kernel without ESP, which `make vmtest` runs on
// Debian's kernel. It is never the answer to a missing prerequisite: that
// is Unavailable.
func OtherLane(t testing.TB, lane, reason string) {
	t.Helper()
	t.Skipf("SKIPPED HERE, RUNS IN %s: %s", lane, reason)
}

// Short skips long-running real-world tests under `go test -short`, but never
// in CI.
func Short(t testing.TB) {
	t.Helper()
	if testing.Short() && !InCI() {
		t.Skip("SKIPPED, NOT PASSED: -short")
	}
}
