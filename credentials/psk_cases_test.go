package credentials

import (
	"encoding/base64"
	"strings"
	"testing"
)

// parseSecretsForTest reads the PSK/EAP/XAUTH lines of an ipsec.secrets
// text the way the stroke plugin does, enough for the hand-written cases
// here (the real reader is confparse/secrets, which imports this package, so
// these tests cannot use it): owners before " : ", then the type and a
// secret that is quoted text, 0x hex, 0s base64 or a bare word.
func parseSecretsForTest(t *testing.T, text string) []*SharedKey {
	t.Helper()
	var keys []*SharedKey
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimLeft(line, " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		var ids, rest string
		if strings.HasPrefix(line, ": ") {
			rest = line[1:]
		} else {
			var ok bool
			ids, rest, ok = strings.Cut(line, " : ")
			if !ok {
				t.Fatalf("no ' : ' in %q", line)
			}
		}
		rest = strings.TrimLeft(rest, " \t")
		typName, secretText, _ := strings.Cut(rest, " ")
		typ := map[string]SharedKeyType{"PSK": SharedIKE, "EAP": SharedEAP, "XAUTH": SharedEAP, "NTLM": SharedNTHash}[typName]
		if typ == SharedAny {
			t.Fatalf("unknown secret type in %q", line)
		}
		keys = append(keys, &SharedKey{Type: typ, Secret: secretForTest(t, secretText),
			Owners: ownersForTest(t, ids), Selectors: ids})
	}
	return keys
}

// ownersForTest splits the owner list at blanks, keeping quoted values
// whole; none means %any.
func ownersForTest(t *testing.T, ids string) []*Identity {
	t.Helper()
	var owners []*Identity
	for ids = strings.TrimLeft(ids, " \t"); ids != ""; ids = strings.TrimLeft(ids, " \t") {
		v := ids
		if q := ids[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(ids[1:], q)
			if end < 0 {
				t.Fatalf("unterminated owner %q", ids)
			}
			v, ids = ids[1:1+end], ids[2+end:]
		} else if end := strings.IndexAny(ids, " \t"); end >= 0 {
			v, ids = ids[:end], ids[end:]
		} else {
			ids = ""
		}
		if v != "" {
			owners = append(owners, ParseIdentity(v))
		}
	}
	if len(owners) == 0 {
		owners = []*Identity{Any()}
	}
	return owners
}

func secretForTest(t *testing.T, s string) []byte {
	t.Helper()
	s = strings.TrimLeft(s, " \t")
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			t.Fatalf("unterminated secret %q", s)
		}
		return []byte(s[1 : 1+end])
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 2 && strings.EqualFold(s[:2], "0x") {
		return DecodeHex(s[2:])
	}
	if len(s) > 2 && strings.EqualFold(s[:2], "0s") {
		b, err := base64.StdEncoding.DecodeString(s[2:])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return []byte(s)
}

// pskConn is one of moon's conns in the live test: the ids moon uses.
type pskConn struct{ me, other string }

var pskConns = map[string]pskConn{
	"fqdn":      {"@moon.strongswan.org", "@sun.strongswan.org"},
	"ip":        {"192.168.0.1", "192.168.0.2"},
	"dn":        {"C=CH, O=strongSwan, CN=moon.strongswan.org", "C=CH, O=strongSwan, CN=sun.strongswan.org"},
	"email":     {"moon@strongswan.org", "sun@strongswan.org"},
	"anyremote": {"@moon.strongswan.org", "%any"},
	"utf8":      {"@m\u00f6\u00f6n.strongswan.org", "@s\u00fcn.strongswan.org"},
	"emptyrdn":  {"C=CH, O=moon, CN=", "C=CH, O=sun, CN="},
}

// pskCase is an ipsec.secrets for moon and the secret charon picks for
// moon's AUTH payload on the given conn.
type pskCase struct {
	name    string
	conn    string
	secrets string
	want    string
	// rdnMatching is moon's charon.rdn_matching ("" for the default)
	rdnMatching string
}

// fivePSKForms is our own file in the spirit of the net2net-psk scenario:
// the same five ways of writing a PSK (base64 for two ids, hex for an id and
// %any, a quoted phrase for one id, a default for everyone, an address).
const fivePSKForms = `# five ways to write a pre-shared key
@moon.strongswan.org @sun.strongswan.org : PSK 0sZ29zd2FuIG5ldDJuZXQgdGVzdA==

@moon.strongswan.org %any : PSK 0x6c6f6e675f6865785f6b6579

@sun.strongswan.org : PSK "sun's own phrase"

: PSK 'a "default" for all'

192.168.0.1 : PSK   "by address"
`

var pskCases = []pskCase{
	{"five forms, fqdn ids", "fqdn", fivePSKForms, "goswan net2net test", ""},
	// the peer's id counts first: %any for the peer beats an exact match
	// of only our own address
	{"five forms, address ids", "ip", fivePSKForms, `a "default" for all`, ""},
	{"five forms, dn ids", "dn", fivePSKForms, `a "default" for all`, ""},
	{"both ids beat one", "fqdn", `
@moon.strongswan.org @sun.strongswan.org : PSK "both"
%any @sun.strongswan.org : PSK "any-and-sun"
`, "both", ""},
	{"peer id outranks own id", "fqdn", `
%any @sun.strongswan.org : PSK "peer-exact"
@moon.strongswan.org %any : PSK "own-exact"
`, "peer-exact", ""},
	{"peer only beats own only", "fqdn", `
@sun.strongswan.org : PSK "peer"
@moon.strongswan.org : PSK "own"
`, "peer", ""},
	{"tie: last loaded wins", "fqdn", `
%any : PSK "first"
: PSK "second"
`, "second", ""},
	{"tie of exact pairs: last loaded wins", "fqdn", `
@moon.strongswan.org @sun.strongswan.org : PSK "first"
@sun.strongswan.org @moon.strongswan.org : PSK "second"
`, "second", ""},
	{"address and %any beat default", "ip", `
192.168.0.1 %any : PSK "addr-any"
: PSK "default"
`, "addr-any", ""},
	{"default loaded first still loses", "ip", `
: PSK "default"
192.168.0.1 %any : PSK "addr-any"
`, "addr-any", ""},
	{"subnet owner", "ip", `
192.168.0.0/24 : PSK "subnet"
: PSK "default"
`, "subnet", ""},
	{"range holding the peer beats own address", "ip", `
192.168.0.2-192.168.0.9 : PSK "range"
192.168.0.1 : PSK "own-address"
`, "range", ""},
	{"fqdn wildcard beats %any", "fqdn", `
*.strongswan.org : PSK "wildcard"
%any : PSK "any"
`, "wildcard", ""},
	{"exact peer beats wildcard pair", "fqdn", `
*.strongswan.org : PSK "wildcard"
@sun.strongswan.org : PSK "sun"
`, "sun", ""},
	{"case-insensitive fqdn", "fqdn", `
: PSK "default"
@MOON.StrongSwan.org @SUN.STRONGSWAN.ORG : PSK "upper"
`, "upper", ""},
	{"email wildcard", "email", `
*@strongswan.org : PSK "domain"
: PSK "default"
`, "domain", ""},
	{"email exact peer", "email", `
*@strongswan.org : PSK "domain"
sun@strongswan.org : PSK "sun-mail"
`, "sun-mail", ""},
	{"dn wildcard", "dn", `
"C=CH, O=strongSwan, CN=*" : PSK "cn-wildcard"
: PSK "default"
`, "cn-wildcard", ""},
	{"fewer dn wildcards win", "dn", `
"C=CH, O=*, CN=*" : PSK "two-wildcards"
"C=CH, O=strongSwan, CN=*" : PSK "one-wildcard"
"C=*, O=*, CN=*" : PSK "three-wildcards"
`, "one-wildcard", ""},
	{"peer %any: only %any owners match it", "anyremote", `
@moon.strongswan.org @sun.strongswan.org : PSK "specific"
%any : PSK "default"
`, "default", ""},
	{"peer %any without default", "anyremote", `
@moon.strongswan.org @sun.strongswan.org : PSK "specific"
@sun.strongswan.org : PSK "sun-only"
`, "specific", ""},
	{"eap secrets are not PSKs", "fqdn", `
@moon.strongswan.org @sun.strongswan.org : EAP "eap"
@moon.strongswan.org @sun.strongswan.org : XAUTH "xauth"
: PSK "psk-default"
`, "psk-default", ""},
	// strncasecmp in the C locale folds ASCII letters only
	{"non-ascii letters keep their case", "utf8", `
@MÖÖN.strongswan.org @SÜN.strongswan.org : PSK "upper"
: PSK "default"
`, "default", ""},
	{"non-ascii letters match themselves", "utf8", `
@möön.STRONGSWAN.org @sün.STRONGSWAN.org : PSK "exact"
: PSK "default"
`, "exact", ""},
	{"non-ascii wildcard suffix keeps its case", "utf8", `
*ün.strongswan.org : PSK "wildcard"
*ÜN.strongswan.org : PSK "upper-wildcard"
: PSK "default"
`, "wildcard", ""},
	// an empty last value leaves charon unable to see where a DN ends, so
	// only byte-identical DNs are equal and none matches a wildcard
	{"empty last rdn: identical bytes match", "emptyrdn", `
: PSK "default"
"C=CH, O=moon, CN=" "C=CH, O=sun, CN=" : PSK "identical"
`, "identical", ""},
	{"empty last rdn: case-folded value does not match", "emptyrdn", `
: PSK "default"
"c=ch, o=MOON, CN=" "c=ch, o=SUN, CN=" : PSK "case-folded"
`, "default", ""},
	{"empty last rdn: wildcard does not match", "emptyrdn", `
: PSK "default"
"C=CH, O=*, CN=" : PSK "wildcard"
`, "default", ""},
	{"strict: reordered dn owners do not match", "dn", reorderedDNSecrets, "default", ""},
	{"reordered: reordered dn owners match", "dn", reorderedDNSecrets, "reordered", "reordered"},
	{"relaxed: reordered dn owners match", "dn", reorderedDNSecrets, "reordered", "relaxed"},
	{"strict: partial dn owners do not match", "dn", partialDNSecrets, "default", ""},
	{"reordered: partial dn owners do not match", "dn", partialDNSecrets, "default", "reordered"},
	{"relaxed: partial dn owners match", "dn", partialDNSecrets, "partial", "relaxed"},
	{"relaxed: fewer unmatched rdns win", "dn", `
"CN=moon.strongswan.org" "CN=sun.strongswan.org" : PSK "two-unmatched"
"O=strongSwan, CN=moon.strongswan.org" "O=strongSwan, CN=sun.strongswan.org" : PSK "one-unmatched"
`, "one-unmatched", "relaxed"},
}

const reorderedDNSecrets = `
"CN=moon.strongswan.org, C=CH, O=strongSwan" "O=strongSwan, CN=sun.strongswan.org, C=CH" : PSK "reordered"
: PSK "default"
`

const partialDNSecrets = `
"CN=moon.strongswan.org" "CN=sun.strongswan.org" : PSK "partial"
: PSK "default"
`

func TestPSKSelection(t *testing.T) {
	defer SetRDNMatching(RDNMatchingStrict)
	for _, c := range pskCases {
		t.Run(c.name, func(t *testing.T) {
			SetRDNMatching(ParseRDNMatching(c.rdnMatching))
			s := NewStore()
			s.Replace(parseSecretsForTest(t, c.secrets))
			ids := pskConns[c.conn]
			k, ok := s.Shared(SharedIKE, ParseIdentity(ids.me), ParseIdentity(ids.other))
			if !ok {
				t.Fatalf("no key for %s", c.conn)
			}
			if string(k.Secret) != c.want {
				t.Errorf("picked %q (%v), want %q", k.Secret, k, c.want)
			}
		})
	}
}
