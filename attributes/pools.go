package attributes

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
)

// Pools is a Provider over named in-memory pools and per-connection
// attributes: stroke's stroke_attribute. (vici keeps its own pools, with
// attributes per pool and its own merge rules, on MemPool as well.)
type Pools struct {
	mu    sync.RWMutex
	pools []*namedPool
	conns []connAttrs
}

type namedPool struct {
	pool *MemPool
}

type connAttrs struct {
	conn  string
	attrs []Attribute
}

// NewPools returns an empty set of pools.
func NewPools() *Pools { return &Pools{} }

// PoolInfo is a pool's usage, as statusall and leases print it.
type PoolInfo struct {
	Name                  string
	Base                  netip.Addr
	Size, Online, Offline uint32
}

// Add registers a pool, unless one with the same base and size exists:
// then that one is kept and false returned (stroke's add_pool, which logs
// "reusing virtual IP address pool"). The caller logs.
func (s *Pools) Add(p *MemPool) (added bool, existing string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.pools {
		cb := c.pool.base
		if p.base.IsValid() && cb.IsValid() && cb == p.base && c.pool.size == p.size {
			return false, c.pool.name
		}
	}
	s.pools = append(s.pools, &namedPool{pool: p})
	return true, ""
}

// ErrPoolInUse refuses to remove a pool with online leases.
var ErrPoolInUse = errors.New("pool has online leases")

// ErrNoPool is returned for a pool that does not exist.
var ErrNoPool = errors.New("no such pool")

// Remove drops the pool name; a pool with online leases stays (vici's
// unload-pool refuses it as well).
func (s *Pools) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.pools {
		if c.pool.name != name {
			continue
		}
		if c.pool.Online() > 0 {
			return fmt.Errorf("%w: %s", ErrPoolInUse, name)
		}
		s.pools = slices.Delete(s.pools, i, i+1)
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNoPool, name)
}

// Pool returns the pool of that name, or nil.
func (s *Pools) Pool(name string) *MemPool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.find(name); c != nil {
		return c.pool
	}
	return nil
}

func (s *Pools) find(name string) *namedPool {
	for _, c := range s.pools {
		if c.pool.name == name {
			return c
		}
	}
	return nil
}

// List reports the pools that hold addresses, in the order they were
// added (stroke's pool enumerator skips the empty %config pools).
func (s *Pools) List() []PoolInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []PoolInfo
	for _, c := range s.pools {
		if c.pool.size == 0 {
			continue
		}
		out = append(out, PoolInfo{Name: c.pool.name, Base: c.pool.base, Size: c.pool.size,
			Online: c.pool.Online(), Offline: c.pool.Offline()})
	}
	return out
}

// Leases lists the leases of one pool; false if there is no such pool.
func (s *Pools) Leases(name string) ([]Lease, bool) {
	p := s.Pool(name)
	if p == nil {
		return nil, false
	}
	return p.Leases(), true
}

// AddConnAttributes adds the attributes sent to peers of conn (stroke's
// rightdns=). Like stroke's list, a second entry for the same name is
// kept behind the first.
func (s *Pools) AddConnAttributes(conn string, attrs []Attribute) {
	if len(attrs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns = append(s.conns, connAttrs{conn: conn, attrs: slices.Clone(attrs)})
}

// RemoveConnAttributes drops the first entry of conn (stroke's del_dns).
func (s *Pools) RemoveConnAttributes(conn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns = removeConn(s.conns, conn)
}

func removeConn(list []connAttrs, conn string) []connAttrs {
	for i, c := range list {
		if c.conn == conn {
			return slices.Delete(list, i, i+1)
		}
	}
	return list
}

// AcquireAddress implements Provider: the identity's own lease first, then
// a new address, then another identity's offline lease, each tried on the
// pools in turn (stroke_attribute's acquire_address).
func (s *Pools) AcquireAddress(pools []string, sa SA, requested netip.Addr) netip.Addr {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, op := range []Operation{Existing, New, Reassign} {
		for _, name := range pools {
			if c := s.find(name); c != nil {
				if a := c.pool.Acquire(sa, requested, op); a.IsValid() {
					return a
				}
			}
		}
	}
	return netip.Addr{}
}

// ReleaseAddress implements Provider.
func (s *Pools) ReleaseAddress(pools []string, addr netip.Addr, sa SA) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, name := range pools {
		if c := s.find(name); c != nil && c.pool.Release(addr, sa) {
			return true
		}
	}
	return false
}

// Attributes implements Provider: the connection's attributes, whether or
// not a virtual IP was assigned (as stroke's DNS servers).
func (s *Pools) Attributes(_ []string, sa SA, _ []netip.Addr) []Attribute {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return connLookup(s.conns, sa.Conn)
}

func connLookup(list []connAttrs, conn string) []Attribute {
	for _, c := range list {
		if c.conn == conn {
			return slices.Clone(c.attrs)
		}
	}
	return nil
}

// ConnRequests is a Handler that takes nothing but asks, per connection,
// for attributes (stroke's stroke_handler: leftdns= makes a client
// request DNS servers, with the address it proposes or none).
type ConnRequests struct {
	mu    sync.RWMutex
	conns []connAttrs
}

// NewConnRequests returns an empty handler.
func NewConnRequests() *ConnRequests { return &ConnRequests{} }

// Add adds the attributes requested on conn.
func (r *ConnRequests) Add(conn string, attrs []Attribute) {
	if len(attrs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = append(r.conns, connAttrs{conn: conn, attrs: slices.Clone(attrs)})
}

// Remove drops the first entry of conn.
func (r *ConnRequests) Remove(conn string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = removeConn(r.conns, conn)
}

// Handle implements Handler: it takes nothing.
func (r *ConnRequests) Handle(SA, Attribute) bool { return false }

// Release implements Handler.
func (r *ConnRequests) Release(SA, Attribute) {}

// Request implements Handler.
func (r *ConnRequests) Request(sa SA, _ []netip.Addr) []Attribute {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return connLookup(r.conns, sa.Conn)
}

// AddressAttribute returns the DNS or NBNS server attribute for addr in
// its family (stroke's rightdns=, the attr plugin's dns/nbns).
func AddressAttribute(v4, v6 encoding.ConfigAttribute, addr netip.Addr) Attribute {
	addr = addr.Unmap()
	if addr.Is4() {
		return Attribute{Type: v4, Value: addr.AsSlice()}
	}
	return Attribute{Type: v6, Value: addr.AsSlice()}
}

// LogAdd logs what Add did as stroke does.
func LogAdd(log bus.Logger, p *MemPool, added bool, existing string) {
	if log == nil {
		return
	}
	if !added {
		log.Logf(bus.CFG, bus.Control, "reusing virtual IP address pool %s", existing)
	} else if p.base.IsValid() {
		log.Logf(bus.CFG, bus.Control, "adding virtual IP address pool %s", p.name)
	}
}
