package settings

import (
	"bytes"
	"io"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
	"github.com/goswan/goswan/confparse/internal/lex"
)

// Token types of libstrongswan's settings scanner (settings_lexer.l).
const (
	tokName lexer.TokenType = iota + 1 // a name; in a value any word; after ':' it may contain dots
	tokString
	tokNewline // ends a value
	tokLBrace
	tokRBrace
	tokDot
	tokComma
	tokColon
	tokEq
)

type definition struct{}

// Symbols builds the map on each call: the parser is built during package
// initialization, before package-level maps are guaranteed to exist.
func (definition) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF": lexer.EOF, "Name": tokName, "String": tokString, "Newline": tokNewline,
		"LBrace": tokLBrace, "RBrace": tokRBrace, "Dot": tokDot, "Comma": tokComma,
		"Colon": tokColon, "Eq": tokEq,
	}
}

// Lex scans one buffer without includes; loads build their own scanner.
func (definition) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	st := &files.Stack{FS: files.Map{}}
	st.OpenBytes(filename, buf.Bytes())
	return newScanner(st), nil
}

type state int

const (
	stInitial state = iota
	stRef           // after ':' until the '{': dotted section references
	stVal           // after '=' until the end of the line, '#' or '}'
)

// scanner emulates the settings scanner: longest match, ties to the rule
// listed first, start conditions, includes spliced in where they appear.
// What it shares with starter's scanner is in confparse/internal/lex.
type scanner struct {
	lex.Scanner
	state   state
	pending []lexer.Token
}

func newScanner(st *files.Stack) *scanner {
	return &scanner{Scanner: lex.Scanner{St: st, D: lex.Settings}}
}

// isNameByte is NAME: [^#{}:.,="\r\n\t ].
func isNameByte(c byte) bool {
	return strings.IndexByte("#{}:.,=\"\r\n\t ", c) < 0
}

// skipLen is the length of the blanks, comments and newlines the rules
// shared by the INITIAL and ref start conditions eat at the start of in:
//
//	[\t ]*#[^\r\n]*    [\t\r ]+    \n|#.*\n
//
// They are at least as long as any competing rule where they match (no
// other rule starts with a blank, '#' or a newline).
func skipLen(in []byte) int {
	best := 0
	if n := lex.CountBlanks(in); n < len(in) && in[n] == '#' {
		m := n
		for m < len(in) && in[m] != '\r' && in[m] != '\n' {
			m++
		}
		best = m
	}
	ws := 0
	for ws < len(in) && (lex.IsBlank(in[ws]) || in[ws] == '\r') {
		ws++
	}
	best = max(best, ws)
	if len(in) > 0 && in[0] == '\n' {
		best = max(best, 1)
	}
	if len(in) > 0 && in[0] == '#' {
		if nl := bytes.IndexByte(in, '\n'); nl >= 0 {
			best = max(best, nl+1)
		}
	}
	return best
}

func (s *scanner) Next() (lexer.Token, error) {
	for {
		if len(s.pending) > 0 {
			t := s.pending[0]
			s.pending = s.pending[1:]
			return t, nil
		}
		// A value ends at the end of its file, before the includer goes on.
		if b := s.St.Top(); b != nil && s.state == stVal {
			if err := s.value(b); err != nil {
				return lexer.Token{}, err
			}
			continue
		}
		b, eof := s.Buffer()
		if eof != nil {
			return *eof, nil
		}
		in := b.Rest()
		if n := skipLen(in); n > 0 {
			b.Advance(n)
			continue
		}
		if s.state == stRef {
			if t, ok := s.ref(b, in); ok {
				return t, nil
			}
			continue
		}
		t, ok, err := s.initial(b, in)
		if ok || err != nil {
			return t, err
		}
	}
}

// ref is the <ref> start condition after ':': section names with dots,
// separated by commas; anything else ends the references and is scanned
// again.
func (s *scanner) ref(b *files.Buffer, in []byte) (lexer.Token, bool) {
	switch {
	case in[0] == ',':
		return lex.Token(b, tokComma, ",", 1), true
	case isNameByte(in[0]):
		// {NAME}+(\.{NAME}+)*
		n := 0
		for {
			for n < len(in) && isNameByte(in[n]) {
				n++
			}
			if n+1 < len(in) && in[n] == '.' && isNameByte(in[n+1]) {
				n++
				continue
			}
			return lex.Token(b, tokName, string(in[:n]), n), true
		}
	}
	s.state = stInitial
	return lexer.Token{}, false
}

// punctuation are the INITIAL rules of one byte.
var punctuation = map[byte]lexer.TokenType{'{': tokLBrace, '}': tokRBrace, '.': tokDot, ',': tokComma, ':': tokColon, '=': tokEq}

// initial is the INITIAL start condition: punctuation, an include
// directive, or a name. ok is false when nothing was returned (an
// include).
func (s *scanner) initial(b *files.Buffer, in []byte) (lexer.Token, bool, error) {
	if t, ok := punctuation[in[0]]; ok {
		switch t {
		case tokColon:
			s.state = stRef
		case tokEq:
			s.state = stVal
		}
		return lex.Token(b, t, string(in[:1]), 1), true, nil
	}
	if in[0] == '"' {
		return lexer.Token{}, false, confparse.Errorf(b.Position(b.Pos), confparse.Fatal,
			"unexpected string detected (quoted strings are only allowed in values, after '=')")
	}
	n := 0
	for n < len(in) && isNameByte(in[n]) {
		n++
	}
	// "include"[\t ]+/[^=] beats the name "include".
	if m := lex.IncludeAt(in); n == 7 && m > 0 {
		start := b.Position(b.Pos)
		b.Advance(m)
		return lexer.Token{}, false, s.Include(b, start)
	}
	return lex.Token(b, tokName, string(in[:n]), n), true, nil
}

// value scans a whole value (the <val> start condition) into pending
// tokens: words and quoted strings, then the NEWLINE that ends it at a
// newline, '#', '}' (none of which it consumes) or the end of the file.
func (s *scanner) value(b *files.Buffer) error {
	for {
		in := b.Rest()
		if len(in) == 0 || in[0] == '\n' || in[0] == '#' || in[0] == '}' {
			p := b.Position(b.Pos)
			s.pending = append(s.pending, lexer.Token{Type: tokNewline, Value: "\n", Pos: lex.Pos(p, b.Pos)})
			s.state = stInitial
			return nil
		}
		if in[0] == '\r' || lex.IsBlank(in[0]) {
			b.Advance(1)
			continue
		}
		if in[0] == '"' {
			start, off := b.Position(b.Pos), b.Pos
			b.Advance(1)
			text, err := s.Quoted(b, start)
			if err != nil {
				return err
			}
			s.pending = append(s.pending, lexer.Token{Type: tokString, Value: lex.CString(text), Pos: lex.Pos(start, off)})
			continue
		}
		n := 0
		for n < len(in) && strings.IndexByte("#}\"\r\n\t ", in[n]) < 0 {
			n++
		}
		s.pending = append(s.pending, lex.Token(b, tokName, string(in[:n]), n))
	}
}
