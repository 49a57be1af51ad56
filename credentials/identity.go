package credentials

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/goswan/goswan/internal/clib"
)

// IDType is the type of an identity, as carried in IKEv2 ID payloads
// (RFC 7296 3.5, IKEv1 types included) plus strongSwan's private types. It
// is 32 bits wide because "{n}:" strings can name any type, as in charon.
type IDType uint32

const (
	IDAny            IDType = 0   // ID_ANY: matches every identity (%any)
	IDIPv4Addr       IDType = 1   // ID_IPV4_ADDR
	IDFQDN           IDType = 2   // ID_FQDN
	IDRFC822Addr     IDType = 3   // ID_RFC822_ADDR (ID_USER_FQDN in IKEv1)
	IDIPv4AddrSubnet IDType = 4   // ID_IPV4_ADDR_SUBNET: address and netmask
	IDIPv6Addr       IDType = 5   // ID_IPV6_ADDR
	IDIPv6AddrSubnet IDType = 6   // ID_IPV6_ADDR_SUBNET: address and netmask
	IDIPv4AddrRange  IDType = 7   // ID_IPV4_ADDR_RANGE: first and last address
	IDIPv6AddrRange  IDType = 8   // ID_IPV6_ADDR_RANGE: first and last address
	IDDerASN1DN      IDType = 9   // ID_DER_ASN1_DN: DER distinguished name
	IDDerASN1GN      IDType = 10  // ID_DER_ASN1_GN: DER GeneralName
	IDKeyID          IDType = 11  // ID_KEY_ID: opaque octets
	IDDerASN1GNURI   IDType = 201 // ID_DER_ASN1_GN_URI: strongSwan's URI GeneralName
)

// idTypeNames are charon's id_type_names, kept name for name because the
// log lines print them; it looks like the other enum-name tables (crypto's
// transformTypeNames) only in shape: each mirrors its own strongSwan enum.
var idTypeNames = map[IDType]string{
	IDAny:            "ID_ANY",
	IDIPv4Addr:       "ID_IPV4_ADDR",
	IDFQDN:           "ID_FQDN",
	IDRFC822Addr:     "ID_RFC822_ADDR",
	IDIPv4AddrSubnet: "ID_IPV4_ADDR_SUBNET",
	IDIPv6Addr:       "ID_IPV6_ADDR",
	IDIPv6AddrSubnet: "ID_IPV6_ADDR_SUBNET",
	IDIPv4AddrRange:  "ID_IPV4_ADDR_RANGE",
	IDIPv6AddrRange:  "ID_IPV6_ADDR_RANGE",
	IDDerASN1DN:      "ID_DER_ASN1_DN",
	IDDerASN1GN:      "ID_DER_ASN1_GN",
	IDKeyID:          "ID_KEY_ID",
	IDDerASN1GNURI:   "ID_DER_ASN1_GN_URI",
}

// String is the name charon's %N prints ("ID_FQDN"), or "(n)" for others.
func (t IDType) String() string {
	if n, ok := idTypeNames[t]; ok {
		return n
	}
	return "(" + strconv.Itoa(int(int32(t))) + ")"
}

// MatchLevel says how well an identity matches another that may hold
// wildcards; larger is better (id_match_t).
type MatchLevel int

const (
	MatchNone         MatchLevel = 0  // ID_MATCH_NONE
	MatchAny          MatchLevel = 1  // ID_MATCH_ANY: matched %any (or a lone "*")
	MatchMaxWildcards MatchLevel = 2  // ID_MATCH_MAX_WILDCARDS: e.g. a /0 subnet
	MatchOneWildcard  MatchLevel = 19 // ID_MATCH_ONE_WILDCARD
	MatchPerfect      MatchLevel = 20 // ID_MATCH_PERFECT
)

// String is the name charon prints for the values it names; the levels in
// between (DN matches with several wildcards) print as "(n)".
func (m MatchLevel) String() string {
	switch m {
	case MatchNone:
		return "MATCH_NONE"
	case MatchAny:
		return "MATCH_ANY"
	case MatchMaxWildcards:
		return "MATCH_MAX_WILDCARDS"
	case MatchPerfect:
		return "MATCH_PERFECT"
	}
	return "(" + strconv.Itoa(int(m)) + ")"
}

// Identity is strongSwan's identification_t: a type and its encoding (the
// bytes of an ID payload). It is immutable and safe to share between
// goroutines; create it with ParseIdentity, FromEncoding, FromData or
// FromAddr. A nil *Identity prints as "(null)" and matches nothing.
type Identity struct {
	typ IDType
	enc string
}

var anyIdentity = &Identity{typ: IDAny}

// Any returns the %any identity.
func Any() *Identity { return anyIdentity }

// FromEncoding builds an identity from an ID payload's type and data
// (identification_create_from_encoding). Every input is accepted, as in
// charon; nonsense shows up when the identity is printed or matched.
func FromEncoding(t IDType, data []byte) *Identity {
	if t == IDAny {
		return anyIdentity
	}
	return &Identity{typ: t, enc: string(data)}
}

// FromAddr is the identity of an IP address (an IPv4-mapped IPv6 address
// stays IPv6, as from a sockaddr_in6); an invalid address gives %any.
func FromAddr(a netip.Addr) *Identity {
	switch {
	case a.Is4():
		b := a.As4()
		return &Identity{typ: IDIPv4Addr, enc: string(b[:])}
	case a.Is6():
		b := a.As16()
		return &Identity{typ: IDIPv6Addr, enc: string(b[:])}
	}
	return anyIdentity
}

// FromData guesses the type of raw data as identification_create_from_data
// does: a valid DER DN (a trailing newline tolerated) is a DN, anything else
// is read as a string up to its first NUL.
func FromData(data []byte) *Identity {
	s := string(data)
	if isASN1(s) && validDN(s) {
		return &Identity{typ: IDDerASN1DN, enc: s}
	}
	return ParseIdentity(s)
}

// isASN1 is libstrongswan's check that a blob is one SEQUENCE, SET or OCTET
// STRING filling it exactly (or but for one trailing '\n').
func isASN1(b string) bool {
	if len(b) == 0 {
		return false
	}
	if t := b[0]; t != asn1Sequence && t != asn1Set && t != asn1OctetString {
		return false
	}
	if len(b) < 2 {
		return false
	}
	rest := len(b) - 2
	l := b[1]
	var n uint64
	if l&0x80 == 0 {
		if int(l) > rest {
			return false
		}
		n = uint64(l)
	} else {
		k := int(l & 0x7f)
		if k == 0 || k > rest || k > 8 {
			return false
		}
		for i := 0; i < k; i++ {
			n = n<<8 | uint64(b[2+i])
		}
		rest -= k
		if n > uint64(rest) {
			return false
		}
	}
	return n == uint64(rest) || (n+1 == uint64(rest) && b[len(b)-1] == '\n')
}

// idPrefixes are the "<type>:" prefixes of identification_create_from_string,
// tried in order and case-insensitively.
var idPrefixes = []struct {
	prefix string
	typ    IDType
}{
	{"ipv4:", IDIPv4Addr},
	{"ipv6:", IDIPv6Addr},
	{"ipv4net:", IDIPv4AddrSubnet},
	{"ipv6net:", IDIPv6AddrSubnet},
	{"ipv4range:", IDIPv4AddrRange},
	{"ipv6range:", IDIPv6AddrRange},
	{"rfc822:", IDRFC822Addr},
	{"email:", IDRFC822Addr},
	{"userfqdn:", IDRFC822Addr},
	{"fqdn:", IDFQDN},
	{"dns:", IDFQDN},
	{"asn1dn:", IDDerASN1DN},
	{"asn1gn:", IDDerASN1GN},
	{"xmppaddr:", IDDerASN1GN},
	{"keyid:", IDKeyID},
}

// prefixValue is the data after a type prefix: "#" introduces hex, anything
// else is taken as it is, unconverted ("ipv4:1.2.3.4" holds 7 bytes of text).
func prefixValue(s string) string {
	if strings.HasPrefix(s, "#") {
		return string(DecodeHex(s[1:]))
	}
	return s
}

// ParseIdentity converts a string into an identity exactly as charon's
// identification_create_from_string does; like it, it never fails, and text
// it cannot classify becomes an ID_KEY_ID or ID_FQDN holding the text:
//
//	"%any", "%any6", "", "*", "0.0.0.0", "::", "0::0"  ID_ANY
//	"C=CH, O=strongSwan, CN=moon"                        ID_DER_ASN1_DN (any string with '=')
//	"@moon.strongswan.org", "moon.strongswan.org"        ID_FQDN
//	"@@alice@strongswan.org", "alice@strongswan.org"     ID_RFC822_ADDR
//	"@#0123ab"                                           ID_KEY_ID from hex
//	"192.168.0.1", "10.0.0.0/8", "10.0.0.1-10.0.0.9"     IPv4 address, subnet, range
//	"fec0::1", "fec0::/16", "fec0::1-fec0::9"            IPv6 address, subnet, range
//	"fqdn:x", "email:x", "keyid:#00ff", "asn1dn:#30..."  forced type, raw text or "#"hex
//	"{11}:abc"                                           numeric type
//
// charon sees C strings, so everything after a NUL byte is ignored.
func ParseIdentity(s string) *Identity {
	s = cString(s)
	for _, p := range idPrefixes {
		if !hasPrefixFold(s, p.prefix) {
			continue
		}
		v := prefixValue(s[len(p.prefix):])
		if p.prefix == "xmppaddr:" {
			v = string(asn1Wrap(asn1ContextC0,
				asn1Wrap(asn1OID, []byte(xmppAddrOID)),
				asn1Wrap(asn1ContextC0, asn1Wrap(asn1UTF8String, []byte(v)))))
		}
		return &Identity{typ: p.typ, enc: v}
	}
	if id, ok := parseNumericType(s); ok {
		return id
	}
	if strings.IndexByte(s, '=') >= 0 {
		if dn, ok := parseDN(s); ok {
			return &Identity{typ: IDDerASN1DN, enc: string(dn)}
		}
		return &Identity{typ: IDKeyID, enc: s}
	}
	if strings.IndexByte(s, '@') < 0 {
		switch s {
		case "", "%any", "%any6", "0.0.0.0", "*", "::", "0::0":
			return anyIdentity
		}
		if strings.IndexByte(s, ':') < 0 {
			if id := parseIPIdentity(s, false); id != nil {
				return id
			}
			return &Identity{typ: IDFQDN, enc: s}
		}
		if id := parseIPIdentity(s, true); id != nil {
			return id
		}
		return &Identity{typ: IDKeyID, enc: s}
	}
	if s[0] != '@' {
		return &Identity{typ: IDRFC822Addr, enc: s}
	}
	s = s[1:]
	switch {
	case strings.HasPrefix(s, "#"):
		return &Identity{typ: IDKeyID, enc: string(DecodeHex(s[1:]))}
	case strings.HasPrefix(s, "@"):
		return &Identity{typ: IDRFC822Addr, enc: s[1:]}
	}
	return &Identity{typ: IDFQDN, enc: s}
}

// parseNumericType handles the "{n}:value" form; n is read as strtoul with
// base 0 would read it (so "{0x2}:" and "{-1}:" work as they do in charon).
func parseNumericType(s string) (*Identity, bool) {
	if !strings.HasPrefix(s, "{") {
		return nil, false
	}
	s = s[1:]
	v, rest, rangeErr := clib.StrtoulErr(s, 0)
	end := len(s) - len(rest)
	if rangeErr || !strings.HasPrefix(s[end:], "}:") {
		return nil, false
	}
	return &Identity{typ: IDType(uint32(v)), enc: prefixValue(s[end+2:])}, true
}

// parseIPIdentity reads an address, "addr/bits" subnet or "from-to" range;
// nil if the text is not one.
func parseIPIdentity(s string, v6 bool) *Identity {
	size := 4
	if v6 {
		size = 16
	}
	parse := func(a string) ([]byte, bool) {
		if v6 {
			ip, ok := clib.Pton6(a)
			if !ok {
				return nil, false
			}
			b := ip.As16()
			return b[:], true
		}
		ip, ok := clib.Pton4(a)
		if !ok {
			return nil, false
		}
		b := ip.As4()
		return b[:], true
	}
	addrText, rest, subnet := strings.Cut(s, "/")
	isRange := false
	if !subnet {
		addrText, rest, isRange = strings.Cut(s, "-")
	}
	addr, ok := parse(addrText)
	if !ok {
		return nil
	}
	switch {
	case subnet:
		// charon compares the int with a size_t, so negative prefix
		// lengths are rejected along with too-long ones
		bits := clib.Atoi(rest)
		if bits < 0 || int(bits) > 8*size {
			return nil
		}
		mask := make([]byte, size)
		for i := 0; i < size; i++ {
			switch {
			case bits >= 8:
				mask[i] = 0xff
				bits -= 8
			case bits > 0:
				mask[i] = byte(0xff << (8 - bits))
				bits = 0
			}
			addr[i] &= mask[i]
		}
		typ := IDIPv4AddrSubnet
		if v6 {
			typ = IDIPv6AddrSubnet
		}
		return &Identity{typ: typ, enc: string(addr) + string(mask)}
	case isRange:
		to, ok := parse(rest)
		if !ok || string(addr) > string(to) {
			return nil
		}
		typ := IDIPv4AddrRange
		if v6 {
			typ = IDIPv6AddrRange
		}
		return &Identity{typ: typ, enc: string(addr) + string(to)}
	}
	typ := IDIPv4Addr
	if v6 {
		typ = IDIPv6Addr
	}
	return &Identity{typ: typ, enc: string(addr)}
}

// Type is the identity's type.
func (id *Identity) Type() IDType {
	if id == nil {
		return IDAny
	}
	return id.typ
}

// Encoding returns a copy of the ID payload data (empty for %any).
func (id *Identity) Encoding() []byte {
	if id == nil {
		return nil
	}
	return []byte(id.enc)
}

// Addr returns the address of an ID_IPV4_ADDR or ID_IPV6_ADDR identity.
func (id *Identity) Addr() (netip.Addr, bool) {
	if id == nil {
		return netip.Addr{}, false
	}
	switch {
	case id.typ == IDIPv4Addr && len(id.enc) == 4:
		return netip.AddrFrom4([4]byte([]byte(id.enc))), true
	case id.typ == IDIPv6Addr && len(id.enc) == 16:
		return netip.AddrFrom16([16]byte([]byte(id.enc))), true
	}
	return netip.Addr{}, false
}
