package credentials

import "sync"

// Store holds the shared secrets of ipsec.secrets and answers charon's
// lookups over them. It is safe for concurrent use; Replace swaps the whole
// set at once, as rereadsecrets does.
//
// The order is charon's: each entry goes in front of those added before it
// (mem_cred inserts at the head), so among equally good matches the entry
// loaded last wins. An entry equal to one already held (type, secret and
// owners) replaces it.
//
// Further sets (the keys loaded over vici) join with AddSet; lookups go
// through the Store's own keys first, then each set's, as charon's
// credential manager asks its sets in the order they were added.
type Store struct {
	mu   sync.RWMutex
	keys []*SharedKey // lookup order: most recently added first
	sets []*SharedSet
}

// AddSet adds a credential set after those added before.
func (s *Store) AddSet(set *SharedSet) {
	s.mu.Lock()
	s.sets = append(s.sets, set)
	s.mu.Unlock()
}

// RemoveSet removes a credential set.
func (s *Store) RemoveSet(set *SharedSet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.sets {
		if x == set {
			s.sets = append(s.sets[:i:i], s.sets[i+1:]...)
			return
		}
	}
}

// withAll calls fn with every key of every set in lookup order, while
// holding the locks that keep them from being wiped; the caller holds
// s.mu for reading and copies what it hands out.
func (s *Store) withAll(fn func(keys []*SharedKey)) {
	if len(s.sets) == 0 {
		fn(s.keys)
		return
	}
	all := append([]*SharedKey(nil), s.keys...)
	for _, set := range s.sets {
		set.mu.RLock()
		defer set.mu.RUnlock()
		for _, e := range set.entries {
			all = append(all, e.key)
		}
	}
	fn(all)
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{} }

// Add takes ownership of k and puts it at the head of the lookup order.
func (s *Store) Add(k *SharedKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = addKey(s.keys, k)
}

func addKey(keys []*SharedKey, k *SharedKey) []*SharedKey {
	if len(k.Owners) == 0 {
		k.Owners = []*Identity{anyIdentity}
	}
	keys, dropped := insertShared(keys, k)
	dropped.Wipe()
	return keys
}

// Replace makes keys, in the order the secrets file lists them, the new
// contents of the store (taking ownership of them) and wipes the secrets it
// held before. Keys handed out by Shared and SharedKeys are copies and stay
// intact.
func (s *Store) Replace(keys []*SharedKey) {
	var fresh []*SharedKey
	for _, k := range keys {
		fresh = addKey(fresh, k)
	}
	s.mu.Lock()
	old := s.keys
	s.keys = fresh
	s.mu.Unlock()
	for _, k := range old {
		k.Wipe()
	}
}

// Len is the number of entries held.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.keys)
}

// Entries returns copies of the held keys in lookup order, for listing.
// The caller should Wipe them when done.
func (s *Store) Entries() []*SharedKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*SharedKey, len(s.keys))
	for i, k := range s.keys {
		out[i] = k.Clone()
	}
	return out
}

// SharedKeys lists, in lookup order, the keys of type t (any type for
// SharedAny) whose owners match me or other, as MatchShared does over the
// held keys. The keys are copies for the caller to Wipe.
func (s *Store) SharedKeys(t SharedKeyType, me, other *Identity) []SharedMatch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []SharedMatch
	s.withAll(func(keys []*SharedKey) {
		out = MatchShared(keys, t, me, other)
		for i := range out {
			out[i].Key = out[i].Key.Clone()
		}
	})
	return out
}

// Shared finds the key charon's credential manager picks for building an
// AUTH payload (get_shared, see BestShared). The key is a copy for the
// caller to Wipe.
func (s *Store) Shared(t SharedKeyType, me, other *Identity) (*SharedKey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found *SharedKey
	s.withAll(func(keys []*SharedKey) {
		if m, ok := BestShared(MatchShared(keys, t, me, other)); ok {
			found = m.Key.Clone()
		}
	})
	return found, found != nil
}
