package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/testenv"
)

// requireScenarioHost skips (fails in CI) without root, Debian's strongSwan
// and the tools the runner and the scenarios use.
func requireScenarioHost(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	for _, c := range []string{debianIPsec, debianCharon, "ip", "nsenter", "unshare", "tcpdump", "ping", "grep"} {
		testenv.RequireCommand(t, c)
	}
	testenv.RequirePlugins(t, ScenarioPlugins...)
	testenv.Short(t)
}

func testOptions(t *testing.T) (Options, *bytes.Buffer) {
	t.Helper()
	testing, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	out := &bytes.Buffer{}
	return Options{
		TestingDir: testing,
		ResultsDir: t.TempDir(),
		Prefix:     fmt.Sprintf("gstr%x", b),
		Pairings:   []Pairing{{Left: StrongSwan, Right: StrongSwan}},
		Out:        out,
		CmdTimeout: 30 * time.Second,
	}, out
}

// assertNoTraces checks that nothing of a run with this prefix is left: no
// named namespace, no scratch directory, and no process that still has one
// of the run's private mounts.
func assertNoTraces(t *testing.T, prefix string) {
	t.Helper()
	if m, _ := filepath.Glob("/run/netns/" + prefix + "-*"); len(m) > 0 {
		t.Errorf("namespaces left: %v", m)
	}
	if m, _ := filepath.Glob(filepath.Join(DefaultScratchBase, prefix+"-*")); len(m) > 0 {
		t.Errorf("scratch directories left: %v", m)
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "mountinfo"))
		if err == nil && bytes.Contains(b, []byte(filepath.Join(DefaultScratchBase, prefix))) {
			cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			t.Errorf("process %s (%s) survived", e.Name(), bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
		}
	}
}

// TestControlPairing runs one ported scenario end to end with Debian's
// strongSwan on both gateways.
func TestControlPairing(t *testing.T) {
	requireScenarioHost(t)
	opt, out := testOptions(t)
	sum, err := Run(context.Background(), opt, []string{"ikev2/net2net-psk"})
	if err != nil {
		t.Fatal(err)
	}
	defer assertNoTraces(t, opt.Prefix)
	if sum.Passed() != 1 || sum.Failed() != 0 {
		t.Fatalf("net2net-psk in the control pairing did not pass:\n%s", out)
	}
	dir := sum.Outcomes[0].Dir
	for file, want := range map[string]string{
		"result":            "passed\n",
		"moon.daemon.log":   "IKE_SA net-net[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"sun.statusall":     "net-net{1}:  INSTALLED, TUNNEL, reqid 1, ESP in UDP SPIs",
		"sun.tcpdump.log":   "UDP-encap: ESP",
		"moon.version":      "strongSwan",
		"console.log":       "moon: assigned strongswan; charon pid",
		"evaltest.result":   "PASS  12 [userspace] sun::tcpdump::",
		"moon.ipsec.conf":   "left=192.168.0.1",
		"sun.ipsec.secrets": "@moon.strongswan.org @sun.strongswan.org : PSK",
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v; want it to contain %q", file, err, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "evaltest.result")); strings.Contains(string(b), "FAIL") ||
		!strings.Contains(string(b), "SKIP  13 [kernel] sun::tcpdump::") {
		t.Errorf("evaltest.result (want no FAIL, and the kernel lane's lines skipped):\n%s", b)
	}
	if !strings.Contains(out.String(), "1 passed, 0 failed") {
		t.Errorf("summary:\n%s", out)
	}
}

// TestBrokenScenario checks that a scenario that never brings its tunnel up
// and leaves a daemon running fails with reasons that say so.
func TestBrokenScenario(t *testing.T) {
	requireScenarioHost(t)
	opt, out := testOptions(t)
	opt.TestsDir = filepath.Join("testdata", "tests")
	sum, err := Run(context.Background(), opt, []string{"broken/forgotten-up"})
	if err != nil {
		t.Fatal(err)
	}
	defer assertNoTraces(t, opt.Prefix)
	if sum.Failed() != 1 {
		t.Fatalf("the broken scenario did not fail:\n%s", out)
	}
	reasons := strings.Join(sum.Outcomes[0].Reasons, "\n")
	for _, want := range []string{
		"evaltest.dat:1 moon::ipsec status",
		"evaltest.dat:2 alice::ping",
		"evaltest.dat:3 sun::tcpdump::UDP-encap: ESP::YES (pattern not found)",
		"moon: the ipsec0 TUN device left after posttest",
		"moon: processes (",
	} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons lack %q:\n%s", want, reasons)
		}
	}
	// Both daemons, in whichever order their PIDs put them.
	if procs := regexp.MustCompile(`moon: processes \((.*)\) left`).FindStringSubmatch(reasons); procs == nil ||
		!strings.Contains(procs[1], "starter (pid ") || !strings.Contains(procs[1], "charon (pid ") {
		t.Errorf("moon's leftover processes are not starter and charon:\n%s", reasons)
	}
	if strings.Contains(reasons, "evaltest.dat:4") || strings.Contains(reasons, "sun: processes") {
		t.Errorf("a passing line or a clean host is blamed:\n%s", reasons)
	}
}

// TestAbort cancels a run in the middle of a test, as Ctrl-C does, and
// checks that the test is reported aborted and everything is cleaned up.
func TestAbort(t *testing.T) {
	requireScenarioHost(t)
	opt, out := testOptions(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	sum, err := Run(ctx, opt, []string{"ikev2/net2net-psk", "ikev2/net2net-start"})
	if err != nil {
		t.Fatal(err)
	}
	assertNoTraces(t, opt.Prefix)
	if !sum.Aborted || len(sum.Outcomes) != 1 || !sum.Outcomes[0].Aborted {
		t.Errorf("run not reported aborted after one test:\n%s", out)
	}
}

// TestServers runs a scenario whose SERVERS start winnetou's CRL web server
// and OCSP responder: moon must reach both through the hosts' names, the
// leftover check must not count them, and they must be gone afterwards.
func TestServers(t *testing.T) {
	requireScenarioHost(t)
	for _, c := range []string{"lighttpd", "openssl", "wget"} {
		testenv.RequireCommand(t, c)
	}
	opt, out := testOptions(t)
	opt.TestsDir = filepath.Join("testdata", "tests")
	sum, err := Run(context.Background(), opt, []string{"servers/crl-ocsp"})
	if err != nil {
		t.Fatal(err)
	}
	defer assertNoTraces(t, opt.Prefix)
	if sum.Passed() != 1 {
		t.Fatalf("servers/crl-ocsp did not pass:\n%s", out)
	}
	dir := sum.Outcomes[0].Dir
	for file, want := range map[string]string{
		"console.log":                  "winnetou# lighttpd -D -f /etc/lighttpd/lighttpd.conf\n  [listening on port 80, pid ",
		"winnetou.ocsp.log":            "Serial Number: 08",
		"winnetou.lighttpd.access.log": `"GET /strongswan.crl HTTP/1.1" 200`,
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v; want it to contain %q", file, err, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "console.log")); !strings.Contains(string(b), "LEFTOVERS") || strings.Contains(string(b), "processes (") {
		t.Errorf("leftover check missing or blaming the servers:\n%s", b)
	}
}

// TestUnknownServer checks that a SERVERS entry of an unknown kind stops the
// run before any namespace exists.
func TestUnknownServer(t *testing.T) {
	requireScenarioHost(t)
	opt, _ := testOptions(t)
	opt.TestsDir = filepath.Join("testdata", "tests")
	_, err := Run(context.Background(), opt, []string{"servers/unknown"})
	if err == nil || !strings.Contains(err.Error(), `unknown server "ldap" in SERVERS`) {
		t.Fatalf("Run: %v, want the unknown server refused", err)
	}
	assertNoTraces(t, opt.Prefix)
}
