package sa

import (
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/processing"
)

// Manager holds every IKE_SA and hands them out one job at a time
// (ike_sa_manager_t): Checkout blocks while another job holds the SA.
type Manager struct {
	env   *Env
	sched *processing.Scheduler
	q     processing.Queuer

	mu   sync.Mutex
	cond *sync.Cond
	// The registered IKE_SAs, indexed as charon's hash tables index them:
	// by the SA itself, by the initiator SPI an incoming message carries,
	// and in registration order for status output and shutdown. Lookups
	// under a flood of IKE_SA_INITs must not walk every SA.
	entries map[*IKESA]*entry
	bySPI   map[uint64][]*entry
	seq     uint64
	// counters for unique ids, shown as name[N] and name{N}.
	ikeIDs, childIDs, marks uint32
	// halfOpen counts IKE_SAs CONNECTING at checkin, in both roles (what
	// status shows); halfOpenResp those a peer started (what the DoS
	// limits count), as charon's half_open_count(_responder). Both include
	// IKE_SA_INIT requests still queued (TrackInit), as in charon.
	halfOpen, halfOpenResp int
	// halfOpenIP is charon's half_open_table for the responder role: per
	// peer address, its half-open IKE_SAs and queued IKE_SA_INITs. An
	// address leaves the map when its count drops to zero, so a flood from
	// spoofed sources leaves nothing behind.
	halfOpenIP map[netip.Addr]int
	shutdown   bool
	cookies    *cookieJar
}

type entry struct {
	ike      *IKESA
	busy     bool
	destroy  bool
	halfOpen bool
	// halfOpenAddr is the peer address the entry was counted under while
	// half open (its IP may change before it is established).
	halfOpenAddr netip.Addr
	// seq orders entries by registration; spi is the key in bySPI (the
	// initiator SPI when the entry was indexed).
	seq uint64
	spi uint64
	// initHash identifies the IKE_SA_INIT request that created a responder
	// SA, so that a retransmission finds it instead of creating another.
	initHash [sha1.Size]byte
	initSrc  netip.AddrPort
	// Identities of an established SA, recorded at checkin so that other
	// jobs can look for "contacts" without touching the SA itself.
	connected     bool
	myID, otherID *credentials.Identity
	otherFamily4  bool
}

// NewManager creates the manager and the core's other registries (the
// second group of Env) and wires them into env.
func NewManager(env *Env, sched *processing.Scheduler, q processing.Queuer) *Manager {
	if env.NewTaskManager == nil {
		panic("sa: Env.NewTaskManager is required (tasks.New)")
	}
	m := &Manager{env: env, sched: sched, q: q, cookies: newCookieJar(env),
		entries: map[*IKESA]*entry{}, bySPI: map[uint64][]*entry{}, halfOpenIP: map[netip.Addr]int{}}
	m.cond = sync.NewCond(&m.mu)
	env.Manager = m
	env.Events = &Events{}
	env.Children = &ChildSAManager{}
	env.ReqIDs = &ReqIDs{}
	return m
}

// NextChildID hands out CHILD_SA unique ids.
func (m *Manager) NextChildID() uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.childIDs++
	return m.childIDs
}

// allocateUniqueMarks replaces %unique and %unique-dir marks with fresh
// values as child_sa_create does.
func (m *Manager) allocateUniqueMarks(in, out *kernel.Mark) {
	isUnique := func(v uint32) bool { return v == kernel.MarkUnique || v == kernel.MarkUniqueDir }
	if !isUnique(in.Value) && !isUnique(out.Value) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dir := in.Value == kernel.MarkUniqueDir || out.Value == kernel.MarkUniqueDir
	var shared uint32
	if !dir {
		m.marks++
		shared = m.marks
	}
	for _, mk := range []*kernel.Mark{in, out} {
		if isUnique(mk.Value) {
			if dir {
				m.marks++
				mk.Value = m.marks
			} else {
				mk.Value = shared
			}
		}
	}
}

// NewSPI returns a random, non-zero IKE SPI.
func (m *Manager) NewSPI() uint64 {
	var b [8]byte
	for {
		if err := m.env.Read(b[:]); err != nil {
			continue
		}
		if spi := binary.BigEndian.Uint64(b[:]); spi != 0 {
			return spi
		}
	}
}

// CreateNew creates an IKE_SA as initiator (or responder) and returns it
// checked out (charon's create_new followed by checkout_new).
func (m *Manager) CreateNew(initiator bool, thread int) *IKESA {
	ike := m.CreateDetached(initiator, thread)
	m.CheckoutNew(ike)
	return ike
}

// CreateDetached creates an IKE_SA that the manager does not know yet
// (charon's create_new): the new SA of an IKE rekey stays invisible to
// other jobs until it is established, and is destroyed without ever being
// registered if the rekey fails. Checkin or CheckoutNew registers it.
func (m *Manager) CreateDetached(initiator bool, thread int) *IKESA {
	id := IKESAID{Initiator: initiator}
	if initiator {
		id.SPIi = m.NewSPI()
	} else {
		id.SPIr = m.NewSPI()
	}
	m.mu.Lock()
	m.ikeIDs++
	uid := m.ikeIDs
	m.mu.Unlock()
	ike := NewIKESA(m.env, id, uid)
	ike.thread = thread
	ike.Log(bus.MGR, bus.Diag, "created IKE_SA %s[%d]", ike.Name(), uid)
	return ike
}

// CheckoutNew registers an IKE_SA created with CreateDetached as checked
// out by the calling job.
func (m *Manager) CheckoutNew(ike *IKESA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[ike]; e != nil {
		e.busy = true
		return
	}
	m.addLocked(&entry{ike: ike, busy: true})
}

func (m *Manager) findLocked(id IKESAID) *entry {
	list := m.bySPI[id.SPIi]
	for _, e := range list {
		x := e.ike.id
		if x.Initiator == id.Initiator && x.SPIi == id.SPIi && x.SPIr == id.SPIr {
			return e
		}
	}
	// A half-known id (responder SPI not yet learned on either side).
	for _, e := range list {
		x := e.ike.id
		if x.Initiator == id.Initiator && x.SPIi == id.SPIi && (x.SPIr == 0 || id.SPIr == 0) {
			return e
		}
	}
	return nil
}

// addLocked registers an entry.
func (m *Manager) addLocked(e *entry) {
	m.seq++
	e.seq = m.seq
	e.spi = e.ike.id.SPIi
	m.entries[e.ike] = e
	m.bySPI[e.spi] = append(m.bySPI[e.spi], e)
}

// removeLocked unregisters an entry (its half-open count is the caller's).
func (m *Manager) removeLocked(e *entry) {
	if m.entries[e.ike] != e {
		return
	}
	delete(m.entries, e.ike)
	m.unindexLocked(e)
}

func (m *Manager) unindexLocked(e *entry) {
	list := m.bySPI[e.spi]
	if i := slices.Index(list, e); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(m.bySPI, e.spi)
	} else {
		m.bySPI[e.spi] = list
	}
}

// reindexLocked follows an initiator SPI set while the SA was checked out
// (the new IKE_SA of a rekey learns it late).
func (m *Manager) reindexLocked(e *entry) {
	if spi := e.ike.id.SPIi; spi != e.spi {
		m.unindexLocked(e)
		e.spi = spi
		m.bySPI[spi] = append(m.bySPI[spi], e)
	}
}

// registeredLocked reports whether e is still the manager's entry.
func (m *Manager) registeredLocked(e *entry) bool { return m.entries[e.ike] == e }

// orderedLocked lists the entries in registration order.
func (m *Manager) orderedLocked() []*entry {
	list := make([]*entry, 0, len(m.entries))
	for _, e := range m.entries {
		list = append(list, e)
	}
	slices.SortFunc(list, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	return list
}

// setHalfOpenLocked counts an entry in or out of the half-open figures.
func (m *Manager) setHalfOpenLocked(e *entry, on bool, addr netip.Addr) {
	if e.halfOpen == on {
		return
	}
	e.halfOpen = on
	if on {
		e.halfOpenAddr = addr
		m.halfOpen++
		if !e.ike.id.Initiator {
			m.countResponderLocked(addr, 1)
		}
		return
	}
	m.halfOpen--
	if !e.ike.id.Initiator {
		m.countResponderLocked(e.halfOpenAddr, -1)
	}
}

// countResponderLocked adds n to the responder half-open figures of ip.
func (m *Manager) countResponderLocked(ip netip.Addr, n int) {
	m.halfOpenResp += n
	if c := m.halfOpenIP[ip] + n; c > 0 {
		m.halfOpenIP[ip] = c
	} else {
		delete(m.halfOpenIP, ip)
	}
}

// waitLocked waits until e is free; false if it went away meanwhile.
func (m *Manager) waitLocked(e *entry) bool {
	// An SA destroyed while checked out stays busy until it is removed:
	// waiting jobs give up on it, as charon drives waiting threads out.
	for e.busy && !e.destroy {
		m.cond.Wait()
	}
	return !e.destroy && m.registeredLocked(e)
}

// Checkout takes an IKE_SA by id, waiting while another job holds it.
func (m *Manager) Checkout(id IKESAID, thread int) *IKESA {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.findLocked(id)
	if e == nil || !m.waitLocked(e) {
		return nil
	}
	e.busy = true
	e.ike.thread = thread
	return e.ike
}

// Checkin hands an IKE_SA back; one the manager does not know yet (see
// CreateDetached) is registered, as charon's checkin does.
func (m *Manager) Checkin(ike *IKESA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[ike]
	if e == nil && ike.state != IKEDestroying {
		e = &entry{ike: ike, busy: true}
		m.addLocked(e)
	}
	if e != nil {
		m.reindexLocked(e)
		e.busy = false
		e.connected = ike.state == IKEEstablished || ike.state == IKERekeying
		e.myID, e.otherID = ike.myID, ike.OtherEAPID()
		other := ike.otherHost.Addr()
		e.otherFamily4 = other.Is4()
		switch {
		case e.halfOpen && ike.state != IKECreated && ike.state != IKEConnecting:
			m.setHalfOpenLocked(e, false, netip.Addr{})
		case e.halfOpen && other.IsValid() && other != e.halfOpenAddr:
			// The peer moved while half open: count it where it is now.
			m.setHalfOpenLocked(e, false, netip.Addr{})
			m.setHalfOpenLocked(e, true, other)
		case !e.halfOpen && ike.state == IKEConnecting:
			// An initiator's IKE_SA is half-open from the checkin after
			// its IKE_SA_INIT went out.
			m.setHalfOpenLocked(e, true, other)
		}
	}
	m.cond.Broadcast()
}

// CheckinAndDestroy destroys an IKE_SA that is checked out.
func (m *Manager) CheckinAndDestroy(ike *IKESA) {
	m.mu.Lock()
	e := m.entries[ike]
	if e != nil {
		e.destroy = true
	}
	m.mu.Unlock()
	ike.Destroy()
	m.mu.Lock()
	defer m.mu.Unlock()
	if e != nil {
		m.setHalfOpenLocked(e, false, netip.Addr{})
		m.removeLocked(e)
	}
	m.cond.Broadcast()
}

// Release ends a job's hold on an SA according to the status the job
// returned: DestroyMe destroys it.
func (m *Manager) Release(ike *IKESA, s Status) {
	if s == DestroyMe {
		m.CheckinAndDestroy(ike)
		return
	}
	m.Checkin(ike)
}

// Count returns the number of IKE_SAs.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Shutdown deletes every IKE_SA: established ones with a DELETE sent to
// the peer, the rest destroyed; used on SIGTERM and `ipsec stop`.
func (m *Manager) Shutdown(thread int) {
	m.mu.Lock()
	m.shutdown = true
	list := m.orderedLocked()
	m.mu.Unlock()
	for _, e := range list {
		m.mu.Lock()
		if !m.waitLocked(e) {
			m.mu.Unlock()
			continue
		}
		e.busy = true
		e.ike.thread = thread
		m.mu.Unlock()
		ike := e.ike
		// Send the DELETE without waiting for the answer: the daemon goes.
		if ike.state == IKEEstablished || ike.state == IKERekeying {
			ike.tm.QueueIKEDelete()
			ike.tm.Initiate()
		}
		m.CheckinAndDestroy(ike)
	}
}
