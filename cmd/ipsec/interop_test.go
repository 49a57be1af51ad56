package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/netdb"
	"github.com/goswan/goswan/testing/netbase"
	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

// runIpsecEnv makes this test binary act as bin/ipsec (main's run), so the
// interop test can run our ipsec inside the daemon's namespaces exactly
// where Debian's is run, with no path overrides.
const runIpsecEnv = "GOSWAN_TEST_RUN_IPSEC"

func TestMain(m *testing.M) {
	if os.Getenv(runIpsecEnv) == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(testMain(m))
}

// testMain runs the tests with a strongswan.conf of their own, so that no
// test reads this machine's /etc/strongswan.conf (a fresh machine has
// none; another has its own settings), and with Debian's netbase. It is empty: strongSwan's compiled-in
// defaults, which Debian's file does not change. A test that wants a
// setting writes its own file.
func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "goswan-ipsec-test-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "strongswan.conf")
	if err := os.WriteFile(conf, []byte("# cmd/ipsec tests: strongSwan's defaults\n"), 0o644); err != nil {
		panic(err)
	}
	os.Setenv("STRONGSWAN_CONF", conf)
	// Protocol and service names (leftprotoport=tcp/http) from Debian's
	// netbase, not the machine's files, for checkconf and starter run in
	// process.
	netdb.ProtocolsPath, netdb.ServicesPath = filepath.Join(dir, "protocols"), filepath.Join(dir, "services")
	for path, data := range map[string]string{netdb.ProtocolsPath: netbase.Protocols, netdb.ServicesPath: netbase.Services} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			panic(err)
		}
	}
	return m.Run()
}

// The configuration of the two Debian charons, written for this test: a
// PSK net-to-net tunnel between moon and sun over kernel-libipsec (this
// kernel has XFRM but no ESP), and a trap connection to route and unroute.
const interopStrongswanConf = `# goswan ipsec interop test
charon {
	load = random nonce aes sha1 sha2 hmac kdf curve25519 openssl pem pkcs1 x509 gmp stroke counters kernel-libipsec kernel-netlink socket-default updown
	retransmit_tries = 2
	retransmit_timeout = 1.0
	retransmit_base = 1
	delete_rekeyed_delay = 1
	filelog {
		charonlog {
			path = /run/charon.log
			default = 1
			flush_line = yes
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
}
`

func interopIpsecConf(me, peer, meNet, peerNet, meID, peerID string, withTrap bool) string {
	s := fmt.Sprintf(`# goswan ipsec interop test
config setup

conn %%default
	keyexchange=ikev2
	authby=psk
	ikelifetime=60m
	lifetime=20m
	left=%s
	leftid=@%s
	right=%s
	rightid=@%s

conn net-net
	leftsubnet=%s
	rightsubnet=%s
	auto=add
`, me, meID, peer, peerID, meNet, peerNet)
	if withTrap {
		s += fmt.Sprintf("\nconn trap\n\tleftsubnet=%s[tcp]\n\trightsubnet=%s[tcp/http]\n\tauto=add\n", meNet, peerNet)
	}
	return s
}

const interopSecrets = "@moon.gss.test @sun.gss.test : PSK \"gss-stroke-interop-secret\"\n"

// ipsecHost is one host (testing/nshost): its own network namespace, a
// private /run, our configuration and Debian's netbase in its /etc.
type ipsecHost struct {
	*nshost.Host
	dir string // the test's files about it (logs)
}

// newIpsecHosts makes a host per name, with the /etc files given for it.
func newIpsecHosts(t *testing.T, names []string, files []map[string]string) []*ipsecHost {
	t.Helper()
	var specs []nshost.Spec
	for i, n := range names {
		spec := nshost.Spec{Name: n, Files: nshost.Netbase()}
		for _, target := range slices.Sorted(maps.Keys(files[i])) {
			spec.Files = append(spec.Files, nshost.File{Path: target, Mode: 0o600, Data: []byte(files[i][target])})
		}
		specs = append(specs, spec)
	}
	var hosts []*ipsecHost
	for _, h := range nshost.New(t, specs...) {
		hosts = append(hosts, &ipsecHost{Host: h, dir: t.TempDir()})
	}
	return hosts
}

// ip runs ip in the host; a failure fails t.
func (h *ipsecHost) ip(t *testing.T, args ...string) {
	t.Helper()
	if r := h.Exec(context.Background(), 10*time.Second, nil, append([]string{"ip"}, args...)...); r.Err != nil || r.ExitCode != 0 {
		t.Fatalf("%s: ip %v: exit %d %v\n%s", h.Name, args, r.ExitCode, r.Err, r.Stderr)
	}
}

func (h *ipsecHost) command(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd, err := h.Command(env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// result is what one ipsec invocation printed and returned.
type result struct {
	out, err string
	rc       int
}

func (h *ipsecHost) run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := h.command(t, env, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err := cmd.Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", h.Name, args, err)
	}
	return result{out.String(), errb.String(), rc}
}

// debian runs Debian's ipsec script, ours this test binary as bin/ipsec.
func (h *ipsecHost) debian(t *testing.T, args ...string) result {
	t.Helper()
	return h.run(t, nil, append([]string{"/usr/sbin/ipsec"}, args...)...)
}

func (h *ipsecHost) goswan(t *testing.T, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return h.run(t, []string{runIpsecEnv + "=1"}, append([]string{exe}, args...)...)
}

// startStarter runs Debian's starter (which starts charon) and waits until
// charon has the connections.
func (h *ipsecHost) startStarter(t *testing.T) *exec.Cmd {
	t.Helper()
	log, err := os.Create(filepath.Join(h.dir, "starter.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd := h.command(t, nil, "/usr/lib/ipsec/starter", "--nofork")
	cmd.Stdout, cmd.Stderr = log, log // files: charon inherits them
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait() // reap; the test stops it by signal and checks the pid files
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := h.debian(t, "statusall")
		if r.rc == 0 && strings.Contains(r.out, "net-net:") {
			return cmd
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("%s: charon did not come up: %+v\n%s", h.Name, r, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// volatile are the parts of charon's answers that change from one call to
// the next by themselves: clocks, jittered timers, SPIs, unique IDs, message
// IDs, allocator and thread statistics. Everything else must be identical.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`uptime: .*`), "uptime: X"},
	{regexp.MustCompile(`malloc: .*`), "malloc: X"},
	{regexp.MustCompile(`worker threads: .*`), "worker threads: X"},
	{regexp.MustCompile(`\b[0-9a-f]{16}_([ir])`), "SPI_$1"},
	{regexp.MustCompile(`\b[0-9a-f]{8}_([io])\b`), "spi_$1"},
	{regexp.MustCompile(`\[\d+\]`), "[N]"},
	{regexp.MustCompile(`\{\d+\}`), "{N}"},
	{regexp.MustCompile(`\d+ (second|minute|hour|day)s?`), "T"},
	{regexp.MustCompile(`\b\d+s\b`), "Ts"},
	{regexp.MustCompile(`\d+ bytes_([io])( \(\d+ pkts?, Ts ago\))?`), "B bytes_$1"},
	{regexp.MustCompile(`reqid \d+`), "reqid N"},
	// Message IDs depend on how far the asynchronous rekey got.
	{regexp.MustCompile(`(request|response) \d+ \[`), "$1 N ["},
}

func normalize(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// same compares two results after normalisation.
func same(a, b result) bool {
	return a.rc == b.rc && normalize(a.out) == normalize(b.out) && normalize(a.err) == normalize(b.err)
}

// compareBackToBack runs Debian's ipsec, ours and Debian's again: ours must
// match one of the two, which absorbs a clock tick between calls.
func compareBackToBack(t *testing.T, h *ipsecHost, args ...string) result {
	t.Helper()
	d1 := h.debian(t, args...)
	g := h.goswan(t, args...)
	d2 := h.debian(t, args...)
	if !same(g, d1) && !same(g, d2) {
		t.Errorf("ipsec %s differs:\ngoswan (rc %d):\n%s%s\ndebian (rc %d):\n%s%s", strings.Join(args, " "),
			g.rc, g.out, g.err, d1.rc, d1.out, d1.err)
	}
	return g
}

var childLine = regexp.MustCompile(`(?m)^\s*net-net\{(\d+)\}:\s+(\S+),`)

// childIDs lists the unique IDs of net-net's CHILD_SAs in ipsec status, or
// nil if one of them is not INSTALLED.
func childIDs(status string) []string {
	var ids []string
	for _, m := range childLine.FindAllStringSubmatch(status, -1) {
		if m[2] != "INSTALLED" {
			return nil
		}
		ids = append(ids, m[1])
	}
	return ids
}

// waitFor polls cond; daemons run on their own clocks (interop harness).
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newInteropPair checks the prerequisites and makes moon 192.168.0.1
// (10.1.0.0/16) and sun 192.168.0.2 (10.2.0.0/16), linked, with Debian's
// strongSwan configured on both.
func newInteropPair(t *testing.T) (moon, sun *ipsecHost) {
	testenv.Short(t)
	for _, c := range []string{"/usr/sbin/ipsec", "/usr/lib/ipsec/starter", "/usr/lib/ipsec/charon"} {
		testenv.RequireCommand(t, c)
	}
	testenv.RequirePlugins(t, "random", "nonce", "aes", "sha1", "sha2", "hmac", "kdf", "curve25519", "openssl",
		"pem", "pkcs1", "x509", "gmp", "stroke", "counters", "kernel-libipsec", "kernel-netlink", "socket-default", "updown")
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		testenv.Unavailable(t, "needs /dev/net/tun for kernel-libipsec")
	}

	// moon 192.168.0.1 (10.1.0.0/16) <-> sun 192.168.0.2 (10.2.0.0/16)
	hosts := newIpsecHosts(t, []string{"moon", "sun"}, []map[string]string{{
		"/etc/strongswan.conf": interopStrongswanConf,
		"/etc/ipsec.conf": interopIpsecConf("192.168.0.1", "192.168.0.2", "10.1.0.0/16", "10.2.0.0/16",
			"moon.gss.test", "sun.gss.test", true),
		"/etc/ipsec.secrets": interopSecrets,
	}, {
		"/etc/strongswan.conf": interopStrongswanConf,
		"/etc/ipsec.conf": interopIpsecConf("192.168.0.2", "192.168.0.1", "10.2.0.0/16", "10.1.0.0/16",
			"sun.gss.test", "moon.gss.test", true),
		"/etc/ipsec.secrets": interopSecrets,
	}})
	moon, sun = hosts[0], hosts[1]
	nshost.Link(t, moon.Host, "eth0", sun.Host, "eth0")
	for _, c := range []struct {
		h          *ipsecHost
		addr, subn string
	}{{moon, "192.168.0.1/24", "10.1.0.1/16"}, {sun, "192.168.0.2/24", "10.2.0.1/16"}} {
		c.h.ip(t, "addr", "add", c.addr, "dev", "eth0")
		c.h.ip(t, "addr", "add", c.subn, "dev", "lo")
		c.h.ip(t, "link", "set", "eth0", "up")
		c.h.ip(t, "link", "set", "lo", "up")
	}
	return moon, sun
}

// TestInteropWithDebianCharon drives two Debian charons 5.9.8 with our ipsec
// command and compares every answer with what Debian's ipsec prints for the
// same command against the same daemon.
func TestInteropWithDebianCharon(t *testing.T) {
	moon, sun := newInteropPair(t)

	// Without charon: both refuse with 7, or 3 for status, and say nothing.
	for _, args := range [][]string{{"up", "net-net"}, {"status"}, {"statusall"}, {"listall"},
		{"down-srcip", "10.3.0.1"}, {"leases"}, {"purgeike"}} {
		compareBackToBack(t, moon, args...)
	}

	starter := moon.startStarter(t)
	sun.startStarter(t)

	// Read-only commands on the idle daemon.
	for _, args := range [][]string{
		{"status"}, {"statusall"}, {"status", "net-net"}, {"statusall", "trap"},
		{"status", "nosuch"}, {"stroke", "statusall-nb"},
		{"listalgs"}, {"listplugins"}, {"listall"}, {"listcerts", "--utc"}, {"listcainfos"},
		{"leases"}, {"leases", "nosuch"}, {"listcounters"}, {"listcounters", "net-net"},
		{"rereadsecrets"}, {"secrets"}, {"rereadall"}, {"purgeike"}, {"purgeocsp"}, {"purgecrls"},
		{"purgecerts"}, {"resetcounters"},
		{"up", "nosuch"}, {"route", "nosuch"}, {"unroute", "nosuch"}, {"down", "nosuch"},
		{"down-srcip", "10.3.0.1", "10.3.0.9"},
		{"stroke", "loglevel", "foo", "2"}, {"stroke", "loglevel", "cfg", "1"},
		{"stroke", "rekey", "nosuch"}, {"stroke", "memusage"}, {"stroke", "exportx509", "CN=none"},
		{"stroke", "user-creds", "nosuch", "carol", "pw"},
		{"up"}, {"down", "a", "b"}, {"stroke", "up"}, {"stroke", "nosuch"}, {"listgroups"},
	} {
		compareBackToBack(t, moon, args...)
	}

	// up/down change the state, so each client gets its own round:
	// goswan up, both status, goswan down; then the same with Debian's.
	round := func(name string, client func(*testing.T, ...string) result) (up, status, statusall, down result) {
		up = client(t, "up", "net-net")
		if up.rc != 0 || !strings.Contains(up.out, "connection 'net-net' established successfully") {
			t.Fatalf("%s ipsec up net-net: rc %d\n%s%s", name, up.rc, up.out, up.err)
		}
		status = compareBackToBack(t, moon, "status")
		statusall = compareBackToBack(t, moon, "statusall", "net-net")
		compareBackToBack(t, moon, "listcounters", "net-net")
		// Traffic through the tunnel, so the byte counters move.
		if out, err := moon.command(t, nil, "ping", "-c", "2", "-W", "3", "-I", "10.1.0.1", "10.2.0.1").CombinedOutput(); err != nil {
			t.Errorf("ping through the tunnel: %v\n%s", err, out)
		}
		compareBackToBack(t, moon, "statusall")
		old := childIDs(moon.debian(t, "status").out)
		if r := client(t, "stroke", "rekey", "net-net{*}"); r.rc != 0 || r.out != "" {
			t.Errorf("%s rekey: %+v", name, r)
		}
		// The rekey runs on after stroke returned; let it finish, or down
		// would stream its tail (charon streams all of the IKE_SA's log).
		waitFor(t, 20*time.Second, "the rekeyed CHILD_SA", func() bool {
			now := childIDs(moon.debian(t, "status").out)
			return len(now) == 1 && len(old) == 1 && now[0] != old[0]
		})
		down = client(t, "down", "net-net")
		if down.rc != 0 || !strings.Contains(down.out, "closed successfully") {
			t.Fatalf("%s ipsec down net-net: rc %d\n%s%s", name, down.rc, down.out, down.err)
		}
		return
	}
	gUp, gStatus, gStatusAll, gDown := round("goswan", moon.goswan)
	dUp, dStatus, dStatusAll, dDown := round("debian", moon.debian)
	for _, c := range []struct {
		what string
		g, d result
	}{{"up", gUp, dUp}, {"status", gStatus, dStatus}, {"statusall", gStatusAll, dStatusAll},
		{"down", gDown, dDown}} {
		if !same(c.g, c.d) {
			t.Errorf("ipsec %s: goswan printed\n%s\nDebian\n%s", c.what, c.g.out, c.d.out)
		}
	}

	// route/unroute, each client in turn.
	for _, client := range []func(*testing.T, ...string) result{moon.goswan, moon.debian} {
		if r := client(t, "route", "trap"); r.rc != 0 || r.out != "'trap' routed\n" {
			t.Errorf("route trap: %+v", r)
		}
		compareBackToBack(t, moon, "status")
		compareBackToBack(t, moon, "route", "trap") // already routed
		if r := client(t, "unroute", "trap"); r.rc != 0 || r.out != "trap policy 'trap' unrouted\n" {
			t.Errorf("unroute trap: %+v", r)
		}
	}
	// up-nb returns at once and says nothing; the SA comes up anyway.
	compareBackToBack(t, moon, "stroke", "down-nb", "nosuch")
	if r := moon.goswan(t, "stroke", "up-nb", "net-net"); r.rc != 0 || r.out != "" {
		t.Errorf("up-nb: %+v", r)
	}
	if r := moon.goswan(t, "down", "net-net"); r.rc != 0 {
		t.Errorf("down after up-nb: %+v", r)
	}

	// ipsec stop: starter and charon go, their pid files with them; the
	// gates then say 7, and status 3.
	starter.Process.Signal(syscall.SIGTERM)
	waitFor(t, 20*time.Second, "moon's starter to stop", func() bool {
		return moon.debian(t, "status").rc == 3
	})
	for _, args := range [][]string{{"status"}, {"statusall"}, {"up", "net-net"}, {"listall"}} {
		compareBackToBack(t, moon, args...)
	}
}
