package attributes

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
)

// poolLimit is the most host bits a pool may have (charon's POOL_LIMIT:
// one less than the bits of an unsigned int).
const poolLimit = 31

// Operation is how MemPool.Acquire looks for an address
// (mem_pool_op_t).
type Operation int

const (
	// Existing reuses a lease the identity holds: an offline one, or one
	// online from the same peer address.
	Existing Operation = iota
	// New hands out an address never used before.
	New
	// Reassign takes the offline lease of another identity.
	Reassign
)

// onlineLease is an address in use, with the peer it was handed to (a
// second tunnel from the same peer shares it).
type onlineLease struct {
	offset uint32
	peer   netip.AddrPort
}

// leaseEntry is everything the pool remembers of one identity.
type leaseEntry struct {
	id      *credentials.Identity
	online  []onlineLease
	offline []uint32
}

// MemPool is an in-memory pool of virtual IPs (mem_pool_t): a subnet or a
// range whose addresses are leased per identity. A lease stays with its
// identity after the IKE_SA goes (offline) and is handed back on the next
// connection; only when the pool has no unused address left is another
// identity's offline lease taken over.
//
// A pool of size 0 holds no addresses: it hands out whatever the peer
// asks for (rightsourceip=%config).
type MemPool struct {
	name string
	base netip.Addr
	// baseIsNetwork: base is the subnet's network address, which is skipped.
	baseIsNetwork bool
	size          uint32
	unused        uint32

	mu sync.Mutex
	// leases are kept in the order identities first got one, which is the
	// order charon's hashtable enumerates them in.
	leases []*leaseEntry
	byID   map[string]*leaseEntry
}

func newMemPool(name string) *MemPool {
	return &MemPool{name: name, byID: map[string]*leaseEntry{}}
}

// NewEmptyPool returns a pool without addresses (rightsourceip=%config).
func NewEmptyPool(name string) *MemPool { return newMemPool(name) }

// NewSubnetPool returns a pool over base/bits (mem_pool_create). The
// network and broadcast addresses are not handed out; a base that is not
// the network address starts the pool there. log receives charon's
// warning when the pool is cut to 2^31 addresses.
func NewSubnetPool(name string, base netip.Addr, bits int, log bus.Logger) *MemPool {
	p := newMemPool(name)
	base = base.Unmap()
	addrBits := base.BitLen()
	bits = max(0, min(bits, addrBits))
	hostBits := addrBits - bits
	if hostBits > poolLimit {
		hostBits = poolLimit
		if log != nil {
			log.Logf(bus.CFG, bus.Control, "virtual IP pool too large, limiting to %s/%d", base, addrBits-hostBits)
		}
	}
	p.size = 1 << hostBits
	p.base = base
	diff := networkIDDiff(base, hostBits)
	if p.size > 2 {
		if diff == 0 {
			p.baseIsNetwork = true
			p.size--
		} else {
			p.size -= diff
		}
		p.size-- // the broadcast address
	} else if diff != 0 {
		p.size-- // only the second address of a /31
	}
	return p
}

// NewRangePool returns a pool from from to to inclusive
// (mem_pool_create_range); both must be of one family and differ in the
// last 32 bits only.
func NewRangePool(name string, from, to netip.Addr) (*MemPool, error) {
	from, to = from.Unmap(), to.Unmap()
	if from.Is4() != to.Is4() || to.Less(from) {
		return nil, fmt.Errorf("invalid IP address range: %s-%s", from, to)
	}
	f, t := from.AsSlice(), to.AsSlice()
	n := len(f)
	if string(f[:n-4]) != string(t[:n-4]) {
		return nil, fmt.Errorf("IP address range too large: %s-%s", from, to)
	}
	p := newMemPool(name)
	p.base = from
	p.size = binary.BigEndian.Uint32(t[n-4:]) - binary.BigEndian.Uint32(f[n-4:]) + 1
	return p, nil
}

// networkIDDiff is how far base lies above the network address of its
// subnet with hostBits host bits (the last 32 bits only).
func networkIDDiff(base netip.Addr, hostBits int) uint32 {
	if hostBits == 0 {
		return 0
	}
	b := base.AsSlice()
	last := binary.BigEndian.Uint32(b[len(b)-4:])
	shift := 32 - hostBits
	return (last << shift) >> shift
}

// Name is the pool's name.
func (p *MemPool) Name() string { return p.name }

// Base is the first address of the pool (invalid for an empty pool).
func (p *MemPool) Base() netip.Addr { return p.base }

// Size is the number of addresses the pool hands out.
func (p *MemPool) Size() uint32 { return p.size }

// Online counts the leases in use (a lease shared by two tunnels of one
// peer counts twice, as in charon).
func (p *MemPool) Online() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.leases {
		n += len(e.online)
	}
	return uint32(n)
}

// Offline counts the leases whose identity is not connected.
func (p *MemPool) Offline() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.leases {
		n += len(e.offline)
	}
	return uint32(n)
}

// offsetAddr turns a 1-based offset into the address; invalid beyond the
// pool.
func (p *MemPool) offsetAddr(offset uint32) netip.Addr {
	offset--
	if offset > p.size {
		return netip.Addr{}
	}
	b := p.base.AsSlice()
	n := len(b)
	binary.BigEndian.PutUint32(b[n-4:], binary.BigEndian.Uint32(b[n-4:])+offset)
	a, _ := netip.AddrFromSlice(b)
	return a
}

// addrOffset turns an address of the pool into its 1-based offset; 0 if
// it lies outside.
func (p *MemPool) addrOffset(a netip.Addr) uint32 {
	a = a.Unmap()
	if !p.base.IsValid() || a.Is4() != p.base.Is4() {
		return 0
	}
	h, b := a.AsSlice(), p.base.AsSlice()
	n := len(b)
	if string(h[:n-4]) != string(b[:n-4]) {
		return 0
	}
	hi, bi := binary.BigEndian.Uint32(h[n-4:]), binary.BigEndian.Uint32(b[n-4:])
	if hi < bi || uint64(hi) > uint64(bi)+uint64(p.size) {
		return 0
	}
	return hi - bi + 1
}

func idKey(id *credentials.Identity) string {
	if id == nil {
		return ""
	}
	return fmt.Sprintf("%d:%s", id.Type(), id.Encoding())
}

// entry finds the identity's leases, creating the entry if create is set.
func (p *MemPool) entry(id *credentials.Identity, create bool) *leaseEntry {
	k := idKey(id)
	if e := p.byID[k]; e != nil || !create {
		return e
	}
	e := &leaseEntry{id: id}
	p.byID[k] = e
	p.leases = append(p.leases, e)
	return e
}

func (p *MemPool) dropEntry(e *leaseEntry) {
	delete(p.byID, idKey(e.id))
	for i, x := range p.leases {
		if x == e {
			p.leases = append(p.leases[:i], p.leases[i+1:]...)
			return
		}
	}
}

// Acquire hands out an address to id as op says (acquire_address). An
// empty pool returns requested itself; a requested address of the other
// family gets nothing.
func (p *MemPool) Acquire(sa SA, requested netip.Addr, op Operation) netip.Addr {
	if p.size == 0 {
		return requested
	}
	if requested.Unmap().Is4() != p.base.Is4() {
		return netip.Addr{}
	}
	p.mu.Lock()
	var offset uint32
	switch op {
	case Existing:
		offset = p.existing(sa, requested)
	case New:
		offset = p.fresh(sa)
	case Reassign:
		offset = p.reassigned(sa)
		if offset == 0 {
			sa.logf(bus.CFG, bus.Control, "pool '%s' is full, unable to assign address", p.name)
		}
	}
	p.mu.Unlock()
	if offset == 0 {
		return netip.Addr{}
	}
	return p.offsetAddr(offset)
}

// existing reuses the identity's own lease: an offline one first, else one
// online from the same peer (get_existing).
func (p *MemPool) existing(sa SA, requested netip.Addr) uint32 {
	e := p.entry(sa.ID, false)
	if e == nil {
		return 0
	}
	if len(e.offline) > 0 {
		offset := e.offline[0]
		e.offline = e.offline[1:]
		e.online = append(e.online, onlineLease{offset: offset, peer: sa.Peer})
		sa.logf(bus.CFG, bus.Control, "reassigning offline lease to '%s'", sa.ID)
		return offset
	}
	if !sa.Peer.IsValid() {
		return 0
	}
	for _, l := range e.online {
		if l.peer == sa.Peer && (requested.IsUnspecified() || l.offset == p.addrOffset(requested)) {
			e.online = append(e.online, l)
			sa.logf(bus.CFG, bus.Control, "reassigning online lease to '%s'", sa.ID)
			return l.offset
		}
	}
	return 0
}

// fresh hands out the next address never used (get_new).
func (p *MemPool) fresh(sa SA) uint32 {
	if p.unused >= p.size {
		return 0
	}
	e := p.entry(sa.ID, true)
	p.unused++
	offset := p.unused
	if p.baseIsNetwork {
		offset++
	}
	e.online = append(e.online, onlineLease{offset: offset, peer: sa.Peer})
	sa.logf(bus.CFG, bus.Control, "assigning new lease to '%s'", sa.ID)
	return offset
}

// reassigned takes over the oldest identity's offline lease
// (get_reassigned), dropping identities left without leases on the way.
func (p *MemPool) reassigned(sa SA) uint32 {
	var offset uint32
	for i := 0; i < len(p.leases); {
		e := p.leases[i]
		if len(e.offline) > 0 {
			offset = e.offline[0]
			e.offline = e.offline[1:]
			sa.logf(bus.CFG, bus.Control, "reassigning existing offline lease by '%s' to '%s'", e.id, sa.ID)
		}
		if len(e.online) == 0 && len(e.offline) == 0 {
			p.dropEntry(e)
		} else {
			i++
		}
		if offset != 0 {
			break
		}
	}
	if offset == 0 {
		return 0
	}
	e := p.entry(sa.ID, true)
	e.online = append(e.online, onlineLease{offset: offset, peer: sa.Peer})
	return offset
}

// Release takes one use of addr by id off the pool; when no tunnel uses
// the lease any more it goes offline (release_address). False if id held
// no such lease.
func (p *MemPool) Release(addr netip.Addr, sa SA) bool {
	if p.size == 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entry(sa.ID, false)
	if e == nil {
		return false
	}
	offset := p.addrOffset(addr)
	found, more := false, false
	for i := 0; i < len(e.online); i++ {
		if e.online[i].offset != offset {
			continue
		}
		if found {
			more = true
			break
		}
		e.online = append(e.online[:i], e.online[i+1:]...)
		found = true
		i--
	}
	if found && !more {
		e.offline = append(e.offline, offset)
		sa.logf(bus.CFG, bus.Control, "lease %s by '%s' went offline", addr, sa.ID)
	}
	return found
}

// Lease is one entry of a pool's lease list.
type Lease struct {
	ID     *credentials.Identity
	Addr   netip.Addr
	Online bool
}

// Leases lists the leases: per identity, in the order they first got one,
// the online leases and then the offline ones.
func (p *MemPool) Leases() []Lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Lease
	for _, e := range p.leases {
		for _, l := range e.online {
			out = append(out, Lease{ID: e.id, Addr: p.offsetAddr(l.offset), Online: true})
		}
		for _, o := range e.offline {
			out = append(out, Lease{ID: e.id, Addr: p.offsetAddr(o), Online: false})
		}
	}
	return out
}

// Contains reports whether addr is one of the pool's addresses (vici sends
// a pool's attributes only to peers that got an address from it).
func (p *MemPool) Contains(addr netip.Addr) bool {
	o := p.addrOffset(addr)
	return p.size > 0 && o >= 1 && o <= p.size
}
