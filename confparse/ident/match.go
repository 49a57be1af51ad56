package ident

import (
	"bytes"
)

// Equals reports whether two identities are the same (case-insensitive for
// names and e-mail addresses, RDN by RDN for DNs).
func (id *ID) Equals(other *ID) bool {
	if id.Type != other.Type {
		return false
	}
	switch id.Type {
	case Any:
		return true
	case FQDN, RFC822:
		return equalFoldNoNUL(id.Encoded, other.Encoded)
	case DN:
		if len(id.Encoded) != len(other.Encoded) {
			return false
		}
		_, ok := compareDN(id.Encoded, other.Encoded, false)
		return ok
	}
	return bytes.Equal(id.Encoded, other.Encoded)
}

func equalFoldNoNUL(a, b []byte) bool {
	return len(a) == len(b) && bytes.IndexByte(a, 0) < 0 && bytes.IndexByte(b, 0) < 0 && bytes.EqualFold(a, b)
}

// Matches reports how well id matches other, where other may contain
// wildcards: "%any" matches everything (MatchAny), "*.example.org" or
// "*@example.org" a suffix, a DN with "*" values any value in those places,
// a subnet or range every address in it.
func (id *ID) Matches(other *ID) Match {
	if other.Type == Any {
		return MatchAny
	}
	switch id.Type {
	case Any:
		return MatchNone
	case FQDN, RFC822:
		return id.matchString(other)
	case DN:
		if other.Type != DN {
			return MatchNone
		}
		wc, ok := compareDN(id.Encoded, other.Encoded, true)
		if !ok {
			return MatchNone
		}
		if max := int(MatchOneWildcard - MatchMaxWildcards); wc > max {
			wc = max
		}
		return MatchPerfect - Match(wc)
	case IPv4, IPv6:
		return id.matchRange(other)
	}
	if id.Type == other.Type && bytes.Equal(id.Encoded, other.Encoded) {
		return MatchPerfect
	}
	return MatchNone
}

// matchString is matches_string: equal, or a single leading '*' matching
// any prefix.
func (id *ID) matchString(other *ID) Match {
	if id.Type != other.Type {
		return MatchNone
	}
	if equalFoldNoNUL(id.Encoded, other.Encoded) {
		return MatchPerfect
	}
	enc := other.Encoded
	if len(enc) == 0 || len(id.Encoded) < len(enc) {
		return MatchNone
	}
	if enc[0] == '*' {
		if len(enc) == 1 {
			return MatchAny
		}
		suffix := enc[1:]
		if bytes.EqualFold(cstrBytes(id.Encoded[len(id.Encoded)-len(suffix):]), cstrBytes(suffix)) {
			return MatchOneWildcard
		}
	}
	return MatchNone
}

// cstrBytes is what strncasecmp compares: up to a NUL.
func cstrBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// matchRange is matches_range: an address matches itself, the subnets
// containing it (a /0 only as well as MatchMaxWildcards) and the ranges
// containing it.
func (id *ID) matchRange(other *ID) Match {
	if id.Type == other.Type && bytes.Equal(id.Encoded, other.Encoded) {
		return MatchPerfect
	}
	size := 4
	subnet, rng := IPv4Subnet, IPv4Range
	if id.Type == IPv6 {
		size, subnet, rng = 16, IPv6Subnet, IPv6Range
	}
	if len(id.Encoded) != size || len(other.Encoded) != 2*size {
		return MatchNone
	}
	addr := id.Encoded
	switch other.Type {
	case subnet:
		network, mask := other.Encoded[:size], other.Encoded[size:]
		bits := 0
		for _, m := range mask {
			if m == 0 {
				break
			}
			if m == 0xff {
				bits += 8
				continue
			}
			for m&0x80 != 0 {
				bits++
				m <<= 1
			}
		}
		if bits == 0 {
			return MatchMaxWildcards
		}
		if bits == 8*size {
			if bytes.Equal(addr, network) {
				return MatchPerfect
			}
			return MatchNone
		}
		for i := 0; i < (bits+7)/8; i++ {
			if (addr[i]^network[i])&mask[i] != 0 {
				return MatchNone
			}
		}
		return MatchOneWildcard
	case rng:
		from, to := other.Encoded[:size], other.Encoded[size:]
		if bytes.Compare(to, from) < 0 || bytes.Compare(addr, from) < 0 || bytes.Compare(addr, to) > 0 {
			return MatchNone
		}
		if bytes.Equal(from, to) {
			return MatchPerfect
		}
		return MatchOneWildcard
	}
	return MatchNone
}
