package runner

// This file is the one place where the two lanes differ. A scenario is the
// same set of files in both; what the runner changes per lane is:
//
//  1. strongswan.conf: every host's /etc/strongswan.conf.testing (the file
//     STRONGSWAN_CONF names, which includes the scenario's strongswan.conf)
//     gets a block after that include, so its settings win:
//
//     userspace lane: a scenario strongswan.conf in strongSwan's own form
//     (charon.load without kernel-libipsec) gets the userspace data plane:
//     kernel-libipsec inserted before kernel-netlink in charon.load,
//     charon.plugins.kernel-libipsec.allow_peer_ts = yes, and the bypass
//     marks socket-default.fwmark = 0x42 / kernel-netlink.fwmark = !0x42
//     (so that IKE and ESP-in-UDP skip the routes into ipsec0; needed where
//     a remote traffic selector covers the peer, harmless elsewhere). A
//     file that already loads kernel-libipsec (written for this lane) is
//     left as it is.
//
//     kernel lane: kernel-libipsec is taken out of charon.load, and the
//     bypass marks above are unset ("key =" with no value, which
//     libstrongswan and goswan both read as unset), so the daemons use the
//     kernel's XFRM and ESP exactly as strongSwan's own test hosts do.
//
//  2. pretest.dat, evaltest.dat, posttest.dat: a line that starts with
//     "[kernel] " or "[userspace] " runs only in that lane; in the other it
//     is shown as skipped and judges nothing. Checks that only one data
//     plane can pass (the kernel's "expire add: soft 5(sec)" in ip -s xfrm
//     state, libipsec's "ESP in UDP SPIs" or UDP-encapsulated ESP in a
//     capture) are tagged this way.
//
// Nothing else differs: the same hosts, topology, daemons and checks.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/testing/internal/scenario"
)

// Lane is the data plane the scenarios run on.
type Lane string

const (
	// Userspace is the scenario lane on this machine's kernel, which has
	// XFRM but no ESP: ESP runs in kernel-libipsec (strongSwan) and
	// kernel_libipsec (goswan).
	Userspace Lane = "userspace"
	// Kernel is the kernel lane inside the qemu guest (testing/vm): Debian's
	// stock kernel with ESP, and kernel-netlink alone.
	Kernel Lane = "kernel"
)

// ParseLane accepts the names of scenario.Lanes.
func ParseLane(s string) (Lane, error) {
	for _, l := range scenario.Lanes {
		if s == l {
			return Lane(s), nil
		}
	}
	return "", fmt.Errorf("unknown lane %q (want %s)", s, strings.Join(scenario.Lanes, " or "))
}

// The userspace lane's bypass marks.
const (
	bypassSocketMark = "0x42"
	bypassKernelMark = "!0x42"
)

// confBlock returns the block the lane appends to a host's
// strongswan.conf.testing, after the include of the scenario's
// strongswan.conf (conf; nil when the scenario has none for the host).
func (l Lane) confBlock(host string, conf []byte) (string, error) {
	if conf == nil {
		return "", nil
	}
	s, err := settings.Parse("/etc/strongswan.conf", conf, nil)
	if err != nil {
		return "", fmt.Errorf("%s: strongswan.conf: %w", host, err)
	}
	load, hasLoad := s.Value("charon.load")
	plugins := settings.Tokens(load)
	libipsec := slices.Contains(plugins, "kernel-libipsec")
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	switch l {
	case Userspace:
		if libipsec {
			return "", nil // written for this lane
		}
		if !hasLoad {
			return "", fmt.Errorf("%s: strongswan.conf has no charon.load; the lanes need the plugin list to put the data plane in", host)
		}
		at := slices.Index(plugins, "kernel-netlink")
		if at < 0 {
			at = len(plugins)
		}
		plugins = slices.Insert(plugins, at, "kernel-libipsec")
		w("charon {")
		w("  load = %s", strings.Join(plugins, " "))
		w("  plugins {")
		if _, set := s.Value("charon.plugins.kernel-libipsec.allow_peer_ts"); !set {
			w("    kernel-libipsec {\n      allow_peer_ts = yes\n    }")
		}
		_, sockSet := s.Value("charon.plugins.socket-default.fwmark")
		_, knlSet := s.Value("charon.plugins.kernel-netlink.fwmark")
		if !sockSet && !knlSet {
			w("    socket-default {\n      fwmark = %s\n    }", bypassSocketMark)
			w("    kernel-netlink {\n      fwmark = %s\n    }", bypassKernelMark)
		}
		w("  }")
		w("}")
	case Kernel:
		var unset []string
		if v, _ := s.Value("charon.plugins.socket-default.fwmark"); v == bypassSocketMark {
			unset = append(unset, "socket-default")
		}
		if v, _ := s.Value("charon.plugins.kernel-netlink.fwmark"); v == bypassKernelMark {
			unset = append(unset, "kernel-netlink")
		}
		if !libipsec && len(unset) == 0 {
			return "", nil
		}
		w("charon {")
		if libipsec {
			w("  load = %s", strings.Join(slices.DeleteFunc(plugins, func(p string) bool { return p == "kernel-libipsec" }), " "))
		}
		if len(unset) > 0 {
			w("  plugins {")
			for _, p := range unset {
				w("    %s {\n      fwmark =\n    }", p)
			}
			w("  }")
		}
		w("}")
	default:
		return "", fmt.Errorf("unknown lane %q", l)
	}
	return fmt.Sprintf("\n# The %s lane (added by the scenario runner, testing/internal/runner/lane.go):\n%s", l, b.String()), nil
}

// checkKernel makes sure this kernel can run the lane: the kernel lane
// needs ESP (the qemu guest has it; this machine's kernel may not), or
// every tunnel would fail in ways that say nothing about the daemons.
func (l Lane) checkKernel() error {
	if l != Kernel {
		return nil
	}
	if hasModule("esp4") {
		return nil
	}
	return fmt.Errorf("the kernel lane needs a kernel with ESP (esp4 is neither loaded nor built in); run it in the guest: testing/do-tests --kernel")
}

// warmUpSAs are ESP SAs with the algorithms of the default proposals, added
// once in a scratch namespace by warmUp.
var warmUpSAs = []string{
	"enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f 128",
	"enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha1)' 0x000102030405060708090a0b0c0d0e0f00010203 96",
	"enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha384)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f 192",
	"enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha512)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f 256",
	"aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f00010203 128",
	"aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f00010203 128",
	"enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f 128 replay-window 32 flag esn",
}

// warmUp makes the kernel lane's first test as fast as the others: the
// first SA with an algorithm makes the kernel load its modules (through
// modprobe) and run the crypto self-tests, which under TCG takes seconds,
// longer than a daemon waits for its peer's response. Failures do not
// matter here (a missing algorithm fails the scenario that uses it).
func (l Lane) warmUp(ctx context.Context, logf func(string, ...any)) {
	if l != Kernel {
		return
	}
	t0 := time.Now()
	ns := "gsnwarm" + RandomPrefix()[3:]
	if err := exec.CommandContext(ctx, "ip", "netns", "add", ns).Run(); err != nil {
		logf("kernel lane: warm-up: ip netns add: %v", err)
		return
	}
	defer func() { _ = exec.Command("ip", "netns", "del", ns).Run() }()
	var b strings.Builder
	for i, alg := range warmUpSAs {
		fmt.Fprintf(&b, "xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi %d mode tunnel %s\n", 0x1000+i, alg)
	}
	cmd := exec.CommandContext(ctx, "ip", "-n", ns, "-force", "-batch", "-")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		logf("kernel lane: warm-up: %v: %s", err, bytes.TrimSpace(out))
	}
	logf("kernel lane: ESP transforms warmed up in %.1fs", time.Since(t0).Seconds())
}

// hasModule reports whether a kernel module is loaded or built in.
func hasModule(name string) bool {
	if _, err := os.Stat("/sys/module/" + name); err == nil {
		return true
	}
	rel, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return false
	}
	f, err := os.Open("/lib/modules/" + strings.TrimSpace(string(rel)) + "/modules.builtin")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasSuffix(sc.Text(), "/"+name+".ko") {
			return true
		}
	}
	return false
}
