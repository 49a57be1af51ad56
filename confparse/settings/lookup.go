package settings

import "strings"

// Lookups follow settings.c: a key is a dot-separated path; a section that
// does not have what is looked for falls back to the sections it references
// ("charon-custom : charon { }"), and so do its ancestors for the remaining
// path. A key set without a value stops the search.

// maxDepth bounds reference chasing. strongSwan stops only at sections it
// has already visited; a pathological file could still recurse deeply.
const maxDepth = 64

func contains(list []*Section, s *Section) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// resolveReference is resolve_reference(): the sections a reference names,
// with their own references, appended to *out.
func (s *Settings) resolveReference(name string, out *[]*Section, depth int) {
	s.findSections(s.Root, name, false, out, depth+1)
}

// findSections is find_sections_buffered(): every section key names, from
// sec or, for the parts of the path sec does not have, from the sections
// sec references.
func (s *Settings) findSections(sec *Section, key string, ignoreRefs bool, out *[]*Section, depth int) {
	if sec == nil || depth > maxDepth {
		return
	}
	name, rest, hasRest := strings.Cut(key, ".")
	var found *Section
	if name == "" {
		found = sec
	} else {
		found = sec.sections[name]
	}
	if found != nil {
		if hasRest {
			s.findSections(found, rest, false, out, depth+1)
		} else if !contains(*out, found) {
			*out = append(*out, found)
			for _, r := range found.References {
				s.resolveReference(r.Name, out, depth)
			}
		}
	}
	if !ignoreRefs && sec != found && len(sec.References) > 0 {
		for _, r := range sec.References {
			var refs []*Section
			s.resolveReference(r.Name, &refs, depth)
			for _, ref := range refs {
				s.findSections(ref, key, true, out, depth+1)
			}
		}
	}
}

// findValue is find_value_buffered() in lookup mode.
func (s *Settings) findValue(sec *Section, key string, ignoreRefs bool, visited *[]*Section, depth int) *KV {
	if sec == nil || depth > maxDepth {
		return nil
	}
	var kv *KV
	name, rest, hasRest := strings.Cut(key, ".")
	if hasRest {
		found := sec
		if name != "" {
			found = sec.sections[name]
		}
		if found != nil {
			kv = s.findValue(found, rest, false, visited, depth+1)
		}
	} else {
		*visited = append(*visited, sec)
		kv = sec.kvs[key]
	}
	if kv == nil && !ignoreRefs && len(sec.References) > 0 {
		for _, r := range sec.References {
			var refs []*Section
			s.resolveReference(r.Name, &refs, depth)
			for _, found := range refs {
				if kv != nil {
					break
				}
				if !contains(*visited, found) {
					kv = s.findValue(found, key, true, visited, depth+1)
				}
			}
			if kv != nil {
				break
			}
		}
	}
	return kv
}

// Find returns the key/value that a lookup of key finds, or nil. The KV may
// have no value ("key ="), which makes typed lookups return their default.
func (s *Settings) Find(key string) *KV {
	var visited []*Section
	return s.findValue(s.Root, key, false, &visited, 0)
}

// Value returns the value of key and whether it has one.
func (s *Settings) Value(key string) (string, bool) {
	if kv := s.Find(key); kv != nil && kv.HasValue {
		return kv.Value, true
	}
	return "", false
}

// Sections lists the names of the subsections of key, including those of
// the sections it references, each once, in order
// (create_section_enumerator).
func (s *Settings) Sections(key string) []string {
	var secs []*Section
	s.findSections(s.Root, key, false, &secs, 0)
	seen := map[string]bool{}
	var out []string
	for _, sec := range secs {
		for _, c := range sec.order {
			if !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c.Name)
			}
		}
	}
	return out
}

// KeyValue is one entry of KeyValues.
type KeyValue struct {
	Key, Value string
}

// KeyValues lists the keys of section key that have values, including
// those of referenced sections, each once, in order
// (create_key_value_enumerator).
func (s *Settings) KeyValues(key string) []KeyValue {
	var secs []*Section
	s.findSections(s.Root, key, false, &secs, 0)
	seen := map[string]bool{}
	var out []KeyValue
	for _, sec := range secs {
		for _, kv := range sec.kvOrder {
			if seen[kv.Key] {
				continue
			}
			seen[kv.Key] = true
			if kv.HasValue {
				out = append(out, KeyValue{kv.Key, kv.Value})
			}
		}
	}
	return out
}
