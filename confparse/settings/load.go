package settings

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
)

// DefaultPath is where Debian's libstrongswan reads strongswan.conf when
// STRONGSWAN_CONF is not set.
const DefaultPath = "/etc/strongswan.conf"

// Path is the file libstrongswan reads: $STRONGSWAN_CONF if it is set (even
// to an empty string, which means no file), DefaultPath otherwise.
func Path() string {
	if p, ok := os.LookupEnv("STRONGSWAN_CONF"); ok {
		return p
	}
	return DefaultPath
}

// Settings is strongswan.conf as libstrongswan holds it.
type Settings struct {
	Root *Section
	// Problems holds every error and warning found while loading.
	Problems confparse.Errors
	// Files lists the files read, the main file first.
	Files []string
}

// Options adjust a load; the zero value reads the real file system.
type Options struct {
	FS files.FS
}

func (o *Options) fs() files.FS {
	if o == nil || o.FS == nil {
		return files.OS{}
	}
	return o.FS
}

// Empty is what libstrongswan uses when there is no usable file: every
// lookup returns its default.
func Empty() *Settings {
	return &Settings{Root: newSection("", confparse.Position{})}
}

// LoadDefault loads Path().
func LoadDefault(opts *Options) (*Settings, error) {
	return Load(Path(), opts)
}

// Load reads strongswan.conf and its includes. libstrongswan uses a file
// only if all of it parses: on any error it keeps its defaults, and so does
// Load, returning Empty settings (with the Problems found) and the fatal
// errors. An empty path yields Empty settings and no error.
func Load(path string, opts *Options) (*Settings, error) {
	if path == "" {
		return Empty(), nil
	}
	st := &files.Stack{FS: opts.fs()}
	if err := st.OpenMain(path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		s := Empty()
		s.Problems = confparse.Errors{confparse.Errorf(confparse.Position{File: path}, confparse.Fatal,
			"failed to open config file '%s': %v", path, err)}
		return s, s.Problems
	}
	return load(st)
}

// Parse reads strongswan.conf content given as bytes; name is used in
// positions and as the base of relative includes.
func Parse(name string, src []byte, opts *Options) (*Settings, error) {
	st := &files.Stack{FS: opts.fs()}
	st.OpenBytes(name, src)
	return load(st)
}

func load(st *files.Stack) (*Settings, error) {
	sc := newScanner(st)
	ast, err := parseTokens(sc)
	s := Empty()
	s.Files = st.Files()
	s.Problems = append(s.Problems, st.Problems...)
	if err != nil {
		var ce *confparse.Error
		if !errors.As(err, &ce) {
			ce = confparse.Errorf(confparse.Position{}, confparse.Fatal, "%v", err)
		}
		s.Problems = append(s.Problems, ce)
	}
	if fatal := s.Problems.Filter(confparse.Fatal); len(fatal) > 0 {
		return s, fatal
	}
	build(s.Root, ast.Items)
	return s, nil
}

func build(sec *Section, items []*itemAST) {
	for _, it := range items {
		name := it.Name.Value
		pos := position(it.Name.Pos)
		if it.Section != nil {
			child := sec.child(name, pos)
			for _, r := range it.Section.Refs {
				child.addReference(Reference{Name: r.T.Value, Pos: position(r.T.Pos)})
			}
			build(child, it.Section.Items)
			continue
		}
		kv := &KV{Key: name, Pos: pos}
		if vals := it.Setting.Values; len(vals) > 0 {
			words := make([]string, len(vals))
			for i, v := range vals {
				words[i] = v.T.Value
			}
			// Words are joined by a single space, as the parser does.
			kv.Value, kv.HasValue = strings.Join(words, " "), true
		}
		sec.set(kv)
	}
}
