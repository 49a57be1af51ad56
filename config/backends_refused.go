package config

import (
	"net/netip"
	"slices"
)

// Refused is a connection charon was given and did not load because it
// needs something goswan does not do yet (config/feature). It takes part
// in no lookup: the daemon behaves as charon without it. It is kept only
// so that lookups that find nothing can say why, and so that deleting it
// by name works.
type Refused struct {
	Peer    *PeerCfg
	Child   *ChildCfg
	Reasons []string
}

// AddRefused records a refused connection, replacing one of the same name.
func (b *Backends) AddRefused(r *Refused) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refused = slices.DeleteFunc(b.refused, func(o *Refused) bool { return o.Child.Name == r.Child.Name })
	b.refused = append(b.refused, r)
}

// DeleteRefused forgets the refused connection called name.
func (b *Backends) DeleteRefused(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refused = slices.DeleteFunc(b.refused, func(o *Refused) bool { return o.Child.Name == name })
}

// RefusedByName finds a refused connection by its name.
func (b *Backends) RefusedByName(name string) *Refused {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, r := range b.refused {
		if r.Child.Name == name || r.Peer.Name == name {
			return r
		}
	}
	return nil
}

// RefusedFor lists the refused connections whose addresses fit an IKE_SA
// between me and other, of any IKE version: the ones a peer may have
// meant when nothing loaded fits.
func (b *Backends) RefusedFor(me, other netip.Addr) []*Refused {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []*Refused
	for _, r := range b.refused {
		if b.ikeMatch(r.Peer.IKE, me, other, r.Peer.IKE.Version) != matchNone {
			out = append(out, r)
		}
	}
	return out
}
