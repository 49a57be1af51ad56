package ident

import (
	"bytes"
	"testing"
)

func TestParseTypes(t *testing.T) {
	for _, tc := range []struct {
		in  string
		typ Type
		enc []byte
	}{
		{"%any", Any, nil},
		{"", Any, nil},
		{"0.0.0.0", Any, nil},
		{"::", Any, nil},
		{"*", Any, nil},
		{"192.0.2.1", IPv4, []byte{192, 0, 2, 1}},
		{"192.0.2.77/24", IPv4Subnet, []byte{192, 0, 2, 0, 255, 255, 255, 0}},
		{"192.0.2.1-192.0.2.9", IPv4Range, []byte{192, 0, 2, 1, 192, 0, 2, 9}},
		{"2001:db8::1", IPv6, append([]byte{0x20, 0x01, 0x0d, 0xb8}, append(make([]byte, 11), 1)...)},
		{"moon.example.org", FQDN, []byte("moon.example.org")},
		{"@moon.example.org", FQDN, []byte("moon.example.org")},
		{"01.2.3.4", FQDN, []byte("01.2.3.4")},
		{"carol@example.org", RFC822, []byte("carol@example.org")},
		{"@@carol@example.org", RFC822, []byte("carol@example.org")},
		{"@#0a0B:0c", KeyID, []byte{0x0a, 0x0b, 0x0c}},
		{"@#abc", KeyID, []byte{0x0a, 0xbc}},
		{"fe80:zz::", KeyID, []byte("fe80:zz::")},
		{"fqdn:Moon", FQDN, []byte("Moon")},
		{"keyid:#0102", KeyID, []byte{1, 2}},
		{"{11}:#ff", KeyID, []byte{0xff}},
		{"bad=dn, CN=x", KeyID, []byte("bad=dn, CN=x")},
	} {
		id := Parse(tc.in)
		if id.Type != tc.typ || !bytes.Equal(id.Encoded, tc.enc) {
			t.Errorf("%q: type %d enc %x, want %d %x", tc.in, id.Type, id.Encoded, tc.typ, tc.enc)
		}
	}
}

func TestDN(t *testing.T) {
	a := Parse("C=CH, O=strongSwan Project, CN=moon.strongswan.org")
	if a.Type != DN {
		t.Fatalf("type %d", a.Type)
	}
	// DER of the first RDN: SET { SEQUENCE { OID 2.5.4.6, PrintableString "CH" } }
	if !bytes.HasPrefix(a.Encoded[2:], []byte{0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'C', 'H'}) {
		t.Errorf("encoding %x", a.Encoded)
	}
	if s, _ := dnString(a.Encoded); s != "C=CH, O=strongSwan Project, CN=moon.strongswan.org" {
		t.Errorf("rendering %q", s)
	}
	for _, tc := range []struct {
		other string
		want  Match
	}{
		{"c=ch,o=strongswan project,  cn=MOON.strongswan.org  ", MatchPerfect},
		{"/C=CH/O=strongSwan Project/CN=moon.strongswan.org", MatchPerfect},
		{"C=CH, O=strongSwan Project, CN=*", MatchPerfect - 1},
		{"C=*, O=*, CN=*", MatchPerfect - 3},
		{"C=CH, O=strongSwan Project", MatchNone},
		{"C=CH, CN=moon.strongswan.org, O=strongSwan Project", MatchNone},
		{"%any", MatchAny},
		{"moon.strongswan.org", MatchNone},
	} {
		if got := a.Matches(Parse(tc.other)); got != tc.want {
			t.Errorf("matches %q: %d, want %d", tc.other, got, tc.want)
		}
	}
	// A value outside PrintableString is UTF8String and compared with case.
	u := Parse("CN=Müller")
	if u.Matches(Parse("CN=müller")) != MatchNone || u.Matches(Parse("CN=Müller")) != MatchPerfect {
		t.Error("UTF8String values are case-sensitive")
	}
	if !a.Equals(Parse("C=CH,O=strongSwan Project,CN=moon.strongswan.org")) {
		t.Error("Equals")
	}
	if Parse("CN=0").Equals(Parse("CN=*")) || Parse("CN=*").Equals(Parse("CN=0")) {
		t.Error("Equals takes '*' literally")
	}
	if Parse("XX=1").Type != KeyID {
		t.Error("unknown RDN types make a KEY_ID")
	}
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		id, other string
		want      Match
	}{
		{"moon.strongswan.org", "moon.strongswan.org", MatchPerfect},
		{"moon.strongswan.org", "@MOON.strongswan.org", MatchPerfect},
		{"moon.strongswan.org", "*.strongswan.org", MatchOneWildcard},
		{"moon.strongswan.org", "*", MatchAny},
		{"moon.strongswan.org", "sun.strongswan.org", MatchNone},
		{"carol@strongswan.org", "*@strongswan.org", MatchOneWildcard},
		{"carol@strongswan.org", "*.strongswan.org", MatchNone},
		{"192.0.2.5", "192.0.2.5", MatchPerfect},
		{"192.0.2.5", "192.0.2.0/24", MatchOneWildcard},
		{"192.0.2.5", "192.0.3.0/24", MatchNone},
		{"192.0.2.5", "0.0.0.0/0", MatchMaxWildcards},
		{"192.0.2.5", "192.0.2.5/32", MatchPerfect},
		{"192.0.2.5", "192.0.2.1-192.0.2.9", MatchOneWildcard},
		{"192.0.2.5", "192.0.2.5-192.0.2.5", MatchPerfect},
		{"192.0.2.50", "192.0.2.1-192.0.2.9", MatchNone},
		{"2001:db8::5", "2001:db8::/32", MatchOneWildcard},
		{"192.0.2.5", "moon", MatchNone},
		{"%any", "moon", MatchNone},
		{"@#0102", "@#0102", MatchPerfect},
	} {
		if got := Parse(tc.id).Matches(Parse(tc.other)); got != tc.want {
			t.Errorf("%q matches %q: %d, want %d", tc.id, tc.other, got, tc.want)
		}
	}
}

func TestDecoders(t *testing.T) {
	if got := FromBase64("v+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL"); len(got) != 24 || got[0] != 0xbf {
		t.Errorf("base64 %x", got)
	}
	if got := FromBase64("YQ=="); !bytes.Equal(got, []byte("a")) {
		t.Errorf("padding %q", got)
	}
	if got := FromBase64("YWJj-_"); !bytes.Equal(got, []byte("abc")) {
		t.Errorf("partial group %q", got)
	}
	if got := FromHex("0x45a3:07"); !bytes.Equal(got, []byte{0x45, 0xa3, 0x07}) {
		t.Errorf("hex %x", got)
	}
	if got := FromHex("zz"); !bytes.Equal(got, []byte{0}) {
		t.Errorf("bad hex %x", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"C=CH, O=x, CN=*", "/C=CH/CN=a", "192.0.2.0/24", "a@b", "@#0102", "{9}:#30", "fe80::1-fe80::2", "ipv4:#c0000201"} {
		f.Add(s, "C=CH, CN=a")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := Parse(a), Parse(b)
		m := x.Matches(y)
		if m < MatchNone || m > MatchPerfect {
			t.Fatalf("match %d out of range", m)
		}
		if x.Equals(y) != y.Equals(x) {
			t.Fatalf("Equals not symmetric for %q %q", a, b)
		}
		_ = x.String()
		_ = FromEncoding(x.Type, x.Encoded).String()
		// Arbitrary bytes as a peer's DN payload.
		raw := FromEncoding(DN, []byte(b))
		_ = raw.String()
		_ = raw.Matches(x)
		_ = x.Matches(raw)
		_ = raw.Equals(x)
	})
}
