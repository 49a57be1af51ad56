package credentials

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
)

func mustHex(s string) string {
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", ":", "").Replace(s))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestParseIdentity pins type, encoding and printed form for every type and
// every form of string charon understands. The printed forms of these and
// many more were checked against a real charon (testdata/charon_ids.golden).
// Its rows repeat one shape because each is a case of one table, not copied
// logic.
func TestParseIdentity(t *testing.T) {
	tests := []struct {
		in      string
		typ     IDType
		enc     string // hex
		printed string
	}{
		{"%any", IDAny, "", "%any"},
		{"%any6", IDAny, "", "%any"},
		{"", IDAny, "", "%any"},
		{"*", IDAny, "", "%any"},
		{"0.0.0.0", IDAny, "", "%any"},
		{"::", IDAny, "", "%any"},
		{"0::0", IDAny, "", "%any"},
		{"192.168.0.1", IDIPv4Addr, "c0a80001", "192.168.0.1"},
		{"10.1.0.5/16", IDIPv4AddrSubnet, "0a010000 ffff0000", "10.1.0.0/16"},
		{"10.1.0.5/0", IDIPv4AddrSubnet, "00000000 00000000", "0.0.0.0/0"},
		{"10.1.0.5/32", IDIPv4AddrSubnet, "0a010005 ffffffff", "10.1.0.5/32"},
		{"10.1.0.5/20", IDIPv4AddrSubnet, "0a010000 fffff000", "10.1.0.0/20"},
		{"10.1.0.1-10.1.0.9", IDIPv4AddrRange, "0a010001 0a010009", "10.1.0.1-10.1.0.9"},
		{"10.1.0.9-10.1.0.1", IDFQDN, hex.EncodeToString([]byte("10.1.0.9-10.1.0.1")), "10.1.0.9-10.1.0.1"},
		{"10.1.0.0/33", IDFQDN, hex.EncodeToString([]byte("10.1.0.0/33")), "10.1.0.0/33"},
		{"fec0::1", IDIPv6Addr, "fec00000000000000000000000000001", "fec0::1"},
		{"fec0::1/64", IDIPv6AddrSubnet, "fec00000000000000000000000000000 ffffffffffffffff0000000000000000", "fec0::/64"},
		{"fec0::1-fec0::9", IDIPv6AddrRange, "fec00000000000000000000000000001 fec00000000000000000000000000009", "fec0::1-fec0::9"},
		{"::ffff:1.2.3.4", IDIPv6Addr, "00000000000000000000ffff01020304", "::ffff:1.2.3.4"},
		{"fe80::1%eth0", IDKeyID, hex.EncodeToString([]byte("fe80::1%eth0")), "fe80::1%eth0"},
		{"@moon.strongswan.org", IDFQDN, hex.EncodeToString([]byte("moon.strongswan.org")), "moon.strongswan.org"},
		{"moon.strongswan.org", IDFQDN, hex.EncodeToString([]byte("moon.strongswan.org")), "moon.strongswan.org"},
		{"@", IDFQDN, "", ""},
		{"@@carol@strongswan.org", IDRFC822Addr, hex.EncodeToString([]byte("carol@strongswan.org")), "carol@strongswan.org"},
		{"carol@strongswan.org", IDRFC822Addr, hex.EncodeToString([]byte("carol@strongswan.org")), "carol@strongswan.org"},
		{"@carol@strongswan.org", IDFQDN, hex.EncodeToString([]byte("carol@strongswan.org")), "carol@strongswan.org"},
		{"@#0102ab", IDKeyID, "0102ab", "01:02:ab"},
		{"@#abc", IDKeyID, "0abc", "0a:bc"},
		{"@#41424344", IDKeyID, "41424344", "ABCD"},
		{"@#4142434445464748494a4b4c4d4e4f5051525354", IDKeyID, "4142434445464748494a4b4c4d4e4f5051525354",
			"41:42:43:44:45:46:47:48:49:4a:4b:4c:4d:4e:4f:50:51:52:53:54"},
		{"fqdn:a@b=c", IDFQDN, hex.EncodeToString([]byte("a@b=c")), "a@b=c"},
		{"DNS:#6d6f6f6e", IDFQDN, hex.EncodeToString([]byte("moon")), "moon"},
		{"email:x", IDRFC822Addr, "78", "x"},
		{"userfqdn:u@x", IDRFC822Addr, hex.EncodeToString([]byte("u@x")), "u@x"},
		{"keyid:#00ff", IDKeyID, "00ff", "00:ff"},
		{"ipv4:1.2.3.4", IDIPv4Addr, hex.EncodeToString([]byte("1.2.3.4")), "49.46.50.46"},
		{"ipv4:#c0a8", IDIPv4Addr, "c0a8", "(invalid ID_IPV4_ADDR)"},
		{"ipv6:#00", IDIPv6Addr, "00", "(invalid ID_IPV6_ADDR)"},
		{"ipv4net:#0a000000ffffff00", IDIPv4AddrSubnet, "0a000000ffffff00", "10.0.0.0/24"},
		{"ipv4net:#0a", IDIPv4AddrSubnet, "0a", "(invalid ID_IPV4_ADDR_SUBNET)"},
		{"ipv6net:#00", IDIPv6AddrSubnet, "00", "(invalid ID_IPV6_ADDR_SUBNET)"},
		{"ipv4range:#00", IDIPv4AddrRange, "00", "(invalid ID_IPV4_ADDR_RANGE)"},
		{"ipv6range:#00", IDIPv6AddrRange, "00", "(invalid ID_IPV6_ADDR_RANGE)"},
		{"asn1dn:#300d310b3009060355040613024348", IDDerASN1DN, "300d310b3009060355040613024348", "C=CH"},
		{"asn1gn:#3000", IDDerASN1GN, "3000", "(ASN.1 general name)"},
		{"xmppaddr:a@b", IDDerASN1GN, "a011 06082b06010505070805 a005 0c03614062", "(ASN.1 general name)"},
		{"{11}:abc", IDKeyID, "616263", "abc"},
		{"{0x2}:moon", IDFQDN, hex.EncodeToString([]byte("moon")), "moon"},
		{"{201}:http://x", IDDerASN1GNURI, hex.EncodeToString([]byte("http://x")), "http://x"},
		{"{42}:x", 42, "78", "(unknown ID type: 42)"},
		{"{-1}:x", 0xffffffff, "78", "(unknown ID type: -1)"},
		{"{}:x", IDAny, "78", "%any"},
		{"C=CH, O=strongSwan, CN=moon", IDDerASN1DN,
			"3031 310b3009060355040613024348 3113301106035504 0a130a7374726f6e675377616e 310d300b06035504 0313046d6f6f6e",
			"C=CH, O=strongSwan, CN=moon"},
		{"X=foo", IDKeyID, hex.EncodeToString([]byte("X=foo")), "X=foo"},
		{"C=CH\x00, O=x", IDDerASN1DN, "300d310b3009060355040613024348", "C=CH"},
	}
	for _, tc := range tests {
		id := ParseIdentity(tc.in)
		if id.Type() != tc.typ {
			t.Errorf("ParseIdentity(%q).Type() = %v, want %v", tc.in, id.Type(), tc.typ)
			continue
		}
		if got, want := string(id.Encoding()), mustHex(tc.enc); got != want {
			t.Errorf("ParseIdentity(%q).Encoding() = %x, want %x", tc.in, got, want)
		}
		if got := id.String(); got != tc.printed {
			t.Errorf("ParseIdentity(%q).String() = %q, want %q", tc.in, got, tc.printed)
		}
	}
}

func TestFromEncodingRoundTrip(t *testing.T) {
	for _, s := range []string{"192.168.0.1", "fec0::1", "10.0.0.0/8", "fec0::/16", "10.0.0.1-10.0.0.9",
		"fec0::1-fec0::2", "@moon", "a@b", "@#0102", "C=CH, CN=x", "asn1gn:#3000", "{201}:uri"} {
		id := ParseIdentity(s)
		back := FromEncoding(id.Type(), id.Encoding())
		if !back.Equals(id) || back.String() != id.String() || back.Matches(id) != MatchPerfect {
			t.Errorf("%q: FromEncoding round trip gives %v %q", s, back.Type(), back)
		}
	}
	if id := FromEncoding(IDAny, []byte("x")); id.Type() != IDAny || len(id.Encoding()) != 0 {
		t.Errorf("FromEncoding(ID_ANY) kept data")
	}
	enc := []byte("moon")
	id := FromEncoding(IDFQDN, enc)
	enc[0] = 'x'
	if id.String() != "moon" {
		t.Errorf("FromEncoding aliases its input")
	}
	out := id.Encoding()
	out[0] = 'y'
	if id.String() != "moon" {
		t.Errorf("Encoding exposes internal bytes")
	}
}

func TestFromData(t *testing.T) {
	dn := ParseIdentity("C=CH, CN=moon").Encoding()
	tests := []struct {
		data []byte
		typ  IDType
		str  string
	}{
		{dn, IDDerASN1DN, "C=CH, CN=moon"},
		// is_asn1 forgives a trailing newline, but the DN check does not,
		// so charon reads the whole blob as a string
		{append(append([]byte{}, dn...), '\n'), IDFQDN, "0?1?0???U????CH1?0???U????moon?"},
		{[]byte("moon.strongswan.org"), IDFQDN, "moon.strongswan.org"},
		{[]byte("192.168.0.1\x00junk"), IDIPv4Addr, "192.168.0.1"},
		{[]byte{0x30, 0x00}, IDFQDN, "0"}, // ASN.1, but no valid DN: read as the string "0"
	}
	trailing := append(append([]byte{}, dn...), 'x')
	if got, want := FromData(trailing), ParseIdentity(string(trailing)); !got.Equals(want) || got.Type() == IDDerASN1DN {
		t.Errorf("FromData with trailing byte = %v %q, want the string path", got.Type(), got)
	}
	for _, tc := range tests {
		id := FromData(tc.data)
		if id.Type() != tc.typ {
			t.Errorf("FromData(%x) = %v, want %v", tc.data, id.Type(), tc.typ)
		}
		if id.String() != tc.str {
			t.Errorf("FromData(%x) prints %q, want %q", tc.data, id, tc.str)
		}
	}
}

func TestFromAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		typ  IDType
		str  string
	}{
		{"192.168.0.1", IDIPv4Addr, "192.168.0.1"},
		{"fec0::1", IDIPv6Addr, "fec0::1"},
		{"::ffff:10.0.0.1", IDIPv6Addr, "::ffff:10.0.0.1"},
	} {
		a := netip.MustParseAddr(tc.addr)
		id := FromAddr(a)
		if id.Type() != tc.typ || id.String() != tc.str {
			t.Errorf("FromAddr(%s) = %v %q", a, id.Type(), id)
		}
		if back, ok := id.Addr(); !ok || back != a {
			t.Errorf("Addr() of %s = %v %v", a, back, ok)
		}
	}
	if FromAddr(netip.Addr{}).Type() != IDAny {
		t.Error("invalid address should give %any")
	}
	if _, ok := ParseIdentity("ipv4:#01").Addr(); ok {
		t.Error("Addr of a short encoding")
	}
}

func TestNilIdentity(t *testing.T) {
	var id *Identity
	if id.String() != "(null)" || id.Type() != IDAny || id.Encoding() != nil || id.ContainsWildcards() {
		t.Error("nil identity accessors")
	}
	if id.Equals(Any()) || Any().Equals(id) || id.Matches(Any()) != MatchNone || Any().Matches(id) != MatchNone {
		t.Error("nil identity must match nothing")
	}
}

func TestTypeNames(t *testing.T) {
	if IDDerASN1DN.String() != "ID_DER_ASN1_DN" || IDType(99).String() != "(99)" ||
		IDDerASN1GNURI.String() != "ID_DER_ASN1_GN_URI" {
		t.Error("IDType names")
	}
	for m, want := range map[MatchLevel]string{MatchNone: "MATCH_NONE", MatchAny: "MATCH_ANY",
		MatchMaxWildcards: "MATCH_MAX_WILDCARDS", MatchOneWildcard: "(19)", MatchPerfect: "MATCH_PERFECT"} {
		if m.String() != want {
			t.Errorf("%d prints %q, want %q", int(m), m, want)
		}
	}
}

func TestStringTruncation(t *testing.T) {
	long := strings.Repeat("a", 600)
	if got := ParseIdentity("@" + long).String(); got != long[:511] {
		t.Errorf("FQDN not cut at 511: %d", len(got))
	}
	if got := ParseIdentity("keyid:" + long).String(); got != long[:511] {
		t.Errorf("KEY_ID not cut at 511: %d", len(got))
	}
	bin := ParseIdentity("keyid:#" + strings.Repeat("00", 200)).String()
	if len(bin) != 511 || !strings.HasPrefix(bin, "00:00") {
		t.Errorf("hex KEY_ID not cut at 511: %d", len(bin))
	}
}
