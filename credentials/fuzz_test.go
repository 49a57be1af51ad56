package credentials

import (
	"strings"
	"testing"
)

func hasNUL(id *Identity) bool { return strings.IndexByte(id.enc, 0) >= 0 }

// selfMatch is what an identity's Matches/Equals against itself must give.
func checkSelf(t *testing.T, id *Identity) {
	t.Helper()
	if isStringType(id.typ) && hasNUL(id) {
		return // charon never finds such strings equal, not even to themselves
	}
	want := MatchPerfect
	if id.typ == IDAny {
		want = MatchAny
	}
	if got := id.Matches(id); got != want {
		t.Fatalf("%v %x matches itself: %v", id.typ, id.enc, got)
	}
	if !id.Equals(id) {
		t.Fatalf("%v %x not equal to itself", id.typ, id.enc)
	}
}

func checkPrint(t *testing.T, id *Identity) string {
	t.Helper()
	s := id.String()
	if len(s) > bufLen-1 {
		t.Fatalf("%v printed %d bytes", id.typ, len(s))
	}
	return s
}

func FuzzParseIdentity(f *testing.F) {
	for _, s := range charonIDInputs {
		f.Add(s)
	}
	for _, s := range dnParseInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := ParseIdentity(s)
		p1 := checkPrint(t, id)
		checkSelf(t, id)
		id.ContainsWildcards()
		back := FromEncoding(id.Type(), id.Encoding())
		if back.String() != p1 || (id.typ != IDAny && back.enc != id.enc) {
			t.Fatalf("FromEncoding(%v, %x) prints %q, want %q", id.typ, id.enc, back, p1)
		}
		// Printing then parsing normalises (masks subnets, trims DN values,
		// turns hex KEY_IDs into text, "@@@" into "@" into "" into %any);
		// repeating it must reach a fixed point, never cycle.
		seen := map[string]bool{p1: true}
		for cur := p1; ; {
			next := checkPrint(t, ParseIdentity(cur))
			if next == cur {
				break
			}
			if seen[next] {
				t.Fatalf("print/parse cycles: %q -> ... %q -> %q", s, cur, next)
			}
			seen[next] = true
			cur = next
		}
		// an address prints as text that parses back to the same address
		// (except the all-zero ones, which read as %any)
		if _, ok := id.Addr(); ok && p1 != "0.0.0.0" && p1 != "::" {
			if again := ParseIdentity(p1); !again.Equals(id) {
				t.Fatalf("%q prints %q, which parses to %v %x", s, p1, again.typ, again.enc)
			}
		}
	})
}

func FuzzFromEncoding(f *testing.F) {
	for _, s := range charonIDInputs {
		id := ParseIdentity(s)
		f.Add(uint32(id.Type()), id.Encoding())
	}
	for _, c := range printCases() {
		f.Add(uint32(IDDerASN1DN), c.subject)
	}
	patterns := []*Identity{Any(), ParseIdentity("*.strongswan.org"), ParseIdentity("*@strongswan.org"),
		ParseIdentity("C=CH, O=*, CN=*"), ParseIdentity("10.0.0.0/8"), ParseIdentity("fec0::1-fec0::9")}
	f.Fuzz(func(t *testing.T, typ uint32, data []byte) {
		id := FromEncoding(IDType(typ), data)
		checkPrint(t, id)
		checkSelf(t, id)
		id.ContainsWildcards()
		for _, p := range patterns {
			id.Matches(p)
			p.Matches(id)
			id.Equals(p)
			p.Equals(id)
		}
		d := FromData(data)
		checkPrint(t, d)
		if d.Type() == IDDerASN1DN && d.enc == string(data) && !validDN(d.enc) {
			t.Fatalf("FromData took an invalid DN %x", data)
		}
	})
}

// FuzzDNMatch compares two DER blobs as DNs in every mode.
func FuzzDNMatch(f *testing.F) {
	cases := printCases()
	for i := 0; i+1 < len(cases); i++ {
		f.Add(cases[i].subject, cases[i+1].subject)
	}
	moon := ParseIdentity("C=CH, O=strongSwan, CN=moon").Encoding()
	f.Add(moon, ParseIdentity("C=CH, O=strongSwan, CN=*").Encoding())
	f.Add(moon, ParseIdentity("CN=*, C=CH, O=*").Encoding())
	f.Fuzz(func(t *testing.T, a, b []byte) {
		x, y := string(a), string(b)
		eq, _ := compareDN(x, y, false)
		if eq2, _ := compareDN(y, x, false); eq != eq2 {
			t.Fatalf("strict DN equality not symmetric: %x %x", a, b)
		}
		if ok, _ := compareDN(x, y, true); eq && !ok {
			t.Fatalf("equal DNs do not match: %x %x", a, b)
		}
		okR, _ := matchDNUnordered(x, y, false)
		okX, _ := matchDNUnordered(x, y, true)
		if okR && !okX {
			t.Fatalf("reordered match but not relaxed: %x %x", a, b)
		}
		dnString(x)
		dnHasWildcard(x)
	})
}

// FuzzIdentityPair compares two identities written as strings, and the same
// bytes taken as a peer's DN payload, in the default (strict) DN mode.
func FuzzIdentityPair(f *testing.F) {
	pairs := [][2]string{
		{"C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=*"},
		{"/C=CH/CN=a", "C=CH, CN=a"},
		{"192.0.2.1", "192.0.2.0/24"},
		{"fe80::1", "fe80::1-fe80::2"},
		{"carol@strongswan.org", "*@strongswan.org"},
		{"moon.strongswan.org", "*.strongswan.org"},
		{"@#0102", "keyid:#0102"},
		{"{9}:#3000", "asn1dn:#3000"},
		{"ipv4:#c0000201", "192.0.2.1"},
		{"C=CH, CN=", "C=*, CN="},
	}
	for _, p := range pairs {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := ParseIdentity(a), ParseIdentity(b)
		checkPair(t, x, y)
		checkPair(t, FromEncoding(IDDerASN1DN, []byte(a)), FromEncoding(IDDerASN1DN, []byte(b)))
		checkPair(t, FromEncoding(IDDerASN1DN, []byte(a)), x)
	})
}

func checkPair(t *testing.T, x, y *Identity) {
	t.Helper()
	m := x.Matches(y)
	if m < MatchNone || m > MatchPerfect {
		t.Fatalf("%v %x matches %v %x: %d, out of range", x.typ, x.enc, y.typ, y.enc, m)
	}
	if x.typ != y.typ {
		return // a DN compares encodings with anything, the other way round not
	}
	eq := x.Equals(y)
	if eq != y.Equals(x) {
		t.Fatalf("Equals not symmetric for %v %x and %x", x.typ, x.enc, y.enc)
	}
	if eq && m == MatchNone {
		t.Fatalf("%v %x equals %x but does not match it", x.typ, x.enc, y.enc)
	}
	if eq && isStringType(x.typ) && m != MatchPerfect {
		t.Fatalf("equal strings %q %q match at %v", x.enc, y.enc, m)
	}
}
