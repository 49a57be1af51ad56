package vici

import (
	"net/netip"
	"strings"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/internal/clib"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// The value parsers of load-conn (vici_config.c parse_*). Each takes the raw
// value and reports whether it was valid; charon copies most values into a
// fixed buffer first (vici_stringify), which truncates long ones.

// stringify is vici_stringify into a buffer of size bytes: the value must
// be printable, and is cut to size-1 bytes.
func stringify(v []byte, size int) (string, bool) {
	if !printable(v) {
		return "", false
	}
	if len(v) > size-1 {
		v = v[:size-1]
	}
	return string(v), true
}

// bufLen is BUF_LEN, the size of charon's default buffers.
const bufLen = 512

// parseString is parse_string: any printable value.
func parseString(v []byte) (string, bool) {
	if !printable(v) {
		return "", false
	}
	return string(v), true
}

// parseMap is parse_map: a case-insensitive match against names.
func parseMap[T any](v []byte, m map[string]T) (T, bool) {
	var zero T
	s, ok := stringify(v, bufLen)
	if !ok {
		return zero, false
	}
	x, ok := m[strings.ToLower(s)]
	return x, ok
}

var boolMap = map[string]bool{"yes": true, "true": true, "enabled": true, "1": true,
	"no": false, "false": false, "disabled": false, "0": false}

func parseBool(v []byte) (bool, bool) { return parseMap(v, boolMap) }

// parseUint32Base is parse_uint32_base: strtoul of the whole value, cut to
// 32 bits as charon's u_long to uint32_t assignment.
func parseUint32Base(v []byte, base int) (uint32, bool) {
	s, ok := stringify(v, 16)
	if !ok {
		return 0, false
	}
	n, rest := clib.Strtoul(s, base)
	if rest != "" {
		return 0, false
	}
	return uint32(n), true
}

func parseUint32(v []byte) (uint32, bool) { return parseUint32Base(v, 0) }

func parseUint64(v []byte) (uint64, bool) {
	s, ok := stringify(v, 16)
	if !ok {
		return 0, false
	}
	n, rest := clib.Strtoul(s, 0)
	return n, rest == ""
}

// unitValue parses a number with an optional unit suffix after blanks, as
// parse_time and parse_bytes do: mult maps the (lower case) unit to its
// factor.
func unitValue(v []byte, mult map[byte]uint64) (uint64, bool) {
	s, ok := stringify(v, 16)
	if !ok {
		return 0, false
	}
	n, rest := clib.Strtoul(s, 0)
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return n, true
	}
	f, ok := mult[toLower(rest[0])]
	if !ok || len(rest) != 1 {
		return 0, false
	}
	return n * f, true
}

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// parseTime is parse_time: seconds, or with s, m, h or d.
func parseTime(v []byte) (uint64, bool) {
	return unitValue(v, map[byte]uint64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400})
}

// parseBytes is parse_bytes: bytes, or with k, m or g (powers of 1024).
func parseBytes(v []byte) (uint64, bool) {
	return unitValue(v, map[byte]uint64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30})
}

// parseMark is mark_from_string: "value[/mask]", "%unique", "%unique-dir"
// or, for set marks, "%same".
func parseMark(v []byte, same bool) (kernel.Mark, bool) {
	s, ok := stringify(v, 32)
	if !ok {
		return kernel.Mark{}, false
	}
	var m kernel.Mark
	var rest string
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "%unique"):
		if same {
			return m, false // unexpected use of %unique mark
		}
		rest = s[len("%unique"):]
		if strings.HasPrefix(strings.ToLower(rest), "-dir") {
			m.Value = kernel.MarkUniqueDir
			rest = rest[len("-dir"):]
		} else if rest == "" || rest[0] == '/' {
			m.Value = kernel.MarkUnique
		} else {
			return m, false
		}
	case strings.HasPrefix(lower, "%same"):
		if !same {
			return m, false // unexpected use of %same mark
		}
		rest = s[len("%same"):]
		if rest != "" && rest[0] != '/' {
			return m, false
		}
		m.Value = kernel.MarkSame
	default:
		var n uint64
		n, rest = clib.Strtoul(s, 0)
		m.Value = uint32(n)
	}
	if rest != "" {
		if rest[0] != '/' {
			return m, false
		}
		n, r := clib.Strtoul(rest[1:], 0)
		if r != "" {
			return m, false
		}
		m.Mask = uint32(n)
	} else {
		m.Mask = 0xffffffff
	}
	if m.Value != kernel.MarkUnique && m.Value != kernel.MarkUniqueDir {
		m.Value &= m.Mask
	}
	return m, true
}

// Interface IDs as ipsec_types.h reserves them.
const (
	ifIDUnique    uint32 = 0xffffffff
	ifIDUniqueDir uint32 = 0xfffffffe
)

// parseIfID is if_id_from_string.
func parseIfID(v []byte) (uint32, bool) {
	s, ok := stringify(v, 32)
	if !ok {
		return 0, false
	}
	if strings.HasPrefix(strings.ToLower(s), "%unique") {
		switch rest := strings.ToLower(s[len("%unique"):]); rest {
		case "":
			return ifIDUnique, true
		case "-dir":
			return ifIDUniqueDir, true
		}
		return 0, false
	}
	n, rest := clib.Strtoul(s, 0)
	return uint32(n), rest == ""
}

// parseTS is parse_ts: "dynamic", a subnet, an address or a range, each
// with an optional "[proto/port]".
func parseTS(v []byte) (selectors.TS, bool) {
	s, ok := stringify(v, bufLen)
	if !ok {
		return selectors.TS{}, false
	}
	var proto uint8
	from, to := uint16(0), uint16(0xffff)
	if i := strings.IndexByte(s, '['); i >= 0 {
		if proto, from, to, ok = parseProtoPort(s[i+1:]); !ok {
			return selectors.TS{}, false
		}
		s = s[:i]
	}
	if s == "dynamic" {
		return selectors.Dynamic(proto, from, to), true
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(lo)
		b, err2 := netip.ParseAddr(hi)
		if err1 != nil || err2 != nil || a.Is4() != b.Is4() {
			return selectors.TS{}, false
		}
		ts, err := selectors.FromRange(a, b, proto, from, to)
		return ts, err == nil
	}
	ts, err := selectors.ParseCIDR(s, proto, from, to)
	return ts, err == nil
}

// parseProtoPort parses what follows '[' in a traffic selector:
// "proto/port]", with names from /etc/protocols and /etc/services, numbers,
// "any", port ranges "a-b" and "opaque".
func parseProtoPort(pp string) (proto uint8, from, to uint16, ok bool) {
	from, to = 0, 0xffff
	end := strings.LastIndexByte(pp, ']')
	if end < 0 {
		return 0, 0, 0, false
	}
	pp = pp[:end]
	port := ""
	if j := strings.IndexByte(pp, '/'); j >= 0 {
		pp, port = pp[:j], pp[j+1:]
	}
	if pp != "any" {
		if n, ok := selectors.ProtocolNumber(pp); ok {
			proto = n
		} else {
			n, rest := clib.Strtol(pp, 0)
			if (pp != "" && rest != "") || n < 0 || n > 0xff {
				return 0, 0, 0, false
			}
			proto = uint8(n)
		}
	}
	switch {
	case port == "opaque":
		return proto, 0xffff, 0, true
	case port == "" || port == "any":
		return proto, from, to, true
	}
	if p, ok := selectors.ServicePort(port, ""); ok {
		return proto, p, p, true
	}
	n, rest := clib.Strtol(port, 0)
	if n < 0 || n > 0xffff {
		return 0, 0, 0, false
	}
	from = uint16(n)
	if strings.HasPrefix(rest, "-") {
		if n, rest = clib.Strtol(rest[1:], 0); n < 0 || n > 0xffff {
			return 0, 0, 0, false
		}
	}
	if rest != "" {
		return 0, 0, 0, false
	}
	return proto, from, uint16(n), true
}

// parseProposal is parse_proposal: "default" adds the default and the
// default AEAD proposal, anything else is a proposal string.
func parseProposal(v []byte, proto config.Protocol) ([]*config.Proposal, bool) {
	s, ok := stringify(v, bufLen)
	if !ok {
		return nil, false
	}
	if strings.EqualFold(s, "default") {
		return config.SupportedOnly(config.DefaultProposals(proto)), true
	}
	p, err := config.ParseProposal(proto, s)
	if err != nil {
		return nil, false
	}
	return []*config.Proposal{p}, true
}
