package secrets

import (
	"github.com/goswan/goswan/credentials"
)

// Candidate is a shared secret with how well its owners matched.
type Candidate struct {
	*Secret
	MatchMe, MatchOther credentials.MatchLevel
}

// SharedKeys are the shared secrets (PSK, EAP, XAUTH, NTLM) in file order,
// for credentials.Store.Replace, which orders them as charon does.
func (s *Secrets) SharedKeys() []*credentials.SharedKey {
	keys, _ := s.sharedKeys()
	return keys
}

func (s *Secrets) sharedKeys() ([]*credentials.SharedKey, map[*credentials.SharedKey]*Secret) {
	var keys []*credentials.SharedKey
	line := map[*credentials.SharedKey]*Secret{}
	for _, e := range s.Entries {
		if k := e.SharedKey(); k != nil {
			keys = append(keys, k)
			line[k] = e
		}
	}
	return keys, line
}

// Candidates lists the shared secrets of type t (any type for
// credentials.SharedAny) that charon tries, in its order, when it verifies
// a peer's AUTH (psk_authenticator): the last line first, a line equal to a
// later one (same type, secret and owners) left out, and only secrets one
// of whose owners matches me or other (any secret when both are nil).
func (s *Secrets) Candidates(t credentials.SharedKeyType, me, other *credentials.Identity) []Candidate {
	keys, line := s.sharedKeys()
	var out []Candidate
	for _, m := range credentials.MatchShared(credentials.SharedOrder(keys), t, me, other) {
		out = append(out, candidate(m, line))
	}
	return out
}

// Lookup returns the shared secret charon uses for me and the peer other
// (credential_manager get_shared): among the candidates, the best match
// for the peer wins, then the best match for me; on a tie the candidate
// that comes first (the later line) wins. ok is false when no secret
// matches.
func (s *Secrets) Lookup(t credentials.SharedKeyType, me, other *credentials.Identity) (Candidate, bool) {
	keys, line := s.sharedKeys()
	m, ok := credentials.BestShared(credentials.MatchShared(credentials.SharedOrder(keys), t, me, other))
	if !ok {
		return Candidate{}, false
	}
	return candidate(m, line), true
}

func candidate(m credentials.SharedMatch, line map[*credentials.SharedKey]*Secret) Candidate {
	return Candidate{Secret: line[m.Key], MatchMe: m.MeMatch, MatchOther: m.OtherMatch}
}
