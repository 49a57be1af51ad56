package ipsecconf

import (
	"bytes"
	"io"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse/internal/files"
	"github.com/goswan/goswan/confparse/internal/lex"
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
	return newScanner(st), nil
}

// scanner emulates starter's flex scanner: at each point every rule is tried,
// the longest match wins and ties go to the rule listed first, rules anchored
// with "^" apply only at the start of a line, and include directives splice
// the included files into the token stream where they appear. What it
// shares with the strongswan.conf scanner is in confparse/internal/lex.
type scanner struct {
	lex.Scanner
}

func newScanner(st *files.Stack) *scanner {
	return &scanner{lex.Scanner{St: st, D: lex.Starter}}
}

// isWordByte is the character class of an unquoted word: [^"#= \t\n].
func isWordByte(c byte) bool {
	return c != '"' && c != '#' && c != '=' && c != ' ' && c != '\t' && c != '\n'
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

// rules are lexer.l's rules in order: whether "^" anchors them, the token
// they return (0: none), and the length they match at the start of the
// input (0: no match), trailing context included, as flex counts it for
// the longest match.
var rules = [...]struct {
	bol   bool
	tok   lexer.TokenType
	match func(in []byte) int
}{
	ruleVersion:     {true, 0, matchVersion},
	ruleSpacesBOL:   {true, tokSpaces, lex.CountBlanks},
	ruleBlanks:      {false, 0, lex.CountBlanks},
	ruleComment:     {false, 0, matchComment},
	ruleNewline:     {false, tokNewline, byteRule('\n')},
	ruleEq:          {false, tokEq, byteRule('=')},
	ruleConfigSetup: {true, tokConfigSetup, prefixRule("config setup")},
	ruleConn:        {true, tokConn, prefixRule("conn")},
	ruleCA:          {true, tokCA, prefixRule("ca")},
	ruleInclude:     {false, 0, includeRule},
	ruleQuote:       {false, 0, byteRule('"')},
	ruleWord:        {false, tokString, matchWord},
}

// ^[\t ]*"version"[^\n]*$ : "$" is a newline as trailing context.
func matchVersion(in []byte) int {
	n := lex.CountBlanks(in)
	if !bytes.HasPrefix(in[n:], []byte("version")) {
		return 0
	}
	if nl := bytes.IndexByte(in[n:], '\n'); nl >= 0 {
		return n + nl + 1
	}
	return 0
}

// [\t ]*#.* : a comment with the blanks before it.
func matchComment(in []byte) int {
	n := lex.CountBlanks(in)
	if n >= len(in) || in[n] != '#' {
		return 0
	}
	if end := bytes.IndexByte(in[n:], '\n'); end >= 0 {
		return n + end
	}
	return len(in)
}

func byteRule(c byte) func([]byte) int {
	return func(in []byte) int {
		if len(in) > 0 && in[0] == c {
			return 1
		}
		return 0
	}
}

func prefixRule(p string) func([]byte) int {
	return func(in []byte) int {
		if bytes.HasPrefix(in, []byte(p)) {
			return len(p)
		}
		return 0
	}
}

// "include"[\t ]+/[^=] : one more byte of trailing context, any but '='.
func includeRule(in []byte) int {
	if n := lex.IncludeAt(in); n > 0 {
		return n + 1
	}
	return 0
}

// (@#)?[^\"#= \t\n]+
func matchWord(in []byte) int {
	n := 0
	if bytes.HasPrefix(in, []byte("@#")) && len(in) > 2 && isWordByte(in[2]) {
		n = 2
	}
	for n < len(in) && isWordByte(in[n]) {
		n++
	}
	return n
}

// match returns the winning rule at the start of in and its length.
func match(in []byte, bol bool) (rule, length int) {
	rule = -1
	for r, x := range rules {
		if x.bol && !bol {
			continue
		}
		if n := x.match(in); n > length {
			rule, length = r, n
		}
	}
	return rule, length
}

func (s *scanner) Next() (lexer.Token, error) {
	for {
		b, eof := s.Buffer()
		if eof != nil {
			return *eof, nil
		}
		in := b.Rest()
		rule, n := match(in, b.AtBOL())
		switch rule {
		case ruleVersion:
			b.Advance(n - 1) // the newline is trailing context
		case ruleBlanks, ruleComment:
			b.Advance(n)
		case ruleInclude:
			start := b.Position(b.Pos)
			b.Advance(n - 1)
			if err := s.Include(b, start); err != nil {
				return lexer.Token{}, err
			}
		case ruleQuote:
			start, off := b.Position(b.Pos), b.Pos
			b.Advance(1)
			text, err := s.Quoted(b, start)
			if err != nil {
				return lexer.Token{}, err
			}
			return lexer.Token{Type: tokString, Value: lex.CString(text), Pos: lex.Pos(start, off)}, nil
		default:
			return lex.Token(b, rules[rule].tok, string(in[:n]), n), nil
		}
	}
}
