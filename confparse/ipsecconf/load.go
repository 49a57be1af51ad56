package ipsecconf

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
	"github.com/goswan/goswan/internal/netdb"
)

// DefaultPath is where starter reads ipsec.conf (starter.config_file).
const DefaultPath = "/etc/ipsec.conf"

// Config is an ipsec.conf as starter loaded it.
type Config struct {
	Setup Setup
	// CAs and Conns are the sections starter loaded, in the order it sends
	// them (order of first appearance), including those with auto=ignore,
	// which it loads but does not send. Sections named %default are not
	// among them.
	CAs   []*CA
	Conns []*Conn
	// Dropped lists the conn and ca sections starter ignores because of
	// errors ("# ignored conn 'x' due to 1 parsing error"); the errors are in
	// Problems with their Section set.
	Dropped []string
	// Sections lists every ca and conn section starter loaded, dropped ones
	// included, as "ca NAME" or "conn NAME", in the order it loaded them
	// (all ca sections first). starter logs "Loading ..." in this order.
	Sections []string
	// Problems holds every error and warning, fatal ones included, in the
	// order found.
	Problems confparse.Errors
	// Files lists the files read, the main file first.
	Files []string

	netdb *netdb.DB
}

// Options adjust a load. The zero value reads the real file system and the
// system's /etc/protocols and /etc/services.
type Options struct {
	// FS is where files and includes are read from; nil means the OS.
	FS files.FS
	// NetDB resolves protocol and service names in leftprotoport; nil means
	// the system's databases.
	NetDB *netdb.DB
}

func (o *Options) fs() files.FS {
	if o == nil || o.FS == nil {
		return files.OS{}
	}
	return o.FS
}

func (o *Options) netdb() *netdb.DB {
	if o == nil || o.NetDB == nil {
		return netdb.System()
	}
	return o.NetDB
}

// Load reads an ipsec.conf file and its includes. The error is non-nil
// exactly when starter would refuse the file ("unable to start strongSwan
// -- fatal errors in config"); it is a confparse.Errors holding the fatal
// problems. The Config is returned in either case, with everything that
// could be made of the file, so that all problems can be shown at once.
func Load(path string, opts *Options) (*Config, error) {
	st := &files.Stack{FS: opts.fs()}
	if err := st.OpenMain(path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		cfg := &Config{netdb: opts.netdb(), Problems: confparse.Errors{confparse.Errorf(confparse.Position{File: path}, confparse.Fatal,
			"failed to open config file '%s': %v", path, err)}}
		return cfg, cfg.Problems.Filter(confparse.Fatal).Err()
	}
	return load(st, opts)
}

// Parse reads ipsec.conf content given as bytes; name is used in positions
// and as the base for relative includes.
func Parse(name string, src []byte, opts *Options) (*Config, error) {
	st := &files.Stack{FS: opts.fs()}
	st.OpenBytes(name, src)
	return load(st, opts)
}

func load(st *files.Stack, opts *Options) (*Config, error) {
	cfg := &Config{netdb: opts.netdb()}
	sc := newScanner(st)
	ast, err := parseTokens(sc)
	cfg.Files = st.Files()
	cfg.Problems = append(cfg.Problems, st.Problems...)
	if err != nil {
		var ce *confparse.Error
		if !errors.As(err, &ce) {
			ce = confparse.Errorf(confparse.Position{}, confparse.Fatal, "%v", err)
		}
		cfg.Problems = append(cfg.Problems, ce)
		return cfg, cfg.Problems.Filter(confparse.Fatal).Err()
	}
	store := newStore()
	for _, it := range ast.Items {
		checkItem(it, store)
	}
	store.resolveAlso(store.conns, store.connList)
	store.resolveAlso(store.cas, store.caList)
	cfg.Problems = append(cfg.Problems, store.problems...)

	ld := &loader{cfg: cfg, netdb: opts.netdb()}
	ld.loadSetup(store.setup)
	for _, s := range store.caList {
		if s.name != "%default" {
			cfg.Sections = append(cfg.Sections, s.label())
			ld.loadCA(s)
		}
	}
	for _, s := range store.connList {
		if s.name != "%default" {
			cfg.Sections = append(cfg.Sections, s.label())
			ld.loadConn(s)
		}
	}
	return cfg, cfg.Problems.Filter(confparse.Fatal).Err()
}

// checkItem applies one statement to the store, reporting what starter's
// grammar would reject.
func checkItem(it *itemAST, st *store) {
	fatal := func(t lexer.Token, format string, args ...any) {
		st.problems = append(st.problems, confparse.Errorf(position(t.Pos), confparse.Fatal, format, args...))
	}
	switch {
	case it.Header != nil:
		h := it.Header
		kind := map[lexer.TokenType]sectionKind{tokConfigSetup: kindSetup, tokConn: kindConn, tokCA: kindCA}[h.Kind.Type]
		for i, ww := range h.Words {
			w := ww.T
			switch {
			case w.Type == tokEq:
				fatal(w, "syntax error: unexpected '=' after '%s' (a section header is '%s NAME' on a line of its own)", h.Kind.Value, h.Kind.Value)
				return
			case i > 0:
				fatal(w, "syntax error: unexpected %s after section name %q (expected the end of the line; quote names that contain spaces)", describe(w), h.Words[0].T.Value)
				return
			}
		}
		name := ""
		if len(h.Words) > 0 {
			name = h.Words[0].T.Value
		}
		if kind != kindSetup && name == "" {
			fatal(h.Kind, "section name missing (expected '%s NAME')", h.Kind.Value)
			return
		}
		st.addSection(kind, name, position(h.Kind.Pos))
	case it.Indented != nil && it.Indented.Setting != nil:
		s := it.Indented.Setting
		if len(s.Rest) == 0 || s.Rest[0].T.Type != tokEq {
			fatal(s.Key, "missing value for setting '%s' (expected '%s=VALUE', or '%s=' to unset it)", s.Key.Value, s.Key.Value, s.Key.Value)
			return
		}
		if s.Key.Value == "" {
			fatal(s.Key, "setting name can't be empty")
			return
		}
		words := make([]string, 0, len(s.Rest)-1)
		for _, ww := range s.Rest[1:] {
			w := ww.T
			if w.Type == tokEq {
				fatal(w, "syntax error: unexpected '=' in the value of '%s' (quote values that contain '=')", s.Key.Value)
				return
			}
			words = append(words, w.Value)
		}
		if len(words) == 0 {
			st.addSetting(s.Key, nil)
			return
		}
		// starter joins unquoted words with single spaces.
		v := strings.Join(words, " ")
		st.addSetting(s.Key, &v)
	case len(it.Stray) > 0:
		w := it.Stray[0].T
		if w.Type == tokEq {
			fatal(w, "syntax error: unexpected '=' at the start of a line")
			return
		}
		if strings.HasPrefix(w.Value, "\r") {
			fatal(w, "syntax error: a carriage return at the start of a line (DOS line endings are not accepted; convert the file with dos2unix)")
			return
		}
		fatal(w, "syntax error: %s at the start of a line (settings must be indented; a section starts with 'config setup', 'conn NAME' or 'ca NAME')", describe(w))
	}
}
