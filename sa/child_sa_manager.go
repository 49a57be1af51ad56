package sa

import (
	"net/netip"
	"slices"
	"sync"
)

// ChildSAManager finds the IKE_SA that owns a CHILD_SA by protocol, SPI and
// destination, as kernel events name them (child_sa_manager_t).
type ChildSAManager struct {
	mu     sync.Mutex
	byKey  map[childKey]*childEntry
	byUID  map[uint32]*childEntry
	owners map[*ChildSA]*childEntry
}

type childKey struct {
	proto uint8
	spi   uint32
	dst   netip.Addr
}

type childEntry struct {
	child     *ChildSA
	ikeID     IKESAID
	in, out   childKey
	ikeUnique uint32
}

func (m *ChildSAManager) init() {
	if m.byKey == nil {
		m.byKey = map[childKey]*childEntry{}
		m.byUID = map[uint32]*childEntry{}
		m.owners = map[*ChildSA]*childEntry{}
	}
}

// Add registers a CHILD_SA with its IKE_SA.
func (m *ChildSAManager) Add(c *ChildSA, ike *IKESA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	c.ike = ike
	e := &childEntry{child: c, ikeID: ike.id, ikeUnique: ike.uniqueID,
		in:  childKey{c.protocol, c.in.spi, c.myAddr},
		out: childKey{c.protocol, c.out.spi, c.otherAddr}}
	m.byKey[e.in] = e
	m.byKey[e.out] = e
	m.byUID[c.uniqueID] = e
	m.owners[c] = e
}

// Remove unregisters a CHILD_SA.
func (m *ChildSAManager) Remove(c *ChildSA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	e, ok := m.owners[c]
	if !ok {
		return
	}
	for _, k := range []childKey{e.in, e.out} {
		if m.byKey[k] == e {
			delete(m.byKey, k)
		}
	}
	delete(m.byUID, c.uniqueID)
	delete(m.owners, c)
}

// Refresh updates the index after SPIs were assigned.
func (m *ChildSAManager) Refresh(c *ChildSA) {
	m.mu.Lock()
	_, ok := m.owners[c]
	m.mu.Unlock()
	if ok {
		ike := c.ike
		m.Remove(c)
		if ike != nil {
			m.Add(c, ike)
		}
	}
}

// Checkout finds and checks out the IKE_SA of a CHILD_SA by protocol,
// inbound SPI and our address (as the kernel names it).
func (m *ChildSAManager) Checkout(mgr *Manager, proto uint8, spi uint32, dst netip.Addr, thread int) (*IKESA, *ChildSA) {
	return m.checkout(mgr, thread, func() *childEntry { return m.byKey[childKey{proto, spi, dst}] })
}

// CheckoutByID finds a CHILD_SA by its unique id.
func (m *ChildSAManager) CheckoutByID(mgr *Manager, uid uint32, thread int) (*IKESA, *ChildSA) {
	return m.checkout(mgr, thread, func() *childEntry { return m.byUID[uid] })
}

// checkout checks out the IKE_SA of the index entry find returns (called
// with the lock held) and looks the CHILD_SA up again on it. While we
// waited for that IKE_SA, the job holding it may have moved the CHILD_SA
// to another IKE_SA (an IKE rekey adopts every CHILD_SA, rekeyed ones
// included) or destroyed the IKE_SA after the move; then the index names
// the new owner and we follow it. charon's checkout_ikesa gives up there:
// a rekeyed CHILD_SA whose delayed delete job lost this race to an IKE
// rekey kept its inbound SA in the kernel for as long as its IKE_SA lived.
func (m *ChildSAManager) checkout(mgr *Manager, thread int, find func() *childEntry) (*IKESA, *ChildSA) {
	lookup := func() *childEntry {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.init()
		return find()
	}
	e := lookup()
	for e != nil {
		if ike := mgr.Checkout(e.ikeID, thread); ike != nil {
			if slices.Contains(ike.children, e.child) {
				return ike, e.child
			}
			mgr.Checkin(ike)
		}
		// Try again only where the CHILD_SA went meanwhile: an entry that
		// still names the IKE_SA we tried is gone for good.
		tried := e.ikeID
		if e = lookup(); e != nil && e.ikeID == tried {
			e = nil
		}
	}
	return nil, nil
}
