package daemon_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The mobile IPv6 set-up of seeds/004, reduced to what MIGRATE and
// ACQUIRE need: a home agent (ha) and a mobile node (mn) with an IPv6
// tunnel between their home addresses (on lo), IKE between the node's
// care-of address and the agent. As in the seed, the conns have
// installpolicy=no: the policies are mip6d's, installed with the reqid the
// daemons assign (the first, 1), and mip6d moves them and their SAs with
// XFRM_MSG_MIGRATE when the care-of address changes. The test plays
// mip6d's part with ip xfrm and testing/cmd/xfrm-migrate.
const migrateConf = `config setup
conn home
	keyexchange=ikev2
	authby=secret
	mobike=no
	keyingtries=1
	installpolicy=no
	esp=aes128gcm16!
	left=%s
	leftsubnet=%s
	leftid=@%s.strongswan.org
	right=%s
	rightsubnet=%s
	rightid=@%s.strongswan.org
	auto=%s
`

// migrate runs xfrm-migrate in h's namespace.
func migrate(t *testing.T, bin string, h *host, args ...string) {
	t.Helper()
	before := sh(t, "ip", "-n", h.ns, "xfrm", "state")
	out, err := exec.Command("ip", append([]string{"netns", "exec", h.ns, filepath.Join(bin, "xfrm-migrate")}, args...)...).CombinedOutput()
	if err != nil {
		t.Errorf("%s: xfrm-migrate %v: %v\n%s\nstate before:\n%s\nafter:\n%s", h.name, args, err, out, before, sh(t, "ip", "-n", h.ns, "xfrm", "state"))
	}
}

// mip6Policies are one end's tunnel policies (mine and the peer's home
// address, my care-of address and the agent's/node's), as mip6d installs
// them: out, in and fwd, reqid 1.
func mip6Policies(t *testing.T, h *host, myHome, otherHome, me, other string) {
	t.Helper()
	for _, p := range [][]string{
		{"src", myHome, "dst", otherHome, "dir", "out", "tmpl", "src", me, "dst", other},
		{"src", otherHome, "dst", myHome, "dir", "in", "tmpl", "src", other, "dst", me},
		{"src", otherHome, "dst", myHome, "dir", "fwd", "tmpl", "src", other, "dst", me},
	} {
		sh(t, append(append([]string{"ip", "-n", h.ns, "xfrm", "policy", "add"}, p...), "proto", "esp", "reqid", "1", "mode", "tunnel")...)
	}
}

// TestKernelMigrate: the mobile node's tunnel comes up by an ACQUIRE for
// the reqid of its routed installpolicy=no conn; then its care-of address
// changes from 2001::10 to 2001::50 and mip6d on both ends (xfrm-migrate
// here) asks the kernel to move the policies and their SAs, one policy at a
// time; the kernel tells the key managers with XFRM_MSG_MIGRATE and a
// kmaddress. goswan finds the CHILD_SA by reqid, moves the SA the kernel
// did not (as charon, it cannot find the one the kernel already moved and
// leaves it), takes the kmaddress as its IKE_SA's endpoints, and the
// tunnel carries traffic from the new address; a rekey over the moved
// IKE_SA works too.
func TestKernelMigrate(t *testing.T) {
	if os.Getenv("GOSWAN_VM") != "1" {
		t.Skip("needs a kernel with ESP: runs inside the kernel lane's VM (make vmtest)")
	}
	bin := os.Getenv("GOSWAN_BIN")
	if bin == "" {
		t.Fatal("GOSWAN_BIN must name the directory with goswan's ipsec, charon and xfrm-migrate")
	}
	root := t.TempDir()
	ha := &host{name: "ha", ns: "gvm-ha", dir: filepath.Join(root, "ha")}
	mn := &host{name: "mn", ns: "gvm-mn", dir: filepath.Join(root, "mn")}
	hosts := []*host{ha, mn}
	for _, h := range hosts {
		sh(t, "ip", "netns", "add", h.ns)
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			if h.starter != nil && h.starter.ProcessState == nil {
				_ = h.starter.Process.Kill()
				_, _ = h.starter.Process.Wait()
			}
			_ = exec.Command("ip", "netns", "del", h.ns).Run()
		}
	})
	sh(t, "ip", "link", "add", "gvm-h", "type", "veth", "peer", "name", "gvm-n")
	sh(t, "ip", "link", "set", "gvm-h", "netns", ha.ns)
	sh(t, "ip", "link", "set", "gvm-n", "netns", mn.ns)
	for _, c := range [][]string{
		{ha.ns, "addr", "add", "2001::1/64", "dev", "gvm-h", "nodad"},
		{ha.ns, "addr", "add", "2001:1::1/128", "dev", "lo"},
		{mn.ns, "addr", "add", "2001::10/64", "dev", "gvm-n", "nodad"},
		{mn.ns, "addr", "add", "2001::50/64", "dev", "gvm-n", "nodad"},
		{mn.ns, "addr", "add", "2001:1::10/128", "dev", "lo"},
	} {
		sh(t, append([]string{"ip", "-n"}, c...)...)
	}
	for _, h := range hosts {
		dev := map[*host]string{ha: "gvm-h", mn: "gvm-n"}[h]
		sh(t, "ip", "-n", h.ns, "link", "set", "lo", "up")
		sh(t, "ip", "-n", h.ns, "link", "set", dev, "up")
		// mip6d's routes to the other home address (installpolicy=no: the
		// daemons install none).
		sh(t, "ip", "-n", h.ns, "-6", "route", "add", map[*host]string{ha: "2001:1::10/128", mn: "2001:1::1/128"}[h], "dev", dev)
		if err := os.MkdirAll(h.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		conf := fmt.Sprintf(migrateConf, "2001::1", "2001:1::1/128", "ha", "%any", "2001:1::10/128", "mn", "add")
		if h == mn {
			conf = fmt.Sprintf(migrateConf, "2001::10", "2001:1::10/128", "mn", "2001::1", "2001:1::1/128", "ha", "route")
		}
		for name, data := range map[string]string{
			"ipsec.conf":      conf,
			"ipsec.secrets":   "@ha.strongswan.org @mn.strongswan.org : PSK \"kernel lane secret\"\n",
			"strongswan.conf": strings.Replace(fmt.Sprintf(strongswanConf, h.dir), "default = 1", "default = 1\n\t\t\tknl = 2\n\t\t\tjob = 2", 1),
		} {
			if err := os.WriteFile(filepath.Join(h.dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	mip6Policies(t, ha, "2001:1::1/128", "2001:1::10/128", "2001::1", "2001::10")
	mip6Policies(t, mn, "2001:1::10/128", "2001:1::1/128", "2001::10", "2001::1")
	for _, h := range hosts {
		log, err := os.Create(filepath.Join(h.dir, "starter.out"))
		if err != nil {
			t.Fatal(err)
		}
		h.starter = exec.Command("ip", "netns", "exec", h.ns, filepath.Join(bin, "ipsec"), "start", "--nofork")
		h.starter.Env = h.env(bin)
		h.starter.Stdout, h.starter.Stderr = log, log
		h.starter.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := h.starter.Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		if t.Failed() {
			for _, h := range hosts {
				b, _ := os.ReadFile(filepath.Join(h.dir, "charon.log"))
				t.Logf("%s charon.log:\n%s\n%s xfrm state:\n%s", h.name, b, h.name, sh(t, "ip", "-n", h.ns, "xfrm", "state"))
			}
		}
	}()
	ha.waitFor(t, "conn not loaded", func() bool { return strings.Contains(ha.ipsec(t, bin, "statusall"), "home:") })
	mn.waitFor(t, "conn not routed", func() bool {
		return strings.Contains(mn.ipsec(t, bin, "statusall"), "home{1}:  CREATED, TUNNEL, reqid 1")
	})
	ping := func(what string) {
		t.Helper()
		if out, err := exec.Command("ip", "netns", "exec", mn.ns, "ping6", "-c", "2", "-W", "2", "-I", "2001:1::10", "2001:1::1").CombinedOutput(); err != nil {
			t.Fatalf("ping %s: %v\n%s", what, err, out)
		}
	}
	// The first packet hits mip6d's policy without an SA: the kernel's
	// ACQUIRE names reqid 1, which the routed conn holds.
	_ = exec.Command("ip", "netns", "exec", mn.ns, "ping6", "-c", "1", "-W", "1", "-I", "2001:1::10", "2001:1::1").Run()
	for _, h := range hosts {
		h.waitFor(t, "no CHILD_SA with reqid 1", func() bool {
			return strings.Contains(h.ipsec(t, bin, "statusall"), "INSTALLED, TUNNEL, reqid 1, ESP SPIs")
		})
	}
	// The selectors are the packet's (ICMPv6 echo request).
	if log, _ := os.ReadFile(filepath.Join(mn.dir, "charon.log")); !regexp.MustCompile(
		`\[KNL\] creating acquire job for policy 2001:1::10/128\S* === 2001:1::1/128\S* with reqid \{1\}`).Match(log) {
		t.Errorf("mn: no acquire by reqid:\n%s", log)
	}
	ping("before the move")

	// The node moves to 2001::50: mip6d on each end moves the tunnel's
	// policies (out, in, fwd) and their SAs, one request each.
	for _, dir := range []string{"out", "in", "fwd"} {
		sel, old, now := "2001:1::1/128=2001:1::10/128", "2001::1=2001::10", "2001::1=2001::50"
		if dir != "out" {
			sel, old, now = "2001:1::10/128=2001:1::1/128", "2001::10=2001::1", "2001::50=2001::1"
		}
		migrate(t, bin, ha, "-sel", sel, "-dir", dir, "-old", old, "-new", now, "-reqid", "1", "-km", "2001::1=2001::50")
	}
	for _, dir := range []string{"out", "in", "fwd"} {
		sel, old, now := "2001:1::10/128=2001:1::1/128", "2001::10=2001::1", "2001::50=2001::1"
		if dir != "out" {
			sel, old, now = "2001:1::1/128=2001:1::10/128", "2001::1=2001::10", "2001::1=2001::50"
		}
		migrate(t, bin, mn, "-sel", sel, "-dir", dir, "-old", old, "-new", now, "-reqid", "1", "-km", "2001::50=2001::1")
	}
	sh(t, "ip", "-n", mn.ns, "addr", "del", "2001::10/64", "dev", "gvm-n")
	want := map[*host]string{ha: "2001::1[ha.strongswan.org]...2001::50[mn.strongswan.org]",
		mn: "2001::50[mn.strongswan.org]...2001::1[ha.strongswan.org]"}
	for _, h := range hosts {
		h.waitFor(t, "IKE_SA not moved to the kmaddress", func() bool { return strings.Contains(h.ipsec(t, bin, "statusall"), want[h]) })
		log, _ := os.ReadFile(filepath.Join(h.dir, "charon.log"))
		for _, line := range []string{
			"[KNL] received a XFRM_MSG_MIGRATE",
			"[KNL]   XFRMA_KMADDRESS",
			"[KNL] creating migrate job for policy ",
			"with reqid {1}",
			"[JOB] found CHILD_SA with reqid {1}",
		} {
			if !strings.Contains(string(log), line) {
				t.Errorf("%s: charon.log lacks %q", h.name, line)
			}
		}
		// On ha the kernel moved the outbound SA first, to another
		// destination: goswan, as charon, no longer finds it by its old
		// one (seeds/004: "querying SAD entry failed").
		if h == ha && !strings.Contains(string(log), "[KNL] unable to update SAD entry with SPI") {
			t.Errorf("ha: charon.log lacks the failed update of the SA the kernel moved")
		}
		state := sh(t, "ip", "-n", h.ns, "xfrm", "state")
		if strings.Contains(state, "2001::10 ") || strings.Count(state, "2001::50") != 2 {
			t.Errorf("%s: SAs not at the new address:\n%s", h.name, state)
		}
	}
	ping("after the move")

	// The moved IKE_SA works: a rekey puts new SAs between the new
	// endpoints, and traffic goes on.
	ha.ipsec(t, bin, "stroke", "rekey", "home{*}")
	ha.waitFor(t, "CHILD_SA not rekeyed", func() bool {
		st := ha.ipsec(t, bin, "statusall")
		return strings.Count(st, "INSTALLED, TUNNEL") == 1 && strings.Contains(st, "home{2}:  INSTALLED")
	})
	ping("after the rekey")
	// The old inbound SA goes after delete_rekeyed_delay (5 s).
	ha.waitFor(t, "rekeyed SAs not between the new endpoints", func() bool {
		st := sh(t, "ip", "-n", ha.ns, "xfrm", "state")
		return strings.Count(st, "src 2001::50 dst 2001::1") == 1 && strings.Count(st, "src 2001::1 dst 2001::50") == 1
	})
	for _, h := range hosts {
		if err := h.starter.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- h.starter.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: starter did not stop", h.name)
		}
		if st := strings.TrimSpace(sh(t, "ip", "-n", h.ns, "xfrm", "state")); st != "" {
			t.Errorf("%s: SAs left after stop:\n%s", h.name, st)
		}
	}
}
