package settings

import "github.com/goswan/goswan/confparse"

// Section is a section of strongswan.conf with everything every definition
// of it contributed (settings_types.c section_t): subsections and keys in
// the order they first appeared, and references ("name : other { }").
type Section struct {
	Name string
	Pos  confparse.Position // first definition

	sections   map[string]*Section
	order      []*Section
	kvs        map[string]*KV
	kvOrder    []*KV
	References []Reference
}

// KV is a key and its value. A key written without a value ("key =")
// exists but has no value: lookups return the default, and it hides the
// key in referenced sections.
type KV struct {
	Key      string
	Value    string
	HasValue bool
	Pos      confparse.Position // last definition
}

// Reference is a section a section falls back to.
type Reference struct {
	Name string
	Pos  confparse.Position
}

func newSection(name string, pos confparse.Position) *Section {
	return &Section{Name: name, Pos: pos, sections: map[string]*Section{}, kvs: map[string]*KV{}}
}

// Child returns the subsection name, or nil.
func (s *Section) Child(name string) *Section { return s.sections[name] }

// Children lists the subsections in order of first appearance.
func (s *Section) Children() []*Section { return append([]*Section(nil), s.order...) }

// Get returns the key name, or nil.
func (s *Section) Get(name string) *KV { return s.kvs[name] }

// KVs lists the keys in order of first appearance.
func (s *Section) KVs() []*KV { return append([]*KV(nil), s.kvOrder...) }

// child returns the subsection name, creating it as settings_section_add
// does: a repeated section extends the first one.
func (s *Section) child(name string, pos confparse.Position) *Section {
	if c := s.sections[name]; c != nil {
		return c
	}
	c := newSection(name, pos)
	s.sections[name] = c
	s.order = append(s.order, c)
	return c
}

// set adds or replaces a key (settings_kv_add): a replaced key keeps its
// place in the order.
func (s *Section) set(kv *KV) {
	if old := s.kvs[kv.Key]; old != nil {
		old.Value, old.HasValue, old.Pos = kv.Value, kv.HasValue, kv.Pos
		return
	}
	s.kvs[kv.Key] = kv
	s.kvOrder = append(s.kvOrder, kv)
}

// addReference appends a reference unless the section has it already.
func (s *Section) addReference(r Reference) {
	for _, have := range s.References {
		if have.Name == r.Name {
			return
		}
	}
	s.References = append(s.References, r)
}
