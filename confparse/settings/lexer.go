package settings

import (
	"bytes"
	"io"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
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
	return &scanner{st: st}, nil
}

type state int

const (
	stInitial state = iota
	stRef           // after ':' until the '{': dotted section references
	stVal           // after '=' until the end of the line, '#' or '}'
)

// scanner emulates the settings scanner: longest match, ties to the rule
// listed first, start conditions, includes spliced in where they appear.
type scanner struct {
	st      *files.Stack
	state   state
	pending []lexer.Token
}

func lpos(p confparse.Position, off int) lexer.Position {
	return lexer.Position{Filename: p.File, Offset: off, Line: p.Line, Column: p.Column}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isNameByte is NAME: [^#{}:.,="\r\n\t ].
func isNameByte(c byte) bool {
	return strings.IndexByte("#{}:.,=\"\r\n\t ", c) < 0
}

func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// skipLen is the length of the blanks, comments and newlines the rules
// shared by the INITIAL and ref start conditions eat at the start of in:
//
//	[\t ]*#[^\r\n]*    [\t\r ]+    \n|#.*\n
func skipLen(in []byte) int {
	best := 0
	n := 0
	for n < len(in) && isBlank(in[n]) {
		n++
	}
	if n < len(in) && in[n] == '#' {
		m := n
		for m < len(in) && in[m] != '\r' && in[m] != '\n' {
			m++
		}
		best = m
	}
	ws := 0
	for ws < len(in) && (isBlank(in[ws]) || in[ws] == '\r') {
		ws++
	}
	if ws > best {
		best = ws
	}
	if len(in) > 0 && in[0] == '\n' && best < 1 {
		best = 1
	}
	if len(in) > 0 && in[0] == '#' {
		if nl := bytes.IndexByte(in, '\n'); nl >= 0 && nl+1 > best {
			best = nl + 1
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
		b := s.st.Top()
		if b == nil {
			return lexer.EOFToken(lexer.Position{}), nil
		}
		if s.state == stVal {
			if err := s.value(b); err != nil {
				return lexer.Token{}, err
			}
			continue
		}
		if b.Pos >= len(b.Data) {
			p := b.Position(b.Pos)
			if !s.st.EOF() {
				return lexer.EOFToken(lpos(p, len(b.Data))), nil
			}
			continue
		}
		in := b.Rest()
		start := b.Position(b.Pos)
		off := b.Pos
		tok := func(t lexer.TokenType, n int) (lexer.Token, error) {
			v := string(in[:n])
			b.Advance(n)
			return lexer.Token{Type: t, Value: cString(v), Pos: lpos(start, off)}, nil
		}
		if n := skipLen(in); n > 0 {
			// The skip rules are at least as long as any competing rule
			// where they match (no other rule starts with a blank, '#'
			// or a newline).
			b.Advance(n)
			continue
		}
		if s.state == stRef {
			switch {
			case in[0] == ',':
				return tok(tokComma, 1)
			case isNameByte(in[0]):
				// {NAME}+(\.{NAME}+)*
				n := 0
				for {
					m := n
					for m < len(in) && isNameByte(in[m]) {
						m++
					}
					if m == n {
						break
					}
					n = m
					if n+1 < len(in) && in[n] == '.' && isNameByte(in[n+1]) {
						n++
						continue
					}
					break
				}
				return tok(tokName, n)
			default:
				// Anything else ends the references; it is scanned again.
				s.state = stInitial
				continue
			}
		}
		switch c := in[0]; {
		case c == '{':
			return tok(tokLBrace, 1)
		case c == '}':
			return tok(tokRBrace, 1)
		case c == '.':
			return tok(tokDot, 1)
		case c == ',':
			return tok(tokComma, 1)
		case c == ':':
			s.state = stRef
			return tok(tokColon, 1)
		case c == '=':
			s.state = stVal
			return tok(tokEq, 1)
		case c == '"':
			return lexer.Token{}, confparse.Errorf(start, confparse.Fatal,
				"unexpected string detected (quoted strings are only allowed in values, after '=')")
		}
		n := 0
		for n < len(in) && isNameByte(in[n]) {
			n++
		}
		// "include"[\t ]+/[^=] beats the name "include".
		if n == 7 && bytes.HasPrefix(in, []byte("include")) {
			ws := 0
			for 7+ws < len(in) && isBlank(in[7+ws]) {
				ws++
			}
			if ws > 0 && 7+ws < len(in) && in[7+ws] != '=' {
				b.Advance(7 + ws)
				if err := s.include(b, start); err != nil {
					return lexer.Token{}, err
				}
				continue
			}
		}
		return tok(tokName, n)
	}
}

// value scans a whole value (the <val> start condition) into pending
// tokens: words and quoted strings, then the NEWLINE that ends it at a
// newline, '#', '}' (none of which it consumes) or the end of the file.
func (s *scanner) value(b *files.Buffer) error {
	for {
		in := b.Rest()
		if len(in) == 0 || in[0] == '\n' || in[0] == '#' || in[0] == '}' {
			p := b.Position(b.Pos)
			s.pending = append(s.pending, lexer.Token{Type: tokNewline, Value: "\n", Pos: lpos(p, b.Pos)})
			s.state = stInitial
			return nil
		}
		if in[0] == '\r' || isBlank(in[0]) {
			b.Advance(1)
			continue
		}
		start := b.Position(b.Pos)
		off := b.Pos
		if in[0] == '"' {
			b.Advance(1)
			text, err := quoted(b, start)
			if err != nil {
				return err
			}
			s.pending = append(s.pending, lexer.Token{Type: tokString, Value: cString(text), Pos: lpos(start, off)})
			continue
		}
		n := 0
		for n < len(in) && strings.IndexByte("#}\"\r\n\t ", in[n]) < 0 {
			n++
		}
		s.pending = append(s.pending, lexer.Token{Type: tokName, Value: cString(string(in[:n])), Pos: lpos(start, off)})
		b.Advance(n)
	}
}

// quoted scans a double-quoted string (the <str> start condition) after
// the opening quote. Carriage returns are dropped.
func quoted(b *files.Buffer, start confparse.Position) (string, error) {
	var out strings.Builder
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
			b.Advance(1)
		case '\\':
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
				b.Advance(2)
			case in[1] == '\r' && len(in) > 2 && in[2] == '\n':
				b.Advance(3)
			default:
				out.WriteByte(in[1])
				b.Advance(2)
			}
		default:
			n := bytes.IndexAny(in, "\\\"\r")
			if n < 0 {
				n = len(in)
			}
			out.Write(in[:n])
			b.Advance(n)
		}
	}
}

// include scans an include pattern (the <inc> start condition) and opens
// what it matches.
func (s *scanner) include(b *files.Buffer, start confparse.Position) error {
	var pat strings.Builder
	for {
		in := b.Rest()
		if len(in) == 0 || strings.IndexByte("#}\n\t ", in[0]) >= 0 {
			if len(in) > 0 && isBlank(in[0]) {
				b.Advance(1)
			}
			break
		}
		switch in[0] {
		case '\r':
			b.Advance(1)
			continue
		case '"':
			b.Advance(1)
			text, err := quoted(b, start)
			if err != nil {
				return err
			}
			pat.WriteString(text)
			s.st.Include(start, cString(pat.String()))
			return nil
		case '\\':
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
		for n < len(in) && strings.IndexByte("\"\\#}\r\n\t ", in[n]) < 0 {
			n++
		}
		pat.Write(in[:n])
		b.Advance(n)
	}
	s.st.Include(start, cString(pat.String()))
	return nil
}
