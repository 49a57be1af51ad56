// Package lex is what strongSwan's two flex scanners share: starter's for
// ipsec.conf (src/starter/parser/lexer.l) and libstrongswan's for
// strongswan.conf (settings/settings_lexer.l). Both scan files on an
// include stack, read double-quoted strings with the same escapes, expand
// include patterns, and hand participle tokens with positions. Where they
// differ, a Dialect says so; each dialect's own rules stay in its package.
package lex

import (
	"bytes"
	"errors"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
)

// Dialect is where the two scanners differ in the rules they share.
type Dialect struct {
	// DropCR: settings_lexer.l drops carriage returns inside quoted
	// strings and include patterns; starter's lexer keeps them.
	DropCR bool
	// IncludeEnd are the bytes that end an unquoted include pattern:
	// blanks, '#' and the newline in both, '}' too in strongswan.conf.
	IncludeEnd string
}

// Starter is ipsec.conf's dialect.
var Starter = Dialect{IncludeEnd: "#\n\t "}

// Settings is strongswan.conf's dialect.
var Settings = Dialect{DropCR: true, IncludeEnd: "#}\n\t "}

// Pos is a participle position for byte offset off at p.
func Pos(p confparse.Position, off int) lexer.Position {
	return lexer.Position{Filename: p.File, Offset: off, Line: p.Line, Column: p.Column}
}

// Position is the confparse position of a participle position.
func Position(p lexer.Position) confparse.Position {
	return confparse.Position{File: p.Filename, Line: p.Line, Column: p.Column}
}

// IsBlank is flex's [\t ].
func IsBlank(c byte) bool { return c == ' ' || c == '\t' }

// CountBlanks is the length of the blanks at the start of b.
func CountBlanks(b []byte) int {
	n := 0
	for n < len(b) && IsBlank(b[n]) {
		n++
	}
	return n
}

// CString truncates at the first NUL, as strdup() does with flex's yytext.
func CString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// Scanner is the part of both scanners that walks the include stack.
type Scanner struct {
	St *files.Stack
	D  Dialect
}

// Buffer returns the buffer to scan next, or an EOF token when the input
// is consumed: at the end of an included file scanning resumes in the
// includer; at the end of the main file it ends.
func (s *Scanner) Buffer() (*files.Buffer, *lexer.Token) {
	for {
		b := s.St.Top()
		if b == nil {
			t := lexer.EOFToken(lexer.Position{})
			return nil, &t
		}
		if b.Pos < len(b.Data) {
			return b, nil
		}
		end := b.Position(b.Pos)
		if !s.St.EOF() {
			t := lexer.EOFToken(Pos(end, len(b.Data)))
			return nil, &t
		}
	}
}

// Token consumes n bytes of b as a token of type t with value v.
func Token(b *files.Buffer, t lexer.TokenType, v string, n int) lexer.Token {
	start, off := b.Position(b.Pos), b.Pos
	b.Advance(n)
	return lexer.Token{Type: t, Value: CString(v), Pos: Pos(start, off)}
}

// Quoted scans the rest of a double-quoted string (the <str> start
// condition) after its opening quote: \n, \r and \t are escapes, a
// backslash before a newline joins lines, any other escaped byte stands
// for itself. An unterminated string is the STRING_ERROR both grammars
// stop at.
func (s *Scanner) Quoted(b *files.Buffer, start confparse.Position) (string, error) {
	var out strings.Builder
	stop := "\\\""
	if s.D.DropCR {
		stop += "\r"
	}
	for {
		in := b.Rest()
		if len(in) == 0 || (len(in) == 1 && in[0] == '\\') {
			return "", confparse.Errorf(start, confparse.Fatal,
				"unterminated string detected (expected a closing '\"')")
		}
		switch in[0] {
		case '"':
			b.Advance(1)
			return out.String(), nil
		case '\r':
			b.Advance(1) // only reached in the dialect that drops it
		case '\\':
			if in[1] == '\r' && len(in) > 2 && in[2] == '\n' {
				b.Advance(3) // a backslash before \r\n joins lines too
				continue
			}
			out.WriteString(unescape(in[1]))
			b.Advance(2)
		default:
			n := bytes.IndexAny(in, stop)
			if n < 0 {
				n = len(in)
			}
			out.Write(in[:n])
			b.Advance(n)
		}
	}
}

// unescape is what an escaped byte stands for in a quoted string.
func unescape(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case '\n':
		return ""
	}
	return string(c)
}

// Include scans an include pattern (the <inc> start condition) after
// "include" and its blanks, and opens what it matches on the stack. A
// quoted pattern ends at its closing quote; in an unquoted one \", \#, \}
// and "\ " stand for the byte. Problems (a loop is fatal) are collected
// on the stack, so that scanning goes on and every error is reported.
func (s *Scanner) Include(b *files.Buffer, start confparse.Position) error {
	var pat strings.Builder
	run := "\"\\" + s.D.IncludeEnd
	if s.D.DropCR {
		run += "\r"
	}
	for {
		in := b.Rest()
		if len(in) == 0 || strings.IndexByte(s.D.IncludeEnd, in[0]) >= 0 {
			if len(in) > 0 && IsBlank(in[0]) {
				b.Advance(1)
			}
			break
		}
		switch {
		case in[0] == '\r' && s.D.DropCR:
			b.Advance(1)
			continue
		case in[0] == '"':
			b.Advance(1)
			text, err := s.Quoted(b, start)
			if err != nil {
				return err
			}
			pat.WriteString(text)
			s.St.Include(start, CString(pat.String()))
			return nil
		case in[0] == '\\':
			if len(in) > 1 && strings.IndexByte("\"#} ", in[1]) >= 0 {
				pat.WriteByte(in[1])
				b.Advance(2)
			} else {
				pat.WriteByte('\\')
				b.Advance(1)
			}
			continue
		}
		n := 0
		for n < len(in) && strings.IndexByte(run, in[n]) < 0 {
			n++
		}
		pat.Write(in[:n])
		b.Advance(n)
	}
	s.St.Include(start, CString(pat.String()))
	return nil
}

// IncludeAt reports the length of `"include"[\t ]+/[^=]` at the start of
// in (without the trailing context byte), or 0: both dialects take
// "include" followed by blanks and anything but '=' as a directive, and
// "include = x" as a setting.
func IncludeAt(in []byte) int {
	if !bytes.HasPrefix(in, []byte("include")) {
		return 0
	}
	n := CountBlanks(in[7:])
	if n == 0 || 7+n >= len(in) || in[7+n] == '=' {
		return 0
	}
	return 7 + n
}

// Parse runs a grammar over a scanner's tokens, as both dialects' parsers
// run their bison grammar over their flex scanner. A scanner error (an
// unterminated string) ends the parse, as in strongSwan; a grammar error
// becomes a fatal confparse.Error at its position, its message passed
// through msg.
func Parse[G any](p *participle.Parser[G], sc lexer.Lexer, msg func(string) string) (*G, error) {
	peek, err := lexer.Upgrade(sc)
	if err != nil {
		var ce *confparse.Error
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, err
	}
	ast, err := p.ParseFromLexer(peek)
	if err != nil {
		var pe participle.Error
		if errors.As(err, &pe) {
			return nil, confparse.Errorf(Position(pe.Position()), confparse.Fatal, "%s", msg(pe.Message()))
		}
		return nil, err
	}
	return ast, nil
}
