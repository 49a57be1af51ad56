package config

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/credentials"
)

// Match weights of backend_manager.c: a match on our address counts more
// than one on the peer's, and both more than a version match.
const (
	matchNone    = 0x00
	matchAny     = 0x01
	matchVersion = 0x04
	matchMe      = 0x08
	matchOther   = 0x10
)

// Backends holds the loaded connections and answers the lookups the IKE
// engine makes (backend_manager_t). Its own list is the stroke backend's,
// filled by Add; other backends (the conns loaded over vici) join with
// AddBackend, after it, as charon loads the stroke plugin before vici. It
// is safe for concurrent use.
type Backends struct {
	mu    sync.RWMutex
	peers []*PeerCfg
	// byMerge files the stroke backend's peer configs by mergeKey, so that
	// adding a conn does not compare it with every loaded one (10 000
	// conns took charon most of `ipsec start`'s 20 s that way); seq
	// keeps the load order among candidates.
	byMerge map[string][]*PeerCfg
	seq     map[*PeerCfg]int
	nextSeq int
	refused []*Refused
	others  []Backend
	// observers are told of every connection added (Observe).
	observers []func(*PeerCfg)
	// Resolve resolves host names in ike configs; nil: literals only.
	Resolve Resolver
}

// Backend is a source of peer configs besides the stroke list (backend_t).
type Backend interface {
	// PeerCfgs returns the backend's peer configs in its order.
	PeerCfgs() []*PeerCfg
	// PeerCfgByName finds a peer config by the backend's own rule.
	PeerCfgByName(name string) *PeerCfg
}

// AddBackend adds a backend after those added before.
func (b *Backends) AddBackend(x Backend) {
	b.mu.Lock()
	b.others = append(b.others, x)
	b.mu.Unlock()
}

// RemoveBackend removes a backend.
func (b *Backends) RemoveBackend(x Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i := slices.Index(b.others, x); i >= 0 {
		b.others = slices.Delete(b.others, i, i+1)
	}
}

// Peers returns every peer config: the stroke backend's in load order,
// then each other backend's.
func (b *Backends) Peers() []*PeerCfg {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.allLocked()
}

func (b *Backends) allLocked() []*PeerCfg {
	out := slices.Clone(b.peers)
	for _, x := range b.others {
		out = append(out, x.PeerCfgs()...)
	}
	return out
}

// Own returns the stroke backend's peer configs only.
func (b *Backends) Own() []*PeerCfg {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return slices.Clone(b.peers)
}

// Equal finds a loaded peer config with the IKE and peer parameters of
// peer, the one stroke_config's add merges a new conn into.
func (b *Backends) Equal(peer *PeerCfg) *PeerCfg {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.equal(peer)
}

func (b *Backends) equal(peer *PeerCfg) *PeerCfg {
	var found *PeerCfg
	for _, l := range b.mergeCandidates(peer) {
		for _, p := range l {
			if (found == nil || b.seq[p] < b.seq[found]) && p.Equal(peer) && p.IKE.Equal(peer.IKE) {
				found = p
			}
		}
	}
	return found
}

// MergeKey is a key that peer configs PeerCfg.Equal finds equal share,
// unless one of them is "dn" (see mergeKey): callers that look for an equal
// config among many compare it first.
func MergeKey(p *PeerCfg) string { return mergeKey(p) }

// mergeKey is what PeerCfg.Equal compares of the first local
// authentication round's identity, in a form equal identities share: the
// type and the encoding, with ASCII lower-cased for the string types that
// Identity.Equals compares so. A DN, which Equals compares by its parsed
// form and with identities of any type, is filed under "dn" alone.
func mergeKey(p *PeerCfg) string {
	if len(p.LocalAuth) == 0 || p.LocalAuth[0] == nil {
		return "-"
	}
	id := p.LocalAuth[0].Identity
	if id == nil {
		return "nil"
	}
	enc := id.Encoding()
	switch id.Type() {
	case credentials.IDDerASN1DN:
		return "dn"
	case credentials.IDFQDN, credentials.IDRFC822Addr:
		for i, c := range enc {
			if 'A' <= c && c <= 'Z' {
				enc[i] = c + 'a' - 'A'
			}
		}
	}
	return fmt.Sprintf("%d:%s", id.Type(), enc)
}

// mergeCandidates are the lists of loaded peer configs that may equal
// peer: those under its key, and the DN ones.
func (b *Backends) mergeCandidates(peer *PeerCfg) [][]*PeerCfg {
	k := mergeKey(peer)
	out := [][]*PeerCfg{b.byMerge[k]}
	if k != "dn" {
		out = append(out, b.byMerge["dn"])
	}
	return out
}

// file adds a peer config to the stroke backend's list and index.
func (b *Backends) file(p *PeerCfg) {
	if b.byMerge == nil {
		b.byMerge, b.seq = map[string][]*PeerCfg{}, map[*PeerCfg]int{}
	}
	b.peers = append(b.peers, p)
	k := mergeKey(p)
	b.byMerge[k] = append(b.byMerge[k], p)
	b.nextSeq++
	b.seq[p] = b.nextSeq
}

// unfile removes a peer config from the index (the caller edits peers).
func (b *Backends) unfile(p *PeerCfg) {
	k := mergeKey(p)
	l := b.byMerge[k]
	if i := slices.Index(l, p); i >= 0 {
		l = slices.Delete(l, i, i+1)
	}
	if len(l) == 0 {
		delete(b.byMerge, k)
	} else {
		b.byMerge[k] = l
	}
	delete(b.seq, p)
}

// Add adds a connection as stroke_config's add does: if a peer config with
// equal IKE and peer parameters exists, child is added to it (merged is
// true), otherwise peer becomes a new connection.
func (b *Backends) Add(peer *PeerCfg, child *ChildCfg) (used *PeerCfg, merged bool) {
	b.mu.Lock()
	if p := b.equal(peer); p != nil {
		p.AddChild(child)
		b.mu.Unlock()
		b.Added(p)
		return p, true
	}
	peer.AddChild(child)
	b.file(peer)
	b.mu.Unlock()
	b.Added(peer)
	return peer, false
}

// Observe registers fn to be told of every connection added or extended
// (a gateway taking up saved IKE_SAs waits for their connections).
func (b *Backends) Observe(fn func(*PeerCfg)) {
	b.mu.Lock()
	b.observers = append(b.observers, fn)
	b.mu.Unlock()
}

// Added tells the observers of a connection added or extended; Add calls
// it, other backends call it when they load one (vici's load-conn).
func (b *Backends) Added(peer *PeerCfg) {
	b.mu.RLock()
	obs := slices.Clone(b.observers)
	b.mu.RUnlock()
	for _, fn := range obs {
		fn(peer)
	}
}

// Delete removes every CHILD_SA config called name and peer configs left
// without children; it reports whether anything was called name.
func (b *Backends) Delete(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	deleted := false
	kept := b.peers[:0]
	for _, p := range b.peers {
		if p.RemoveChild(name) {
			deleted = true
		}
		if len(p.Children()) > 0 {
			kept = append(kept, p)
		} else {
			b.unfile(p)
		}
	}
	clear(b.peers[len(kept):])
	b.peers = kept
	return deleted
}

// ByName finds a peer config by name, asking the backends in order: the
// stroke backend matches its peer names and the names of their children.
func (b *Backends) ByName(name string) *PeerCfg {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, p := range b.peers {
		if p.Name == name {
			return p
		}
		if p.Child(name) != nil {
			return p
		}
	}
	for _, x := range b.others {
		if p := x.PeerCfgByName(name); p != nil {
			return p
		}
	}
	return nil
}

func (b *Backends) ikeMatch(c *IKECfg, me, other netip.Addr, version IKEVersion) int {
	if c.Version != IKEAny && version != c.Version {
		return matchNone
	}
	m := matchNone
	if me.IsValid() {
		q := c.MatchMe(me, b.Resolve)
		if q == 0 {
			return matchNone
		}
		m += q * matchMe
	} else {
		m += matchAny
	}
	if other.IsValid() {
		q := c.MatchOther(other, b.Resolve)
		if q == 0 {
			return matchNone
		}
		m += q * matchOther
	} else {
		m += matchAny
	}
	if c.Version != IKEAny {
		m += matchVersion
	}
	return m
}

// IKECfg returns the best IKE config for the addresses of an incoming
// IKE_SA_INIT (get_ike_cfg), and its match priority.
func (b *Backends) IKECfg(me, other netip.Addr, version IKEVersion) (*IKECfg, int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var best *IKECfg
	bestMatch := 0
	for _, p := range b.allLocked() {
		if m := b.ikeMatch(p.IKE, me, other, version); m > bestMatch {
			best, bestMatch = p.IKE, m
		}
	}
	return best, bestMatch
}

func peerMatch(id *credentials.Identity, auth []*AuthCfg) credentials.MatchLevel {
	if id == nil {
		return credentials.MatchAny
	}
	if len(auth) == 0 || auth[0].Identity == nil {
		return credentials.MatchAny
	}
	cand := auth[0].Identity
	m := id.Matches(cand)
	if m == credentials.MatchNone {
		// The proposed IDr may be %any: match the other way round.
		m = cand.Matches(id)
	}
	return m
}

// PeerCandidate is one result of PeerCfgs with its match priorities.
type PeerCandidate struct {
	Peer      *PeerCfg
	MatchIKE  int
	MatchPeer int
}

// PeerCfgs lists the connections that fit the addresses and identities,
// best first, as backend_manager's create_peer_cfg_enumerator: a candidate
// goes before another if it is better in one of (IKE, peer) match and not
// worse in the other. Invalid addresses and nil ids match anything.
func (b *Backends) PeerCfgs(me, other netip.Addr, myID, otherID *credentials.Identity, version IKEVersion) []PeerCandidate {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []PeerCandidate
	for _, p := range b.allLocked() {
		mi := b.ikeMatch(p.IKE, me, other, version)
		if mi == matchNone {
			continue
		}
		mMe := peerMatch(myID, p.LocalAuth)
		if mMe == credentials.MatchNone {
			continue
		}
		mOther := peerMatch(otherID, p.RemoteAuth)
		if mOther == credentials.MatchNone {
			continue
		}
		e := PeerCandidate{Peer: p, MatchIKE: mi, MatchPeer: int(mMe) + int(mOther)}
		i := 0
		for ; i < len(out); i++ {
			c := out[i]
			if (e.MatchIKE > c.MatchIKE && e.MatchPeer >= c.MatchPeer) ||
				(e.MatchIKE >= c.MatchIKE && e.MatchPeer > c.MatchPeer) {
				break
			}
		}
		out = slices.Insert(out, i, e)
	}
	return out
}
