package sa

import (
	"crypto/sha1"
	"encoding/binary"
	"net/netip"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
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
	idx  index
	// counters for unique ids, shown as name[N] and name{N}.
	ikeIDs, childIDs, marks uint32
	// halfOpen counts IKE_SAs CONNECTING at checkin, in both roles (what
	// status shows); halfOpenResp those a peer started (what the DoS
	// limits count), as charon's half_open_count(_responder). Both include
	// IKE_SA_INIT requests still queued (TrackInit), as in charon.
	halfOpen, halfOpenResp int
	// idx.halfOpenIP is charon's half_open_table for the responder role:
	// per peer address, its half-open IKE_SAs and queued IKE_SA_INITs. An
	// address leaves the map when its count drops to zero, so a flood from
	// spoofed sources leaves nothing behind.
	shutdown bool
	cookies  *cookieJar
}

type entry struct {
	ike      *IKESA
	busy     bool
	destroy  bool
	halfOpen bool
	// removed: no longer in the manager (waiters give up on it).
	removed bool
	// The entry's place in the index (manager_index.go).
	prev, next *entry
	spi        spiKey
	contact    *contactKey
	// halfOpenAddr is the peer address the entry was counted under while
	// half open (its IP may change before it is established).
	halfOpenAddr netip.Addr
	// initHash identifies the IKE_SA_INIT request that created a responder
	// SA, so that a retransmission finds it instead of creating another.
	initHash [sha1.Size]byte
	initSrc  netip.AddrPort
	// Identities of an established SA, recorded at checkin so that other
	// jobs can look for "contacts" without touching the SA itself.
	connected     bool
	myID, otherID *credentials.Identity
	otherFamily4  bool
	// contactMe and contactID are the identities (ours, the peer's) the
	// entry is filed under as a contact; peerCfg the SA's config at
	// checkin (for CheckoutByConfig).
	contactMe, contactID *credentials.Identity
	peerCfg              *config.PeerCfg
	cfgKey               string // config.MergeKey(peerCfg)
	// seq is the entry's place in the order entries came (the index
	// lists CheckoutByConfig's candidates oldest first by it).
	seq uint64
	// names are the SA's name and its CHILD_SAs' at the last checkin
	// (nil before it), what `ipsec status <name>` filters by (EachNamed).
	names []string
}

// NewManager creates the manager and the core's other registries (the
// second group of Env) and wires them into env.
func NewManager(env *Env, sched *processing.Scheduler, q processing.Queuer) *Manager {
	if env.NewTaskManager == nil {
		panic("sa: Env.NewTaskManager is required (tasks.New)")
	}
	m := &Manager{env: env, sched: sched, q: q, cookies: newCookieJar(env)}
	m.idx.init()
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
	if e := m.idx.byIKE[ike]; e != nil {
		e.busy = true
		return
	}
	m.idx.add(&entry{ike: ike, busy: true})
}

func (m *Manager) findLocked(id IKESAID) *entry {
	bucket := m.idx.bySPI[spiKey{id.SPIi, id.Initiator}]
	for _, e := range bucket {
		if e.ike.id.SPIr == id.SPIr {
			return e
		}
	}
	// A half-known id (responder SPI not yet learned on either side).
	for _, e := range bucket {
		if e.ike.id.SPIr == 0 || id.SPIr == 0 {
			return e
		}
	}
	return nil
}

// refile follows an IKE_SA's change of initiator SPI (a reset) in the
// index; an SA the manager does not know is left alone.
func (m *Manager) refile(ike *IKESA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.idx.byIKE[ike]; e != nil {
		m.idx.refile(e)
	}
}

// addLocked registers an entry.
func (m *Manager) addLocked(e *entry) { m.idx.add(e) }

// removeLocked unregisters an entry (its half-open count is the caller's).
func (m *Manager) removeLocked(e *entry) {
	if m.idx.byIKE[e.ike] == e {
		m.idx.remove(e)
	}
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
	m.idx.init()
	m.halfOpenResp += n
	if c := m.idx.halfOpenIP[ip] + n; c > 0 {
		m.idx.halfOpenIP[ip] = c
	} else {
		delete(m.idx.halfOpenIP, ip)
	}
}

// waitLocked waits until e is free; false if it went away meanwhile.
func (m *Manager) waitLocked(e *entry) bool {
	// An SA destroyed while checked out stays busy until it is removed:
	// waiting jobs give up on it, as charon drives waiting threads out.
	for e.busy && !e.destroy {
		m.cond.Wait()
	}
	return !e.destroy && !e.removed
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
	e := m.idx.byIKE[ike]
	if e == nil && ike.state != IKEDestroying {
		e = &entry{ike: ike, busy: true}
		m.idx.add(e)
	}
	if e != nil {
		m.checkinLocked(e)
	}
	m.cond.Broadcast()
}

// checkinLocked records what other jobs may look at without the SA and
// frees the entry.
func (m *Manager) checkinLocked(e *entry) {
	ike := e.ike
	e.busy = false
	m.idx.refile(e)
	e.connected = ike.state == IKEEstablished || ike.state == IKERekeying
	e.myID, e.otherID = ike.myID, ike.OtherEAPID()
	e.otherFamily4 = ike.otherHost.Addr().Is4()
	if e.peerCfg != ike.peerCfg {
		m.idx.setCfg(e, ike.peerCfg)
	}
	e.names = append(e.names[:0], ike.Name())
	for _, c := range ike.children {
		e.names = append(e.names, c.Name())
	}
	contact := e.otherID
	if !e.connected || e.myID == nil {
		contact = nil
	}
	if contact != e.contactID || (contact != nil && e.myID != e.contactMe) {
		m.idx.setContact(e, e.myID, contact)
		e.contactMe, e.contactID = e.myID, contact
	}
	other := ike.otherHost.Addr()
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

// CheckinAndDestroy destroys an IKE_SA that is checked out.
func (m *Manager) CheckinAndDestroy(ike *IKESA) {
	m.mu.Lock()
	e := m.idx.byIKE[ike]
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
	return m.idx.n
}

// Shutdown deletes every IKE_SA: established ones with a DELETE sent to
// the peer, the rest destroyed; used on SIGTERM and `ipsec stop`.
func (m *Manager) Shutdown(thread int) {
	m.mu.Lock()
	m.shutdown = true
	list := m.idx.list()
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
