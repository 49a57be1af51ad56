package secrets

import (
	"bytes"

	"github.com/goswan/goswan/confparse/ident"
)

// Candidate is a shared secret with how well its owners matched.
type Candidate struct {
	*Secret
	MatchMe, MatchOther ident.Match
}

// shared lists the shared secrets in the order charon's credential set
// holds them: the last line first (mem_cred inserts at the head), a line
// equal to a later one (same type, secret and owners) dropped.
func (s *Secrets) shared() []*Secret {
	var out []*Secret
	for _, e := range s.Entries {
		if !e.Kind.IsShared() {
			continue
		}
		kept := out[:0]
		for _, o := range out {
			if !sameShared(o, e) {
				kept = append(kept, o)
			}
		}
		out = append([]*Secret{e}, kept...)
	}
	return out
}

func sameShared(a, b *Secret) bool {
	if a.Type() != b.Type() || !bytes.Equal(a.Key, b.Key) || len(a.Owners) != len(b.Owners) {
		return false
	}
	for i := range a.Owners {
		if !a.Owners[i].Equals(b.Owners[i]) {
			return false
		}
	}
	return true
}

func bestOwner(owners []*ident.ID, id *ident.ID) ident.Match {
	best := ident.MatchNone
	for _, o := range owners {
		if m := id.Matches(o); m > best {
			best = m
		}
	}
	return best
}

// Candidates lists the shared secrets of type t that charon tries, in its
// order, when it verifies a peer's AUTH (psk_authenticator): every secret
// one of whose owners matches me or other (any secret when both are nil).
func (s *Secrets) Candidates(t SharedType, me, other *ident.ID) []Candidate {
	var out []Candidate
	for _, e := range s.shared() {
		if t != SharedAny && e.Type() != t {
			continue
		}
		var c Candidate
		c.Secret = e
		if me != nil {
			c.MatchMe = bestOwner(e.Owners, me)
		}
		if other != nil {
			c.MatchOther = bestOwner(e.Owners, other)
		}
		if (me != nil || other != nil) && c.MatchMe == ident.MatchNone && c.MatchOther == ident.MatchNone {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Lookup returns the shared secret charon uses for me and the peer other
// (credential_manager get_shared): among the candidates, the best match
// for the peer wins, then the best match for me; on a tie the candidate
// that comes first (the later line) wins. ok is false when no secret
// matches.
func (s *Secrets) Lookup(t SharedType, me, other *ident.ID) (best Candidate, ok bool) {
	for _, c := range s.Candidates(t, me, other) {
		if c.MatchOther > best.MatchOther || (c.MatchOther == best.MatchOther && c.MatchMe > best.MatchMe) {
			best, ok = c, true
		}
		if best.MatchMe == ident.MatchPerfect && best.MatchOther == ident.MatchPerfect {
			break
		}
	}
	return best, ok
}
