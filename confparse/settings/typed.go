package settings

import (
	"strconv"
	"strings"

	"github.com/goswan/goswan/internal/clib"
)

// The typed lookups convert as settings.c's settings_value_as_*() do; a
// value that does not convert yields the default, as in strongSwan.

// lookup is what every typed getter does: key's value converted by parse,
// or def when key is not set (parse itself falls back to def when the value
// does not convert).
func lookup[T any](s *Settings, key string, def T, parse func(string, T) T) T {
	if v, ok := s.Value(key); ok {
		return parse(v, def)
	}
	return def
}

// Str is get_str: the value of key, or def.
func (s *Settings) Str(key, def string) string {
	if v, ok := s.Value(key); ok {
		return v
	}
	return def
}

// ParseBool is settings_value_as_bool.
func ParseBool(v string, def bool) bool {
	switch strings.ToLower(v) {
	case "1", "yes", "true", "enabled":
		return true
	case "0", "no", "false", "disabled":
		return false
	}
	return def
}

// Bool is get_bool.
func (s *Settings) Bool(key string, def bool) bool { return lookup(s, key, def, ParseBool) }

// ParseInt is settings_value_as_int: strtoul, in hex after "0x", into a C
// int (so "-1" is -1 and large values wrap).
func ParseInt(v string, def int) int {
	if n, ok := strtoulWhole(v); ok {
		return int(int32(n))
	}
	return def
}

// Int is get_int.
func (s *Settings) Int(key string, def int) int { return lookup(s, key, def, ParseInt) }

// ParseUint64 is settings_value_as_uint64.
func ParseUint64(v string, def uint64) uint64 {
	if n, ok := strtoulWhole(v); ok {
		return n
	}
	return def
}

// strtoulWhole is the strtoul both integer conversions make: in hex after
// "0x", else decimal, and the whole value must convert without overflow.
func strtoulWhole(v string) (uint64, bool) {
	base := 10
	if strings.HasPrefix(v, "0x") {
		base = 16
	}
	n, rest, erange := clib.StrtoulErr(v, base)
	if erange || rest != "" || len(rest) == len(v) {
		return 0, false
	}
	return n, true
}

// Uint64 looks key up as an unsigned 64-bit number.
func (s *Settings) Uint64(key string, def uint64) uint64 { return lookup(s, key, def, ParseUint64) }

// ParseDouble is settings_value_as_double: strtod of the whole value.
func ParseDouble(v string, def float64) float64 {
	t := strings.TrimLeft(v, " \t\n\v\f\r")
	if t == "" {
		return def
	}
	// An overflow is an error (ERANGE) for both.
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return def
	}
	return f
}

// Double is get_double.
func (s *Settings) Double(key string, def float64) float64 { return lookup(s, key, def, ParseDouble) }

// ParseTime is timespan_from_string without a default unit: a number of
// seconds, optionally followed by blanks and s, m, h or d (anything after
// the unit letter is ignored, so "5 minutes" is 300). ok is false if the
// value does not convert.
func ParseTime(v string) (seconds uint64, ok bool) {
	n, rest, erange := clib.StrtoulErr(v, 10)
	if len(rest) == len(v) || erange {
		return 0, false
	}
	rest = strings.TrimLeft(rest, " \t\n\v\f\r")
	unit := byte(0)
	if rest != "" {
		unit = rest[0]
	}
	switch unit {
	case 'd':
		n *= 24 * 3600
	case 'h':
		n *= 3600
	case 'm':
		n *= 60
	case 's', 0:
	default:
		return 0, false
	}
	return n, true
}

// Time is get_time: seconds, truncated to 32 bits as strongSwan returns
// them.
func (s *Settings) Time(key string, def uint32) uint32 {
	if v, ok := s.Value(key); ok {
		if n, ok := ParseTime(v); ok {
			return uint32(n)
		}
	}
	return def
}
