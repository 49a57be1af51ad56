package credentials

import (
	"bytes"
	"strings"
	"sync/atomic"
)

// Equality and wildcard matching, per type as charon assigns the methods:
// FQDN and RFC822 compare as case-insensitive strings with a leading "*"
// wildcard, DNs compare RDN by RDN, IPv4/IPv6 addresses also match subnets
// and ranges, %any matches only %any, and every other type compares bytes.

// RDNMatching selects how DNs with RDNs in a different order match
// (strongswan.conf charon.rdn_matching).
type RDNMatching int32

const (
	// RDNMatchingStrict requires the same RDNs in the same order (default).
	RDNMatchingStrict RDNMatching = iota
	// RDNMatchingReordered accepts the same RDNs in any order.
	RDNMatchingReordered
	// RDNMatchingRelaxed also accepts RDNs the pattern does not have, each
	// counted like a wildcard.
	RDNMatchingRelaxed
)

// ParseRDNMatching maps the charon.rdn_matching setting to its mode;
// anything but "reordered" and "relaxed" (case-sensitive) means strict.
func ParseRDNMatching(s string) RDNMatching {
	switch s {
	case "reordered":
		return RDNMatchingReordered
	case "relaxed":
		return RDNMatchingRelaxed
	}
	return RDNMatchingStrict
}

var rdnMatching atomic.Int32

// SetRDNMatching sets the DN matching mode for all identities. charon reads
// the setting when it creates each identity; the daemon sets it once at
// start-up, so reading it at match time behaves the same.
func SetRDNMatching(m RDNMatching) { rdnMatching.Store(int32(m)) }

// CurrentRDNMatching is the mode SetRDNMatching last set.
func CurrentRDNMatching() RDNMatching { return RDNMatching(rdnMatching.Load()) }

func isStringType(t IDType) bool { return t == IDFQDN || t == IDRFC822Addr }

// Equals reports whether two identities are the same. Like charon's it is
// not symmetric in corner cases: a DN compares by encoding whatever the other
// type is. nil equals nothing.
func (id *Identity) Equals(other *Identity) bool {
	if id == nil || other == nil {
		return false
	}
	switch {
	case isStringType(id.typ):
		return id.typ == other.typ && len(id.enc) == len(other.enc) &&
			strings.IndexByte(id.enc, 0) < 0 && strings.IndexByte(other.enc, 0) < 0 &&
			strncaseEqual(id.enc, other.enc, len(id.enc))
	case id.typ == IDDerASN1DN:
		ok, _ := compareDN(id.enc, other.enc, false)
		return ok
	}
	return id.typ == other.typ && (id.typ == IDAny || id.enc == other.enc)
}

// Matches reports how well id matches other, which may hold wildcards or be
// %any, a subnet or a range (identification_t.matches):
//
//	other %any                                  MatchAny
//	equal                                       MatchPerfect
//	FQDN/RFC822 "*.strongswan.org"/"*@x.org"     MatchOneWildcard on a suffix match
//	FQDN/RFC822 "*"                             MatchAny
//	DN with n "*" values (or unmatched RDNs)    MatchPerfect - n, at least 3
//	address in subnet (not /0, not host)        MatchOneWildcard; /0 gives MatchMaxWildcards
//	address in range (not a single address)     MatchOneWildcard
//
// Anything else is MatchNone; so is a nil id or other.
func (id *Identity) Matches(other *Identity) MatchLevel {
	if id == nil || other == nil {
		return MatchNone
	}
	if other.typ == IDAny {
		return MatchAny
	}
	switch {
	case id.typ == IDAny:
		return MatchNone
	case isStringType(id.typ):
		return id.matchString(other)
	case id.typ == IDDerASN1DN:
		return id.matchDN(other)
	case id.typ == IDIPv4Addr || id.typ == IDIPv6Addr:
		return id.matchAddr(other)
	}
	if id.typ == other.typ && id.enc == other.enc {
		return MatchPerfect
	}
	return MatchNone
}

func (id *Identity) matchString(other *Identity) MatchLevel {
	if id.typ != other.typ {
		return MatchNone
	}
	if id.Equals(other) {
		return MatchPerfect
	}
	pat := other.enc
	if len(pat) == 0 || len(id.enc) < len(pat) {
		return MatchNone
	}
	if pat[0] == '*' {
		if len(pat) == 1 {
			return MatchAny // a lone "*" is no better than %any
		}
		tail := pat[1:]
		if strncaseEqual(id.enc[len(id.enc)-len(tail):], tail, len(tail)) {
			return MatchOneWildcard
		}
	}
	return MatchNone
}

func (id *Identity) matchDN(other *Identity) MatchLevel {
	if id.typ != other.typ {
		return MatchNone
	}
	var ok bool
	var wc int
	switch CurrentRDNMatching() {
	case RDNMatchingReordered:
		ok, wc = matchDNUnordered(id.enc, other.enc, false)
	case RDNMatchingRelaxed:
		ok, wc = matchDNUnordered(id.enc, other.enc, true)
	default:
		ok, wc = compareDN(id.enc, other.enc, true)
	}
	if !ok {
		return MatchNone
	}
	if limit := int(MatchOneWildcard - MatchMaxWildcards); wc > limit {
		wc = limit
	}
	return MatchPerfect - MatchLevel(wc)
}

// prefixBits counts a netmask's prefix length as charon does: whole 0xff
// bytes count 8, other bytes their leading ones, and the count stops at the
// first zero byte (not at the first zero bit).
func prefixBits(mask string) int {
	bits := 0
	for i := 0; i < len(mask); i++ {
		b := mask[i]
		if b == 0 {
			break
		}
		if b == 0xff {
			bits += 8
			continue
		}
		for ; b&0x80 != 0; b <<= 1 {
			bits++
		}
	}
	return bits
}

func (id *Identity) matchAddr(other *Identity) MatchLevel {
	if id.typ == other.typ && id.enc == other.enc {
		return MatchPerfect
	}
	size := 4
	subnetType, rangeType := IDIPv4AddrSubnet, IDIPv4AddrRange
	if id.typ == IDIPv6Addr {
		size = 16
		subnetType, rangeType = IDIPv6AddrSubnet, IDIPv6AddrRange
	}
	if other.typ != subnetType && other.typ != rangeType {
		return MatchNone
	}
	if len(id.enc) != size || len(other.enc) != 2*size {
		return MatchNone
	}
	addr := id.enc
	lo, hi := other.enc[:size], other.enc[size:]
	if other.typ == subnetType {
		network, mask := lo, hi
		bits := prefixBits(mask)
		switch {
		case bits == 0:
			return MatchMaxWildcards
		case bits == 8*size:
			if addr == network {
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
	}
	sign := bytes.Compare([]byte(hi), []byte(lo))
	if sign < 0 || addr < lo || addr > hi {
		return MatchNone
	}
	if sign == 0 {
		return MatchPerfect
	}
	return MatchOneWildcard
}

// ContainsWildcards reports whether the identity stands for more than one
// identity: %any, a FQDN/RFC822 with a '*' anywhere, or a DN with a "*"
// value in one of its common attributes. Subnets and ranges do not count,
// as in charon 5.9.8.
func (id *Identity) ContainsWildcards() bool {
	if id == nil {
		return false
	}
	switch {
	case id.typ == IDAny:
		return true
	case isStringType(id.typ):
		return strings.IndexByte(id.enc, '*') >= 0
	case id.typ == IDDerASN1DN:
		return dnHasWildcard(id.enc)
	}
	return false
}
