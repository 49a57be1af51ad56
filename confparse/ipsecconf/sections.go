package ipsecconf

import (
	"sort"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goswan/goswan/confparse"
)

type sectionKind int

const (
	kindSetup sectionKind = iota
	kindConn
	kindCA
)

func (k sectionKind) String() string {
	return [...]string{"config setup", "conn", "ca"}[k]
}

// rawSetting is one key of a section; a nil value is "key=" (unset, and it
// hides what the section would inherit).
type rawSetting struct {
	key   string
	value *string
	pos   confparse.Position
}

type alsoRef struct {
	name string
	pos  confparse.Position
}

// section is conf_parser.c's section_t: settings merged from every
// definition of the section, its also= references (most important first,
// i.e. the last one written first), and, once resolved, its linearized
// parents ending with %default.
type section struct {
	kind     sectionKind
	name     string
	pos      confparse.Position
	settings map[string]*rawSetting
	sorted   []*rawSetting
	also     []alsoRef
	parents  []*section
	resolved bool
}

func (s *section) label() string {
	if s.kind == kindSetup {
		return "config setup"
	}
	return s.kind.String() + " " + s.name
}

func (s *section) sortedSettings() []*rawSetting {
	if s.sorted == nil {
		for _, v := range s.settings {
			s.sorted = append(s.sorted, v)
		}
		// strcmp order, as conf_parser.c keeps its settings array sorted.
		sort.Slice(s.sorted, func(i, j int) bool { return s.sorted[i].key < s.sorted[j].key })
	}
	return s.sorted
}

// store collects sections as conf_parser.c does while the file is parsed.
type store struct {
	setup    *section
	conns    map[string]*section
	connList []*section // order of first appearance (conns_order)
	cas      map[string]*section
	caList   []*section // the hashtable's insertion order
	current  *section
	problems confparse.Errors
}

func newStore() *store {
	return &store{
		setup: &section{kind: kindSetup, settings: map[string]*rawSetting{}},
		conns: map[string]*section{},
		cas:   map[string]*section{},
	}
}

func (st *store) addSection(kind sectionKind, name string, pos confparse.Position) {
	var m map[string]*section
	var list *[]*section
	switch kind {
	case kindSetup:
		st.current = st.setup
		if st.setup.pos.File == "" {
			st.setup.pos = pos
		}
		return
	case kindConn:
		m, list = st.conns, &st.connList
	default:
		m, list = st.cas, &st.caList
	}
	sec := m[name]
	if sec == nil {
		sec = &section{kind: kind, name: name, pos: pos, settings: map[string]*rawSetting{}}
		m[name] = sec
		*list = append(*list, sec)
	}
	st.current = sec
}

func (st *store) addSetting(key lexer.Token, value *string) {
	pos := position(key.Pos)
	sec := st.current
	if sec == nil {
		st.problems = append(st.problems, confparse.Errorf(pos, confparse.Warning,
			"setting '%s' before any section is ignored", key.Value))
		return
	}
	if key.Value == "also" {
		if value == nil || *value == "" || *value == "%default" {
			// Every section inherits from %default anyway.
			return
		}
		sec.also = append([]alsoRef{{name: *value, pos: pos}}, sec.also...)
		return
	}
	sec.settings[key.Value] = &rawSetting{key: key.Value, value: value, pos: pos}
	sec.sorted = nil
}

// resolveAlso linearizes the also= parents of every section of one kind, as
// conf_parser.c's resolve_also does: depth first, bottom first, keeping only
// the last occurrence of a section, with %default as the least important
// parent of everything. A missing section or a loop is fatal.
func (st *store) resolveAlso(m map[string]*section, list []*section) {
	def := m["%default"]
	if def != nil {
		// %default has no parents; also= inside it is ignored.
		def.resolved = true
	}
	var stack []*section
	var resolve func(s *section) bool
	resolve = func(s *section) bool {
		stack = append(stack, s)
		defer func() { stack = stack[:len(stack)-1] }()
		ok := true
		var parents []*section
		kept := s.also[:0]
		for _, ref := range s.also {
			parent := m[ref.name]
			if parent == nil {
				st.problem(ref.pos, "section '%s' referenced in section '%s' not found (expected a %s section of that name)",
					ref.name, s.name, s.kind)
				ok = false
				continue
			}
			loop := false
			for _, on := range stack {
				if on == parent {
					loop = true
				}
			}
			if loop {
				st.problem(ref.pos, "section '%s' referenced in section '%s' causes a loop", parent.name, s.name)
				ok = false
				continue
			}
			kept = append(kept, ref)
			if !parent.resolved && !resolve(parent) {
				ok = false
				continue
			}
			parents = append(parents, parent)
			parents = append(parents, parent.parents...)
		}
		s.also = kept
		if !ok {
			return false
		}
		if def != nil && len(parents) == 0 {
			parents = append(parents, def)
		}
		// Keep the last occurrence of each section only.
		for i, p := range parents {
			last := true
			for _, later := range parents[i+1:] {
				if later.name == p.name {
					last = false
				}
			}
			if last {
				s.parents = append(s.parents, p)
			}
		}
		s.resolved = true
		return true
	}
	for _, s := range list {
		if !s.resolved {
			resolve(s)
		}
	}
}

func (st *store) problem(pos confparse.Position, format string, args ...any) {
	e := confparse.Errorf(pos, confparse.Fatal, format, args...)
	for _, p := range st.problems {
		if p.Pos == e.Pos && p.Msg == e.Msg {
			return
		}
	}
	st.problems = append(st.problems, e)
}

// effective enumerates a section's settings as starter's dictionary
// enumerator does: the section's own keys in strcmp order, then each
// parent's in turn, each key once; a key set to nothing hides the key in
// the parents and is not returned.
func (s *section) effective() []effectiveSetting {
	seen := map[string]bool{}
	var out []effectiveSetting
	add := func(from *section) {
		for _, kv := range from.sortedSettings() {
			if seen[kv.key] {
				continue
			}
			seen[kv.key] = true
			if kv.value == nil {
				continue
			}
			out = append(out, effectiveSetting{rawSetting: kv, from: from})
		}
	}
	add(s)
	for _, p := range s.parents {
		add(p)
	}
	return out
}

type effectiveSetting struct {
	*rawSetting
	from *section
}
