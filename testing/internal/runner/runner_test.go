package runner

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/testenv"
)

func TestParsePairings(t *testing.T) {
	all, err := ParsePairings("all")
	if err != nil || len(all) != 4 || all[0].Code() != "gg" || all[3].Code() != "ss" {
		t.Fatalf("all: %v %v", all, err)
	}
	ps, err := ParsePairings("ss, gs,ss")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Code() != "ss" || ps[1].Code() != "gs" || ps[1].Name() != "goswan-strongswan" {
		t.Errorf("got %v", ps)
	}
	for _, bad := range []string{"s", "sx", "gss", "ss,,gg"} {
		if _, err := ParsePairings(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestSidesAndAssign(t *testing.T) {
	for _, tc := range []struct {
		ipsec, rightHosts []string
		left, right       []string
	}{
		{[]string{"moon", "sun"}, nil, []string{"moon"}, []string{"sun"}},
		{[]string{"sun", "moon"}, nil, []string{"moon"}, []string{"sun"}},
		{[]string{"moon", "carol", "dave"}, nil, []string{"carol", "dave"}, []string{"moon"}},
		{[]string{"carol", "moon"}, nil, []string{"carol"}, []string{"moon"}},
		{[]string{"carol", "dave"}, nil, []string{"carol"}, []string{"dave"}},
		{[]string{"alice", "venus", "sun"}, nil, []string{"alice", "venus"}, []string{"sun"}},
		{[]string{"sun", "alice"}, nil, []string{"alice"}, []string{"sun"}},
		// two gateways for roadwarriors (redirect-active)
		{[]string{"alice", "moon", "carol", "dave"}, []string{"alice", "moon"}, []string{"carol", "dave"}, []string{"alice", "moon"}},
	} {
		l, r := Sides(tc.ipsec, tc.rightHosts)
		if !reflect.DeepEqual(l, tc.left) || !reflect.DeepEqual(r, tc.right) {
			t.Errorf("Sides(%v) = %v, %v; want %v, %v", tc.ipsec, l, r, tc.left, tc.right)
		}
	}
	p := Pairing{Left: Goswan, Right: StrongSwan}
	a := p.Assign([]string{"moon", "carol", "dave"}, nil, hosts.Names())
	if a["carol"] != Goswan || a["dave"] != Goswan || a["moon"] != StrongSwan || a["alice"] != StrongSwan {
		t.Errorf("Assign: %v", a)
	}
	p.Overrides = map[string]Impl{"dave": StrongSwan, "alice": Goswan}
	a = p.Assign([]string{"moon", "carol", "dave"}, nil, hosts.Names())
	if a["carol"] != Goswan || a["dave"] != StrongSwan || a["alice"] != Goswan {
		t.Errorf("Assign with overrides: %v", a)
	}
	if p.Code() != "gs,alice=g,dave=s" || p.Name() != "goswan-strongswan,alice=goswan,dave=strongswan" {
		t.Errorf("Code %q Name %q", p.Code(), p.Name())
	}
}

func TestParseImpl(t *testing.T) {
	for in, want := range map[string]Impl{"goswan": Goswan, "G": Goswan, "strongswan": StrongSwan, "s": StrongSwan} {
		if got, err := ParseImpl(in); err != nil || got != want {
			t.Errorf("ParseImpl(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseImpl("libreswan"); err == nil {
		t.Error("libreswan accepted")
	}
}

func TestImplementationCheck(t *testing.T) {
	dir := t.TempDir()
	im := Implementations(dir)[Goswan]
	if err := im.Check(); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("missing goswan binaries: %v", err)
	}
	for _, f := range []string{"ipsec", "charon"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Check(); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("non-executable goswan binaries: %v", err)
	}
}

// TestGrepSemantics pins the basic-regular-expression behaviour the
// scenario files rely on.
func TestGrepSemantics(t *testing.T) {
	testenv.RequireCommand(t, "grep")
	text := []byte("     rw[1]: ESTABLISHED 2 seconds ago\n" +
		"     rw{1}:  INSTALLED, TUNNEL, reqid 1\n" +
		"64 bytes from 10.2.0.10: icmp_seq=1 ttl=62\n" +
		"IP moon.strongswan.org.ipsec-nat-t > sun.strongswan.org.ipsec-nat-t: UDP-encap: ESP(spi=0x1)\n" +
		"IP moon.strongswan.org.4500 > sun.strongswan.org.4500: UDP-encap: ESP(spi=0x2)\n")
	for _, tc := range []struct {
		pattern string
		found   bool
		n       int
	}{
		{`rw\[1]: ESTABLISHED`, true, 1},
		{`rw[{]1}.*INSTALLED, TUNNEL`, true, 1},
		{`rw{1}`, true, 1}, // "{" alone is literal in a BRE
		{`icmp_.eq=1`, true, 1},
		{`moon.strongswan.org.\(4500\|ipsec-nat-t\) > sun`, true, 2},
		{`ESTABLISHED.*TUNNEL`, false, 0},
		{`a+`, false, 0}, // "+" is literal in a BRE
	} {
		m, found, err := grep(context.Background(), tc.pattern, text)
		if err != nil || found != tc.found || len(m) != tc.n {
			t.Errorf("grep %q: %d matches, found %v, err %v; want %d, %v", tc.pattern, len(m), found, err, tc.n, tc.found)
		}
	}
	if _, _, err := grep(context.Background(), `\(`, text); err == nil {
		t.Error("invalid pattern: no error")
	}
}

func TestLeftoverPatterns(t *testing.T) {
	busy := "Security Associations (1 up, 0 connecting):\n   net-net[1]: ESTABLISHED 3 seconds ago\n   net-net{1}:  INSTALLED, TUNNEL\n"
	idle := "Connections:\n   net-net:  192.168.0.1...192.168.0.2  IKEv2\nSecurity Associations (0 up, 0 connecting):\n  none\n"
	if m := saHeader.FindStringSubmatch(busy); m == nil || m[1] != "1" {
		t.Errorf("header of busy status: %v", m)
	}
	if !saLine.MatchString(busy) || saLine.MatchString(idle) {
		t.Error("SA line detection")
	}
	if m := saHeader.FindStringSubmatch(idle); m == nil || m[1] != "0" || m[2] != "0" {
		t.Errorf("header of idle status: %v", m)
	}
	if !xfrmSA.MatchString("src 1.1.1.1 dst 2.2.2.2\n\tproto esp spi 0xc1234567 reqid 1 mode tunnel") {
		t.Error("xfrm state line")
	}
	if !ipcompSA.MatchString("proto 4 spi 0xc0a80001") || ipcompSA.MatchString("proto 41 spi 1") {
		t.Error("IPComp helper state")
	}
	if !rule220.MatchString("220:\tnot from all fwmark 0x42 lookup 220") || rule220.MatchString("32766:\tfrom all lookup main") {
		t.Error("rule 220")
	}
}

func TestUntarLogs(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, typ byte, body string) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: typ, Size: int64(len(body)), Mode: 0o644})
		_, _ = tw.Write([]byte(body))
	}
	add("./", tar.TypeDir, "")
	add("./daemon.log", tar.TypeReg, "charon says hi\n")
	add("./empty.log", tar.TypeReg, "")
	add("./apt/history.log", tar.TypeReg, "x")
	add("../../escape", tar.TypeReg, "no")
	tw.Close()
	dir := t.TempDir()
	if err := untarLogs(&buf, dir, "moon"); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"moon.apt_history.log", "moon.daemon.log", "moon.escape"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
}

func TestSummary(t *testing.T) {
	ss := Pairing{Left: StrongSwan, Right: StrongSwan}
	gs := Pairing{Left: Goswan, Right: StrongSwan}
	s := &Summary{RunDir: "/r", Duration: 3 * time.Second, Outcomes: []Outcome{
		{Scenario: "ikev2/a", Pairing: ss, Passed: true, Duration: time.Second},
		{Scenario: "ikev2/a", Pairing: gs, Duration: time.Second, Dir: "/r/ikev2/a/gs",
			Reasons: []string{"moon: r1", "sun: r2", "r3", "r4", "r5"}},
		{Scenario: "ikev2/b", Pairing: ss, Aborted: true},
	}}
	var b strings.Builder
	writeSummary(&b, s, []Pairing{gs, ss})
	out := b.String()
	for _, want := range []string{"scenario  gs", "ikev2/a   FAIL 1.0s", "pass 1.0s", "ikev2/b   -", "aborted", "1 passed, 2 failed\n",
		"FAILED ikev2/a [gs] (/r/ikev2/a/gs)\n    moon: r1\n    sun: r2\n    r3\n    ... 2 more in /r/ikev2/a/gs/console.log\n",
		"ABORTED ikev2/b [ss]"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
