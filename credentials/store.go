package credentials

import (
	"errors"
	"strings"
	"sync"
)

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
	for i, old := range keys {
		if sameEntry(old, k) {
			old.Wipe()
			keys = append(keys[:i:i], keys[i+1:]...)
			break
		}
	}
	return append([]*SharedKey{k}, keys...)
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

// SharedMatch is one key a lookup found, with how well each id matched its
// best owner.
type SharedMatch struct {
	Key     *SharedKey
	MeMatch MatchLevel
	// OtherMatch is how well the peer's identity matched.
	OtherMatch MatchLevel
}

// SharedKeys lists, in lookup order, the keys of type t (any type for
// SharedAny) whose owners match me or other (mem_cred's shared enumerator).
// With both ids nil every key of the type is listed. A responder verifying a
// peer's AUTH payload tries them all in this order, as charon does. The keys
// are copies for the caller to Wipe.
func (s *Store) SharedKeys(t SharedKeyType, me, other *Identity) []SharedMatch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []SharedMatch
	for _, k := range s.keys {
		if t != SharedAny && k.Type != t {
			continue
		}
		var mine, theirs MatchLevel
		if me != nil {
			mine = k.bestOwnerMatch(me)
		}
		if other != nil {
			theirs = k.bestOwnerMatch(other)
		}
		if (me != nil || other != nil) && mine == MatchNone && theirs == MatchNone {
			continue
		}
		out = append(out, SharedMatch{Key: k.Clone(), MeMatch: mine, OtherMatch: theirs})
	}
	return out
}

// Shared finds the key charon's credential manager picks for building an
// AUTH payload (get_shared): the best match for the peer's identity, then
// for our own, the earlier in lookup order on a tie. A key must match at
// least one of the ids better than not at all, so with both ids nil nothing
// is found. The key is a copy for the caller to Wipe.
func (s *Store) Shared(t SharedKeyType, me, other *Identity) (*SharedKey, bool) {
	var found *SharedKey
	bestMe, bestOther := MatchNone, MatchNone
	for _, m := range s.SharedKeys(t, me, other) {
		if m.OtherMatch > bestOther || (m.OtherMatch == bestOther && m.MeMatch > bestMe) {
			if found != nil {
				found.Wipe()
			}
			found, bestMe, bestOther = m.Key, m.MeMatch, m.OtherMatch
		} else {
			m.Key.Wipe()
		}
	}
	return found, found != nil
}

// ErrSelectorQuote is returned for a quoted secrets selector without its
// closing quote.
var ErrSelectorQuote = errors.New("missing second delimiter")

// ParseSelectors turns the owner part of an ipsec.secrets line (what comes
// before " : ") into identities the way the stroke plugin does: values are
// separated by spaces or tabs, may be quoted with ' or " to hold spaces, and
// empty ones are skipped; no owner at all means %any.
func ParseSelectors(ids string) ([]*Identity, error) {
	var owners []*Identity
	for {
		ids = strings.TrimLeft(ids, " \t")
		if ids == "" || ids[0] == '#' {
			// charon loops forever on a '#' here; we read it as a comment
			break
		}
		var v string
		if d := ids[0]; d == '\'' || d == '"' {
			end := strings.IndexByte(ids[1:], d)
			if end < 0 {
				return nil, ErrSelectorQuote
			}
			v, ids = ids[1:1+end], ids[2+end:]
		} else if end := strings.IndexAny(ids, " \t"); end >= 0 {
			v, ids = ids[:end], ids[end+1:]
		} else {
			v, ids = ids, ""
		}
		if v != "" {
			owners = append(owners, ParseIdentity(v))
		}
	}
	if len(owners) == 0 {
		owners = []*Identity{anyIdentity}
	}
	return owners, nil
}
