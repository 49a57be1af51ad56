package credentials

// Which shared key charon uses: the order its credential set keeps them in
// (mem_cred.c) and the ranking of the credential manager (get_shared in
// credential_manager.c). These functions neither copy nor wipe keys, so a
// reader of ipsec.secrets can ask charon's question of its own entries; the
// Store adds copying, wiping and locking on top.

// SharedOrder returns keys, given in the order a secrets file lists them, in
// the order charon's credential set holds them once loaded: each key in
// front of those loaded before it (mem_cred inserts at the head), and a key
// equal to one loaded earlier (same type, secret and owners, in order)
// taking that one's place at the front. The keys themselves are not copied.
func SharedOrder(keys []*SharedKey) []*SharedKey {
	var out []*SharedKey
	for _, k := range keys {
		out, _ = insertShared(out, k)
	}
	return out
}

// insertShared puts k at the head of keys, removing an equal entry, which it
// returns.
func insertShared(keys []*SharedKey, k *SharedKey) ([]*SharedKey, *SharedKey) {
	var dropped *SharedKey
	for i, old := range keys {
		if sameEntry(old, k) {
			dropped = old
			keys = append(keys[:i:i], keys[i+1:]...)
			break
		}
	}
	return append([]*SharedKey{k}, keys...), dropped
}

// SharedMatch is one key a lookup found, with how well each id matched its
// best owner.
type SharedMatch struct {
	Key     *SharedKey
	MeMatch MatchLevel
	// OtherMatch is how well the peer's identity matched.
	OtherMatch MatchLevel
}

// MatchShared lists, in the order given (charon's lookup order, see
// SharedOrder), the keys of type t (any type for SharedAny) whose owners
// match me or other (mem_cred's shared enumerator). With both ids nil every
// key of the type is listed. A responder verifying a peer's AUTH payload
// tries them in this order, as charon does. The keys are not copied.
func MatchShared(keys []*SharedKey, t SharedKeyType, me, other *Identity) []SharedMatch {
	var out []SharedMatch
	for _, k := range keys {
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
		out = append(out, SharedMatch{Key: k, MeMatch: mine, OtherMatch: theirs})
	}
	return out
}

// BestShared picks, among matches in lookup order, the one charon's
// credential manager uses to build an AUTH payload (get_shared): the best
// match for the peer's identity, then for our own, the earlier on a tie. A
// key must match at least one id better than MatchNone, so nothing is found
// when every match is (MatchNone, MatchNone), as with both ids nil.
func BestShared(matches []SharedMatch) (SharedMatch, bool) {
	var best SharedMatch
	found := false
	for _, m := range matches {
		if m.OtherMatch > best.OtherMatch || (m.OtherMatch == best.OtherMatch && m.MeMatch > best.MeMatch) {
			best, found = m, true
		}
		if best.MeMatch == MatchPerfect && best.OtherMatch == MatchPerfect {
			break // nothing can beat it, and charon stops here too
		}
	}
	return best, found
}
