// The tests here are tables: rows of identity pairs that look alike (here
// and in other packages' tables) are distinct cases, not copied logic.

package credentials

import (
	"fmt"
	"strings"
	"testing"
)

func TestMatches(t *testing.T) {
	dn20 := func(v string) string {
		parts := make([]string, 20)
		for i := range parts {
			parts[i] = "CN=" + v
		}
		return strings.Join(parts, ", ")
	}
	tests := []struct {
		id, pattern string
		want        MatchLevel
	}{
		{"%any", "%any", MatchAny},
		{"@moon", "%any", MatchAny},
		{"C=CH, CN=x", "%any6", MatchAny},
		{"%any", "@moon", MatchNone},
		// FQDN and RFC822: case-insensitive, one leading '*'
		{"@moon.strongswan.org", "@moon.strongswan.org", MatchPerfect},
		{"@moon.strongswan.org", "@MOON.StrongSwan.ORG", MatchPerfect},
		{"@moon.strongswan.org", "*.strongswan.org", MatchOneWildcard},
		{"@moon.strongswan.org", "*.STRONGSWAN.org", MatchOneWildcard},
		{"@moon.strongswan.org", "*strongswan.org", MatchOneWildcard},
		{"@strongswan.org", "*.strongswan.org", MatchNone},
		{"@moon.strongswan.org", "fqdn:*", MatchAny},
		{"@moon.strongswan.org", "@moon.*", MatchNone},
		{"@moon.strongswan.org", "@*moon.strongswan.org", MatchNone},
		{"@amoon.strongswan.org", "@*moon.strongswan.org", MatchOneWildcard},
		{"@moon", "fqdn:", MatchNone},
		{"@moon", "moon@strongswan.org", MatchNone},
		{"carol@strongswan.org", "*@strongswan.org", MatchOneWildcard},
		{"carol@strongswan.org", "@@*@strongswan.org", MatchOneWildcard},
		{"carol@strongswan.org", "email:*", MatchAny},
		{"carol@strongswan.org", "*@strongswan.net", MatchNone},
		{"carol@strongswan.org", "@*.strongswan.org", MatchNone},
		// DNs, strict: same RDNs in the same order, "*" values
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=moon", MatchPerfect},
		{"C=CH, O=strongSwan, CN=moon", "c=ch, o=STRONGSWAN, cn=MOON", MatchPerfect},
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=*", MatchOneWildcard},
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=*, CN=*", MatchOneWildcard - 1},
		{"C=CH, O=strongSwan, CN=moon", "C=*, O=*, CN=*", MatchOneWildcard - 2},
		{dn20("x"), dn20("*"), MatchPerfect - 17},
		{"C=CH, O=strongSwan, CN=moon", "CN=moon, C=CH, O=strongSwan", MatchNone},
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan", MatchNone},
		{"C=CH, O=strongSwan", "C=CH, O=strongSwan, CN=*", MatchNone},
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=sun", MatchNone},
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, OU=*", MatchNone},
		{"CN=M\u00fcller", "CN=m\u00fcller", MatchNone}, // UTF8String: case counts
		{"CN=M\u00fcller", "CN=M\u00fcller", MatchPerfect},
		{"E=Carol@StrongSwan.org", "E=carol@strongswan.org", MatchPerfect}, // email IA5: no case
		{"UN=Carol", "UN=carol", MatchNone},                                // other IA5: case
		{"CN=moon", "@moon", MatchNone},
		{"C=CH, CN=", "C=CH, CN=", MatchPerfect},
		{"C=CH, CN=", "C=*, CN=", MatchNone}, // charon cannot tell the empty value ended the DN
		{"CN=, C=CH", "CN=, C=*", MatchOneWildcard},
		// addresses in subnets and ranges
		{"192.168.0.1", "192.168.0.1", MatchPerfect},
		{"192.168.0.1", "192.168.0.2", MatchNone},
		{"192.168.0.1", "192.168.0.0/24", MatchOneWildcard},
		{"192.168.0.1", "192.168.0.0/23", MatchOneWildcard},
		{"192.168.1.1", "192.168.0.0/24", MatchNone},
		{"192.168.0.1", "192.168.0.1/32", MatchPerfect},
		{"192.168.0.2", "192.168.0.1/32", MatchNone},
		{"192.168.0.1", "0.0.0.0/0", MatchMaxWildcards},
		{"192.168.0.1", "10.0.0.0/8", MatchNone},
		{"192.168.0.1", "ipv4net:#c0a80000ff00ff00", MatchOneWildcard}, // mask counts 8 bits
		{"193.168.0.1", "ipv4net:#c0a80000ff00ff00", MatchNone},
		{"192.168.0.1", "ipv4net:#c0a800", MatchNone},
		{"ipv4:#c0a8", "192.168.0.0/16", MatchNone},
		{"192.168.0.1", "192.168.0.1-192.168.0.9", MatchOneWildcard},
		{"192.168.0.9", "192.168.0.1-192.168.0.9", MatchOneWildcard},
		{"192.168.0.10", "192.168.0.1-192.168.0.9", MatchNone},
		{"192.168.0.0", "192.168.0.1-192.168.0.9", MatchNone},
		{"192.168.0.5", "192.168.0.5-192.168.0.5", MatchPerfect},
		{"192.168.0.5", "ipv4range:#c0a80009c0a80001", MatchNone},
		{"fec0::1", "fec0::/16", MatchOneWildcard},
		{"fec1::1", "fec0::/16", MatchNone},
		{"fec0::1", "::/0", MatchMaxWildcards},
		{"fec0::1", "fec0::1/128", MatchPerfect},
		{"fec0::5", "fec0::1-fec0::9", MatchOneWildcard},
		{"fec0::5", "fec0::6-fec0::9", MatchNone},
		{"192.168.0.1", "fec0::/16", MatchNone},
		{"fec0::1", "192.168.0.0/16", MatchNone},
		{"10.0.0.0/8", "10.0.0.0/8", MatchPerfect},
		{"10.0.0.0/8", "10.0.0.1", MatchNone},
		{"10.0.0.1-10.0.0.2", "10.0.0.1-10.0.0.2", MatchPerfect},
		// everything else compares bytes
		{"@#0102", "@#0102", MatchPerfect},
		{"@#0102", "@#0103", MatchNone},
		{"keyid:ab", "keyid:AB", MatchNone},
		{"asn1gn:#3000", "asn1gn:#3000", MatchPerfect},
		{"{42}:x", "{42}:x", MatchPerfect},
		{"{42}:x", "{43}:x", MatchNone},
	}
	for _, tc := range tests {
		id, pat := ParseIdentity(tc.id), ParseIdentity(tc.pattern)
		if got := id.Matches(pat); got != tc.want {
			t.Errorf("%q (%v) matches %q (%v) = %v, want %v", tc.id, id.Type(), tc.pattern, pat.Type(), got, tc.want)
		}
	}
}

func TestMatchesStringWithNUL(t *testing.T) {
	a := FromEncoding(IDFQDN, []byte("a\x00b"))
	if a.Equals(a) || a.Matches(a) != MatchNone {
		t.Error("charon never finds strings with a NUL equal")
	}
	if got := a.Matches(FromEncoding(IDFQDN, []byte("*b"))); got != MatchOneWildcard {
		t.Errorf("suffix match across NUL = %v", got)
	}
}

func TestRDNMatchingModes(t *testing.T) {
	defer SetRDNMatching(RDNMatchingStrict)
	tests := []struct {
		id, pattern                string
		strict, reordered, relaxed MatchLevel
	}{
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=moon", MatchPerfect, MatchPerfect, MatchPerfect},
		{"C=CH, O=strongSwan, CN=moon", "CN=moon, C=CH, O=strongSwan", MatchNone, MatchPerfect, MatchPerfect},
		{"C=CH, O=strongSwan, CN=moon", "CN=*, C=ch, O=strongSwan", MatchNone, MatchOneWildcard, MatchOneWildcard},
		{"C=CH, O=strongSwan, OU=x, CN=moon", "C=CH, O=strongSwan, CN=moon", MatchNone, MatchNone, MatchOneWildcard},
		{"C=CH, OU=x, OU=y, CN=moon", "CN=moon", MatchNone, MatchNone, MatchOneWildcard - 2},
		{"C=CH, O=strongSwan", "C=CH, O=strongSwan, CN=moon", MatchNone, MatchNone, MatchNone},
		// exact values are matched before wildcards take an RDN
		{"OU=a, OU=b", "OU=*, OU=a", MatchNone, MatchOneWildcard, MatchOneWildcard},
		{"OU=a, OU=a", "OU=a", MatchNone, MatchNone, MatchOneWildcard},
		{"C=CH, CN=", "CN=, C=*", MatchNone, MatchNone, MatchNone},
		{"CN=x", "asn1dn:#3000", MatchNone, MatchNone, MatchNone},
		{"CN=x", "@x", MatchNone, MatchNone, MatchNone},
	}
	for _, tc := range tests {
		id, pat := ParseIdentity(tc.id), ParseIdentity(tc.pattern)
		for mode, want := range map[RDNMatching]MatchLevel{
			RDNMatchingStrict: tc.strict, RDNMatchingReordered: tc.reordered, RDNMatchingRelaxed: tc.relaxed,
		} {
			SetRDNMatching(mode)
			if got := id.Matches(pat); got != want {
				t.Errorf("mode %d: %q matches %q = %v, want %v", mode, tc.id, tc.pattern, got, want)
			}
		}
	}
	for s, want := range map[string]RDNMatching{"reordered": RDNMatchingReordered, "relaxed": RDNMatchingRelaxed,
		"Relaxed": RDNMatchingStrict, "": RDNMatchingStrict, "strict": RDNMatchingStrict} {
		if got := ParseRDNMatching(s); got != want {
			t.Errorf("ParseRDNMatching(%q) = %v", s, got)
		}
	}
}

func TestEquals(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"%any", "%any6", true},
		{"%any", "@moon", false},
		{"@moon", "%any", false},
		{"@MOON.strongswan.org", "@moon.StrongSwan.org", true},
		{"@moon", "moon@x", false},
		{"fqdn:a@b", "a@b", false},
		{"carol@X.org", "carol@x.ORG", true},
		{"C=ch, CN=Moon", "C=CH, CN=moon", true},
		{"C=CH, CN=moon", "C=CH, CN=*", false},
		{"C=CH, CN=moon", "CN=moon, C=CH", false},
		{"CN=M\u00fcller", "CN=m\u00fcller", false},
		{"192.168.0.1", "192.168.0.1", true},
		{"192.168.0.1", "ipv4:#c0a80001", true},
		{"10.0.0.0/8", "10.1.0.0/8", true},
		{"@#0102", "@#0102", true},
		{"@#0102", "keyid:#0102", true},
		{"keyid:a", "keyid:A", false},
	}
	for _, tc := range tests {
		if got := ParseIdentity(tc.a).Equals(ParseIdentity(tc.b)); got != tc.want {
			t.Errorf("%q equals %q = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	// a DN compares encodings whatever the other type; the reverse does not
	enc := ParseIdentity("CN=x").Encoding()
	dn, kid := FromEncoding(IDDerASN1DN, enc), FromEncoding(IDKeyID, enc)
	if !dn.Equals(kid) || kid.Equals(dn) {
		t.Error("DN equality asymmetry differs from charon")
	}
}

func TestContainsWildcards(t *testing.T) {
	tests := map[string]bool{
		"%any":                 true,
		"@*.strongswan.org":    true,
		"@moon*":               true,
		"@moon":                false,
		"*@strongswan.org":     true,
		"carol@strongswan.org": false,
		"CN=*":                 true,
		"C=CH, O=*, CN=moon":   true,
		"C=CH, CN=a*":          false,
		"UID=*":                false, // not an RDN charon enumerates as a part
		"DC=*":                 false,
		"STREET=*":             false,
		"E=*":                  true,
		"EN=*":                 true,
		"serialNumber=*":       true,
		"192.168.0.0/16":       false,
		"10.0.0.1-10.0.0.9":    false,
		"192.168.0.1":          false,
		"keyid:*":              false,
		"fec0::/16":            false,
	}
	for s, want := range tests {
		if got := ParseIdentity(s).ContainsWildcards(); got != want {
			t.Errorf("%q ContainsWildcards = %v, want %v", s, got, want)
		}
	}
}

// TestMatchesSelf: every identity matches itself perfectly, except %any
// (MatchAny) and strings holding a NUL (never equal in charon).
func TestMatchesSelf(t *testing.T) {
	for _, s := range append(append([]string{}, charonIDInputs...), dnParseInputs...) {
		id := ParseIdentity(s)
		want := MatchPerfect
		if id.Type() == IDAny {
			want = MatchAny
		}
		if got := id.Matches(id); got != want {
			t.Errorf("%q (%v) matches itself: %v", s, id.Type(), got)
		}
		if !id.Equals(id) {
			t.Errorf("%q not equal to itself", s)
		}
	}
}

func ExampleIdentity_Matches() {
	peer := ParseIdentity("@moon.strongswan.org")
	for _, owner := range []string{"@moon.strongswan.org", "*.strongswan.org", "%any", "@sun.strongswan.org"} {
		fmt.Printf("%-22s %v\n", owner, peer.Matches(ParseIdentity(owner)))
	}
	// Output:
	// @moon.strongswan.org   MATCH_PERFECT
	// *.strongswan.org       (19)
	// %any                   MATCH_ANY
	// @sun.strongswan.org    MATCH_NONE
}
