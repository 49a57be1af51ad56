package scenario

import "strings"

// GrepPattern returns the basic regular expression that grep receives for an
// evaltest pattern.
//
// strongSwan's do-tests generates shell code of the form
// `grep "PATTERN"` and evaluates it, so the pattern passes through one round
// of double-quote processing: a backslash before $, `, " or \ is removed and
// every other backslash stays (that is why strongSwan's files write `\[1]`
// and `icmp_.eq=1`). Parameter and command substitution are not performed
// here: no strongSwan scenario relies on them, and running the runner's own
// shell on scenario text is exactly what this runner avoids.
func GrepPattern(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '$', '`', '"', '\\':
				b.WriteByte(raw[i+1])
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
