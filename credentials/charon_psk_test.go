package credentials

// Which PSK does a real charon pick? moon gets a case's ipsec.secrets with
// competing entries; sun gets a single default PSK, one candidate secret at a
// time. sun accepts moon's AUTH payload only if moon built it with that very
// secret (get_shared on moon), so exactly one candidate lets the IKE_SA come
// up, and that is charon's choice. testdata/psk_charon.golden records it.

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
)

const pskConfDefault = `conn %%default
	authby=secret
	keyexchange=ikev2
	keyingtries=1
	mobike=no
	left=%s
	right=%s
	auto=add
`

func pskIPsecConf(self, peer, selfName, peerName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, pskConfDefault, self, peer)
	fmt.Fprintf(&b, "\nconn fqdn\n\tleftid=@%s.strongswan.org\n\trightid=@%s.strongswan.org\n", selfName, peerName)
	b.WriteString("\nconn ip\n")
	fmt.Fprintf(&b, "\nconn dn\n\tleftid=\"C=CH, O=strongSwan, CN=%s.strongswan.org\"\n"+
		"\trightid=\"C=CH, O=strongSwan, CN=%s.strongswan.org\"\n", selfName, peerName)
	fmt.Fprintf(&b, "\nconn email\n\tleftid=%s@strongswan.org\n\trightid=%s@strongswan.org\n", selfName, peerName)
	fmt.Fprintf(&b, "\nconn emptyrdn\n\tleftid=\"C=CH, O=%s, CN=\"\n\trightid=\"C=CH, O=%s, CN=\"\n", selfName, peerName)
	fmt.Fprintf(&b, "\nconn utf8\n\tleftid=%s\n\trightid=%s\n", utf8Name(selfName), utf8Name(peerName))
	if selfName == "moon" {
		fmt.Fprintf(&b, "\nconn anyremote\n\tleftid=@%s.strongswan.org\n\trightid=%%any\n", selfName)
	}
	return b.String()
}

// utf8Name is a host's id with non-ASCII letters, as pskConns["utf8"] has
// it for moon.
func utf8Name(host string) string {
	return "@" + strings.NewReplacer("o", "\u00f6", "u", "\u00fc").Replace(host) + ".strongswan.org"
}

// pskCandidates are the distinct secrets of a case, any type, in file order.
func pskCandidates(t *testing.T, secrets string) []string {
	var out []string
	for _, k := range parseSecretsForTest(t, secrets) {
		if !slices.Contains(out, string(k.Secret)) {
			out = append(out, string(k.Secret))
		}
	}
	return out
}

func TestLiveCharonPSKSelection(t *testing.T) {
	requireCharon(t)
	hosts := newCharonHosts(t, "moon", "sun")
	moon, sun := hosts[0], hosts[1]
	moon.write("ipsec.conf", pskIPsecConf("192.168.0.1", "192.168.0.2", "moon", "sun"))
	sun.write("ipsec.conf", pskIPsecConf("192.168.0.2", "192.168.0.1", "sun", "moon"))
	sun.start("fqdn", "ip", "dn", "email", "utf8", "emptyrdn")

	var rows [][]string
	var modes []string
	for _, c := range pskCases {
		if !slices.Contains(modes, c.rdnMatching) {
			modes = append(modes, c.rdnMatching)
		}
	}
	for i, mode := range modes {
		// charon reads rdn_matching when it creates an identity, so moon
		// restarts with each setting
		if i > 0 {
			moon.stopCharon()
		}
		conf := charonConf
		if mode != "" {
			conf = charonConfWith("  rdn_matching = " + mode + "\n")
		}
		moon.write("strongswan.conf", conf)
		moon.start("fqdn", "ip", "dn", "email", "anyremote", "utf8", "emptyrdn")
		for _, c := range pskCases {
			if c.rdnMatching == mode {
				rows = append(rows, runPSKCase(t, moon, sun, c)...)
			}
		}
	}
	if *update && !t.Failed() {
		writeGolden(t, "psk_charon.golden",
			"# case (psk_cases_test.go)\tmoon's conn\tthe secret Debian's charon 5.9.8 used for moon's AUTH\n", rows)
	}
}

// runPSKCase finds the secret moon's charon uses for a case and checks it;
// it returns the golden row.
func runPSKCase(t *testing.T, moon, sun *charonHost, c pskCase) [][]string {
	t.Helper()
	moon.write("ipsec.secrets", c.secrets)
	if out, err := moon.exec("ipsec", "rereadsecrets"); err != nil {
		t.Fatalf("rereadsecrets: %v\n%s", err, out)
	}
	var accepted []string
	for _, cand := range pskCandidates(t, c.secrets) {
		sun.write("ipsec.secrets", ": PSK 0x"+hex.EncodeToString([]byte(cand))+"\n")
		if out, err := sun.exec("ipsec", "rereadsecrets"); err != nil {
			t.Fatalf("rereadsecrets: %v\n%s", err, out)
		}
		out, _ := moon.exec("ipsec", "up", c.conn)
		if strings.Contains(out, "with pre-shared key successful") {
			accepted = append(accepted, cand)
			if out, err := moon.exec("ipsec", "down", c.conn); err != nil {
				t.Fatalf("down: %v\n%s", err, out)
			}
		} else if !strings.Contains(out, "AUTHENTICATION_FAILED") {
			t.Fatalf("%s: neither success nor AUTHENTICATION_FAILED:\n%s\nmoon:\n%s\nsun:\n%s",
				c.name, out, moon.log(), sun.log())
		}
	}
	if len(accepted) != 1 {
		t.Errorf("%s: charon accepted %q, want exactly one secret", c.name, accepted)
		return nil
	}
	checkPSKRow(t, c, accepted[0])
	return [][]string{{c.name, c.conn, accepted[0]}}
}

func checkPSKRow(t *testing.T, c pskCase, charonPick string) {
	t.Helper()
	if charonPick != c.want {
		t.Errorf("%s: charon picked %q, the case says %q", c.name, charonPick, c.want)
	}
	SetRDNMatching(ParseRDNMatching(c.rdnMatching))
	defer SetRDNMatching(RDNMatchingStrict)
	s := NewStore()
	s.Replace(parseSecretsForTest(t, c.secrets))
	ids := pskConns[c.conn]
	k, ok := s.Shared(SharedIKE, ParseIdentity(ids.me), ParseIdentity(ids.other))
	if !ok || string(k.Secret) != charonPick {
		t.Errorf("%s: Store picked %v (%q), charon %q", c.name, k, secretOf(k), charonPick)
	}
}

func secretOf(k *SharedKey) string {
	if k == nil {
		return ""
	}
	return string(k.Secret)
}

func TestGoldenCharonPSKSelection(t *testing.T) {
	rows := readGolden(t, "psk_charon.golden", 3)
	if len(rows) != len(pskCases) {
		t.Fatalf("golden has %d rows, want %d: rerun TestLiveCharonPSKSelection with -update", len(rows), len(pskCases))
	}
	for _, r := range rows {
		i := slices.IndexFunc(pskCases, func(c pskCase) bool { return c.name == r[0] })
		if i < 0 || pskCases[i].conn != r[1] {
			t.Fatalf("golden row %q/%q matches no case", r[0], r[1])
		}
		checkPSKRow(t, pskCases[i], r[2])
	}
}
