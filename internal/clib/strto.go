// Package clib reproduces the glibc functions whose quirks are part of
// strongSwan's file and command formats: strtoul/strtol/atoi and
// inet_pton. goswan's parsers call these so that what strongSwan reads, goswan
// reads the same way.
//
// The number conversions convert numbers the way glibc's strtoul/strtol do on LP64
// Linux, which is what strongSwan's C parsers call. Their quirks are part of
// the file formats: leading white space and a sign are accepted, "-1" as an
// unsigned value wraps to the maximum, an overflow saturates silently, and an
// empty string converts to 0 with nothing left over.
package clib

// isSpace is C's isspace() in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// scan parses like glibc's ____strtoul_l_internal: it returns the magnitude,
// whether a minus sign was seen, whether the magnitude overflowed 64 bits, and
// the index of the first unconverted byte (0 when no digits were found, as C
// sets endptr to the start of the string then).
func scan(s string, base int) (mag uint64, neg, overflow bool, end int) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 0 || base == 16 {
		// A "0x" prefix counts only when a hex digit follows; otherwise the
		// "0" is the number and "x" is left over.
		if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
			i+2 < len(s) && digitVal(s[i+2]) < 16 {
			i += 2
			base = 16
		} else if base == 0 {
			if i < len(s) && s[i] == '0' {
				base = 8
			} else {
				base = 10
			}
		}
	}
	start := i
	const max = ^uint64(0)
	for i < len(s) {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if !overflow {
			if mag > (max-uint64(d))/uint64(base) {
				overflow = true
			} else {
				mag = mag*uint64(base) + uint64(d)
			}
		}
		i++
	}
	if i == start {
		return 0, false, false, 0
	}
	return mag, neg, overflow, i
}

// Strtoul is strtoul(3) with 64-bit unsigned long: it returns the value and
// the unconverted rest of s (all of s when there were no digits).
func Strtoul(s string, base int) (uint64, string) {
	mag, neg, overflow, end := scan(s, base)
	if overflow {
		return ^uint64(0), s[end:]
	}
	if neg {
		mag = -mag
	}
	return mag, s[end:]
}

// Strtol is strtol(3) with 64-bit long: saturating at the int64 limits.
func Strtol(s string, base int) (int64, string) {
	mag, neg, overflow, end := scan(s, base)
	const maxPos = uint64(1<<63 - 1)
	switch {
	case neg && (overflow || mag > maxPos+1):
		return -1 << 63, s[end:]
	case !neg && (overflow || mag > maxPos):
		return 1<<63 - 1, s[end:]
	case neg:
		return int64(-mag), s[end:]
	}
	return int64(mag), s[end:]
}

// StrtoulErr is Strtoul plus the ERANGE indication that strongSwan checks in
// some places (settings lookups, timespans).
func StrtoulErr(s string, base int) (v uint64, rest string, erange bool) {
	mag, neg, overflow, end := scan(s, base)
	if overflow {
		return ^uint64(0), s[end:], true
	}
	if neg {
		mag = -mag
	}
	return mag, s[end:], false
}

// Atoi is atoi(3): (int)strtol(s, NULL, 10), so it saturates at the long
// limits and then keeps the low 32 bits. strongSwan uses it for unique IDs
// in "conn[N]", log levels and command-line numbers, without error checks.
func Atoi(s string) int32 {
	v, _ := Strtol(s, 10)
	return int32(v)
}
