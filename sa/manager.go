package sa

import (
	"crypto/sha1"
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/processing"
)

// Manager holds every IKE_SA and hands them out one job at a time
// (ike_sa_manager_t): Checkout blocks while another job holds the SA.
type Manager struct {
	env   *Env
	sched *processing.Scheduler
	q     processing.Queuer

	mu      sync.Mutex
	cond    *sync.Cond
	entries []*entry
	// counters for unique ids, shown as name[N] and name{N}.
	ikeIDs, childIDs, marks uint32
	// halfOpen counts IKE_SAs CONNECTING at checkin, in both roles (what
	// status shows); halfOpenResp those a peer started (what the DoS
	// limits count), as charon's half_open_count(_responder).
	halfOpen, halfOpenResp int
	shutdown               bool
	cookies                *cookieJar
}

type entry struct {
	ike      *IKESA
	busy     bool
	destroy  bool
	halfOpen bool
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

// NewManager creates the manager and wires it into env.
func NewManager(env *Env, sched *processing.Scheduler, q processing.Queuer) *Manager {
	m := &Manager{env: env, sched: sched, q: q, cookies: newCookieJar(env)}
	m.cond = sync.NewCond(&m.mu)
	env.Manager = m
	if env.Children == nil {
		env.Children = &ChildSAManager{}
	}
	if env.ReqIDs == nil {
		env.ReqIDs = &ReqIDs{}
	}
	if env.Events == nil {
		env.Events = &Events{}
	}
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
	for _, e := range m.entries {
		if e.ike == ike {
			e.busy = true
			return
		}
	}
	m.entries = append(m.entries, &entry{ike: ike, busy: true})
}

func (m *Manager) findLocked(id IKESAID) *entry {
	for _, e := range m.entries {
		x := e.ike.id
		if x.Initiator == id.Initiator && x.SPIi == id.SPIi && (x.SPIr == id.SPIr || x.SPIr == 0 || id.SPIr == 0) {
			if x.SPIr == id.SPIr {
				return e
			}
		}
	}
	// A half-known id (responder SPI not yet learned on either side).
	for _, e := range m.entries {
		x := e.ike.id
		if x.Initiator == id.Initiator && x.SPIi == id.SPIi && (x.SPIr == 0 || id.SPIr == 0) {
			return e
		}
	}
	return nil
}

// waitLocked waits until e is free; false if it went away meanwhile.
func (m *Manager) waitLocked(e *entry) bool {
	// An SA destroyed while checked out stays busy until it is removed:
	// waiting jobs give up on it, as charon drives waiting threads out.
	for e.busy && !e.destroy {
		m.cond.Wait()
	}
	return !e.destroy && slices.Contains(m.entries, e)
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
	if !slices.ContainsFunc(m.entries, func(e *entry) bool { return e.ike == ike }) && ike.state != IKEDestroying {
		m.entries = append(m.entries, &entry{ike: ike, busy: true})
	}
	for _, e := range m.entries {
		if e.ike == ike {
			e.busy = false
			e.connected = ike.state == IKEEstablished || ike.state == IKERekeying
			e.myID, e.otherID = ike.myID, ike.OtherEAPID()
			e.otherFamily4 = ike.otherHost.Addr().Is4()
			if e.halfOpen && ike.state != IKECreated && ike.state != IKEConnecting {
				e.halfOpen = false
				m.halfOpen--
				if !ike.id.Initiator {
					m.halfOpenResp--
				}
			} else if !e.halfOpen && ike.state == IKEConnecting {
				// An initiator's IKE_SA is half-open from the checkin after
				// its IKE_SA_INIT went out.
				e.halfOpen = true
				m.halfOpen++
				if !ike.id.Initiator {
					m.halfOpenResp++
				}
			}
			break
		}
	}
	m.cond.Broadcast()
}

// CheckinAndDestroy destroys an IKE_SA that is checked out.
func (m *Manager) CheckinAndDestroy(ike *IKESA) {
	m.mu.Lock()
	var e *entry
	for _, x := range m.entries {
		if x.ike == ike {
			e = x
			break
		}
	}
	if e != nil {
		e.destroy = true
	}
	m.mu.Unlock()
	ike.Destroy()
	m.mu.Lock()
	defer m.mu.Unlock()
	if e != nil {
		if e.halfOpen {
			m.halfOpen--
			if !ike.id.Initiator {
				m.halfOpenResp--
			}
		}
		if i := slices.Index(m.entries, e); i >= 0 {
			m.entries = slices.Delete(m.entries, i, i+1)
		}
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

// rekeyID is called when an SA's SPIs change; the entry follows the SA.
func (m *Manager) rekeyID(*IKESA, IKESAID) {}

// initHash hashes an IKE_SA_INIT request to recognise retransmissions.
func initHash(data []byte) [sha1.Size]byte { return sha1.Sum(data) }

// CheckoutByMessage finds the IKE_SA an incoming message belongs to, or
// creates a responder SA for a new IKE_SA_INIT request. The boolean is
// true if the SA was created for this message.
func (m *Manager) CheckoutByMessage(msg *encoding.Message, raw []byte, src netip.AddrPort, thread int) (*IKESA, bool) {
	// Our role is the opposite of the sender's initiator flag.
	id := IKESAID{SPIi: msg.SPIi, SPIr: msg.SPIr, Initiator: !msg.Initiator}
	if msg.Exchange == encoding.ExchangeIKESAInit && !msg.Response && msg.SPIr == 0 && msg.MessageID == 0 {
		h := initHash(raw)
		m.mu.Lock()
		for _, e := range m.entries {
			if !e.ike.id.Initiator && e.ike.id.SPIi == msg.SPIi && e.initSrc == src {
				if e.initHash == h {
					// A retransmission: the existing SA answers it.
					if !m.waitLocked(e) {
						m.mu.Unlock()
						return nil, false
					}
					e.busy = true
					e.ike.thread = thread
					m.mu.Unlock()
					return e.ike, false
				}
				m.mu.Unlock()
				return nil, false // same SPI, other content: ignore
			}
		}
		if m.shutdown {
			m.mu.Unlock()
			return nil, false
		}
		m.ikeIDs++
		uid := m.ikeIDs
		m.mu.Unlock()
		ike := NewIKESA(m.env, IKESAID{SPIi: msg.SPIi, SPIr: m.NewSPI(), Initiator: false}, uid)
		ike.thread = thread
		m.mu.Lock()
		m.entries = append(m.entries, &entry{ike: ike, busy: true, halfOpen: true, initHash: h, initSrc: src})
		m.halfOpen++
		m.halfOpenResp++
		m.mu.Unlock()
		return ike, true
	}
	if msg.Exchange == encoding.ExchangeIKESAInit && msg.Response {
		// We initiated; the SA is registered without the responder SPI.
		id.SPIr = 0
	}
	ike := m.Checkout(id, thread)
	if ike != nil && ike.id.SPIr == 0 && msg.SPIr != 0 {
		ike.SetResponderSPI(msg.SPIr)
	}
	return ike, false
}

// HasContact reports whether another established IKE_SA exists between
// the same identities (then an initiator sends no INITIAL_CONTACT).
func (m *Manager) HasContact(ike *IKESA, me, other *credentials.Identity) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	four := ike.otherHost.Addr().Is4()
	for _, e := range m.entries {
		if e.ike != ike && e.connected && e.myID != nil && e.otherID != nil &&
			e.myID.Equals(me) && e.otherID.Equals(other) && e.otherFamily4 == four {
			return true
		}
	}
	return false
}

// CheckUniqueness enforces the peer config's uniqueids policy once ike is
// authenticated; it returns true if ike must be canceled (uniqueids=keep).
// With forceReplace (INITIAL_CONTACT received) duplicates are destroyed.
func (m *Manager) CheckUniqueness(ike *IKESA, forceReplace bool) bool {
	policy := ike.peerCfg.Unique
	if policy == config.UniqueNever || (policy == config.UniqueNo && !forceReplace) {
		return false
	}
	me, other := ike.myID, ike.OtherEAPID()
	four := ike.otherHost.Addr().Is4()
	m.mu.Lock()
	var dups []*entry
	for _, e := range m.entries {
		if e.ike != ike && e.connected && e.myID != nil && e.otherID != nil &&
			e.myID.Equals(me) && e.otherID.Equals(other) && e.otherFamily4 == four {
			dups = append(dups, e)
		}
	}
	m.mu.Unlock()
	cancel := false
	for _, e := range dups {
		dup := m.Checkout(e.ike.id, ike.thread)
		if dup == nil {
			continue
		}
		if forceReplace {
			ike.Log(bus.IKE, bus.Control, "destroying duplicate IKE_SA for peer '%s', received INITIAL_CONTACT", other)
			m.env.Events.IKEUpdown(dup, false)
			m.CheckinAndDestroy(dup)
			continue
		}
		status := Success
		if dup.peerCfg != nil && dup.peerCfg.Equal(ike.peerCfg) &&
			(dup.state == IKEEstablished || dup.state == IKERekeying) {
			switch policy {
			case config.UniqueReplace:
				m.env.Events.Alert(ike, AlertUniqueReplace)
				if dup.otherHost == ike.otherHost {
					// Looks like a reauthentication: keep the old SA a
					// while so that traffic flows until the new one is up.
					m.ScheduleIKE(dup.id, 10*time.Second, "delete_ike_sa", func(x *IKESA) Status { return x.deleteJob(true) })
					ike.Log(bus.IKE, bus.Control, "schedule delete of duplicate IKE_SA for peer '%s' due to uniqueness policy and suspected reauthentication", other)
				} else {
					ike.Log(bus.IKE, bus.Control, "deleting duplicate IKE_SA for peer '%s' due to uniqueness policy", other)
					status = dup.Delete(false)
				}
			case config.UniqueKeep:
				if dup.otherHost != ike.otherHost {
					cancel = true
					policy = config.UniqueReplace
				}
			}
		}
		m.Release(dup, status)
	}
	return cancel
}

// HalfOpen is the number of half-open IKE_SAs in both roles (what status
// shows and init_limit_half_open limits on initiation).
func (m *Manager) HalfOpen() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.halfOpen
}

// HalfOpenResponder is the number of half-open IKE_SAs a peer started
// (what the receiver's DoS limits count).
func (m *Manager) HalfOpenResponder() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.halfOpenResp
}

// halfOpenFrom is the number of half-open IKE_SAs ip started with us.
func (m *Manager) halfOpenFrom(ip netip.Addr) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.entries {
		if e.halfOpen && !e.ike.id.Initiator && e.initSrc.Addr() == ip {
			n++
		}
	}
	return n
}

// CheckoutByName finds an IKE_SA by connection name, "name[N]" uniqueness
// aside (that is the stroke layer's job); child selects a CHILD_SA name.
func (m *Manager) CheckoutByName(name string, child bool, thread int) *IKESA {
	return m.checkoutBy(thread, func(ike *IKESA) bool {
		if child {
			for _, c := range ike.children {
				if c.Name() == name {
					return true
				}
			}
			return false
		}
		return ike.peerCfg != nil && ike.peerCfg.Name == name
	})
}

// CheckoutByUniqueID finds an IKE_SA by its unique id (CHILD_SAs are found
// by theirs through ChildSAManager.CheckoutByID).
func (m *Manager) CheckoutByUniqueID(id uint32, thread int) *IKESA {
	return m.checkoutBy(thread, func(ike *IKESA) bool { return ike.uniqueID == id })
}

// CheckoutByConfig finds an established (or connecting) IKE_SA for a peer
// config to reuse for a new CHILD_SA (charon.reuse_ikesa), or creates one.
func (m *Manager) CheckoutByConfig(peer *config.PeerCfg, thread int) *IKESA {
	if m.env.Settings.ReuseIKESA {
		if ike := m.checkoutBy(thread, func(ike *IKESA) bool {
			// An equal config counts, as in charon: after a reload the
			// connection is a new object with the same contents.
			if ike.peerCfg == nil || !ike.peerCfg.Equal(peer) || !ike.peerCfg.IKE.Equal(peer.IKE) {
				return false
			}
			switch ike.state {
			case IKEDeleting, IKEDestroying, IKERekeyed, IKEPassive:
				return false
			}
			return true
		}); ike != nil {
			return ike
		}
	}
	ike := m.CreateNew(true, thread)
	ike.SetPeerCfg(peer)
	return ike
}

func (m *Manager) checkoutBy(thread int, match func(*IKESA) bool) *IKESA {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.entries {
		if e.destroy {
			continue
		}
		// Reading fields of a busy SA is a race; wait for it first.
		if !m.waitLocked(e) {
			continue
		}
		if match(e.ike) {
			e.busy = true
			e.ike.thread = thread
			return e.ike
		}
	}
	return nil
}

// Each calls fn for every IKE_SA, checked out in turn (status output).
// With wait false, SAs busy in another job are skipped, as
// statusall-nb does.
func (m *Manager) Each(thread int, wait bool, fn func(ike *IKESA)) {
	m.mu.Lock()
	list := slices.Clone(m.entries)
	m.mu.Unlock()
	for _, e := range list {
		m.mu.Lock()
		if e.destroy || !slices.Contains(m.entries, e) || (!wait && e.busy) {
			m.mu.Unlock()
			continue
		}
		if !m.waitLocked(e) {
			m.mu.Unlock()
			continue
		}
		e.busy = true
		e.ike.thread = thread
		m.mu.Unlock()
		fn(e.ike)
		m.Checkin(e.ike)
	}
}

// Count returns the number of IKE_SAs.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// ScheduleIKE runs fn on the IKE_SA id after d: a job checks it out, runs
// fn and checks it in (or destroys it on DestroyMe). Missing SAs are
// silently skipped, as charon's jobs do.
func (m *Manager) ScheduleIKE(id IKESAID, d time.Duration, name string, fn func(*IKESA) Status) {
	job := processing.Func{Prio: processing.Medium, Name: name, Fn: func(c processing.Ctx) {
		ike := m.Checkout(id, c.Thread)
		if ike == nil {
			// charon's jobs are silent about vanished SAs, except this one.
			if name == "rekey_ike_sa" {
				m.env.Bus.Log(c.Thread, nil, bus.JOB, bus.Diag, "IKE_SA to rekey not found")
			}
			return
		}
		m.Release(ike, fn(ike))
	}}
	if d <= 0 {
		m.q.Queue(job)
		return
	}
	m.sched.Schedule(job, d)
}

// ScheduleChild runs fn on the IKE_SA owning the CHILD_SA (proto, spi,
// dst) after d.
func (m *Manager) ScheduleChild(proto uint8, spi uint32, dst netip.Addr, d time.Duration, name string,
	fn func(*IKESA, *ChildSA) Status) {
	job := processing.Func{Prio: processing.Medium, Name: name, Fn: func(c processing.Ctx) {
		ike, child := m.env.Children.Checkout(m, proto, spi, dst, c.Thread)
		if ike == nil {
			// As rekey_child_sa_job and delete_child_sa_job say it.
			what := strings.TrimSuffix(name, "_child_sa")
			m.env.Bus.Log(c.Thread, nil, bus.JOB, bus.Control, "CHILD_SA %s/0x%08x/%s not found for %s",
				protoName(proto), spi, dst, what)
			return
		}
		m.Release(ike, fn(ike, child))
	}}
	if d <= 0 {
		m.q.Queue(job)
		return
	}
	m.sched.Schedule(job, d)
}

// Queue runs fn as a job on a worker (no SA involved).
func (m *Manager) Queue(prio processing.Priority, name string, fn func(thread int)) {
	m.q.Queue(processing.Func{Prio: prio, Name: name, Fn: func(c processing.Ctx) { fn(c.Thread) }})
}

// Schedule runs fn on a worker after d (no SA involved).
func (m *Manager) Schedule(d time.Duration, name string, fn func(thread int)) {
	m.sched.Schedule(processing.Func{Prio: processing.Medium, Name: name, Fn: func(c processing.Ctx) { fn(c.Thread) }}, d)
}

// Now is the manager's clock.
func (m *Manager) Now() time.Time { return m.env.Clock.Now() }

// reestablish recreates an IKE_SA with its CHILD_SAs on a new one, if the
// configured actions want them back (ike_sa.c reestablish).
func (m *Manager) reestablish(ike *IKESA) bool {
	for _, t := range ike.tm.Tasks(QueueQueued) {
		if t.Type() == TaskIKEDelete {
			return false // explicitly deleted meanwhile
		}
	}
	restart := false
	if ike.Has(CondReauthenticating) {
		if len(ike.children) == 0 {
			ike.Log(bus.IKE, bus.Control, "unable to reauthenticate IKE_SA, no CHILD_SA to recreate")
		} else {
			restart = true
		}
	} else {
		for _, c := range ike.children {
			if c.state == ChildRekeyed || c.state == ChildDeleted {
				continue
			}
			action := c.dpdAction
			if ike.state == IKEDeleting {
				action = c.closeAction
			}
			if action == config.ActionTrap && m.env.Traps != nil {
				m.env.Traps.Install(ike.thread, ike.peerCfg, c.cfg)
			}
			if action == config.ActionStart {
				restart = true
			}
		}
		if !restart {
			for _, q := range []TaskQueue{QueueActive, QueueQueued} {
				for _, t := range ike.tm.Tasks(q) {
					if t.Type() == TaskChildCreate {
						restart = true
					}
				}
			}
		}
	}
	if !restart {
		return false
	}
	if !ike.Has(CondOriginalInitiator) && (len(ike.otherVIPs) != 0 || ike.Has(CondEAPAuthenticated)) {
		ike.Log(bus.IKE, bus.Control, "unable to reestablish IKE_SA due to asymmetric setup")
		return false
	}
	n := m.CreateNew(true, ike.thread)
	n.SetPeerCfg(ike.peerCfg)
	n.otherHost, n.myHost = ike.otherHost, ike.myHost
	if !ike.Has(CondReauthenticating) {
		n.resolveHosts()
	}
	n.myVIPs = append(n.myVIPs, ike.myVIPs...)
	force := ike.Has(CondReauthenticating)
	for _, c := range ike.children {
		if c.state == ChildRekeyed || c.state == ChildDeleted {
			continue
		}
		action := config.ActionStart
		if !force {
			action = c.dpdAction
			if ike.state == IKEDeleting {
				action = c.closeAction
			}
		}
		if action == config.ActionStart {
			ike.Log(bus.IKE, bus.Control, "restarting CHILD_SA %s", c.Name())
			n.tm.QueueChild(c.cfg, &ChildInitArgs{ReqID: c.reqid})
		}
	}
	n.tm.AdoptChildTasks(ike.tm)
	if n.Initiate(nil, nil) == DestroyMe {
		m.CheckinAndDestroy(n)
		return false
	}
	m.Checkin(n)
	return true
}

// Shutdown deletes every IKE_SA: established ones with a DELETE sent to
// the peer, the rest destroyed; used on SIGTERM and `ipsec stop`.
func (m *Manager) Shutdown(thread int) {
	m.mu.Lock()
	m.shutdown = true
	list := slices.Clone(m.entries)
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

// SameHosts reports whether two address ports name the same endpoint.
func SameHosts(a, b netip.AddrPort) bool { return a.Addr() == b.Addr() && a.Port() == b.Port() }
