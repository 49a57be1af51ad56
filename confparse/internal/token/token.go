// Package token splits lists as libstrongswan's enumerator_create_token
// does, which strongSwan uses for every list in its configuration.
package token

import "strings"

// Split returns the tokens of s separated by any byte of sep, with bytes
// of trim removed around them. A token starting with ' or " runs to the
// next same quote, which may enclose separators. Empty tokens are not
// returned.
func Split(s, sep, trim string) []string {
	var out []string
	pos := 0
	for {
		for pos < len(s) && (strings.IndexByte(trim, s[pos]) >= 0 || strings.IndexByte(sep, s[pos]) >= 0) {
			pos++
		}
		if pos >= len(s) {
			return out
		}
		if q := s[pos]; q == '"' || q == '\'' {
			if end := strings.IndexByte(s[pos+1:], q); end >= 0 {
				out = append(out, s[pos+1:pos+1+end])
				pos += end + 2
				continue
			}
		}
		end := strings.IndexAny(s[pos:], sep)
		var tok string
		if end >= 0 {
			tok = s[pos : pos+end]
			pos += end + 1
		} else {
			tok = s[pos:]
			pos = len(s)
		}
		tok = strings.TrimRight(tok, trim)
		if tok != "" {
			out = append(out, tok)
		}
	}
}
