package settings

import (
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/lex"
)

// The grammar of settings_parser.y:
//
//	statements: ( NEWLINE | section | setting )*
//	section:    NAME ( ':' NAME ( ',' NAME )* )? '{' statements '}'
//	setting:    NAME '=' ( NAME | STRING )*
type fileAST struct {
	Items []*itemAST `parser:"( @@ | Newline )*"`
}

type itemAST struct {
	Name    lexer.Token `parser:"@Name"`
	Section *sectionAST `parser:"( @@"`
	Setting *settingAST `parser:"| @@ )"`
}

type sectionAST struct {
	Refs  []*wordAST  `parser:"( Colon @@ ( Comma @@ )* )?"`
	Open  lexer.Token `parser:"@LBrace"`
	Items []*itemAST  `parser:"( @@ | Newline )*"`
	Close lexer.Token `parser:"@RBrace"`
}

type settingAST struct {
	Eq     lexer.Token `parser:"@Eq"`
	Values []*wordAST  `parser:"@@*"`
}

// wordAST wraps one token: participle keeps only the last of several
// tokens captured into a []lexer.Token.
type wordAST struct {
	T lexer.Token `parser:"@(Name | String)"`
}

var parser = participle.MustBuild[fileAST](
	participle.Lexer(definition{}),
	participle.UseLookahead(2),
)

// tokenNames turns participle's token names in messages into what a user
// would type.
var tokenNames = strings.NewReplacer(
	`unexpected token "<EOF>"`, "unexpected end of file",
	"<rbrace>", "'}'", "<lbrace>", "'{'", "<eq>", "'='", "<colon>", "':'",
	"<comma>", "','", "<dot>", "'.'", "<name>", "a name", "<string>", "a quoted string",
	"<newline>", "the end of the line",
)

func position(p lexer.Position) confparse.Position { return lex.Position(p) }

func parseTokens(sc *scanner) (*fileAST, error) {
	return lex.Parse(parser, sc, func(m string) string { return "syntax error: " + tokenNames.Replace(m) })
}
