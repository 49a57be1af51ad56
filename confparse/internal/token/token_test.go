package token

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ in, sep, trim, want string }{
		{"a b  c", " ", " ", "a|b|c"},
		{" 10.1.0.0/16 , 10.2.0.0/16,,", ",", " ", "10.1.0.0/16|10.2.0.0/16"},
		{`a "b c" 'd'e`, " ", " ", "a|b c|d|e"},
		{`"open a`, " ", " ", `"open|a`},
		{"a\tb", " ", " ", "a\tb"},
		{"", ",", " ", ""},
	} {
		if got := strings.Join(Split(tc.in, tc.sep, tc.trim), "|"); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}
