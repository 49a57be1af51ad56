package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/internal/hosts"
)

func TestPlaceholderOrderAndValues(t *testing.T) {
	r := Placeholders()
	// An earlier placeholder must never be a prefix of a later one, or the
	// earlier substitution would eat part of the later placeholder.
	for i := range r {
		for j := i + 1; j < len(r); j++ {
			if strings.HasPrefix(r[j].Placeholder, r[i].Placeholder) {
				t.Errorf("%s is substituted before %s", r[i].Placeholder, r[j].Placeholder)
			}
		}
	}
	in := "PH_IP_MOON1 PH_IP_MOON PH_IP6_MOON1 PH_IP6_MOON PH_IP_SUN1 PH_IP_SUN " +
		"PH_IP_ALICE1 PH_IP_ALICE PH_IP_CAROL1 PH_IP_CAROL PH_IP_DAVE1 PH_IP_DAVE " +
		"PH_IP_VENUS PH_IP_BOB PH_IPV6_BOB PH_IP6_BOB PH_IP_WINNETOU PH_IP6_WINNETOU"
	want := "10.1.0.1 192.168.0.1 fec1::1 fec0::1 10.2.0.1 192.168.0.2 " +
		"192.168.0.50 10.1.0.10 10.3.0.1 192.168.0.100 10.3.0.2 192.168.0.200 " +
		"10.1.0.20 10.2.0.10 fec2::10 PH_IP6_BOB 192.168.0.150 fec0::15"
	if got := Substitute(in); got != want {
		t.Errorf("Substitute:\n got %s\nwant %s", got, want)
	}
	if got := Substitute("left=PH_IP_MOON\nrightsubnet=PH_IP_SUN1/32"); got != "left=192.168.0.1\nrightsubnet=10.2.0.1/32" {
		t.Errorf("Substitute in config: %q", got)
	}
	// Every host has its placeholders.
	for _, h := range hosts.All {
		if got := Substitute("PH_IP_" + strings.ToUpper(h.Name)); got != h.IPv4 {
			t.Errorf("PH_IP_%s = %q, want %q", strings.ToUpper(h.Name), got, h.IPv4)
		}
	}
}

func TestParseTestConf(t *testing.T) {
	in := `#!/bin/bash
# comment
VIRTHOSTS="alice moon winnetou sun bob"
DIAGRAM="a-m-w-s-b.png"
 
TCPDUMPHOSTS="sun moon:eth1"
IPSECHOSTS='moon sun'   # trailing comment
SWANCTL=1
SERVERS="winnetou:http winnetou:ocsp"
`
	c, err := ParseTestConf("test.conf", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.VirtHosts, []string{"alice", "moon", "winnetou", "sun", "bob"}) ||
		!reflect.DeepEqual(c.IPsecHosts, []string{"moon", "sun"}) ||
		c.Diagram != "a-m-w-s-b.png" || c.Vars["SWANCTL"] != "1" {
		t.Errorf("parsed %+v", c)
	}
	wantTD := []TcpdumpHost{{"sun", "eth0"}, {"moon", "eth1"}}
	if !reflect.DeepEqual(c.TcpdumpHosts, wantTD) {
		t.Errorf("TcpdumpHosts = %+v, want %+v", c.TcpdumpHosts, wantTD)
	}
	wantSrv := []Server{{"winnetou", "http"}, {"winnetou", "ocsp"}}
	if !reflect.DeepEqual(c.Servers, wantSrv) {
		t.Errorf("Servers = %+v, want %+v", c.Servers, wantSrv)
	}
	for _, bad := range []string{
		`VIRTHOSTS="a $(rm -rf /)"`,
		`VIRTHOSTS=$HOME`,
		`VIRTHOSTS=a b`,
		`VIRTHOSTS="unterminated`,
		`export VIRTHOSTS`,
		`1X=2`,
		`IPSECHOSTS="moon" extra`,
		`TCPDUMPHOSTS="bad/host"`,
		`SERVERS="winnetou"`,
		`SERVERS="winnetou:"`,
		`SERVERS="bad/host:http"`,
		`SERVERS="winnetou:http winnetou:http"`,
	} {
		if _, err := ParseTestConf("t", strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestShippedScenarios loads every scenario of testing/tests: they must
// parse, name only hosts of the topology, and keep no placeholder after
// substitution.
func TestShippedScenarios(t *testing.T) {
	dir := filepath.Join("..", "..", "tests")
	names, err := Expand(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 6 {
		t.Fatalf("found only %v", names)
	}
	for _, n := range names {
		s, err := Load(dir, n)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if len(s.Conf.IPsecHosts) == 0 || len(s.Eval) == 0 || len(s.Pre) == 0 {
			t.Errorf("%s: no IPsec hosts, evaltest or pretest", n)
		}
		for h, files := range s.Etc {
			for _, f := range files {
				if strings.Contains(string(f.Data), "PH_IP") {
					t.Errorf("%s: hosts/%s/etc/%s keeps a placeholder", n, h, f.Rel)
				}
			}
		}
		for _, l := range s.Eval {
			if strings.Contains(l.String(), "PH_IP") {
				t.Errorf("%s: evaltest.dat:%d keeps a placeholder", n, l.Line)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, files map[string]string) {
		for f, c := range files {
			p := filepath.Join(root, "g", name, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := map[string]string{
		"description.txt": "d", "test.conf": `IPSECHOSTS="moon"`,
		"pretest.dat": "moon::ipsec start\n", "posttest.dat": "moon::ipsec stop\n",
		"evaltest.dat": "moon::ipsec status::x::YES\n",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	mk("ok", with("hosts/moon/etc/ipsec.conf", "left=PH_IP_MOON\n"))
	mk("missing", with("posttest.dat", ""))
	mk("unknown-host", with("evaltest.dat", "mars::ipsec status::x::YES\n"))
	mk("bad-hostdir", with("hosts/pluto/etc/ipsec.conf", "x"))
	mk("bad-subdir", with("hosts/moon/var/x", "x"))
	mk("bad-eval", with("evaltest.dat", "moon::x::y::PERHAPS\n"))
	mk("bad-pairings", with("test.conf", `IPSECHOSTS="moon"
PAIRINGS="gg sx"`))
	mk("pairings", with("test.conf", `IPSECHOSTS="moon"
PAIRINGS="gg sg sc"`))
	mk("lane-pairings", with("test.conf", `IPSECHOSTS="moon"
PAIRINGS_USERSPACE="gg"`))
	mk("bad-lane-pairings", with("test.conf", `IPSECHOSTS="moon"
PAIRINGS_KERNEL="g"`))

	s, err := Load(root, "g/ok")
	if err != nil {
		t.Fatal(err)
	}
	if f := s.Etc["moon"]; len(f) != 1 || f[0].Rel != "ipsec.conf" || string(f[0].Data) != "left=192.168.0.1\n" {
		t.Errorf("host files: %+v", f)
	}
	if s, err := Load(root, "g/pairings"); err != nil || !reflect.DeepEqual(s.Conf.Pairings, []string{"gg", "sg", "sc"}) {
		t.Errorf("PAIRINGS: %v %v", s, err)
	}
	if s, err := Load(root, "g/lane-pairings"); err != nil ||
		!reflect.DeepEqual(s.Conf.PairingsIn("userspace"), []string{"gg"}) || len(s.Conf.PairingsIn("kernel")) != 0 {
		t.Errorf("PAIRINGS_USERSPACE: %v %v", s, err)
	}
	if s, err := Load(root, "g/pairings"); err != nil || !reflect.DeepEqual(s.Conf.PairingsIn("kernel"), []string{"gg", "sg", "sc"}) {
		t.Errorf("PAIRINGS in the kernel lane: %v %v", s, err)
	}
	for name, msg := range map[string]string{
		"bad-lane-pairings": `PAIRINGS_KERNEL: "g" is not a pairing code`,
		"missing":           `"posttest.dat" is missing`, "unknown-host": `unknown host "mars"`,
		"bad-hostdir": "hosts/pluto is not a host", "bad-subdir": "only etc/ is copied",
		"bad-eval": "evaltest.dat:1", "bad-pairings": `PAIRINGS: "sx" is not a pairing code`,
	} {
		if _, err := Load(root, "g/"+name); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", name, err, msg)
		}
	}
}

func TestExpand(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"ikev2/net2net-psk", "ikev2/net2net-start", "ikev2/rw-psk", "ikev1/x"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"ikev1/x", "ikev2/net2net-psk", "ikev2/net2net-start", "ikev2/rw-psk"}},
		{[]string{"ikev2"}, []string{"ikev2/net2net-psk", "ikev2/net2net-start", "ikev2/rw-psk"}},
		{[]string{"ikev2/net2net-*", "ikev2/net2net-psk"}, []string{"ikev2/net2net-psk", "ikev2/net2net-start"}},
		{[]string{"ikev2/rw-psk/", "ikev1/x"}, []string{"ikev1/x", "ikev2/rw-psk"}},
	} {
		got, err := Expand(root, tc.args)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Expand(%v) = %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
	for _, bad := range [][]string{{"ikev3"}, {"ikev2/nope"}, {"../etc"}, {"ikev2/["}} {
		if _, err := Expand(root, bad); err == nil {
			t.Errorf("Expand(%v): no error", bad)
		}
	}
}
