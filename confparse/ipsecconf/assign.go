package ipsecconf

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/goswan/goswan/internal/clib"
	"github.com/goswan/goswan/internal/netdb"
)

// The converters below are args.c's assign_arg for each argument type. They
// return the value and "" or a message naming what was expected. The C
// quirks are kept: numbers go through strtoul, so " 5", "+5" and "" are
// accepted and "-1" wraps.

var boolNames = []string{"no", "yes"}

// enumArg finds value in a keyword list (exact, case-sensitive match).
func enumArg(value string, list []string) (int, string) {
	for i, v := range list {
		if value == v {
			return i, ""
		}
	}
	return 0, "expected " + quoteList(list)
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, v := range list {
		q[i] = "'" + v + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// uintArg is ARG_UINT: strtoul base 10 into a u_int.
func uintArg(value string) (uint32, string) {
	v, rest := clib.Strtoul(value, 10)
	if rest != "" {
		return 0, "expected an unsigned decimal integer"
	}
	return uint32(v), ""
}

// ulliArg is ARG_ULLI: strtoull base 10.
func ulliArg(value string) (uint64, string) {
	v, rest := clib.Strtoul(value, 10)
	if rest != "" {
		return 0, "expected an unsigned decimal integer"
	}
	return v, ""
}

// ulongArg is the strtoul base 10 into an unsigned long that
// handle_keyword uses for keyingtries= and tfc=.
func ulongArg(value string) (uint64, string) {
	v, rest := clib.Strtoul(value, 10)
	if rest != "" {
		return 0, "expected an unsigned decimal integer"
	}
	return v, ""
}

// binArg is ARG_UBIN: strtoul base 2 into a u_int.
func binArg(value string) (uint32, string) {
	v, rest := clib.Strtoul(value, 2)
	if rest != "" {
		return 0, "expected a binary number such as 101110"
	}
	return uint32(v), ""
}

// percentArg is ARG_PCNT: digits and a final '%'.
func percentArg(value string) (uint64, string) {
	v, rest := clib.Strtoul(value, 10)
	if rest != "%" || len(rest) == len(value) {
		return 0, "expected a percentage such as 50%"
	}
	return v, ""
}

// timeArg is ARG_TIME: an integer with an optional s, m, h or d suffix. The
// multiplication wraps like the C code's time_t arithmetic.
func timeArg(value string) (Seconds, string) {
	v, rest := clib.Strtoul(value, 10)
	t := int64(v)
	switch rest {
	case "", "s":
	case "m":
		t *= 60
	case "h":
		t *= 3600
	case "d":
		t *= 3600 * 24
	default:
		return 0, "expected a time such as 90s, 30m, 8h or 1d"
	}
	return Seconds(t), ""
}

// markArg is mark_from_string with MARK_OP_UNIQUE (ipsec_types.c).
func markArg(value string) (Mark, string) {
	const expect = "expected VALUE[/MASK] with numbers in decimal, 0x hex or 0 octal, or %unique or %unique-dir"
	var m Mark
	var rest string
	switch {
	case hasPrefixFold(value, "%unique"):
		rest = value[len("%unique"):]
		switch {
		case hasPrefixFold(rest, "-dir"):
			m.Value = MarkUniqueDir
			rest = rest[len("-dir"):]
		case rest == "" || rest[0] == '/':
			m.Value = MarkUnique
		default:
			return m, expect
		}
	case hasPrefixFold(value, "%same"):
		return m, "%same is not allowed here (only in swanctl.conf); " + expect
	default:
		var v uint64
		v, rest = clib.Strtoul(value, 0)
		m.Value = uint32(v)
	}
	if rest != "" {
		if rest[0] != '/' {
			return m, expect
		}
		var v uint64
		v, rest = clib.Strtoul(rest[1:], 0)
		m.Mask = uint32(v)
		if rest != "" {
			return m, expect
		}
	} else {
		m.Mask = 0xffffffff
	}
	if m.Value != MarkUnique && m.Value != MarkUniqueDir {
		m.Value &= m.Mask
	}
	return m, ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// protoportArg parses leftprotoport= into end as kw_end does.
func (ld *loader) protoportArg(value string, e *End) string {
	return parseProtoport(ld.netdb, value, &e.Protocol, &e.FromPort, &e.ToPort)
}

// parseProtoport reads "proto[/port]" as starter's kw_end and charon's
// parse_protoport do: a protocol name, number or %any; a port name, number,
// range FROM-TO, %any or %opaque. What is not given is left alone.
func parseProtoport(db *netdb.DB, value string, protocol *uint8, from, to *uint16) string {
	proto, port, hasPort := strings.Cut(value, "/")
	switch {
	case proto == "%any":
		*protocol = 0
	default:
		if p, ok := db.Protocol(proto); ok {
			*protocol = p
			break
		}
		p, rest := clib.Strtol(proto, 0)
		if (proto != "" && rest != "") || p < 0 || p > 0xff {
			return fmt.Sprintf("bad protocol '%s' (expected a name from /etc/protocols, a number 0-255 or %%any)", proto)
		}
		*protocol = uint8(p)
	}
	if !hasPort {
		return ""
	}
	const expect = "expected a name from /etc/services, a number 0-65535, a range FROM-TO, %any or %opaque"
	switch {
	case port == "%any":
		*from, *to = 0, 0xffff
	case port == "%opaque":
		*from, *to = 0xffff, 0
	case port == "":
	default:
		if p, ok := db.Service(port); ok {
			*from, *to = p, p
			break
		}
		p, rest := clib.Strtol(port, 0)
		if p < 0 || p > 0xffff {
			return fmt.Sprintf("bad port '%s' (%s)", port, expect)
		}
		*from = uint16(p)
		if rest != "" && rest[0] == '-' {
			top := rest[1:]
			p, rest = clib.Strtol(top, 0)
			if p < 0 || p > 0xffff {
				return fmt.Sprintf("bad port '%s' (%s)", top, expect)
			}
		}
		*to = uint16(p)
		if rest != "" {
			return fmt.Sprintf("bad port '%s' (%s)", port, expect)
		}
	}
	return ""
}

// assign is args.c's assign_arg for one row of the table: convert the value
// by the row's type and store it in the row's field of dst (a Setup, Conn,
// End or CA). It reports a bad value against the section and returns
// whether the value was stored.
func (ld *loader) assign(dst reflect.Value, sp *kwSpec, s effectiveSetting) bool {
	v := *s.value
	f := dst.FieldByName(sp.field)
	var msg string
	switch sp.arg {
	case argStr:
		if sp.list != nil {
			if _, msg = enumArg(v, sp.list); msg != "" {
				break
			}
		}
		f.Set(reflect.ValueOf(S(v)))
	case argEnum, argBool:
		list := sp.list
		if sp.arg == argBool {
			list = boolNames
		}
		var i int
		if i, msg = enumArg(v, list); msg == "" {
			setNumber(f, uint64(i))
		}
	case argUint, argULLI, argUBin, argPcnt, argTime:
		var n uint64
		if n, msg = numberArg(sp.arg, v); msg == "" {
			setNumber(f, n)
		}
	case argULong:
		if v == sp.list[0] {
			setNumber(f, sp.special)
			return true
		}
		// strtoul stores its result before the check, so a bad value
		// still lands in the field (and the section is dropped anyway).
		n, bad := ulongArg(v)
		setNumber(f, n)
		if bad != "" {
			ld.bad(s, "bad integer value: %s=%s (expected a number or %s)", s.key, v, sp.list[0])
			return false
		}
	case argMark:
		var m Mark
		if m, msg = markArg(v); msg == "" {
			f.Set(reflect.ValueOf(m))
		}
	}
	if msg != "" {
		ld.badValue(s, msg)
		return false
	}
	return true
}

// numberArg converts the numeric argument types.
func numberArg(t argType, v string) (uint64, string) {
	switch t {
	case argUint:
		n, msg := uintArg(v)
		return uint64(n), msg
	case argULLI:
		return ulliArg(v)
	case argUBin:
		n, msg := binArg(v)
		return uint64(n), msg
	case argPcnt:
		return percentArg(v)
	}
	n, msg := timeArg(v)
	return uint64(n), msg
}

// setNumber stores n in an integer or boolean field, truncated to its size
// as the C assignment does.
func setNumber(f reflect.Value, n uint64) {
	switch f.Kind() {
	case reflect.Bool:
		f.SetBool(n != 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(int64(n))
	default:
		f.SetUint(n)
	}
}
