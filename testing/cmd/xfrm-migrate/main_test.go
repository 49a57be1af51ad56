package main

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

func TestParseAndEncode(t *testing.T) {
	r, err := parseRequest(strings.Fields("-sel 2001:1::10/128=2001:1::1/128 -proto 135 -dir in " +
		"-old ::=:: -new 2001::41a:a8ff:fe6f:c67=2001:1::1 -mode transport -reqid 1 -km 2001:1::1=2001::41a:a8ff:fe6f:c67"))
	if err != nil {
		t.Fatal(err)
	}
	m := r.encode(7)
	if got := native.Uint32(m[0:]); int(got) != len(m) || native.Uint16(m[4:]) != msgMigrate || native.Uint32(m[8:]) != 7 {
		t.Fatalf("header %x", m[:16])
	}
	body := m[16:]
	if a, _ := netip.AddrFromSlice(body[16:32]); a.String() != "2001:1::10" || body[43] != 128 || body[44] != 135 || body[60] != 0 {
		t.Errorf("selector/dir %x", body[:64])
	}
	attrs := body[64:]
	var types []uint16
	for len(attrs) >= 4 {
		l := int(native.Uint16(attrs))
		types = append(types, native.Uint16(attrs[2:]))
		if native.Uint16(attrs[2:]) == attrMigrate {
			mg := attrs[4:l]
			if a, _ := netip.AddrFromSlice(mg[48:64]); a.String() != "2001::41a:a8ff:fe6f:c67" || mg[65] != 0 || native.Uint32(mg[68:]) != 1 {
				t.Errorf("migrate %x", mg)
			}
		}
		attrs = attrs[(l+3)&^3:]
	}
	if len(types) != 3 || types[0] != attrPolicyType || types[1] != attrMigrate || types[2] != attrKmAddress {
		t.Errorf("attributes %v", types)
	}
	for _, bad := range []string{"-sel 10.0.0.0/8 -dir out", "-sel 1.0.0.0/8=2.0.0.0/8 -dir up -old 1.1.1.1=2.2.2.2 -new 1.1.1.1=2.2.2.3 -km 1.1.1.1=2.2.2.3",
		"-sel 1.0.0.0/8=2.0.0.0/8 -dir out -old 1.1.1.1=2::2 -new 1.1.1.1=2.2.2.3 -km 1.1.1.1=2.2.2.3"} {
		if _, err := parseRequest(strings.Fields(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestMovesPolicy: in a network namespace of its own, the kernel takes the
// request and moves the policy's template (this machine's kernel has XFRM;
// SAs, which need ESP, move in the kernel lane's tests).
func TestMovesPolicy(t *testing.T) {
	testenv.RequireRoot(t)
	bin := filepath.Join(t.TempDir(), "xfrm-migrate")
	if out, err := exec.Command(goCmd(), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// A bare namespace of the shared harness: recorded, so that a crashed
	// run's namespace is removed by the next, and torn down at the end.
	ns := nshost.NewNetNS(t, "xfrm")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("ip", "xfrm", "policy", "add", "src", "2001:1::1/128", "dst", "2001:1::10/128", "dir", "out",
		"tmpl", "src", "2001::1", "dst", "2001::10", "proto", "esp", "reqid", "2", "mode", "tunnel")
	run(bin, "-sel", "2001:1::1/128=2001:1::10/128", "-dir", "out", "-old", "2001::1=2001::10",
		"-new", "2001::1=2001::50", "-reqid", "2", "-km", "2001::1=2001::50")
	if p := run("ip", "xfrm", "policy"); !strings.Contains(p, "tmpl src 2001::1 dst 2001::50") {
		t.Errorf("template not moved:\n%s", p)
	}
	// A request for a policy that does not exist is refused.
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "-sel", "10.1.0.0/16=10.2.0.0/16", "-dir", "out",
		"-old", "192.168.0.1=192.168.0.2", "-new", "192.168.0.1=192.168.0.3", "-km", "192.168.0.1=192.168.0.3")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err == nil {
		t.Error("MIGRATE of a missing policy acknowledged")
	}
}

func goCmd() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}
