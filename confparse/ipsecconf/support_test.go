package ipsecconf

import (
	"slices"
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/testing/refusals"
)

// Every refusal of testing/refusals: checkconf's line at the setting (or
// the conn, for a default), and what charon makes of starter's message.
func TestRefusals(t *testing.T) {
	for _, c := range refusals.Conns {
		t.Run(c.Name, func(t *testing.T) {
			c.Check(t)
			if c.Feature == nil {
				t.Skip("an algorithm: checked with config's proposal parser by checkconf's tests")
			}
			cfg, err := Parse("ipsec.conf", []byte(c.Conf()), nil)
			if err != nil {
				t.Fatal(err)
			}
			var conn *Conn
			for _, x := range cfg.Conns {
				if x.Name == c.Name {
					conn = x
				}
			}
			if conn == nil {
				t.Fatalf("conn not loaded: %v", cfg.Problems)
			}
			var got confparse.Errors
			for _, p := range cfg.Unsupported() {
				if p.Section == "conn "+c.Name {
					got = append(got, p)
				} else {
					t.Errorf("the base conns ask for nothing goswan lacks, yet: %v", p)
				}
			}
			if len(got) == 0 {
				t.Fatal("checkconf reports nothing")
			}
			wantPos := conn.Pos
			for i, l := range c.Lines {
				if key, _, _ := strings.Cut(l, "="); !c.AtConn && strings.HasPrefix(c.Checkconf, key+"=") {
					wantPos = confparse.Position{File: "ipsec.conf", Line: conn.Pos.Line + 1 + i, Column: 2}
				}
			}
			want := wantPos.String() + ": " + c.CheckconfLine()
			var lines []string
			for _, p := range got {
				lines = append(lines, p.Pos.String()+": "+p.Severity.String()+": "+p.Section+": "+p.Msg)
			}
			if !slices.Contains(lines, want) {
				t.Errorf("checkconf\n got %s\nwant %s", strings.Join(lines, "\n     "), want)
			}
			m := conn.AddConn(&cfg.Setup, 1)
			var charon []string
			for _, r := range m.Refusals() {
				if r.Refused != c.Refused {
					t.Errorf("%s: refused=%v, want %v", r.Reason(), r.Refused, c.Refused)
				}
				if r.Refused || !r.Default {
					charon = append(charon, r.Reason())
				}
			}
			if strings.Join(charon, "\n") != strings.Join(c.Charon, "\n") {
				t.Errorf("charon's reasons\n got %q\nwant %q", charon, c.Charon)
			}
		})
	}
	cfg, err := Parse("ipsec.conf", []byte(refusals.Base+"\nconn plain\n"), nil)
	if err != nil || len(cfg.Conns) != 1 {
		t.Fatal(err)
	}
	if u := cfg.Unsupported(); len(u) != 0 {
		t.Errorf("the base conn: %v", u)
	}
	if r := cfg.Conns[0].AddConn(&cfg.Setup, 1); len(r.Refusals()) != 0 {
		t.Errorf("the base conn: %v", r.Refusals())
	}
}

// Shunts negotiate nothing: no refusal, whatever they say.
func TestShuntsRefuseNothing(t *testing.T) {
	cfg, err := Parse("ipsec.conf", []byte("conn pass\n\ttype=pass\n\tleftsubnet=10.1.0.0/16\n\tauto=route\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if u := cfg.Unsupported(); len(u) != 0 {
		t.Errorf("%v", u)
	}
}

// The cases of features goswan does now (refusals.Supported): checkconf
// reports nothing, and starter's message asks for nothing refused.
func TestSupportedFeatures(t *testing.T) {
	for _, c := range refusals.Supported {
		t.Run(c.Name, func(t *testing.T) {
			if !c.Feature.Supported {
				t.Fatalf("%s is not supported", c.Feature)
			}
			cfg, err := Parse("ipsec.conf", []byte(c.Conf()), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range cfg.Unsupported() {
				t.Errorf("checkconf: %v", p)
			}
			for _, x := range cfg.Conns {
				if x.Name != c.Name {
					continue
				}
				m := x.AddConn(&cfg.Setup, 1)
				for _, r := range m.Refusals() {
					t.Errorf("charon: %s", r.Reason())
				}
			}
		})
	}
	for _, s := range refusals.SupportedSettings {
		cfg, err := Parse("ipsec.conf", []byte(s.Text), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range cfg.Unsupported() {
			t.Errorf("%q: checkconf: %v", s.Text, p)
		}
	}
}
