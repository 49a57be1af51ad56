// Package ident is strongSwan's identification_t: parsing an identity from
// a string as ipsec.conf and ipsec.secrets write it, and matching one
// identity against another that may contain wildcards
// (libstrongswan/utils/identification.c).
package ident

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/goswan/goswan/confparse/internal/cnum"
	"github.com/goswan/goswan/confparse/internal/inet"
)

// Type is an identity type (id_type_t; the IKEv2 ID types plus strongSwan's
// own).
type Type uint8

const (
	Any        Type = 0
	IPv4       Type = 1
	FQDN       Type = 2
	RFC822     Type = 3 // also ID_USER_FQDN
	IPv4Subnet Type = 4
	IPv6       Type = 5
	IPv6Subnet Type = 6
	IPv4Range  Type = 7
	IPv6Range  Type = 8
	DN         Type = 9 // DER_ASN1_DN
	GN         Type = 10
	KeyID      Type = 11
)

// Match is how well an identity matches another (id_match_t): higher is
// better.
type Match int

const (
	MatchNone         Match = 0
	MatchAny          Match = 1
	MatchMaxWildcards Match = 2
	MatchOneWildcard  Match = 19
	MatchPerfect      Match = 20
)

// ID is an identity. Its encoding is what goes into an IKEv2 ID payload.
type ID struct {
	Type    Type
	Encoded []byte
	text    string
}

// String is the identity as it was written (or a rendering of the
// encoding for identities built from one).
func (id *ID) String() string {
	if id.text != "" {
		return id.text
	}
	switch id.Type {
	case Any:
		return "%any"
	case IPv4, IPv6:
		if a, ok := netip.AddrFromSlice(id.Encoded); ok {
			return a.String()
		}
	case FQDN, RFC822:
		return string(id.Encoded)
	case DN:
		if s, ok := dnString(id.Encoded); ok {
			return s
		}
	}
	return fmt.Sprintf("%x", id.Encoded)
}

// FromEncoding builds an identity from an ID payload's type and data.
func FromEncoding(t Type, data []byte) *ID {
	return &ID{Type: t, Encoded: append([]byte(nil), data...)}
}

var prefixes = []struct {
	prefix string
	t      Type
}{
	{"ipv4:", IPv4}, {"ipv6:", IPv6}, {"ipv4net:", IPv4Subnet}, {"ipv6net:", IPv6Subnet},
	{"ipv4range:", IPv4Range}, {"ipv6range:", IPv6Range}, {"rfc822:", RFC822},
	{"email:", RFC822}, {"userfqdn:", RFC822}, {"fqdn:", FQDN}, {"dns:", FQDN},
	{"asn1dn:", DN}, {"asn1gn:", GN}, {"xmppaddr:", GN}, {"keyid:", KeyID},
}

// cstr is what C sees of a Go string: up to the first NUL.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// Parse is identification_create_from_string.
func Parse(s string) *ID {
	s = cstr(s)
	id := parse(s)
	id.text = s
	return id
}

func parse(s string) *ID {
	for _, p := range prefixes {
		if len(s) >= len(p.prefix) && strings.EqualFold(s[:len(p.prefix)], p.prefix) {
			rest := s[len(p.prefix):]
			enc := []byte(rest)
			if strings.HasPrefix(rest, "#") {
				enc = FromHex(rest[1:])
			}
			if p.prefix == "xmppaddr:" {
				enc = xmppGN(enc)
			}
			return &ID{Type: p.t, Encoded: enc}
		}
	}
	if id := parseNumType(s); id != nil {
		return id
	}
	if strings.Contains(s, "=") {
		if enc, ok := atodn(s); ok {
			return &ID{Type: DN, Encoded: enc}
		}
		return &ID{Type: KeyID, Encoded: []byte(s)}
	}
	if !strings.Contains(s, "@") {
		switch s {
		case "", "%any", "%any6", "0.0.0.0", "*", "::", "0::0":
			return &ID{Type: Any}
		}
		if !strings.Contains(s, ":") {
			if id := parseIP(s, true); id != nil {
				return id
			}
			return &ID{Type: FQDN, Encoded: []byte(s)}
		}
		if id := parseIP(s, false); id != nil {
			return id
		}
		return &ID{Type: KeyID, Encoded: []byte(s)}
	}
	if s[0] == '@' {
		rest := s[1:]
		switch {
		case strings.HasPrefix(rest, "#"):
			return &ID{Type: KeyID, Encoded: FromHex(rest[1:])}
		case strings.HasPrefix(rest, "@"):
			return &ID{Type: RFC822, Encoded: []byte(rest[1:])}
		}
		return &ID{Type: FQDN, Encoded: []byte(rest)}
	}
	return &ID{Type: RFC822, Encoded: []byte(s)}
}

// parseNumType handles "{N}:value".
func parseNumType(s string) *ID {
	if !strings.HasPrefix(s, "{") {
		return nil
	}
	n, rest, erange := cnum.StrtoulErr(s[1:], 0)
	if erange || !strings.HasPrefix(rest, "}:") {
		return nil
	}
	rest = rest[2:]
	enc := []byte(rest)
	if strings.HasPrefix(rest, "#") {
		enc = FromHex(rest[1:])
	}
	return &ID{Type: Type(n), Encoded: enc}
}

// parseIP is create_ip_address_from_string: an address, a subnet
// "a/bits" (the address masked) or a range "a-b" with a <= b.
func parseIP(s string, v4 bool) *ID {
	size := 16
	if v4 {
		size = 4
	}
	addrPart, bitsPart, subnet := strings.Cut(s, "/")
	var toPart string
	isRange := false
	if !subnet {
		addrPart, toPart, isRange = strings.Cut(s, "-")
	}
	from, ok := inetPton(addrPart, v4)
	if !ok {
		return nil
	}
	switch {
	case subnet:
		// atoi: leading blanks and a sign, digits up to the first other
		// character.
		bits64, _ := cnum.Strtol(bitsPart, 10)
		bits := int(int32(bits64))
		if bits > 8*size {
			return nil
		}
		enc := make([]byte, 2*size)
		for i := 0; i < size; i++ {
			var m byte
			switch {
			case bits >= 8:
				m = 0xff
				bits -= 8
			case bits > 0:
				m = 0xff << (8 - bits)
				bits = 0
			}
			enc[size+i] = m
			enc[i] = from[i] & m
		}
		t := IPv4Subnet
		if !v4 {
			t = IPv6Subnet
		}
		return &ID{Type: t, Encoded: enc}
	case isRange:
		to, ok := inetPton(toPart, v4)
		if !ok || bytes.Compare(from, to) > 0 {
			return nil
		}
		t := IPv4Range
		if !v4 {
			t = IPv6Range
		}
		return &ID{Type: t, Encoded: append(from, to...)}
	}
	t := IPv4
	if !v4 {
		t = IPv6
	}
	return &ID{Type: t, Encoded: from}
}

func inetPton(s string, v4 bool) ([]byte, bool) {
	if v4 {
		a, ok := inet.Pton4(s)
		if !ok {
			return nil, false
		}
		b := a.As4()
		return b[:], true
	}
	a, ok := inet.Pton6(s)
	if !ok {
		return nil, false
	}
	b := a.As16()
	return b[:], true
}
