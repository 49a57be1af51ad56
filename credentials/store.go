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
type Store struct {
	mu   sync.RWMutex
	keys []*SharedKey // lookup order: most recently added first
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
	out := MatchShared(s.keys, t, me, other)
	for i := range out {
		out[i].Key = out[i].Key.Clone()
	}
	return out
}

// Shared finds the key charon's credential manager picks for building an
// AUTH payload (get_shared, see BestShared). The key is a copy for the
// caller to Wipe.
func (s *Store) Shared(t SharedKeyType, me, other *Identity) (*SharedKey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := BestShared(MatchShared(s.keys, t, me, other))
	if !ok {
		return nil, false
	}
	return m.Key.Clone(), true
}
