package stroke

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

const (
	debianStroke  = "/usr/lib/ipsec/stroke"
	debianStarter = "/usr/lib/ipsec/starter"
)

// minimalStrongswanConf replaces /etc/strongswan.conf in the namespace, so
// that the Debian binaries use their compiled-in defaults (the socket at
// /var/run/charon.ctl) whatever this machine's configuration says.
const minimalStrongswanConf = "# goswan stroke interop test\ncharon {\n}\n"

// startFakeCharon runs the fake charon in host h and waits until it listens.
func startFakeCharon(t *testing.T, h *nshost.Host, recordPath string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := command(t, h, []string{fakeCharonEnv + "=" + recordPath}, exe)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("fake charon: %v %s", err, stderr.String())
		}
	})
	buf := make([]byte, 6)
	if n, _ := out.Read(buf); string(buf[:n]) != "ready\n" {
		t.Fatalf("fake charon did not start: %q %s", buf[:n], stderr.String())
	}
}

// strokeInteropCases cover every keyword of Debian's stroke with the calls
// our server must make of them, and a piece of what stroke must print.
var strokeInteropCases = []struct {
	args  []string
	calls []string
	out   string
}{
	{[]string{"up", "net-net"}, []string{`Initiate("net-net") v=1`},
		"initiating IKE_SA net-net[1] to 192.168.0.2\ngenerating IKE_SA_INIT request 0 [ SA KE No ]\nconnection 'net-net' established successfully\n"},
	{[]string{"up-nb", "net-net"}, []string{`Initiate("net-net") v=-1`}, ""},
	{[]string{"down", "net-net[3]"}, []string{`Terminate("net-net[3]") v=1`}, ""},
	{[]string{"down-nb", "net-net{*}"}, []string{`Terminate("net-net{*}") v=-1`}, ""},
	{[]string{"down-srcip", "10.3.0.1"}, []string{`TerminateSrcIP("10.3.0.1", NULL) v=1`}, ""},
	{[]string{"down-srcip", "10.3.0.1", "10.3.0.10"}, []string{`TerminateSrcIP("10.3.0.1", "10.3.0.10") v=1`}, ""},
	{[]string{"rekey", "net-net{2}"}, []string{`Rekey("net-net{2}") v=1`}, ""},
	{[]string{"route", "trap"}, []string{`Route("trap") v=1`}, "'trap' routed\n"},
	{[]string{"unroute", "trap"}, []string{`Unroute("trap") v=1`}, ""},
	{[]string{"loglevel", "ike", "4"}, []string{`SetLevel(IKE, 4)`}, ""},
	{[]string{"loglevel", "Any", "0"}, []string{`SetLevel(ANY, 0)`}, ""},
	{[]string{"loglevel", "foo", "2"}, nil, "unknown type 'foo'!\n"},
	{[]string{"status"}, []string{`Status(NULL, all=false, wait=true) v=1`},
		"Security Associations (0 up, 0 connecting):\n  none\n"},
	{[]string{"status", "net-net"}, []string{`Status("net-net", all=false, wait=true) v=1`}, "Security"},
	{[]string{"statusall"}, []string{`Status(NULL, all=true, wait=true) v=1`}, "Security"},
	{[]string{"statusall-nb", "x"}, []string{`Status("x", all=true, wait=false) v=1`}, "Security"},
	{[]string{"statusallnb"}, []string{`Status(NULL, all=true, wait=false) v=1`}, "Security"},
	{[]string{"listpubkeys"}, []string{`List(PUBKEYS, utc=false) v=1`}, ""},
	{[]string{"listcerts", "--utc"}, []string{`List(CERTS, utc=true) v=1`}, ""},
	{[]string{"listcacerts"}, []string{`List(CACERTS, utc=false) v=1`}, ""},
	{[]string{"listocspcerts"}, []string{`List(OCSPCERTS, utc=false) v=1`}, ""},
	{[]string{"listaacerts"}, []string{`List(AACERTS, utc=false) v=1`}, ""},
	{[]string{"listacerts"}, []string{`List(ACERTS, utc=false) v=1`}, ""},
	{[]string{"listgroups"}, nil, "stroke [OPTIONS] command [ARGUMENTS]"},
	{[]string{"listcainfos"}, []string{`ListCAInfos(utc=false) v=1`, `List(CAINFOS, utc=false) v=1`}, ""},
	{[]string{"listcrls"}, []string{`List(CRLS, utc=false) v=1`}, ""},
	{[]string{"listocsp"}, []string{`List(OCSP, utc=false) v=1`}, ""},
	{[]string{"listalgs"}, []string{`List(ALGS, utc=false) v=1`}, ""},
	{[]string{"listplugins"}, []string{`List(PLUGINS, utc=false) v=1`}, ""},
	{[]string{"--utc", "listall"}, []string{`ListCAInfos(utc=true) v=1`,
		`List(PUBKEYS|CERTS|CACERTS|OCSPCERTS|AACERTS|ACERTS|GROUPS|CAINFOS|CRLS|OCSP|ALGS|PLUGINS, utc=true) v=1`}, ""},
	{[]string{"rereadsecrets"}, []string{`Reread(SECRETS) v=1`}, ""},
	{[]string{"rereadcacerts"}, []string{`Reread(CACERTS) v=1`}, ""},
	{[]string{"rereadocspcerts"}, []string{`Reread(OCSPCERTS) v=1`}, ""},
	{[]string{"rereadaacerts"}, []string{`Reread(AACERTS) v=1`}, ""},
	{[]string{"rereadacerts"}, []string{`Reread(ACERTS) v=1`}, ""},
	{[]string{"rereadcrls"}, []string{`Reread(CRLS) v=1`}, ""},
	{[]string{"rereadall"}, []string{`Reread(SECRETS|CACERTS|OCSPCERTS|AACERTS|ACERTS|CRLS) v=1`}, ""},
	{[]string{"purgeocsp"}, []string{`FlushCache(OCSP)`}, ""},
	{[]string{"purgecrls"}, []string{`FlushCache(CRLS)`}, ""},
	{[]string{"purgecerts"}, []string{`FlushCache(CERTS)`}, ""},
	{[]string{"purgeike"}, []string{`PurgeIKE() v=1`}, ""},
	{[]string{"exportx509", "C=CH, O=strongSwan, CN=moon"}, []string{`Export(X509, "C=CH, O=strongSwan, CN=moon") v=1`}, ""},
	{[]string{"exportconncert", "net-net"}, []string{`Export(CONN_CERT, "net-net") v=1`}, ""},
	{[]string{"exportconnchain", "net-net"}, []string{`Export(CONN_CHAIN, "net-net") v=1`}, ""},
	{[]string{"leases"}, []string{`Leases(NULL, NULL) v=1`}, "no pools found\n"},
	{[]string{"leases", "pool1"}, []string{`Leases("pool1", NULL) v=1`}, "no pools found\n"},
	{[]string{"leases", "pool1", "10.3.0.5"}, []string{`Leases("pool1", "10.3.0.5") v=1`}, "no pools found\n"},
	{[]string{"memusage"}, []string{`MemUsage() v=1`}, ""},
	{[]string{"user-creds", "net-net", "alice", "secretpw"}, []string{`UserCreds("net-net", "alice", "secretpw") v=1`},
		"credentials set\n"},
	// No password: the daemon prompts, stroke reads it from stdin (no tty).
	{[]string{"user-creds", "rw", "carol"}, []string{`UserCreds("rw", "carol", "pw-from-stdin") v=1`},
		"credentials set\n"},
	{[]string{"listcounters"}, []string{`PrintCounters(NULL) v=1`}, ""},
	{[]string{"listcounters", "net-net"}, []string{`PrintCounters("net-net") v=1`}, ""},
	{[]string{"resetcounters"}, []string{`ResetCounters(NULL)`}, ""},
	{[]string{"resetcounters", "net-net"}, []string{`ResetCounters("net-net")`}, ""},
	{[]string{"add", "myconn", "moon", "sun", "192.168.0.1", "192.168.0.2", "10.1.0.0/16", "10.2.0.0/16"},
		[]string{`AddConn("myconn" me="192.168.0.1" other="192.168.0.2")`}, ""},
	{[]string{"del", "myconn"}, []string{`DelConn("myconn")`}, ""},
	{[]string{"delete", "myconn"}, []string{`DelConn("myconn")`}, ""},
	{[]string{"-d", "charon", "up", ""}, []string{`Initiate("") v=1`},
		"initiating IKE_SA [1] to 192.168.0.2\ngenerating IKE_SA_INIT request 0 [ SA KE No ]\nconnection '' established successfully\n"},
}

// TestInteropDebianStroke drives the server with Debian's own stroke,
// every keyword, on the default socket path.
func TestInteropDebianStroke(t *testing.T) {
	testenv.Short(t)
	testenv.RequireCommand(t, debianStroke)
	dir := t.TempDir()
	h := newHost(t, []nshost.File{{Path: "/etc/strongswan.conf", Mode: 0o644, Data: []byte(minimalStrongswanConf)}})
	recs := &records{path: filepath.Join(dir, "records")}
	startFakeCharon(t, h, recs.path)

	for _, tc := range strokeInteropCases {
		cmd := command(t, h, nil, debianStroke, tc.args...)
		cmd.Stdin = strings.NewReader("pw-from-stdin\n")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // getpass falls back to stdin
		var errOut strings.Builder
		cmd.Stderr = &errOut
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("stroke %v: %v %s", tc.args, err, errOut.String())
			continue
		}
		// stroke exits after the server closed the connection, which it
		// does after the handler returned: the records are complete.
		lines := recs.next(t)
		checkLogs(t, lines)
		if n := len(filterKind(lines, "RAW")); (n == 0) != (tc.args[0] == "listgroups") {
			t.Errorf("stroke %v: %d requests seen", tc.args, n)
		}
		if got := filterKind(lines, "CALL"); strings.Join(got, "\n") != strings.Join(tc.calls, "\n") {
			t.Errorf("stroke %v: calls\n %q\nwant %q", tc.args, got, tc.calls)
		}
		if !strings.HasPrefix(string(out), tc.out) || (tc.out == "" && len(out) > 0 && tc.args[0] != "listgroups") {
			t.Errorf("stroke %v printed %q, want %q", tc.args, out, tc.out)
		}
		if strings.HasPrefix(tc.args[0], "user-creds") && len(tc.args) == 3 && errOut.String() != "Password: " {
			t.Errorf("stroke %v prompted %q", tc.args, errOut.String())
		}
		if tc.args[0] == "add" {
			var c AddConn
			if err := json.Unmarshal([]byte(filterKind(lines, "CONN")[0]), &c); err != nil {
				t.Fatal(err)
			}
			want := AddConn{Name: S("myconn"), Version: 2, Mode: ModeTransport, Mobike: 1,
				InstallPolicy: 1, DPD: DPD{Action: ActionClear},
				Me: End{ID: S("moon"), Address: S("192.168.0.1"), Subnets: S("10.1.0.0/16"),
					IKEPort: 500, SendCert: SendCertIfAsked, ToPort: 65535},
				Other: End{ID: S("sun"), Address: S("192.168.0.2"), Subnets: S("10.2.0.0/16"),
					IKEPort: 500, SendCert: SendCertIfAsked, ToPort: 65535}}
			if c != want {
				t.Errorf("stroke add decoded as\n%+v\nwant\n%+v", c, want)
			}
		}
	}
}

// The ipsec.conf files starter loads in TestInteropDebianStarter, written
// for this test. The second is the first after an edit: site-a changes,
// legacy goes, host2host comes. config setup has no uniqueids=, which
// would reset cachecrls (a starter bug, ipsec_conf_keywords.md).
const starterConfA = `config setup
	strictcrlpolicy=yes
	cachecrls=yes

ca lab
	cacert=labCA.pem
	crluri=http://crl.example.net/lab.crl
	ocspuri=http://ocsp.example.net
	auto=add

conn %default
	keyexchange=ikev2
	ikelifetime=2h
	lifetime=30m
	margintime=5m
	keyingtries=%forever

conn site-a
	left=10.9.0.1
	leftid=@gw-a.example.net
	leftsubnet=172.16.1.0/24
	right=10.9.0.2
	rightid=@gw-b.example.net
	rightsubnet=172.16.2.0/24,172.16.3.0/24
	authby=psk
	ike=aes256-sha384-ecp384!
	esp=aes256gcm16!
	dpdaction=clear
	dpddelay=15s
	auto=add

conn roadwarrior
	left=%any
	leftsubnet=0.0.0.0/0
	leftcert=gw.pem
	leftfirewall=yes
	right=%any
	rightsourceip=10.99.0.0/24
	rightdns=10.9.0.53
	rightauth=eap-mschapv2
	eap_identity=%any
	mark=7
	fragmentation=no
	auto=route

conn legacy
	keyexchange=ikev1
	left=10.9.0.1
	right=10.9.0.3
	authby=xauthpsk
	xauth=server
	aggressive=yes
	leftprotoport=udp/500
	rekey=no
	auto=start
`

var starterConfB = strings.NewReplacer("dpddelay=15s", "dpddelay=20s",
	"conn legacy", "conn host2host\n\tleft=10.9.0.1\n\tright=10.9.0.4\n\ttype=transport\n\tauto=add\n\nconn legacy-gone",
	"auto=start", "auto=ignore").Replace(starterConfA)

// TestInteropDebianStarter lets Debian's starter load, update and reload
// ipsec.conf files into the server, as it does with charon.
func TestInteropDebianStarter(t *testing.T) {
	testenv.Short(t)
	testenv.RequireCommand(t, debianStarter)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ipsecConf := filepath.Join(dir, "ipsec.conf")
	os.WriteFile(ipsecConf, []byte(starterConfA), 0o644)
	h := newHost(t, []nshost.File{{Path: "/etc/strongswan.conf", Mode: 0o644, Data: []byte(minimalStrongswanConf)}},
		nshost.Bind{Source: exe, Target: "/usr/lib/ipsec/charon"}) // starter launches the fake charon
	recs := &records{path: filepath.Join(dir, "records")}
	starter := command(t, h, []string{fakeCharonEnv + "=" + recs.path}, debianStarter,
		"--nofork", "--conf", ipsecConf)
	// A file, not a pipe: the daemon starter launches inherits it and
	// would keep a pipe open after starter is gone.
	logFile, err := os.Create(filepath.Join(dir, "starter.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	starter.Stdout, starter.Stderr = logFile, logFile
	starterLog := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	if err := starter.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			starter.Process.Kill()
			starter.Wait()
		}
		if t.Failed() {
			t.Logf("starter output:\n%s", starterLog())
		}
	}()

	// Start: config, ca, then each conn followed by its route/initiate.
	want := []string{
		`CacheCRLs(true)`,
		`AddCA("lab")`,
		`AddConn("site-a" me="10.9.0.1" other="10.9.0.2")`,
		`AddConn("roadwarrior" me="%any" other="%any")`,
		`Route("roadwarrior") v=-1`,
		`AddConn("legacy" me="10.9.0.1" other="10.9.0.3")`,
		`Initiate("legacy") v=-1`,
	}
	lines := recs.waitCalls(t, len(want), 15*time.Second)
	checkLogs(t, lines)
	if got := filterKind(lines, "CALL"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("starter start:\n got %q\nwant %q", got, want)
	}
	conns := map[string]AddConn{}
	for _, j := range filterKind(lines, "CONN") {
		var c AddConn
		if err := json.Unmarshal([]byte(j), &c); err != nil {
			t.Fatal(err)
		}
		conns[c.Name.Value] = c
	}
	checkStarterConns(t, conns)
	var ca AddCA
	json.Unmarshal([]byte(filterKind(lines, "CA")[0]), &ca)
	if ca != (AddCA{Name: S("lab"), CACert: S("labCA.pem"), CRLURI: S("http://crl.example.net/lab.crl"),
		OCSPURI: S("http://ocsp.example.net")}) {
		t.Errorf("add_ca decoded as %+v", ca)
	}

	// ipsec update (SIGHUP): only what changed.
	os.WriteFile(ipsecConf, []byte(starterConfB), 0o644)
	starter.Process.Signal(syscall.SIGHUP)
	want = []string{
		`DelConn("site-a")`,
		`DelConn("legacy")`,
		`AddConn("site-a" me="10.9.0.1" other="10.9.0.2")`,
		`AddConn("host2host" me="10.9.0.1" other="10.9.0.4")`,
	}
	lines = recs.waitCalls(t, len(want), 15*time.Second)
	checkLogs(t, lines)
	if got := filterKind(lines, "CALL"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("starter update:\n got %q\nwant %q", got, want)
	}
	var siteA AddConn
	json.Unmarshal([]byte(filterKind(lines, "CONN")[0]), &siteA)
	if siteA.DPD.Delay != 20 {
		t.Errorf("updated site-a: dpddelay %d", siteA.DPD.Delay)
	}

	// ipsec reload (SIGUSR1): everything out and in again.
	starter.Process.Signal(syscall.SIGUSR1)
	want = []string{
		`DelConn("site-a")`,
		`Unroute("roadwarrior") v=-1`,
		`DelConn("roadwarrior")`,
		`DelConn("host2host")`,
		`DelCA("lab")`,
		`AddCA("lab")`,
		`AddConn("site-a" me="10.9.0.1" other="10.9.0.2")`,
		`AddConn("roadwarrior" me="%any" other="%any")`,
		`Route("roadwarrior") v=-1`,
		`AddConn("host2host" me="10.9.0.1" other="10.9.0.4")`,
	}
	lines = recs.waitCalls(t, len(want), 15*time.Second)
	checkLogs(t, lines)
	if got := filterKind(lines, "CALL"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("starter reload:\n got %q\nwant %q", got, want)
	}

	// ipsec stop: starter stops its charon (our fake) and exits cleanly.
	starter.Process.Signal(syscall.SIGTERM)
	err = starter.Wait()
	stopped = true
	if err != nil {
		t.Errorf("starter: %v", err)
	}
	if !strings.Contains(starterLog(), "charon stopped after") {
		t.Errorf("starter did not see the fake charon stop:\n%s", starterLog())
	}
}

// checkStarterConns checks the decoded add_conn of starterConfA field by
// field against what the file says and starter's documented defaults.
func checkStarterConns(t *testing.T, conns map[string]AddConn) {
	t.Helper()
	common := func(c *AddConn) {
		// config setup and %default
		c.Version, c.CRLPolicy, c.Unique = 2, CRLStrictYes, UniqueYes
		c.Rekey = RekeyConfig{Reauth: 1, IKELifetime: 7200, IPsecLifetime: 1800, Margin: 300,
			Tries: 0, Fuzz: 100}
		c.DPD.Timeout = 150
		c.Mode, c.Mobike, c.InstallPolicy, c.ReplayWindow = ModeTunnel, 64, 1, 0xffffffff
		c.Fragmentation = FragmentationYes
		for _, e := range []*End{&c.Me, &c.Other} {
			e.IKEPort, e.SendCert, e.ToPort = 500, SendCertIfAsked, 65535
		}
	}

	siteA := AddConn{Name: S("site-a"),
		Algorithms: Algorithms{IKE: S("aes256-sha384-ecp384!"), ESP: S("aes256gcm16!")},
		DPD:        DPD{Delay: 15, Action: ActionClear},
		Me: End{Auth: S("psk"), ID: S("@gw-a.example.net"), Address: S("10.9.0.1"),
			Subnets: S("172.16.1.0/24")},
		Other: End{Auth: S("psk"), ID: S("@gw-b.example.net"), Address: S("10.9.0.2"),
			Subnets: S("172.16.2.0/24,172.16.3.0/24")},
	}
	common(&siteA)
	rw := AddConn{Name: S("roadwarrior"), EAPIdentity: S("%any"),
		DPD:     DPD{Delay: 30},
		MarkIn:  Mark{7, 0xffffffff},
		MarkOut: Mark{7, 0xffffffff},
		Me: End{Cert: S("gw.pem"), Address: S("%any"), Subnets: S("0.0.0.0/0"),
			Updown: S("ipsec _updown iptables")},
		Other: End{Auth: S("eap-mschapv2"), Address: S("%any"), SourceIP: S("10.99.0.0/24"),
			DNS: S("10.9.0.53"), ToHost: 1},
	}
	common(&rw)
	rw.Fragmentation = FragmentationNo
	legacy := AddConn{Name: S("legacy"), Aggressive: 1,
		DPD: DPD{Delay: 30},
		Me: End{Auth: S("psk"), Address: S("10.9.0.1"), Protocol: 17, FromPort: 500, ToPort: 500,
			ToHost: 1},
		Other: End{Auth: S("psk"), Auth2: S("xauth"), Address: S("10.9.0.3"), ToHost: 1},
	}
	common(&legacy)
	legacy.Version = 1
	legacy.Rekey = RekeyConfig{} // rekey=no: starter sends no lifetimes, keyingtries stays
	legacy.Me.ToPort, legacy.Me.FromPort = 500, 500

	for _, want := range []AddConn{siteA, rw, legacy} {
		got, ok := conns[want.Name.Value]
		if !ok {
			t.Errorf("no add_conn for %s", want.Name.Value)
			continue
		}
		if got != want {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Errorf("add_conn %s decoded as\n%s\nwant\n%s", want.Name.Value, gj, wj)
		}
	}
}
