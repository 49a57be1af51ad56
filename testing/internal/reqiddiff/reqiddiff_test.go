package reqiddiff

import (
	"slices"
	"strings"
	"testing"
)

// A statusall of charon 5.9.8 with a routed conn, an IKE_SA with two
// CHILD_SAs and one being rekeyed.
const statusall = `Status of IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0-13-amd64, x86_64):
  uptime: 2 seconds, since Dec 07 02:56:39 2026
Connections:
           a:  192.168.0.1...192.168.0.2  IKEv2
           a:   child:  10.1.0.0/16 === 10.2.0.0/16 TUNNEL
Routed Connections:
           t{1}:  ROUTED, TUNNEL, reqid 1
           t{1}:   10.1.0.0/16 === 10.2.0.0/24
Security Associations (1 up, 0 connecting):
           a[1]: ESTABLISHED 1 second ago, 192.168.0.1[a.moon]...192.168.0.2[a.sun]
           a[1]: IKEv2 SPIs: 4a2b_i* 5c3d_r, pre-shared key reauthentication in 56 minutes
           a[1]: IKE proposal: AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519
           c{3}:  INSTALLED, TUNNEL, reqid 2, ESP in UDP SPIs: c1_i c2_o
           c{3}:  AES_CBC_128/HMAC_SHA2_256_128, 0 bytes_i, 0 bytes_o, rekeying in 16 minutes
           c{3}:   10.1.0.0/24 === 10.2.0.0/24
           a{2}:  REKEYING, TUNNEL, reqid 3, ESP in UDP SPIs: c3_i c4_o
           a{2}:   10.1.0.0/16 === 10.2.0.0/16
`

func TestParseStatusall(t *testing.T) {
	s := ParseStatusall(statusall)
	want := []string{
		"a{2} REKEYING reqid 3 10.1.0.0/16 === 10.2.0.0/16",
		"c{3} INSTALLED reqid 2 10.1.0.0/24 === 10.2.0.0/24",
		"t{1} ROUTED reqid 1 10.1.0.0/16 === 10.2.0.0/24",
	}
	if !slices.Equal(s.Children, want) {
		t.Errorf("children:\n%s\nwant:\n%s", strings.Join(s.Children, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(s.IKE, []string{"a[1] ESTABLISHED"}) {
		t.Errorf("IKE_SAs %v", s.IKE)
	}
	if s.Settled {
		t.Error("a REKEYING CHILD_SA counted as settled")
	}
	settled := ParseStatusall(strings.Replace(statusall, "REKEYING", "INSTALLED", 1))
	if !settled.Settled || settled.ReqIDs() != 3 {
		t.Errorf("settled %v, %d reqids", settled.Settled, settled.ReqIDs())
	}
	if got := withoutUIDs(settled.Children); got[0] != "a INSTALLED reqid 3 10.1.0.0/16 === 10.2.0.0/16" {
		t.Errorf("without unique ids: %v", got)
	}
}

// TestSequences: the same seed, the same steps; every kind shows up; the
// races the test must not contain are not generated.
func TestSequences(t *testing.T) {
	if a, b := Sequence(7), Sequence(7); !slices.EqualFunc(a, b, func(x, y Step) bool { return x.String() == y.String() }) {
		t.Fatal("Sequence is not deterministic")
	}
	seen := map[Kind]int{}
	for seed := uint64(1); seed <= 1000; seed++ {
		steps := Sequence(seed)
		if len(steps) < 3 || len(steps) > 8 {
			t.Fatalf("sequence %d: %d steps", seed, len(steps))
		}
		for _, s := range steps {
			seen[s.Kind]++
			switch {
			case s.Kind == Reauth && (s.Host != "moon" || len(s.Conns) != 2):
				t.Errorf("sequence %d: %s", seed, s)
			case s.Kind == DownChild && s.Host == "sun" && strings.HasPrefix(s.Conn, "r"):
				t.Errorf("sequence %d: %s races with moon's closeaction", seed, s)
			case s.Kind != Restart && s.Kind != Reauth && s.Command() == "":
				t.Errorf("sequence %d: %s has no command", seed, s)
			}
		}
	}
	for k := Up; k <= Reauth; k++ {
		if k == Acquire { // weight 0 in this lab (see weights)
			if seen[k] != 0 {
				t.Errorf("%d acquire steps in 1000 sequences, want none", seen[k])
			}
			continue
		}
		if seen[k] == 0 {
			t.Errorf("no %s step in 1000 sequences", k)
		}
	}
}

// TestConfigs: the lookup paths the conns are there for.
func TestConfigs(t *testing.T) {
	moon, sun := ipsecConf("moon"), ipsecConf("sun")
	for _, want := range []string{
		"conn a\n\talso=pa\n\tleftsubnet=10.1.0.0/16\n\trightsubnet=10.2.0.0/16\n\tauto=add",
		"conn m\n\talso=pa\n\tleftsubnet=10.1.0.0/16\n\trightsubnet=10.2.0.0/16\n\tmark=42\n\tauto=add",
		"conn s\n\talso=ps\n\tleftsubnet=10.1.0.0/24\n\trightsubnet=10.2.0.0/16\n\treqid=2\n\tauto=add",
		"\tcloseaction=restart\n",
		"\treauth=yes\n",
		"conn t\n\talso=ps\n\tleftsubnet=10.1.0.0/16\n\trightsubnet=10.2.0.0/24\n\tauto=route",
	} {
		if !strings.Contains(moon, want) {
			t.Errorf("moon's ipsec.conf lacks %q:\n%s", want, moon)
		}
	}
	for _, want := range []string{
		// sun narrows n, and restarts nothing itself.
		"conn n\n\talso=pn\n\tleftsubnet=10.2.0.0/24\n\trightsubnet=10.1.0.0/24\n\tauto=add",
		"conn pa\n\tleftid=@a.sun\n\trightid=@a.moon\n",
		// static where moon restarts or reauthenticates
		"conn r1\n\talso=pr\n\tleftsubnet=10.2.0.0/24\n\trightsubnet=10.1.0.0/24\n\treqid=11\n\tauto=add",
	} {
		if !strings.Contains(sun, want) {
			t.Errorf("sun's ipsec.conf lacks %q:\n%s", want, sun)
		}
	}
	if strings.Contains(sun, "closeaction") || strings.Contains(sun, "reauth=yes") {
		t.Errorf("sun restarts or reauthenticates:\n%s", sun)
	}
}
