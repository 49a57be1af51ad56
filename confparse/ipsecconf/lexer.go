package ipsecconf

import (
	"bytes"
	"io"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
)

// Token types of starter's scanner (src/starter/parser/lexer.l).
const (
	tokSpaces lexer.TokenType = iota + 1 // white space at the start of a line
	tokNewline
	tokEq
	tokConfigSetup // "config setup" at the start of a line
	tokConn        // "conn" at the start of a line
	tokCA          // "ca" at the start of a line
	tokString      // a word or a quoted string (value already unescaped)
)

// definition is the participle lexer definition. Parsing never goes through
// its Lex method (the scanner needs the file system and the include stack, so
// it is built per load and handed to the parser directly); Lex exists for
// participle's interface and scans a single buffer without includes.
type definition struct{}

// Symbols builds the map on each call: the parser is built during package
// initialization, before package-level maps are guaranteed to exist.
func (definition) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":         lexer.EOF,
		"Spaces":      tokSpaces,
		"Newline":     tokNewline,
		"Eq":          tokEq,
		"ConfigSetup": tokConfigSetup,
		"Conn":        tokConn,
		"CA":          tokCA,
		"String":      tokString,
	}
}

func (definition) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	st := &files.Stack{FS: files.Map{}}
	st.OpenBytes(filename, buf.Bytes())
	return &scanner{st: st}, nil
}

// scanner emulates starter's flex scanner: at each point every rule is tried,
// the longest match wins and ties go to the rule listed first, rules anchored
// with "^" apply only at the start of a line, and include directives splice
// the included files into the token stream where they appear.
type scanner struct {
	st *files.Stack
}

func pos(p confparse.Position, off int) lexer.Position {
	return lexer.Position{Filename: p.File, Offset: off, Line: p.Line, Column: p.Column}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isWordByte is the character class of an unquoted word: [^"#= \t\n].
func isWordByte(c byte) bool {
	return c != '"' && c != '#' && c != '=' && c != ' ' && c != '\t' && c != '\n'
}

func countBlanks(b []byte) int {
	n := 0
	for n < len(b) && isBlank(b[n]) {
		n++
	}
	return n
}

// cString truncates at the first NUL, as strdup() does with flex's yytext.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// rule numbers, in the order of lexer.l (ties go to the lower number).
const (
	ruleVersion = iota
	ruleSpacesBOL
	ruleBlanks
	ruleComment
	ruleNewline
	ruleEq
	ruleConfigSetup
	ruleConn
	ruleCA
	ruleInclude
	ruleQuote
	ruleWord
)

// match returns the winning rule at the start of in and its length (the
// length includes trailing context, as flex counts it for the longest match).
func match(in []byte, bol bool) (rule, length int) {
	rule, length = -1, 0
	try := func(r, n int) {
		if n > length {
			rule, length = r, n
		}
	}
	if bol {
		// ^[\t ]*"version"[^\n]*$ : "$" is a newline as trailing context.
		n := countBlanks(in)
		if bytes.HasPrefix(in[n:], []byte("version")) {
			if nl := bytes.IndexByte(in[n:], '\n'); nl >= 0 {
				try(ruleVersion, n+nl+1)
			}
		}
		try(ruleSpacesBOL, countBlanks(in))
	}
	try(ruleBlanks, countBlanks(in))
	if n := countBlanks(in); n < len(in) && in[n] == '#' {
		end := bytes.IndexByte(in[n:], '\n')
		if end < 0 {
			end = len(in) - n
		}
		try(ruleComment, n+end)
	}
	if len(in) > 0 && in[0] == '\n' {
		try(ruleNewline, 1)
	}
	if len(in) > 0 && in[0] == '=' {
		try(ruleEq, 1)
	}
	if bol {
		if bytes.HasPrefix(in, []byte("config setup")) {
			try(ruleConfigSetup, 12)
		}
		if bytes.HasPrefix(in, []byte("conn")) {
			try(ruleConn, 4)
		}
		if bytes.HasPrefix(in, []byte("ca")) {
			try(ruleCA, 2)
		}
	}
	// "include"[\t ]+/[^=] : one more byte of trailing context, any but '='.
	if bytes.HasPrefix(in, []byte("include")) {
		n := countBlanks(in[7:])
		if n > 0 && 7+n < len(in) && in[7+n] != '=' {
			try(ruleInclude, 7+n+1)
		}
	}
	if len(in) > 0 && in[0] == '"' {
		try(ruleQuote, 1)
	}
	// (@#)?[^\"#= \t\n]+
	n := 0
	if bytes.HasPrefix(in, []byte("@#")) && len(in) > 2 && isWordByte(in[2]) {
		n = 2
	}
	for n < len(in) && isWordByte(in[n]) {
		n++
	}
	try(ruleWord, n)
	return rule, length
}

func (s *scanner) Next() (lexer.Token, error) {
	for {
		b := s.st.Top()
		if b == nil {
			return lexer.EOFToken(lexer.Position{}), nil
		}
		if b.Pos >= len(b.Data) {
			eofPos := b.Position(b.Pos)
			if !s.st.EOF() {
				return lexer.EOFToken(pos(eofPos, len(b.Data))), nil
			}
			continue
		}
		in := b.Rest()
		start := b.Position(b.Pos)
		off := b.Pos
		rule, n := match(in, b.AtBOL())
		tok := func(t lexer.TokenType, text string) (lexer.Token, error) {
			b.Advance(n)
			return lexer.Token{Type: t, Value: text, Pos: pos(start, off)}, nil
		}
		switch rule {
		case ruleVersion:
			b.Advance(n - 1) // the newline is trailing context
		case ruleSpacesBOL:
			return tok(tokSpaces, string(in[:n]))
		case ruleBlanks, ruleComment:
			b.Advance(n)
		case ruleNewline:
			return tok(tokNewline, "\n")
		case ruleEq:
			return tok(tokEq, "=")
		case ruleConfigSetup:
			return tok(tokConfigSetup, "config setup")
		case ruleConn:
			return tok(tokConn, "conn")
		case ruleCA:
			return tok(tokCA, "ca")
		case ruleInclude:
			b.Advance(n - 1)
			if err := s.include(b, start); err != nil {
				return lexer.Token{}, err
			}
		case ruleQuote:
			b.Advance(1)
			text, err := s.quoted(b, start)
			if err != nil {
				return lexer.Token{}, err
			}
			return lexer.Token{Type: tokString, Value: cString(text), Pos: pos(start, off)}, nil
		default:
			return tok(tokString, cString(string(in[:n])))
		}
	}
}

// quoted scans the rest of a double-quoted string (the <str> start
// condition) after its opening quote.
func (s *scanner) quoted(b *files.Buffer, start confparse.Position) (string, error) {
	var out strings.Builder
	for {
		in := b.Rest()
		if len(in) == 0 || (len(in) == 1 && in[0] == '\\') {
			// starter's STRING_ERROR token: a syntax error that stops the parse.
			return "", confparse.Errorf(start, confparse.Fatal,
				"unterminated string detected (expected a closing '\"')")
		}
		switch {
		case in[0] == '"':
			b.Advance(1)
			return out.String(), nil
		case in[0] == '\\':
			switch {
			case in[1] == 'n':
				out.WriteByte('\n')
				b.Advance(2)
			case in[1] == 'r':
				out.WriteByte('\r')
				b.Advance(2)
			case in[1] == 't':
				out.WriteByte('\t')
				b.Advance(2)
			case in[1] == '\n':
				b.Advance(2) // \\\r?\n joins lines
			case in[1] == '\r' && len(in) > 2 && in[2] == '\n':
				b.Advance(3)
			default:
				out.WriteByte(in[1])
				b.Advance(2)
			}
		default:
			n := bytes.IndexAny(in, "\\\"")
			if n < 0 {
				n = len(in)
			}
			out.Write(in[:n])
			b.Advance(n)
		}
	}
}

// include scans the pattern of an include directive (the <inc> start
// condition) and opens what it matches.
func (s *scanner) include(b *files.Buffer, start confparse.Position) error {
	var pat strings.Builder
	for {
		in := b.Rest()
		if len(in) == 0 || in[0] == '#' || in[0] == '\n' || isBlank(in[0]) {
			if len(in) > 0 && isBlank(in[0]) {
				b.Advance(1)
			}
			break
		}
		if in[0] == '"' {
			b.Advance(1)
			text, err := s.quoted(b, start)
			if err != nil {
				return err
			}
			pat.WriteString(text)
			break
		}
		if in[0] == '\\' {
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
		for n < len(in) && strings.IndexByte("\"\\#\n\t ", in[n]) < 0 {
			n++
		}
		pat.Write(in[:n])
		b.Advance(n)
	}
	// Problems (including loops, which are fatal) are collected on the
	// stack; scanning goes on so that every error gets reported.
	s.st.Include(start, cString(pat.String()))
	return nil
}
