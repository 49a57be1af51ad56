package sa

import (
	"net/netip"
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
	m.mu.Lock()
	m.init()
	e, ok := m.byKey[childKey{proto, spi, dst}]
	m.mu.Unlock()
	return m.checkout(mgr, e, ok, thread)
}

// CheckoutByID finds a CHILD_SA by its unique id.
func (m *ChildSAManager) CheckoutByID(mgr *Manager, uid uint32, thread int) (*IKESA, *ChildSA) {
	m.mu.Lock()
	m.init()
	e, ok := m.byUID[uid]
	m.mu.Unlock()
	return m.checkout(mgr, e, ok, thread)
}

// checkout checks out the IKE_SA of an index entry and looks the CHILD_SA
// up again on it, since it may have moved or gone while we waited.
func (m *ChildSAManager) checkout(mgr *Manager, e *childEntry, ok bool, thread int) (*IKESA, *ChildSA) {
	if !ok {
		return nil, nil
	}
	ike := mgr.Checkout(e.ikeID, thread)
	if ike == nil {
		return nil, nil
	}
	for _, c := range ike.children {
		if c == e.child {
			return ike, c
		}
	}
	mgr.Checkin(ike)
	return nil, nil
}
