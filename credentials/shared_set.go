package credentials

import "sync"

// SharedSet is a second credential set of shared keys, beside the Store's
// own (which ipsec.secrets fills): the keys loaded over vici, each with an
// optional unique identifier by which it can be replaced and unloaded, as
// the vici plugin keeps them in a mem_cred set. It is safe for concurrent
// use; add it to a Store with AddSet.
type SharedSet struct {
	mu      sync.RWMutex
	entries []setEntry // lookup order: most recently added first
}

type setEntry struct {
	id  string // "" for none
	key *SharedKey
}

// AddUnique takes ownership of k and puts it at the head of the lookup
// order, replacing the key with the same unique id or, when neither has
// one, an equal key (mem_cred's add_shared_unique).
func (s *SharedSet) AddUnique(id string, k *SharedKey) {
	if len(k.Owners) == 0 {
		k.Owners = []*Identity{anyIdentity}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.entries {
		if (id != "" && e.id == id) || (id == "" && e.id == "" && sameEntry(e.key, k)) {
			e.key.Wipe()
			s.entries = append(s.entries[:i:i], s.entries[i+1:]...)
			break
		}
	}
	s.entries = append([]setEntry{{id: id, key: k}}, s.entries...)
}

// RemoveUnique removes the key with unique id; it reports whether there was
// one.
func (s *SharedSet) RemoveUnique(id string) bool {
	if id == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.entries {
		if e.id == id {
			e.key.Wipe()
			s.entries = append(s.entries[:i:i], s.entries[i+1:]...)
			return true
		}
	}
	return false
}

// UniqueIDs lists the unique ids of the keys that have one, in lookup
// order.
func (s *SharedSet) UniqueIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, e := range s.entries {
		if e.id != "" {
			out = append(out, e.id)
		}
	}
	return out
}

// Clear removes and wipes every key.
func (s *SharedSet) Clear() {
	s.mu.Lock()
	old := s.entries
	s.entries = nil
	s.mu.Unlock()
	for _, e := range old {
		e.key.Wipe()
	}
}

// Len is the number of keys held.
func (s *SharedSet) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.entries)
}
