package secrets

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// An ipsec.secrets line is not a grammar strongSwan spells out: stroke_cred.c
// scans it with lexparser.c's helpers. Load splits the file into lines and a
// line at its first " : " (or a leading ": ") as load_secrets does; the
// parts are then read with this grammar, whose tokens are those helpers'
// rules: words end at a space or tab, a word starting with ' or " runs to
// the next same quote (no escapes), and '#' after white space ends what is
// read.
var lineLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "WS", Pattern: `[ \t]+`},
	{Name: "Comment", Pattern: `#.*`},
	{Name: "DQ", Pattern: `"[^"]*"`},
	{Name: "SQ", Pattern: `'[^']*'`},
	{Name: "Unterminated", Pattern: `["'].*`},
	{Name: "Word", Pattern: `[^ \t]+`},
})

// entryAST is what follows the separator: "TYPE ARG ARG...".
//
//	entry: WS? ( Word ( WS args )? )? Comment?
//	args:  ( arg WS? )* Comment?
//	arg:   DQ | SQ | Unterminated | Word
type entryAST struct {
	Type    *typeAST    `parser:"WS? @@?"`
	Comment *commentAST `parser:"@@?"`
}

type typeAST struct {
	Word lexer.Token `parser:"@Word"`
	Rest *argsAST    `parser:"( WS @@ )?"`
}

type argsAST struct {
	Args    []*argAST   `parser:"( @@ WS? )*"`
	Comment *commentAST `parser:"@@?"`
}

type argAST struct {
	T lexer.Token `parser:"@(DQ | SQ | Unterminated | Word)"`
}

type commentAST struct {
	T lexer.Token `parser:"@Comment"`
}

// selectorsAST is the identity list before the separator.
type selectorsAST struct {
	Lead *string  `parser:"WS?"`
	List *argsAST `parser:"@@"`
}

var (
	entryParser     = participle.MustBuild[entryAST](participle.Lexer(lineLexer))
	selectorsParser = participle.MustBuild[selectorsAST](participle.Lexer(lineLexer))
)
