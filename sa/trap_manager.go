package sa

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// TrapManager installs trap policies for auto=route connections and
// dpdaction/closeaction=hold, and starts the IKE_SA when the kernel
// reports a packet that hit one (strongSwan's trap_manager.c).
//
// A trap is a CHILD_SA that never gets keys: it owns the policies, with
// the lower "routed" priority, and a reqid that the kernel names in its
// ACQUIRE. The CHILD_SA negotiated on an acquire reuses that reqid.
type TrapManager struct {
	env *Env

	mu         sync.Mutex
	cond       *sync.Cond
	traps      []*trapEntry
	installing int
	flushed    bool

	amu      sync.Mutex
	acquires []*acquire

	// IgnoreAcquireTS is charon.ignore_acquire_ts: do not put the
	// triggering packet's addresses first in the traffic selectors.
	IgnoreAcquireTS bool
}

type trapEntry struct {
	name     string
	peer     *config.PeerCfg
	child    *ChildSA // nil while being installed
	wildcard bool     // transport mode trap to %any
}

type acquire struct {
	ike   *IKESA
	reqid uint32
	dst   netip.Addr // wildcard traps: one IKE_SA per destination
}

// TrapInfo describes an installed trap for status output.
type TrapInfo struct {
	Peer  *config.PeerCfg
	Child *ChildSA
}

// NewTrapManager creates the trap manager, registers it for IKE/CHILD_SA
// events (to forget acquires once they completed) and as env.Traps, and
// returns it. Route kernel acquires to its Acquire.
func NewTrapManager(env *Env) *TrapManager {
	t := &TrapManager{env: env}
	t.cond = sync.NewCond(&t.mu)
	env.Events.Add(trapListener{t})
	env.Traps = t
	return t
}

// newTrapChild creates the CHILD_SA of a trap: it has hosts but no IKE_SA.
func newTrapChild(env *Env, me, other netip.AddrPort, cfg *config.ChildCfg, ifIDIn, ifIDOut uint32) *ChildSA {
	c := &ChildSA{
		env: env, cfg: cfg,
		uniqueID:    env.Manager.NextChildID(),
		state:       ChildCreated,
		mode:        kernel.ModeTunnel,
		closeAction: cfg.CloseAction,
		dpdAction:   cfg.DPDAction,
		reqid:       cfg.ReqID,
		staticReqID: cfg.ReqID != 0,
		in:          childDir{mark: cfg.MarkIn, ifID: cfg.IfIDIn},
		out:         childDir{mark: cfg.MarkOut, ifID: cfg.IfIDOut},
		installTime: env.Clock.Now(),
		myAddr:      me.Addr(), otherAddr: other.Addr(),
		myPort: me.Port(), otherPort: other.Port(),
	}
	if c.in.ifID == 0 {
		c.in.ifID = ifIDIn
	}
	if c.out.ifID == 0 {
		c.out.ifID = ifIDOut
	}
	env.Manager.allocateUniqueMarks(&c.in.mark, &c.out.mark)
	return c
}

// dynamicRemoteTS reports whether the config's remote selectors need the
// peer's address.
func dynamicRemoteTS(c *config.ChildCfg) bool {
	return slices.ContainsFunc(c.RemoteTS, selectors.TS.IsDynamic)
}

func (t *TrapManager) log(thread int, l bus.Level, format string, args ...any) {
	t.env.Bus.Log(thread, nil, bus.CFG, l, format, args...)
}

// Install routes child of peer and returns the reqid of its trap policies,
// 0 if that failed. A trap of the same name and peer is replaced.
func (t *TrapManager) Install(thread int, peer *config.PeerCfg, child *config.ChildCfg) uint32 {
	me, other, wildcard, ok := t.trapHosts(thread, peer.IKE, child)
	if !ok {
		return 0
	}
	myPort := peer.IKE.LocalPort
	if myPort == 0 {
		myPort = t.env.Settings.Port
	}
	otherPort := peer.IKE.RemotePort
	if otherPort == 0 {
		otherPort = IKEPort
	}
	entry, found, ok := t.reserve(thread, peer, child, wildcard)
	if !ok {
		return 0
	}
	c := newTrapChild(t.env, netip.AddrPortFrom(me, myPort), netip.AddrPortFrom(other, otherPort), child,
		peer.IfIDIn, peer.IfIDOut)
	err := installTrap(c, me, other)
	reqid := uint32(0)
	t.mu.Lock()
	if err != nil {
		if i := slices.Index(t.traps, entry); i >= 0 {
			t.traps = slices.Delete(t.traps, i, i+1)
		}
	} else {
		entry.child = c
		reqid = c.ReqID()
	}
	t.mu.Unlock()
	if err != nil {
		t.log(thread, bus.Control, "installing trap failed")
		c.Destroy()
	}
	if found != nil {
		found.child.Destroy()
	}
	t.mu.Lock()
	t.installing--
	t.cond.Broadcast()
	t.mu.Unlock()
	return reqid
}

// trapHosts finds the addresses of a trap's policies: the peer's as
// configured (or resolved), ours as configured or the source address
// towards the peer. A transport mode trap for %any is a wildcard that
// covers every peer; otherwise an unknown peer fails (logged).
func (t *TrapManager) trapHosts(thread int, ike *config.IKECfg, child *config.ChildCfg) (me, other netip.Addr, wildcard, ok bool) {
	o, otherOK := ike.ResolveOther(0, t.env.Resolve)
	switch {
	case otherOK && o.IsUnspecified() && child.Mode == kernel.ModeTransport:
		// A transport mode trap may cover any peer; each destination
		// gets its own IKE_SA.
		return unspecifiedLike(o), o, true, true
	case otherOK && o.IsUnspecified():
		t.log(thread, bus.Control, "installing trap failed, remote address unknown")
		return me, other, false, false
	case !otherOK && dynamicRemoteTS(child):
		t.log(thread, bus.Control, "installing trap failed, remote address unknown with dynamic traffic selector")
		return me, other, false, false
	}
	family := 0
	if otherOK {
		family = 6
		if o.Is4() {
			family = 4
		}
		other = o
	}
	m, meOK := ike.ResolveMe(family, t.env.Resolve)
	if !otherOK {
		if meOK {
			other = unspecifiedLike(m)
		} else {
			other = netip.IPv4Unspecified()
		}
	}
	if (!meOK || m.IsUnspecified()) && !other.IsUnspecified() && t.env.Net != nil {
		if src, err := t.env.Net.SourceAddr(other, netip.Addr{}); err == nil {
			m, meOK = src, true
		}
	}
	if !meOK {
		m = unspecifiedLike(other)
	}
	return m, other, false, true
}

// reserve enters a trap being installed at the head of the list, taking
// out the one it replaces (found, destroyed by the caller once the new
// one is in); false if the manager is flushed or the trap is being
// installed by another job.
func (t *TrapManager) reserve(thread int, peer *config.PeerCfg, child *config.ChildCfg, wildcard bool) (entry, found *trapEntry, ok bool) {
	t.mu.Lock()
	if t.flushed {
		t.mu.Unlock()
		return nil, nil, false
	}
	for i, e := range t.traps {
		if e.name == child.Name && e.peer.Name == peer.Name {
			found = e
			if e.child != nil {
				t.traps = slices.Delete(t.traps, i, i+1)
			}
			break
		}
	}
	if found != nil {
		if found.child == nil {
			t.mu.Unlock()
			t.log(thread, bus.Control, "CHILD_SA '%s' is already being routed", found.name)
			return nil, nil, false
		}
		t.log(thread, bus.Control, "updating already routed CHILD_SA '%s'", found.name)
	}
	entry = &trapEntry{name: child.Name, peer: peer, wildcard: wildcard}
	t.traps = slices.Insert(t.traps, 0, entry)
	t.installing++
	t.mu.Unlock()
	return entry, found, true
}

func unspecifiedLike(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// installTrap sets up the trap CHILD_SA's selectors and policies. The
// protocol is the first proposal's: the negotiated one is not known yet,
// and policies must name one.
func installTrap(c *ChildSA, me, other netip.Addr) error {
	cfg := c.cfg
	myTS, _ := cfg.TrafficSelectors(true, nil, []netip.Addr{me})
	otherTS, _ := cfg.TrafficSelectors(false, nil, []netip.Addr{other})
	proto := kernel.ProtoESP
	if props := cfg.ProposalsForNegotiation(true); len(props) > 0 && props[0].Protocol == config.ProtoAH {
		proto = kernel.ProtoAH
	}
	c.SetProtocol(proto)
	c.SetMode(cfg.Mode)
	c.SetPolicies(myTS, otherTS)
	return c.InstallPolicies()
}

// Uninstall removes the trap of CHILD_SA config child (of peer, if not
// empty); it reports whether there was one.
func (t *TrapManager) Uninstall(peer, child string) bool {
	t.mu.Lock()
	for t.installing > 0 {
		t.cond.Wait()
	}
	var found *trapEntry
	for i, e := range t.traps {
		if e.name == child && (peer == "" || peer == e.peer.Name) {
			found = e
			t.traps = slices.Delete(t.traps, i, i+1)
			break
		}
	}
	t.mu.Unlock()
	if found == nil {
		return false
	}
	found.child.Destroy()
	return true
}

// Traps lists the installed traps, newest first (as charon lists them).
func (t *TrapManager) Traps() []TrapInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []TrapInfo
	for _, e := range t.traps {
		if e.child != nil {
			out = append(out, TrapInfo{Peer: e.peer, Child: e.child})
		}
	}
	return out
}

// Find returns the reqid of the trap for a CHILD_SA config, 0 if it is not
// routed.
func (t *TrapManager) Find(child string) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range t.traps {
		if e.child != nil && e.name == child {
			return e.child.ReqID()
		}
	}
	return 0
}

// Flush removes every trap and refuses new ones (daemon shutdown).
func (t *TrapManager) Flush() {
	t.mu.Lock()
	for t.installing > 0 {
		t.cond.Wait()
	}
	traps := t.traps
	t.traps = nil
	t.flushed = true
	t.mu.Unlock()
	for _, e := range traps {
		if e.child != nil {
			e.child.Destroy()
		}
	}
}

// Acquire handles a kernel ACQUIRE for reqid: it initiates the trapped
// connection unless an attempt for it is already under way.
func (t *TrapManager) Acquire(thread int, reqid uint32, src, dst selectors.TS) {
	t.mu.Lock()
	var found *trapEntry
	for _, e := range t.traps {
		if e.child != nil && e.child.ReqID() == reqid {
			found = e
			break
		}
	}
	if found == nil {
		t.mu.Unlock()
		t.log(thread, bus.Control, "trap not found, unable to acquire reqid %d", reqid)
		return
	}
	peer, child, wildcard := found.peer, found.child.Config(), found.wildcard
	// 5.9.8 asks for the reqid the kernel named; with charon.keep_reqids
	// the trap's own, referenced until the CHILD_SA has it (5.9.12).
	want := reqid
	if t.env.Settings.KeepReqIDs {
		want = found.child.ReqIDRef()
	}
	t.mu.Unlock()
	defer t.env.ReleaseReqIDRef(want)

	t.amu.Lock()
	ignore := false
	var acq *acquire
	if wildcard {
		host := dst.From()
		for _, a := range t.acquires {
			if a.dst.IsValid() && a.dst == host {
				ignore = true
				break
			}
		}
		if !ignore {
			acq = &acquire{reqid: reqid, dst: host}
		}
	} else {
		for _, a := range t.acquires {
			if a.reqid == reqid && !a.dst.IsValid() {
				ignore = true
				break
			}
		}
		if !ignore {
			acq = &acquire{reqid: reqid}
		}
	}
	if acq != nil {
		t.acquires = append(t.acquires, acq)
	}
	t.amu.Unlock()
	if ignore {
		t.log(thread, bus.Control, "ignoring acquire for reqid %d, connection attempt pending", reqid)
		return
	}

	m := t.env.Manager
	var ike *IKESA
	if wildcard {
		// The peer config would match IKE_SAs with other peers; this
		// destination gets an IKE_SA of its own.
		ike = m.CreateNew(true, thread)
		ike.SetPeerCfg(peer)
		cfg := ike.IKECfg()
		otherPort := cfg.RemotePort
		if otherPort == 0 {
			otherPort = IKEPort
		}
		myPort := cfg.LocalPort
		if myPort == 0 {
			myPort = t.env.Settings.Port
		}
		ike.SetOtherHost(netip.AddrPortFrom(dst.From(), otherPort))
		ike.SetMyHost(netip.AddrPortFrom(src.From(), myPort))
	} else {
		ike = m.CheckoutByConfig(peer, thread)
	}
	if ike == nil {
		t.amu.Lock()
		if i := slices.Index(t.acquires, acq); i >= 0 {
			t.acquires = slices.Delete(t.acquires, i, i+1)
		}
		t.amu.Unlock()
		return
	}
	args := &ChildInitArgs{ReqID: want}
	if !t.IgnoreAcquireTS && src.IsValid() && dst.IsValid() {
		s, d := src, dst
		args.Src, args.Dst = &s, &d
	}
	t.amu.Lock()
	acq.ike = ike
	t.amu.Unlock()
	m.Release(ike, ike.Initiate(child, args))
}

// complete forgets the acquires an IKE_SA handled: all of them when it
// goes away, the one for the CHILD_SA's reqid when that is up or failed.
func (t *TrapManager) complete(ike *IKESA, child *ChildSA) {
	t.amu.Lock()
	defer t.amu.Unlock()
	kept := t.acquires[:0]
	for _, a := range t.acquires {
		if a.ike == nil || a.ike != ike {
			kept = append(kept, a)
			continue
		}
		if child != nil && !a.dst.IsValid() && child.ReqID() != a.reqid {
			kept = append(kept, a)
			continue
		}
	}
	clear(t.acquires[len(kept):])
	t.acquires = kept
}

type trapListener struct{ t *TrapManager }

func (l trapListener) IKEStateChange(ike *IKESA, s IKEState) bool {
	if s == IKEDestroying {
		l.t.complete(ike, nil)
	}
	return true
}

func (l trapListener) ChildStateChange(ike *IKESA, c *ChildSA, s ChildState) bool {
	if s == ChildInstalled || s == ChildDestroying {
		l.t.complete(ike, c)
	}
	return true
}
