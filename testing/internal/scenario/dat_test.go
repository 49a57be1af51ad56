package scenario

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseEvalForms(t *testing.T) {
	in := strings.Join([]string{
		"# a comment is echoed",
		"",
		"moon::ipsec status 2> /dev/null::net-net.*ESTABLISHED::YES",
		"sun  :: ipsec status 2> /dev/null::net-net.*INSTALLED, TUNNEL::NO",
		"moon::cat /var/log/daemon.log::deleted SAD entry with SPI::2",
		"sun::tcpdump::IP moon.strongswan.org > sun.strongswan.org: ESP::YES",
		"carol::ping -W 1 -c 1 239.0.0.3 2>&1> /dev/null",
		"moon::swanctl --list-sas::local-ts=\\[fec2:\\:/16]::YES ",
		"dave::ip route\r",
		"alice::ip link set eth1 down::No output expected::NO",
		"moon::sleep 13::no output expected::YES",
	}, "\n")
	got, err := ParseEval("evaltest.dat", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []EvalLine{
		{Line: 1, Comment: "# a comment is echoed"},
		{Line: 3, Host: "moon", Command: "ipsec status 2> /dev/null", Pattern: "net-net.*ESTABLISHED", Expect: Expectation{Kind: ExpectYes}},
		{Line: 4, Host: "sun", Command: " ipsec status 2> /dev/null", Pattern: "net-net.*INSTALLED, TUNNEL", Expect: Expectation{Kind: ExpectNo}},
		{Line: 5, Host: "moon", Command: "cat /var/log/daemon.log", Pattern: "deleted SAD entry with SPI", Expect: Expectation{Kind: ExpectCount, Count: 2}},
		{Line: 6, Host: "sun", Command: "tcpdump", Pattern: "IP moon.strongswan.org > sun.strongswan.org: ESP", Expect: Expectation{Kind: ExpectYes}},
		{Line: 7, Host: "carol", Command: "ping -W 1 -c 1 239.0.0.3 2>&1> /dev/null"},
		{Line: 8, Host: "moon", Command: "swanctl --list-sas", Pattern: `local-ts=\[fec2:\:/16]`, Expect: Expectation{Kind: ExpectYes}},
		{Line: 9, Host: "dave", Command: "ip route"},
		// strongSwan's way of writing an action is an action, not a check
		// that cannot fail; with YES it is a check (and fails)
		{Line: 10, Host: "alice", Command: "ip link set eth1 down"},
		{Line: 11, Host: "moon", Command: "sleep 13", Pattern: "no output expected", Expect: Expectation{Kind: ExpectYes}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseEval:\n got %+v\nwant %+v", got, want)
	}
	if !got[4].IsTcpdump() || got[1].IsTcpdump() || !got[0].IsComment() {
		t.Error("IsTcpdump/IsComment wrong")
	}
	if s := got[3].String(); s != "moon::cat /var/log/daemon.log::deleted SAD entry with SPI::2" {
		t.Errorf("String() = %q", s)
	}
	if s := got[5].String(); s != "carol::ping -W 1 -c 1 239.0.0.3 2>&1> /dev/null" {
		t.Errorf("String() of an action = %q", s)
	}
}

func TestParseEvalErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"moon::ipsec status::pattern", "has no expectation"},
		{"moon::ipsec status::pattern::MAYBE", "not YES, NO or a line count"},
		{"moon::ipsec status::pattern::", "not YES, NO or a line count"},
		{"moon::ipsec status::a::b::YES", "5 fields"},
		{"moon::", "want host::command"},
		{"just some text", "want host::command"},
		{"mo on::ipsec status::x::YES", "bad host name"},
		{"::ipsec status::x::YES", "bad host name"},
		{"sun::tcpdump", "tcpdump line needs"},
	} {
		_, err := ParseEval("e.dat", strings.NewReader("# first\n"+tc.in+"\n"))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: got %v, want a *ParseError", tc.in, err)
			continue
		}
		if pe.Line != 2 || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "e.dat:2: ") {
			t.Errorf("%q: error %q, want line 2 and %q", tc.in, err, tc.msg)
		}
	}
}

func TestParseSetup(t *testing.T) {
	in := "# pre\nsun::ipsec start\n\n moon ::ipsec up net-net\nmoon::ip xfrm state flush::no output expected::NO\n"
	got, err := ParseSetup("pretest.dat", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []SetupLine{
		{Line: 1, Comment: "# pre"},
		{Line: 2, Host: "sun", Command: "ipsec start"},
		{Line: 4, Host: "moon", Command: "ipsec up net-net"},
		{Line: 5, Host: "moon", Command: "ip xfrm state flush"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"moon", "moon::", "moon::   ", "m*::x"} {
		if _, err := ParseSetup("p.dat", strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestGrepPattern(t *testing.T) {
	for in, want := range map[string]string{
		`rw\[1]: ESTABLISHED`:        `rw\[1]: ESTABLISHED`,
		`icmp_.eq=1`:                 `icmp_.eq=1`,
		`a\\b`:                       `a\b`,
		`cost \$5`:                   `cost $5`,
		`say \"hi\"`:                 `say "hi"`,
		"tick \\`":                   "tick `",
		`\(4500\|ipsec-nat-t\)`:      `\(4500\|ipsec-nat-t\)`,
		`trailing\`:                  `trailing\`,
		`fec2:\:/16`:                 `fec2:\:/16`,
		`\\\[`:                       `\\[`,
		`plain text, no backslashes`: `plain text, no backslashes`,
	} {
		if got := GrepPattern(in); got != want {
			t.Errorf("GrepPattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExpectationString(t *testing.T) {
	for _, e := range []Expectation{{Kind: ExpectYes}, {Kind: ExpectNo}, {Kind: ExpectCount, Count: 3}} {
		back, err := parseExpectation(e.String())
		if err != nil || back != e {
			t.Errorf("%v: round trip gave %v, %v", e, back, err)
		}
	}
}

func TestLaneTags(t *testing.T) {
	eval := "[kernel] moon::ip -s xfrm state::expire add: soft 5(sec), hard 10(sec)::YES\n" +
		"[userspace]sun::tcpdump::UDP-encap: ESP::YES\n" +
		"alice::ping -c 1 PH_IP_BOB::64 bytes::YES\n"
	got, err := ParseEval("e.dat", strings.NewReader(eval))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Lane != "kernel" || got[0].Host != "moon" || got[1].Lane != "userspace" || !got[1].IsTcpdump() || got[2].Lane != "" {
		t.Fatalf("lanes not parsed: %+v", got)
	}
	if s := got[0].String(); s != "[kernel] moon::ip -s xfrm state::expire add: soft 5(sec), hard 10(sec)::YES" {
		t.Errorf("String() = %q", s)
	}
	if !InLane(got[0].Lane, "kernel") || InLane(got[0].Lane, "userspace") || !InLane(got[2].Lane, "userspace") {
		t.Error("InLane wrong")
	}
	setup, err := ParseSetup("p.dat", strings.NewReader("[kernel] moon::tc qdisc show\n"))
	if err != nil || len(setup) != 1 || setup[0].Lane != "kernel" || setup[0].Host != "moon" {
		t.Fatalf("setup lane: %+v %v", setup, err)
	}
	for _, bad := range []string{"[kernal] moon::true", "[kernel moon::true", "[] moon::true"} {
		if _, err := ParseEval("e.dat", strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "lane") {
			t.Errorf("%q: error %v, want a lane error", bad, err)
		}
		if _, err := ParseSetup("p.dat", strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error from ParseSetup", bad)
		}
	}
}
