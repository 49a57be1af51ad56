package ipsecconf

import (
	"fmt"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/lex"
)

// The grammar accepts every token sequence and leaves the judgement to
// checkItem, which rejects exactly what starter's bison grammar
// (src/starter/parser/parser.y) rejects, with a message that says what was
// expected instead of bison's "syntax error".
//
//	statements: ( NEWLINE | section | SPACES setting? )*
//	section:    (CONFIG_SETUP | CONN | CA) STRING?
//	setting:    STRING EQ STRING*
type fileAST struct {
	Items []*itemAST `parser:"@@*"`
}

type itemAST struct {
	Newline  bool         `parser:"  @Newline"`
	Header   *headerAST   `parser:"| @@"`
	Indented *indentedAST `parser:"| @@"`
	Stray    []*wordAST   `parser:"| @@+"`
}

type headerAST struct {
	Kind  lexer.Token `parser:"@(ConfigSetup | Conn | CA)"`
	Words []*wordAST  `parser:"@@*"`
}

type indentedAST struct {
	Indent  lexer.Token `parser:"@Spaces"`
	Setting *settingAST `parser:"@@?"`
}

type settingAST struct {
	Key  lexer.Token `parser:"@String"`
	Rest []*wordAST  `parser:"@@*"`
}

// wordAST wraps one token: participle stores only the last of several
// tokens captured into a []lexer.Token.
type wordAST struct {
	T lexer.Token `parser:"@(String | Eq)"`
}

var parser = participle.MustBuild[fileAST](
	participle.Lexer(definition{}),
	participle.UseLookahead(1),
)

func position(p lexer.Position) confparse.Position { return lex.Position(p) }

// parseTokens runs the grammar over the scanner's token stream; checkItem
// words its errors, so participle's message stays as it is.
func parseTokens(sc *scanner) (*fileAST, error) {
	return lex.Parse(parser, sc, func(m string) string { return m })
}

func describe(t lexer.Token) string {
	switch lexer.TokenType(t.Type) {
	case tokEq:
		return "'='"
	case tokString:
		return fmt.Sprintf("%q", t.Value)
	}
	return fmt.Sprintf("%q", t.Value)
}
