package attributes

import (
	"net/netip"

	"github.com/goswan/goswan/credentials"
)

// SavedPool is a pool's lease table as a gateway keeps it across a
// restart (the ha-state plugin): which identity holds which address,
// online or offline, and how far the pool has handed out fresh ones.
type SavedPool struct {
	Name   string
	Base   netip.Addr
	Size   uint32
	Unused uint32
	Leases []SavedLeases
}

// SavedLeases are one identity's leases (offsets into the pool).
type SavedLeases struct {
	IDType  uint8
	ID      []byte
	Online  []SavedOnline
	Offline []uint32
}

// SavedOnline is an online lease and the peer address it was given to.
type SavedOnline struct {
	Offset uint32
	Peer   netip.AddrPort
}

// save copies the pool's lease table.
func (p *MemPool) save() SavedPool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := SavedPool{Name: p.name, Base: p.base, Size: p.size, Unused: p.unused}
	for _, e := range p.leases {
		l := SavedLeases{IDType: uint8(e.id.Type()), ID: e.id.Encoding(), Offline: append([]uint32(nil), e.offline...)}
		for _, o := range e.online {
			l.Online = append(l.Online, SavedOnline{Offset: o.offset, Peer: o.peer})
		}
		s.Leases = append(s.Leases, l)
	}
	return s
}

// restore takes up a saved lease table if the pool has handed out
// nothing yet; false if it has, or the table does not fit.
func (p *MemPool) restore(s SavedPool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.leases) > 0 || p.unused > 0 || s.Unused > p.size {
		return false
	}
	limit := p.size
	if p.baseIsNetwork {
		limit++
	}
	for _, l := range s.Leases {
		e := &leaseEntry{id: credentials.FromEncoding(credentials.IDType(l.IDType), l.ID)}
		for _, o := range l.Online {
			if o.Offset == 0 || o.Offset > limit {
				return p.dropAll()
			}
			e.online = append(e.online, onlineLease{offset: o.Offset, peer: o.Peer})
		}
		for _, o := range l.Offline {
			if o == 0 || o > limit {
				return p.dropAll()
			}
			e.offline = append(e.offline, o)
		}
		p.byID[idKey(e.id)] = e
		p.leases = append(p.leases, e)
	}
	p.unused = s.Unused
	return true
}

// dropAll forgets a half-restored table; it reports false.
func (p *MemPool) dropAll() bool {
	p.leases, p.byID, p.unused = nil, map[string]*leaseEntry{}, 0
	return false
}

// Save returns the lease tables of the pools that hold addresses.
func (s *Pools) Save() []SavedPool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []SavedPool
	for _, c := range s.pools {
		if c.pool.size > 0 {
			out = append(out, c.pool.save())
		}
	}
	return out
}

// Restore gives each saved table to the pool of the same name, base and
// size that has handed out nothing yet, and returns the names of the
// pools that took theirs up.
func (s *Pools) Restore(saved []SavedPool) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var names []string
	for _, sp := range saved {
		c := s.find(sp.Name)
		if c == nil || c.pool.base != sp.Base || c.pool.size != sp.Size {
			continue
		}
		if c.pool.restore(sp) {
			names = append(names, sp.Name)
		}
	}
	return names
}
