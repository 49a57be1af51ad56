// Package daemon_test runs two goswan daemons with the kernel-netlink
// backend on a kernel that has ESP, inside the kernel lane's VM (make
// vmtest): the tunnel's SAs and policies are the kernel's XFRM state,
// exactly where strongSwan's charon puts them, and traffic flows through
// the kernel's ESP.
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

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

// host is one gateway: its namespace and configuration directory.
type host struct {
	name, ns, dir string
	starter       *exec.Cmd
}

func sh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// env is the environment of every goswan command of h: its own
// strongswan.conf, pid files and socket, and the binaries under test.
func (h *host) env(bin string) []string {
	return append(os.Environ(), "STRONGSWAN_CONF="+filepath.Join(h.dir, "strongswan.conf"),
		"GOSWAN_PIDDIR="+h.dir, "GOSWAN_IPSEC_DIR="+bin)
}

// ipsec runs goswan's ipsec inside h's namespace.
func (h *host) ipsec(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.ns, filepath.Join(bin, "ipsec")}, args...)...)
	cmd.Env = h.env(bin)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func (h *host) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", h.name, what)
		}
		time.Sleep(100 * time.Millisecond) // polling a daemon in another process
	}
}

const ipsecConf = `config setup
conn net-net
	keyexchange=ikev2
	authby=secret
	mobike=no
	keyingtries=1
	esp=aes128gcm16!
	left=%s
	leftsubnet=%s
	leftid=@%s.strongswan.org
	right=%s
	rightsubnet=%s
	rightid=@%s.strongswan.org
	auto=add
`

const strongswanConf = `starter {
	config_file = %[1]s/ipsec.conf
	load_warning = no
}
charon {
	load = random nonce aes sha1 sha2 hmac kdf gmp curve25519 stroke kernel-netlink socket-default
	filelog {
		log {
			path = %[1]s/charon.log
			time_format = %%b %%e %%T
			default = 1
			flush_line = yes
		}
	}
	plugins {
		stroke {
			secrets_file = %[1]s/ipsec.secrets
		}
	}
}
`

func TestKernelESPTunnel(t *testing.T) {
	if os.Getenv("GOSWAN_VM") != "1" {
		testenv.OtherLane(t, "make vmtest", "needs a kernel with ESP, the kernel lane's VM")
	}
	bin := os.Getenv("GOSWAN_BIN")
	if bin == "" {
		t.Fatal("GOSWAN_BIN must name the directory with goswan's ipsec and charon")
	}
	moon, sun := startGateways(t, bin)
	hosts := []*host{moon, sun}
	defer func() {
		if t.Failed() {
			for _, h := range hosts {
				b, _ := os.ReadFile(filepath.Join(h.dir, "charon.log"))
				s, _ := os.ReadFile(filepath.Join(h.dir, "starter.out"))
				t.Logf("%s starter:\n%s\n%s charon.log:\n%s", h.name, s, h.name, b)
			}
		}
	}()
	for _, h := range hosts {
		h.waitFor(t, "conn not loaded", func() bool { return strings.Contains(h.ipsec(t, bin, "statusall"), "net-net:") })
	}

	up := moon.ipsec(t, bin, "up", "net-net")
	if !strings.Contains(up, "connection 'net-net' established successfully") {
		t.Fatalf("ipsec up:\n%s", up)
	}
	checkKernelSAs(t, bin, moon, sun)
	// Traffic from the subnet behind moon to the one behind sun goes
	// through the kernel's ESP, and the daemon sees the counters.
	if out, err := exec.Command("ip", "netns", "exec", moon.ns, "ping", "-c", "3", "-W", "2", "-I", "10.1.0.1", "10.2.0.1").CombinedOutput(); err != nil {
		t.Fatalf("ping through the tunnel: %v\n%s", err, out)
	}
	if st := moon.ipsec(t, bin, "statusall"); !regexp.MustCompile(`[1-9]\d* bytes_i \(3 pkts`).MatchString(st) {
		t.Errorf("moon: statusall does not count the three replies:\n%s", st)
	}

	down := moon.ipsec(t, bin, "down", "net-net")
	if !strings.Contains(down, "IKE_SA [1] closed successfully") {
		t.Fatalf("ipsec down:\n%s", down)
	}
	for _, h := range hosts {
		h.waitFor(t, "XFRM states left after ipsec down", func() bool {
			return strings.TrimSpace(sh(t, "ip", "-n", h.ns, "xfrm", "state")) == ""
		})
	}
	stopGateways(t, hosts)
}

// startGateways makes moon and sun (bare network namespaces linked by a
// veth pair, the subnets behind them addresses on lo), writes their
// configuration and starts goswan's starter on each.
func startGateways(t *testing.T, bin string) (moon, sun *host) {
	root := t.TempDir()
	// Bare network namespaces (testing/nshost): the VM has no nsenter to
	// enter a mount namespace, and the daemons get their files through
	// STRONGSWAN_CONF and GOSWAN_PIDDIR instead.
	moon = &host{name: "moon", ns: nshost.NewNetNS(t, "moon"), dir: filepath.Join(root, "moon")}
	sun = &host{name: "sun", ns: nshost.NewNetNS(t, "sun"), dir: filepath.Join(root, "sun")}
	hosts := []*host{moon, sun}
	t.Cleanup(func() {
		for _, h := range hosts {
			if h.starter != nil && h.starter.ProcessState == nil {
				_ = h.starter.Process.Kill()
				_, _ = h.starter.Process.Wait()
			}
		}
	})
	sh(t, "ip", "link", "add", "gvm-m", "type", "veth", "peer", "name", "gvm-s")
	sh(t, "ip", "link", "set", "gvm-m", "netns", moon.ns)
	sh(t, "ip", "link", "set", "gvm-s", "netns", sun.ns)
	addr := map[*host][3]string{moon: {"gvm-m", "192.168.0.1/24", "10.1.0.1/32"}, sun: {"gvm-s", "192.168.0.2/24", "10.2.0.1/32"}}
	for _, h := range hosts {
		a := addr[h]
		sh(t, "ip", "-n", h.ns, "link", "set", "lo", "up")
		sh(t, "ip", "-n", h.ns, "addr", "add", a[1], "dev", a[0])
		sh(t, "ip", "-n", h.ns, "link", "set", a[0], "up")
		// The host behind the gateway is an address on lo.
		sh(t, "ip", "-n", h.ns, "addr", "add", a[2], "dev", "lo")
	}
	write := func(h *host, name, data string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(h.dir, name), []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hosts {
		if err := os.MkdirAll(h.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		me, other := moon, sun
		myIP, myNet, otherIP, otherNet := "192.168.0.1", "10.1.0.0/16", "192.168.0.2", "10.2.0.0/16"
		if h == sun {
			me, other = sun, moon
			myIP, myNet, otherIP, otherNet = otherIP, otherNet, myIP, myNet
		}
		write(h, "ipsec.conf", fmt.Sprintf(ipsecConf, myIP, myNet, me.name, otherIP, otherNet, other.name), 0o644)
		write(h, "ipsec.secrets", "@moon.strongswan.org @sun.strongswan.org : PSK \"kernel lane secret\"\n", 0o600)
		write(h, "strongswan.conf", fmt.Sprintf(strongswanConf, h.dir), 0o644)
	}
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
	return moon, sun
}

// checkKernelSAs checks that the SAs are the kernel's: both SPIs of
// statusall are XFRM states (AES-GCM), with in, out and fwd policies, and
// the peer has the same pair the other way round.
func checkKernelSAs(t *testing.T, bin string, moon, sun *host) {
	hosts := []*host{moon, sun}
	reSPIs := regexp.MustCompile(`INSTALLED, TUNNEL, reqid \d+, ESP SPIs: ([0-9a-f]{8})_i ([0-9a-f]{8})_o`)
	spis := map[*host][]string{}
	for _, h := range hosts {
		m := reSPIs.FindStringSubmatch(h.ipsec(t, bin, "statusall"))
		if m == nil {
			t.Fatalf("%s: no installed CHILD_SA in statusall:\n%s", h.name, h.ipsec(t, bin, "statusall"))
		}
		spis[h] = m[1:]
		state := sh(t, "ip", "-n", h.ns, "xfrm", "state")
		for _, spi := range m[1:] {
			if !strings.Contains(state, "proto esp spi 0x"+spi) {
				t.Errorf("%s: SPI %s not in the kernel's XFRM states:\n%s", h.name, spi, state)
			}
		}
		if strings.Count(state, "proto esp") != 2 || !strings.Contains(state, "aead rfc4106(gcm(aes))") {
			t.Errorf("%s: want two AES-GCM ESP states:\n%s", h.name, state)
		}
		if pol := sh(t, "ip", "-n", h.ns, "xfrm", "policy"); strings.Count(pol, "tmpl src") != 3 {
			t.Errorf("%s: want in, out and fwd IPsec policies:\n%s", h.name, pol)
		}
	}
	if spis[moon][0] != spis[sun][1] || spis[moon][1] != spis[sun][0] {
		t.Errorf("SPIs do not pair up: moon %v, sun %v", spis[moon], spis[sun])
	}
}

// stopGateways: the starter stops charon, which removes every policy,
// route and rule it installed.
func stopGateways(t *testing.T, hosts []*host) {
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
		if pol := strings.TrimSpace(sh(t, "ip", "-n", h.ns, "xfrm", "policy")); pol != "" {
			t.Errorf("%s: policies left after stop:\n%s", h.name, pol)
		}
		if rules := sh(t, "ip", "-n", h.ns, "rule"); strings.Contains(rules, "lookup 220") {
			t.Errorf("%s: routing rule left after stop:\n%s", h.name, rules)
		}
	}
}
