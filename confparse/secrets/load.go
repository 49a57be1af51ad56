package secrets

import (
	"bytes"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
	"github.com/goswan/goswan/credentials"
)

// DefaultPath is charon.plugins.stroke.secrets_file's default.
const DefaultPath = "/etc/ipsec.secrets"

// PrivateKeyDir is where relative key file names are looked up.
const PrivateKeyDir = "/etc/ipsec.d/private"

// maxIncludeDepth is MAX_SECRETS_RECURSION.
const maxIncludeDepth = 10

// Options adjust a load; the zero value reads the real file system.
type Options struct {
	FS            files.FS
	PrivateKeyDir string // PrivateKeyDir when empty
}

// Secrets is ipsec.secrets as charon loaded it.
type Secrets struct {
	// Entries are the lines charon loaded, includes expanded in place.
	Entries []*Secret
	// Problems holds errors and warnings. An error stops the reading of
	// the file it is in (the lines before it and the other files still
	// count), as in charon.
	Problems confparse.Errors
	Files    []string
}

type loader struct {
	fs      files.FS
	keyDir  string
	out     *Secrets
	reading []any // identities of the files being read, for loop detection
}

// Load reads path and its includes. The returned Secrets hold what charon
// would use; the error lists the problems that made it skip part of the
// input (nil when everything was read).
func Load(path string, opts *Options) (*Secrets, error) {
	ld := newLoader(opts)
	data, id, err := ld.fs.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		ld.out.Problems = append(ld.out.Problems, confparse.Errorf(confparse.Position{File: path}, confparse.Fatal,
			"opening secrets file '%s' failed: %v", path, err))
		return ld.out, ld.out.Problems
	}
	ld.file(path, id, data, 0)
	return ld.result()
}

// Parse reads secrets given as bytes, name giving positions and the base
// of relative includes.
func Parse(name string, src []byte, opts *Options) (*Secrets, error) {
	ld := newLoader(opts)
	ld.file(name, ld.fs.Identify(name), src, 0)
	return ld.result()
}

func newLoader(opts *Options) *loader {
	ld := &loader{fs: files.OS{}, keyDir: PrivateKeyDir, out: &Secrets{}}
	if opts != nil && opts.FS != nil {
		ld.fs = opts.FS
	}
	if opts != nil && opts.PrivateKeyDir != "" {
		ld.keyDir = opts.PrivateKeyDir
	}
	return ld
}

func (ld *loader) result() (*Secrets, error) {
	var bad confparse.Errors
	for _, p := range ld.out.Problems {
		if p.Severity != confparse.Warning {
			bad = append(bad, p)
		}
	}
	return ld.out, bad.Err()
}

// file is load_secrets for one file.
func (ld *loader) file(name string, id any, data []byte, level int) {
	ld.out.Files = append(ld.out.Files, name)
	ld.reading = append(ld.reading, id)
	defer func() { ld.reading = ld.reading[:len(ld.reading)-1] }()
	lineNr := 0
	for len(data) > 0 {
		lineNr++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
			line = bytes.TrimSuffix(line, []byte("\r"))
		} else {
			line, data = data, nil
		}
		indent := 0
		for indent < len(line) && (line[indent] == ' ' || line[indent] == '\t') {
			indent++
		}
		rest := string(line[indent:])
		if rest == "" || rest[0] == '#' {
			continue
		}
		pos := confparse.Position{File: name, Line: lineNr, Column: indent + 1}
		if len(rest) > len("include ") && strings.HasPrefix(rest, "include ") {
			ld.include(pos, name, rest[len("include "):], level)
			continue
		}
		if err := ld.entry(pos, rest); err != nil {
			err.Msg += "; charon ignores the rest of this file"
			ld.out.Problems = append(ld.out.Problems, err)
			return
		}
	}
}

func (ld *loader) include(pos confparse.Position, from, pattern string, level int) {
	if level > maxIncludeDepth {
		ld.out.Problems = append(ld.out.Problems, confparse.Errorf(pos, confparse.Warning,
			"maximum level of %d includes reached, ignored", maxIncludeDepth))
		return
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[:i]
	}
	if pattern == "" || pattern[0] != '/' {
		pattern = path.Dir(from) + "/" + pattern
	}
	matches, err := files.Glob(ld.fs, pattern)
	if err != nil || len(matches) == 0 {
		ld.out.Problems = append(ld.out.Problems, confparse.Errorf(pos, confparse.Warning,
			"expanding file expression '%s' failed (no files match)", pattern))
		return
	}
	for _, m := range matches {
		data, id, err := ld.fs.ReadFile(m)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			ld.out.Problems = append(ld.out.Problems, confparse.Errorf(pos, confparse.Warning,
				"opening secrets file '%s' failed: %v", m, err))
			continue
		}
		loop := false
		for _, r := range ld.reading {
			if r != nil && r == id {
				loop = true
			}
		}
		if loop {
			// charon stops such a loop only at its include depth limit,
			// reading the files again and again; once is what was meant.
			ld.out.Problems = append(ld.out.Problems, confparse.Errorf(pos, confparse.Warning,
				"include loop: '%s' is already being read, ignored", m))
			continue
		}
		ld.file(m, id, data, level+1)
	}
}

var kindByName = func() map[string]Kind {
	m := map[string]Kind{}
	for i, n := range kindNames {
		m[n] = Kind(i)
	}
	return m
}()

func colPos(base confparse.Position, t lexer.Token) confparse.Position {
	base.Column += t.Pos.Column - 1
	return base
}

// entry reads one "[selectors] : TYPE ..." line (rest starts after the
// leading white space, at pos).
func (ld *loader) entry(pos confparse.Position, rest string) *confparse.Error {
	var ids string
	var after string
	afterCol := 0
	switch {
	case len(rest) > 2 && strings.HasPrefix(rest, ": "):
		after, afterCol = rest[1:], 1
	default:
		i := strings.Index(rest, " : ")
		if i < 0 {
			return confparse.Errorf(pos, confparse.Dropped, "missing ' : ' separator (expected 'SELECTORS : TYPE SECRET' or ': TYPE SECRET')")
		}
		ids, after, afterCol = rest[:i], rest[i+2:], i+2
	}
	ast, err := entryParser.ParseString("", after)
	if err != nil {
		return confparse.Errorf(pos, confparse.Dropped, "%v", err)
	}
	at := pos
	at.Column += afterCol
	if ast.Type == nil || ast.Type.Rest == nil {
		return confparse.Errorf(at, confparse.Dropped, "missing token (expected one of %s followed by a blank)", strings.Join(kindNames, ", "))
	}
	kind, ok := kindByName[ast.Type.Word.Value]
	if !ok {
		return confparse.Errorf(colPos(at, ast.Type.Word), confparse.Dropped,
			"token must be either RSA, ECDSA, BLISS, PKCS8, P12, PIN, PSK, EAP, XAUTH or NTLM, not '%s'", ast.Type.Word.Value)
	}
	s := &Secret{Pos: pos, Kind: kind, Selectors: ids}
	args := ast.Type.Rest.Args
	var e *confparse.Error
	switch {
	case kind.IsShared():
		e = ld.shared(s, at, args)
	case kind == PIN:
		e = pinSecret(s, at, args)
	default:
		e = ld.keyFile(s, at, args)
	}
	if e != nil {
		return e
	}
	ld.out.Entries = append(ld.out.Entries, s)
	return nil
}

// shared is a PSK, EAP, XAUTH or NTLM secret with its owners.
func (ld *loader) shared(s *Secret, at confparse.Position, args []*argAST) *confparse.Error {
	if len(args) == 0 {
		return confparse.Errorf(at, confparse.Dropped, "malformed secret: missing secret (expected a quoted string, 0x hex, 0s base64 or a word)")
	}
	key, e := secretArg(colPos(at, args[0].T), args[0].T)
	if e != nil {
		return e
	}
	s.Key = key
	s.Owners, e = ld.owners(s.Pos, s.Selectors)
	return e
}

// pinSecret is a PIN: a %smartcard specifier and the PIN (or %prompt).
func pinSecret(s *Secret, at confparse.Position, args []*argAST) *confparse.Error {
	if len(args) == 0 {
		return confparse.Errorf(at, confparse.Dropped, "expected %%smartcard specifier")
	}
	scPos := colPos(at, args[0].T)
	sc, e := valueArg(scPos, args[0].T)
	switch {
	case e != nil:
		return e
	case sc == "":
		return confparse.Errorf(scPos, confparse.Dropped, "expected %%smartcard specifier")
	case !validSmartcard(sc):
		return confparse.Errorf(scPos, confparse.Dropped,
			"the given %%smartcard specifier is not supported or invalid (expected %%smartcard[SLOT[@MODULE]]:KEYID)")
	case len(args) < 2:
		return confparse.Errorf(scPos, confparse.Dropped, "expected PIN after the %%smartcard specifier")
	}
	s.Smartcard = sc
	pin, e := secretArg(colPos(at, args[1].T), args[1].T)
	if e != nil {
		return e
	}
	if string(pin) == "%prompt" {
		s.Prompt = true
	} else {
		s.Key = pin
	}
	s.Owners = []*credentials.Identity{credentials.Any()}
	return nil
}

// keyFile is an RSA, ECDSA, BLISS, PKCS8 or P12 entry: a key file, relative
// to the key directory, and up to two passphrases (or %prompt).
func (ld *loader) keyFile(s *Secret, at confparse.Position, args []*argAST) *confparse.Error {
	if len(args) == 0 {
		return confparse.Errorf(at, confparse.Dropped, "empty filename (expected a key file name)")
	}
	file, e := valueArg(colPos(at, args[0].T), args[0].T)
	if e != nil {
		return e
	}
	if file == "" {
		return confparse.Errorf(colPos(at, args[0].T), confparse.Dropped, "empty filename (expected a key file name)")
	}
	if file[0] != '/' {
		file = ld.keyDir + "/" + file
	}
	s.File = file
	s.Owners = []*credentials.Identity{credentials.Any()}
	for i, a := range args[1:min(len(args), 3)] {
		pass, e := secretArg(colPos(at, a.T), a.T)
		if e != nil {
			return e
		}
		if i == 0 && string(pass) == "%prompt" {
			s.Prompt = true
			break
		}
		s.Passphrases = append(s.Passphrases, pass)
	}
	return nil
}

// valueArg is extract_value: a word or a quoted string, as is.
func valueArg(pos confparse.Position, t lexer.Token) (string, *confparse.Error) {
	switch t.Type {
	case lineLexer.Symbols()["DQ"], lineLexer.Symbols()["SQ"]:
		return t.Value[1 : len(t.Value)-1], nil
	case lineLexer.Symbols()["Unterminated"]:
		return "", confparse.Errorf(pos, confparse.Dropped, "missing second delimiter (expected a closing %c)", t.Value[0])
	}
	return t.Value, nil
}

// secretArg is extract_secret: a quoted string is taken as is, a word
// starting with 0x is hex and with 0s base64 (when longer than the
// prefix), any other word is taken as is.
func secretArg(pos confparse.Position, t lexer.Token) ([]byte, *confparse.Error) {
	v, err := valueArg(pos, t)
	if err != nil {
		return nil, err
	}
	if t.Type == lineLexer.Symbols()["Word"] && len(v) > 2 {
		switch strings.ToLower(v[:2]) {
		case "0x":
			return credentials.DecodeHex(v[2:]), nil
		case "0s":
			return fromBase64(v[2:]), nil
		}
	}
	return []byte(v), nil
}

// owners reads the identities before the separator (load_shared).
func (ld *loader) owners(pos confparse.Position, ids string) ([]*credentials.Identity, *confparse.Error) {
	var out []*credentials.Identity
	if strings.TrimLeft(ids, " \t") != "" {
		ast, err := selectorsParser.ParseString("", ids)
		if err != nil {
			return nil, confparse.Errorf(pos, confparse.Dropped, "%v", err)
		}
		if ast.List.Comment != nil {
			// charon's extract_value never gets past a '#' here and loops
			// forever; reject the line instead.
			return nil, confparse.Errorf(colPos(pos, ast.List.Comment.T), confparse.Dropped,
				"an identity cannot start with '#' (strongSwan hangs on this line; quote it)")
		}
		for _, a := range ast.List.Args {
			v, e := valueArg(colPos(pos, a.T), a.T)
			if e != nil {
				return nil, e
			}
			if v == "" {
				continue
			}
			out = append(out, credentials.ParseIdentity(v))
		}
	}
	if len(out) == 0 {
		out = append(out, credentials.Any())
	}
	return out, nil
}

// validSmartcard checks the forms parse_smartcard accepts:
// %smartcard:KEYID, %smartcardSLOT:KEYID, %smartcardSLOT@MODULE:KEYID.
func validSmartcard(s string) bool {
	rest, ok := strings.CutPrefix(s, "%smartcard")
	if !ok {
		return false
	}
	digits := func(s string) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return s != ""
	}
	if slot, module, ok := strings.Cut(rest, "@"); ok && digits(slot) {
		// The key id may be empty in this form.
		return strings.Contains(module, ":")
	}
	slot, keyid, ok := strings.Cut(rest, ":")
	return ok && keyid != "" && (slot == "" || digits(slot))
}
