package sa

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// Standard IKE ports.
const (
	IKEPort  = 500
	NATTPort = 4500
)

// IKESA is one IKE security association, ike_sa_t. See doc.go for who may
// touch it when.
type IKESA struct {
	env      *Env
	id       IKESAID
	uniqueID uint32
	state    IKEState
	thread   int // worker that has it checked out, for log lines

	peerCfg  *config.PeerCfg
	ikeCfg   *config.IKECfg
	proposal *config.Proposal
	keymat   *Keymat
	tm       TaskManager

	myHost, otherHost netip.AddrPort
	myID, otherID     *credentials.Identity
	otherEAPID        *credentials.Identity

	children   []*ChildSA
	conditions Condition
	extensions Extension
	stats      [statMax]time.Time

	// myAuths and otherAuths are the completed authentication rounds.
	myAuths, otherAuths []*config.AuthCfg
	myVIPs, otherVIPs   []netip.Addr

	keyingTry       uint32
	natDetectDest   []byte
	keepaliveQueued bool
	fragmentSize    int
	ifIDIn, ifIDOut uint32
	// redirectedFrom is the gateway that redirected us (RFC 5685).
	redirectedFrom netip.AddrPort
	// msgSrc and msgDst are the addresses of the message being processed
	// (tasks that look at them, such as NAT detection, read them here).
	msgSrc, msgDst netip.AddrPort
	// msgRaw is the datagram being processed; lastGenerated the last
	// unfragmented message we encoded (ike_auth signs both IKE_SA_INITs).
	msgRaw, lastGenerated []byte
	// decodeErr is the error decoding the message being processed gave.
	decodeErr error
}

// DecodeError is the error of decoding the message being processed, if
// its unprotected part was invalid.
func (ike *IKESA) DecodeError() error { return ike.decodeErr }

// SetMessageRaw records the datagram being processed.
func (ike *IKESA) SetMessageRaw(raw []byte) { ike.msgRaw = raw }

// MessageRaw is the datagram being processed (nil for reassembled ones).
func (ike *IKESA) MessageRaw() []byte { return ike.msgRaw }

// LastGenerated is the last message GenerateMessage encoded unfragmented.
func (ike *IKESA) LastGenerated() []byte { return ike.lastGenerated }

// SetMessageAddrs records the addresses of the message being processed.
func (ike *IKESA) SetMessageAddrs(src, dst netip.AddrPort) { ike.msgSrc, ike.msgDst = src, dst }

// MessageAddrs returns the source and destination of the message being
// processed.
func (ike *IKESA) MessageAddrs() (src, dst netip.AddrPort) { return ike.msgSrc, ike.msgDst }

// NewIKESA creates an IKE_SA in state CREATED. initiator is our role.
func NewIKESA(env *Env, id IKESAID, uniqueID uint32) *IKESA {
	now := env.Clock.Now()
	ike := &IKESA{
		env:      env,
		id:       id,
		uniqueID: uniqueID,
		state:    IKECreated,
		keymat:   NewKeymat(env, id.Initiator),
		// Like charon, an SA starts on the IKE socket's port (printed as
		// 0.0.0.0[500] when the responder learns its address).
		myHost:       netip.AddrPortFrom(netip.IPv4Unspecified(), env.Settings.Port),
		otherHost:    netip.AddrPortFrom(netip.IPv4Unspecified(), 0),
		myID:         credentials.Any(),
		otherID:      credentials.Any(),
		fragmentSize: env.Settings.FragmentSize,
		// DPD is part of IKEv2 (RFC 7296 §2.4): every peer supports it.
		extensions: ExtDPD,
	}
	ike.stats[StatInbound] = now
	ike.stats[StatOutbound] = now
	if env.NewTaskManager != nil {
		ike.tm = env.NewTaskManager(ike)
	}
	return ike
}

// Env returns the environment the SA lives in.
func (ike *IKESA) Env() *Env { return ike.env }

// ID returns the SPIs and our role.
func (ike *IKESA) ID() IKESAID { return ike.id }

// SetResponderSPI sets the responder SPI once the IKE_SA_INIT response
// arrives (or 0 to reset it).
func (ike *IKESA) SetResponderSPI(spi uint64) {
	old := ike.id
	ike.id.SPIr = spi
	if ike.env.Manager != nil {
		ike.env.Manager.rekeyID(ike, old)
	}
}

// SetInitiatorSPI replaces the initiator SPI (a reset starts from scratch).
func (ike *IKESA) SetInitiatorSPI(spi uint64) {
	old := ike.id
	ike.id.SPIi = spi
	if ike.env.Manager != nil {
		ike.env.Manager.rekeyID(ike, old)
	}
}

// UniqueID is the number shown as name[N].
func (ike *IKESA) UniqueID() uint32 { return ike.uniqueID }

// Name is the connection name, or "(unnamed)" before a config is chosen.
func (ike *IKESA) Name() string {
	if ike.peerCfg != nil {
		return ike.peerCfg.Name
	}
	return "(unnamed)"
}

// busSA adapts an IKESA to bus.SAInfo: before a peer config is chosen the
// logger prints just "<N>".
type busSA struct{ ike *IKESA }

func (b busSA) Name() string {
	if b.ike.peerCfg == nil {
		return ""
	}
	return b.ike.peerCfg.Name
}
func (b busSA) UniqueID() uint32 { return b.ike.uniqueID }

// Log logs in the name of this IKE_SA on the worker that holds it.
func (ike *IKESA) Log(g bus.Group, l bus.Level, format string, args ...any) {
	ike.env.Bus.Log(ike.thread, busSA{ike}, g, l, format, args...)
}

// LogEnabled reports whether a message at this level would go anywhere.
func (ike *IKESA) LogEnabled(g bus.Group, l bus.Level) bool { return ike.env.Bus.Enabled(g, l) }

// Logger returns a bus.Logger bound to this SA.
func (ike *IKESA) Logger() bus.Logger {
	return bus.Ctx{Bus: ike.env.Bus, Thread: ike.thread, SA: busSA{ike}}
}

// SetThread records the worker that checked the SA out.
func (ike *IKESA) SetThread(t int) { ike.thread = t }

// Thread is the worker holding the SA.
func (ike *IKESA) Thread() int { return ike.thread }

// State returns the IKE_SA state.
func (ike *IKESA) State() IKEState { return ike.state }

// SetState changes the state. Reaching ESTABLISHED schedules rekeying,
// reauthentication, the hard lifetime and DPD, as ike_sa.c set_state does.
func (ike *IKESA) SetState(s IKEState) {
	ike.Log(bus.IKE, bus.Diag, "IKE_SA %s[%d] state change: %s => %s", ike.Name(), ike.uniqueID, ike.state, s)
	triggerDPD, keepalives := false, false
	if s == IKEEstablished && (ike.state == IKEConnecting || ike.state == IKEPassive) {
		now := ike.env.Clock.Now()
		ike.stats[StatEstablished] = now
		rnd := ike.env.RandUint64
		if t := ike.peerCfg.RekeyTimeJitter(true, rnd); t != 0 {
			at := now.Add(time.Duration(t) * time.Second)
			if ike.stats[StatRekey].IsZero() || ike.stats[StatRekey].After(at) {
				ike.stats[StatRekey] = at
				ike.scheduleRekey(false, time.Duration(t)*time.Second)
				ike.Log(bus.IKE, bus.Control, "scheduling rekeying in %ds", t)
			}
		}
		if t := ike.peerCfg.ReauthTimeJitter(true, rnd); t != 0 &&
			(ike.stats[StatReauth].IsZero() || ike.stats[StatReauth].After(now.Add(time.Duration(t)*time.Second))) {
			ike.stats[StatReauth] = now.Add(time.Duration(t) * time.Second)
			ike.scheduleRekey(true, time.Duration(t)*time.Second)
			ike.Log(bus.IKE, bus.Control, "scheduling reauthentication in %ds", t)
		} else if !ike.stats[StatReauth].IsZero() {
			ike.Log(bus.IKE, bus.Control, "reauthentication already scheduled in %ds",
				int(ike.stats[StatReauth].Sub(now)/time.Second))
		}
		if !ike.stats[StatRekey].IsZero() || !ike.stats[StatReauth].IsZero() {
			var del time.Time
			switch {
			case ike.stats[StatReauth].IsZero():
				del = ike.stats[StatRekey]
			case ike.stats[StatRekey].IsZero():
				del = ike.stats[StatReauth]
			default:
				del = minTime(ike.stats[StatRekey], ike.stats[StatReauth])
			}
			del = del.Add(time.Duration(ike.peerCfg.OverTime) * time.Second)
			ike.stats[StatDelete] = del
			d := del.Sub(ike.stats[StatEstablished])
			ike.env.Manager.ScheduleIKE(ike.id, d, "delete_ike_sa", func(x *IKESA) Status {
				return x.deleteJob(true)
			})
			ike.Log(bus.IKE, bus.Control, "maximum IKE_SA lifetime %ds", int(d/time.Second))
		}
		if ike.peerCfg.DPDDelay != 0 {
			triggerDPD = true
			// Some peers delay the DELETE after an IKE rekey longer than our
			// DPD delay; do not mistake that silence for a dead peer.
			ike.stats[StatInbound] = ike.stats[StatEstablished]
		}
		keepalives = ike.state == IKEPassive
		ike.redirectedFrom = netip.AddrPort{}
	}
	ike.env.Events.IKEStateChange(ike, s)
	ike.state = s
	if triggerDPD {
		if ike.Supports(ExtDPD) {
			ike.SendDPD()
		} else {
			ike.Log(bus.IKE, bus.Control, "DPD not supported by peer, disabled")
		}
	}
	if keepalives {
		ike.SendKeepalive(false)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (ike *IKESA) scheduleRekey(reauth bool, d time.Duration) {
	name := "rekey_ike_sa"
	if reauth {
		name = "reauth_ike_sa"
	}
	ike.env.Manager.ScheduleIKE(ike.id, d, name, func(x *IKESA) Status { return x.rekeyJob(reauth) })
}

// rekeyJob is rekey_ike_sa_job: rekey or reauthenticate, delaying a
// reauthentication while something else is in progress.
func (ike *IKESA) rekeyJob(reauth bool) Status {
	if !reauth {
		return ike.Rekey()
	}
	const retryInterval, retryJitter = 15, 10
	delay := uint32(0)
	if ike.state != IKEEstablished {
		delay = retryInterval - uint32(ike.env.RandUint64(retryJitter))
		ike.Log(bus.IKE, bus.Control, "unable to reauthenticate in %s state, delaying for %ds", ike.state, delay)
	} else {
		for _, c := range ike.children {
			if c.State() != ChildInstalled && c.State() != ChildRekeyed {
				delay = retryInterval - uint32(ike.env.RandUint64(retryJitter))
				ike.Log(bus.IKE, bus.Control, "unable to reauthenticate in CHILD_SA %s state, delaying for %ds", c.State(), delay)
				break
			}
		}
	}
	if delay != 0 {
		ike.scheduleRekey(true, time.Duration(delay)*time.Second)
		return Success
	}
	return ike.Reauth()
}

// deleteJob is delete_ike_sa_job.
func (ike *IKESA) deleteJob(ifEstablished bool) Status {
	if ike.state == IKEPassive {
		return Success
	}
	if ifEstablished {
		return ike.Delete(false)
	}
	if ike.state != IKEConnecting {
		return Success
	}
	ike.Log(bus.JOB, bus.Control, "deleting half open IKE_SA with %s after timeout", ike.otherHost.Addr())
	ike.env.Events.Alert(ike, AlertHalfOpenTimeout)
	return DestroyMe
}

// ScheduleHalfOpenTimeout arms the job that deletes the SA if it is not
// established within charon.half_open_timeout.
func (ike *IKESA) ScheduleHalfOpenTimeout() {
	d := time.Duration(ike.env.Settings.HalfOpenTimeout) * time.Second
	ike.env.Manager.ScheduleIKE(ike.id, d, "delete_ike_sa", func(x *IKESA) Status { return x.deleteJob(false) })
}

// Statistic returns one of the timestamps.
func (ike *IKESA) Statistic(s Statistic) time.Time { return ike.stats[s] }

// SetStatistic sets one of the timestamps.
func (ike *IKESA) SetStatistic(s Statistic, t time.Time) { ike.stats[s] = t }

// MyHost is our address and port.
func (ike *IKESA) MyHost() netip.AddrPort { return ike.myHost }

// OtherHost is the peer's address and port.
func (ike *IKESA) OtherHost() netip.AddrPort { return ike.otherHost }

// SetMyHost sets our address.
func (ike *IKESA) SetMyHost(h netip.AddrPort) { ike.myHost = h }

// SetOtherHost sets the peer's address.
func (ike *IKESA) SetOtherHost(h netip.AddrPort) { ike.otherHost = h }

// FormatHost prints addr[port] as charon's %#H, which leaves out a zero
// port.
func FormatHost(h netip.AddrPort) string {
	if h.Port() == 0 {
		return h.Addr().String()
	}
	return fmt.Sprintf("%s[%d]", h.Addr(), h.Port())
}

// FloatPorts switches to the NAT-T port (RFC 7296 §2.23): the remote port
// to 4500 if either side used 500, ours to the NAT-T socket's port.
func (ike *IKESA) FloatPorts() {
	if ike.otherHost.Port() == IKEPort || ike.myHost.Port() == IKEPort {
		ike.otherHost = netip.AddrPortFrom(ike.otherHost.Addr(), NATTPort)
	}
	if ike.myHost.Port() == ike.env.Settings.Port {
		ike.myHost = netip.AddrPortFrom(ike.myHost.Addr(), ike.env.Settings.NATTPort)
	}
}

// Update flags for UpdateHosts.
const (
	UpdateHostsForceLocal = 1 << iota
	UpdateHostsForceRemote
	UpdateHostsForceChildren
	UpdateHostsForceAddrs = UpdateHostsForceLocal | UpdateHostsForceRemote
)

// UpdateHosts applies the addresses of a received message as ike_sa.c's
// update_hosts: always on the first message, otherwise only when forced or
// when the peer is behind a NAT; installed CHILD_SAs follow.
func (ike *IKESA) UpdateHosts(me, other netip.AddrPort, flags int) {
	if !me.IsValid() {
		me = ike.myHost
	}
	if !other.IsValid() {
		other = ike.otherHost
	}
	var newMe, newOther netip.AddrPort
	silent := false
	if ike.myHost.Addr().IsUnspecified() || ike.otherHost.Addr().IsUnspecified() {
		newMe, newOther, silent = me, other, true
	} else {
		if flags&UpdateHostsForceLocal != 0 && me != ike.myHost {
			newMe = me
		}
		if other != ike.otherHost && (flags&UpdateHostsForceRemote != 0 || ike.Has(CondNATThere)) {
			if flags&UpdateHostsForceRemote != 0 || !ike.Has(CondNATHere) || !ike.Has(CondOriginalInitiator) {
				newOther = other
			}
		}
	}
	if !newMe.IsValid() && !newOther.IsValid() && flags&UpdateHostsForceChildren == 0 {
		return
	}
	lvl := bus.Diag
	if ike.state == IKEEstablished && !silent {
		lvl = bus.Control
	}
	if newMe.IsValid() {
		ike.Log(bus.IKE, lvl, "local endpoint changed from %s to %s", FormatHost(ike.myHost), FormatHost(newMe))
		ike.myHost = newMe
	}
	if newOther.IsValid() {
		ike.Log(bus.IKE, lvl, "remote endpoint changed from %s to %s", FormatHost(ike.otherHost), FormatHost(newOther))
		ike.otherHost = newOther
	}
	for _, c := range ike.children {
		ike.env.Children.Remove(c)
		ike.env.Children.Add(c, ike)
		if c.Update(ike.myHost, ike.otherHost, ike.myVIPs, ike.Has(CondNATAny)) == NotFound {
			ike.RekeyChild(c.Protocol(), c.SPI(true))
		}
	}
}

// MyID is our identity in this SA.
func (ike *IKESA) MyID() *credentials.Identity { return ike.myID }

// OtherID is the peer's identity.
func (ike *IKESA) OtherID() *credentials.Identity { return ike.otherID }

// SetMyID sets our identity.
func (ike *IKESA) SetMyID(id *credentials.Identity) { ike.myID = id }

// SetOtherID sets the peer's identity.
func (ike *IKESA) SetOtherID(id *credentials.Identity) { ike.otherID = id }

// OtherEAPID is the peer's EAP identity if it used one, else its IKE id.
func (ike *IKESA) OtherEAPID() *credentials.Identity {
	if ike.otherEAPID != nil {
		return ike.otherEAPID
	}
	return ike.otherID
}

// PeerCfg is the connection in use.
func (ike *IKESA) PeerCfg() *config.PeerCfg { return ike.peerCfg }

// SetPeerCfg selects the connection; its IKE config comes with it.
func (ike *IKESA) SetPeerCfg(p *config.PeerCfg) {
	ike.peerCfg = p
	if p != nil && ike.ikeCfg == nil {
		ike.ikeCfg = p.IKE
	}
	if p != nil {
		ike.ifIDIn, ike.ifIDOut = p.IfIDIn, p.IfIDOut
	}
}

// IKECfg is the IKE config in use.
func (ike *IKESA) IKECfg() *config.IKECfg { return ike.ikeCfg }

// SetIKECfg sets the IKE config (a responder picks it from the addresses
// before it knows the peer config).
func (ike *IKESA) SetIKECfg(c *config.IKECfg) { ike.ikeCfg = c }

// Proposal is the selected IKE proposal.
func (ike *IKESA) Proposal() *config.Proposal { return ike.proposal }

// SetProposal records the selected IKE proposal.
func (ike *IKESA) SetProposal(p *config.Proposal) { ike.proposal = p }

// Keymat returns the keying material.
func (ike *IKESA) Keymat() *Keymat { return ike.keymat }

// TaskManager returns the task manager.
func (ike *IKESA) TaskManager() TaskManager { return ike.tm }

// Has reports a condition.
func (ike *IKESA) Has(c Condition) bool { return ike.conditions&c != 0 }

// SetCondition sets or clears a condition, logging the NAT ones as charon.
func (ike *IKESA) SetCondition(c Condition, enable bool) {
	if ike.Has(c) == enable {
		return
	}
	if enable {
		ike.conditions |= c
		switch c {
		case CondNATHere:
			ike.Log(bus.IKE, bus.Control, "local host is behind NAT, sending keep alives")
			ike.conditions |= CondNATAny
			ike.SendKeepalive(false)
		case CondNATThere:
			ike.Log(bus.IKE, bus.Control, "remote host is behind NAT")
			ike.conditions |= CondNATAny
		case CondNATFake:
			ike.Log(bus.IKE, bus.Control, "faking NAT situation to enforce UDP encapsulation")
			ike.conditions |= CondNATAny
		}
		return
	}
	ike.conditions &^= c
	switch c {
	case CondNATHere, CondNATThere:
		where := "remote"
		if c == CondNATHere {
			where = "local"
		}
		ike.Log(bus.IKE, bus.Control, "%s host is not behind NAT anymore", where)
		fallthrough
	case CondNATFake:
		ike.SetCondition(CondNATAny, ike.Has(CondNATHere) || ike.Has(CondNATThere) || ike.Has(CondNATFake))
	case CondStale:
		ike.SendKeepalive(false)
	}
}

// Conditions returns all conditions (statusall, inheritance).
func (ike *IKESA) Conditions() Condition { return ike.conditions }

// Enable records that the peer supports an extension.
func (ike *IKESA) Enable(e Extension) { ike.extensions |= e }

// Supports reports whether the peer supports an extension.
func (ike *IKESA) Supports(e Extension) bool { return ike.extensions&e != 0 }

// FragmentSize is the IKE fragment size (charon.fragment_size).
func (ike *IKESA) FragmentSize() int { return ike.fragmentSize }

// IfID returns the XFRM interface id for a direction.
func (ike *IKESA) IfID(inbound bool) uint32 {
	if inbound {
		return ike.ifIDIn
	}
	return ike.ifIDOut
}

// AddAuthCfg records a completed authentication round.
func (ike *IKESA) AddAuthCfg(local bool, a *config.AuthCfg) {
	if local {
		ike.myAuths = append(ike.myAuths, a)
	} else {
		ike.otherAuths = append(ike.otherAuths, a)
	}
}

// AuthCfgs returns the completed rounds of one side.
func (ike *IKESA) AuthCfgs(local bool) []*config.AuthCfg {
	if local {
		return ike.myAuths
	}
	return ike.otherAuths
}

// FlushAuthCfgs forgets completed rounds (reset).
func (ike *IKESA) FlushAuthCfgs() { ike.myAuths, ike.otherAuths = nil, nil }

// AddVirtualIP records a virtual IP (local: ours, else assigned to the peer).
func (ike *IKESA) AddVirtualIP(local bool, a netip.Addr) {
	if local {
		ike.myVIPs = append(ike.myVIPs, a)
	} else {
		ike.otherVIPs = append(ike.otherVIPs, a)
	}
}

// VirtualIPs lists the virtual IPs of one side.
func (ike *IKESA) VirtualIPs(local bool) []netip.Addr {
	if local {
		return ike.myVIPs
	}
	return ike.otherVIPs
}

// AddChild attaches a CHILD_SA.
func (ike *IKESA) AddChild(c *ChildSA) {
	ike.children = append(ike.children, c)
	ike.env.Children.Add(c, ike)
}

// Children returns the CHILD_SAs (a copy; safe to modify the SA while
// iterating).
func (ike *IKESA) Children() []*ChildSA { return slices.Clone(ike.children) }

// ChildCount is the number of CHILD_SAs.
func (ike *IKESA) ChildCount() int { return len(ike.children) }

// Child finds a CHILD_SA by protocol and inbound or outbound SPI.
func (ike *IKESA) Child(proto uint8, spi uint32, inbound bool) *ChildSA {
	var found *ChildSA
	for _, c := range ike.children {
		if c.SPI(inbound) == spi && c.Protocol() == proto {
			found = c
		}
	}
	return found
}

// RemoveChild detaches a CHILD_SA without destroying it.
func (ike *IKESA) RemoveChild(c *ChildSA) {
	if i := slices.Index(ike.children, c); i >= 0 {
		ike.env.Children.Remove(c)
		ike.children = slices.Delete(ike.children, i, i+1)
	}
}

// DestroyChild removes a CHILD_SA from the kernel and the SA.
func (ike *IKESA) DestroyChild(proto uint8, spi uint32) Status {
	for _, c := range ike.children {
		if c.Protocol() == proto && c.SPI(true) == spi {
			ike.RemoveChild(c)
			c.Destroy()
			return Success
		}
	}
	return NotFound
}

// QueueTask queues a task.
func (ike *IKESA) QueueTask(t Task) { ike.tm.QueueTask(t) }

// Initiate starts the IKE_SA (if new) and queues a CHILD_SA for cfg
// (may be nil).
func (ike *IKESA) Initiate(cfg *config.ChildCfg, args *ChildInitArgs) Status {
	if ike.state == IKECreated {
		if ike.myHost.Addr().IsUnspecified() || ike.otherHost.Addr().IsUnspecified() {
			ike.resolveHosts()
		}
		if ike.otherHost.Addr().IsUnspecified() {
			ike.Log(bus.IKE, bus.Control, "unable to resolve %s, initiate aborted", ike.ikeCfg.Remote)
			ike.env.Events.Alert(ike, AlertPeerAddrFailed)
			return DestroyMe
		}
		ike.SetCondition(CondOriginalInitiator, true)
		ike.tm.QueueIKE()
	}
	if cfg != nil {
		ike.tm.QueueChild(cfg, args)
	}
	return ike.tm.Initiate()
}

// resolveHosts fills in our and the peer's address from the IKE config:
// the peer from the configured remote, ours by a route lookup towards it
// when unspecified.
func (ike *IKESA) resolveHosts() {
	cfg := ike.ikeCfg
	family := 0
	if ike.otherHost.Addr().IsUnspecified() || !ike.otherHost.IsValid() {
		if a, ok := cfg.ResolveOther(0, ike.env.Resolve); ok {
			port := cfg.RemotePort
			if port == 0 {
				port = IKEPort
			}
			ike.otherHost = netip.AddrPortFrom(a, port)
		}
	}
	if !ike.otherHost.Addr().IsUnspecified() {
		family = 6
		if ike.otherHost.Addr().Is4() {
			family = 4
		}
	}
	if ike.myHost.Addr().IsUnspecified() || !ike.myHost.IsValid() {
		port := cfg.LocalPort
		if port == 0 {
			port = ike.env.Settings.Port
		}
		a, ok := cfg.ResolveMe(family, ike.env.Resolve)
		if (!ok || a.IsUnspecified()) && ike.env.Net != nil && !ike.otherHost.Addr().IsUnspecified() {
			if src, err := ike.env.Net.SourceAddr(ike.otherHost.Addr(), netip.Addr{}); err == nil {
				a, ok = src, true
			}
		}
		if ok {
			ike.myHost = netip.AddrPortFrom(a, port)
		}
	}
}

// ProcessMessage handles a received message whose header was parsed; raw
// is the datagram, src and dst its addresses.
func (ike *IKESA) ProcessMessage(m *encoding.Message, raw []byte, src, dst netip.AddrPort) Status {
	if ike.state == IKEPassive {
		return Failed
	}
	if m.MajorVersion != 2 {
		ike.Log(bus.IKE, bus.Control, "ignoring %s IKEv%d exchange on IKEv2 SA", m.Exchange, m.MajorVersion)
		return Failed
	}
	return ike.tm.ProcessMessage(m, raw, src, dst)
}

// Retransmit is the retransmit timer of request mid; when the task
// manager gives up, the SA is reestablished or deleted as charon does.
func (ike *IKESA) Retransmit(mid uint32) Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	switch ike.tm.Retransmit(mid) {
	case Success:
		ike.stats[StatOutbound] = ike.env.Clock.Now()
		return Success
	case InvalidState:
		return InvalidState
	}
	switch ike.state {
	case IKEConnecting:
		tries := ike.peerCfg.KeyingTries
		ike.env.Events.Alert(ike, AlertPeerInitUnreachable, ike.keyingTry)
		ike.keyingTry++
		if tries == 0 || tries > ike.keyingTry {
			ike.Log(bus.IKE, bus.Control, "peer not responding, trying again (%d/%d)", ike.keyingTry+1, tries)
			ike.Reset(true)
			ike.resolveHosts()
			return ike.tm.Initiate()
		}
		ike.Log(bus.IKE, bus.Control, "establishing IKE_SA failed, peer not responding")
	case IKEDeleting:
		ike.Log(bus.IKE, bus.Control, "proper IKE_SA delete failed, peer not responding")
		if ike.Has(CondReauthenticating) && !ike.env.Settings.MakeBeforeBreak {
			ike.Log(bus.IKE, bus.Control, "delete during reauthentication failed, trying to reestablish IKE_SA anyway")
			ike.Reestablish()
		}
	case IKERekeying:
		ike.Log(bus.IKE, bus.Control, "rekeying IKE_SA failed, peer not responding")
		ike.Reestablish()
	default:
		ike.Reestablish()
	}
	if ike.state != IKEConnecting && ike.state != IKERekeyed {
		ike.env.Events.IKEUpdown(ike, false)
	}
	return DestroyMe
}

// Delete starts deleting the SA (INFORMATIONAL with a DELETE), or reports
// that it must be destroyed right away.
func (ike *IKESA) Delete(force bool) Status {
	status := DestroyMe
	switch ike.state {
	case IKEEstablished, IKERekeying, IKERekeyed:
		if !ike.stats[StatDelete].IsZero() && !ike.env.Clock.Now().Before(ike.stats[StatDelete]) {
			ike.env.Events.Alert(ike, AlertIKESAExpired)
		}
		ike.tm.QueueIKEDelete()
		status = ike.tm.Initiate()
	case IKECreated:
		ike.Log(bus.IKE, bus.Control, "deleting unestablished IKE_SA")
	case IKEPassive:
	default:
		ike.Log(bus.IKE, bus.Control, "destroying IKE_SA in state %s without notification", ike.state)
		force = true
	}
	if force {
		status = DestroyMe
		switch ike.state {
		case IKEEstablished, IKERekeying, IKEDeleting:
			ike.env.Events.IKEUpdown(ike, false)
		}
	}
	return status
}

// Rekey starts an IKE_SA rekeying.
func (ike *IKESA) Rekey() Status {
	if ike.state == IKEPassive || ike.Has(CondReauthenticating) {
		return InvalidState
	}
	ike.tm.QueueIKERekey()
	return ike.tm.Initiate()
}

// CanReauthenticate reports whether we could reauthenticate as responder.
func (ike *IKESA) CanReauthenticate() bool {
	return len(ike.otherVIPs) == 0 && !ike.Has(CondXAuthAuthenticated) && !ike.Has(CondEAPAuthenticated)
}

// Reauth starts a reauthentication.
func (ike *IKESA) Reauth() Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	if ike.state == IKEConnecting {
		ike.Log(bus.IKE, bus.Audit, "reinitiating IKE_SA %s[%d]", ike.Name(), ike.uniqueID)
		ike.Reset(true)
		return ike.tm.Initiate()
	}
	if !ike.Has(CondOriginalInitiator) && !ike.CanReauthenticate() {
		ike.Log(bus.IKE, bus.Control, "initiator did not reauthenticate as requested, IKE_SA %s[%d] will timeout in %s",
			ike.Name(), ike.uniqueID, FormatDuration(ike.stats[StatDelete].Sub(ike.env.Clock.Now())))
		return Failed
	}
	ike.Log(bus.IKE, bus.Audit, "reauthenticating IKE_SA %s[%d]", ike.Name(), ike.uniqueID)
	ike.SetCondition(CondReauthenticating, true)
	ike.tm.QueueIKEReauth()
	return ike.tm.Initiate()
}

// RekeyChild queues a CHILD_SA rekeying.
func (ike *IKESA) RekeyChild(proto uint8, spi uint32) Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	ike.tm.QueueChildRekey(proto, spi)
	return ike.tm.Initiate()
}

// DeleteChild queues a CHILD_SA delete.
func (ike *IKESA) DeleteChild(proto uint8, spi uint32, expired bool) Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	ike.tm.QueueChildDelete(proto, spi, expired)
	return ike.tm.Initiate()
}

// SendDPD checks for inbound traffic and queues a liveness check when
// there was none for the DPD delay, then re-arms itself.
func (ike *IKESA) SendDPD() Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	delay := time.Duration(ike.peerCfg.DPDDelay) * time.Second
	var diff time.Duration
	queued := false
	if !ike.tm.Busy() {
		diff = wholeSeconds(ike.env.Clock.Now(), ike.useTime(true))
		if delay == 0 || diff >= delay {
			ike.Log(bus.IKE, bus.Control, "sending DPD request")
			ike.tm.QueueDPD()
			queued, diff = true, 0
		}
	}
	if delay != 0 {
		ike.env.Manager.ScheduleIKE(ike.id, delay-diff, "send_dpd", (*IKESA).SendDPD)
	}
	if queued {
		return ike.tm.Initiate()
	}
	return Success
}

// wholeSeconds is now - then as charon computes it from time_monotonic():
// in whole seconds, so that DPD and keepalive checks fall on the same
// seconds as charon's.
func wholeSeconds(now, then time.Time) time.Duration {
	return time.Duration(now.Unix()-then.Unix()) * time.Second
}

// useTime is the last inbound or outbound activity of the SA or any of its
// CHILD_SAs.
func (ike *IKESA) useTime(inbound bool) time.Time {
	t := ike.stats[StatOutbound]
	if inbound {
		t = ike.stats[StatInbound]
	}
	for _, c := range ike.children {
		if u := c.UseTime(inbound); u.After(t) {
			t = u
		}
	}
	return t
}

// SendKeepalive sends a NAT-T keepalive when we are behind a NAT and
// nothing went out for the keepalive interval (RFC 3948 §4).
func (ike *IKESA) SendKeepalive(scheduled bool) {
	if scheduled {
		ike.keepaliveQueued = false
	}
	interval := time.Duration(ike.env.Settings.KeepAlive) * time.Second
	if interval == 0 || ike.state == IKEPassive || !ike.Has(CondNATHere) || ike.Has(CondStale) {
		return
	}
	now := ike.env.Clock.Now()
	diff := wholeSeconds(now, ike.useTime(false))
	if diff >= interval {
		ike.Log(bus.IKE, bus.Control, "sending keep alive to %s", FormatHost(ike.otherHost))
		ike.env.Sender.Send(Packet{Data: []byte{0xff}, Src: ike.myHost, Dst: ike.otherHost})
		ike.stats[StatOutbound] = now
		diff = 0
	}
	if !ike.keepaliveQueued {
		ike.keepaliveQueued = true
		ike.env.Manager.ScheduleIKE(ike.id, interval-diff, "send_keepalive", func(x *IKESA) Status {
			x.SendKeepalive(true)
			return Success
		})
	}
}

// HasMappingChanged tracks the NAT_DETECTION_DESTINATION_IP hash we
// received, to notice NAT mapping changes.
func (ike *IKESA) HasMappingChanged(hash []byte) bool {
	if ike.natDetectDest == nil {
		ike.natDetectDest = slices.Clone(hash)
		return false
	}
	if slices.Equal(hash, ike.natDetectDest) {
		return false
	}
	ike.natDetectDest = slices.Clone(hash)
	return true
}

// Reset starts over (IKE_SA_INIT retries): a new initiator SPI if asked,
// state CREATED, fresh keying material, and the IKE tasks queued again.
func (ike *IKESA) Reset(newSPI bool) {
	if newSPI {
		ike.SetInitiatorSPI(ike.env.Manager.NewSPI())
	}
	if ike.id.Initiator {
		ike.SetResponderSPI(0)
	}
	ike.SetState(IKECreated)
	ike.FlushAuthCfgs()
	ike.keymat = NewKeymat(ike.env, ike.id.Initiator)
	ike.tm.Reset(0, 0)
	ike.tm.QueueIKE()
}

// GenerateMessage encodes m for this SA (encrypted once keys exist) and
// returns the packets to send, fragmented when the peer supports IKE
// fragmentation and the config asks for it (RFC 7383).
func (ike *IKESA) GenerateMessage(m *encoding.Message, allowFragments bool) ([]Packet, error) {
	ike.stats[StatOutbound] = ike.env.Clock.Now()
	m.SPIi, m.SPIr = ike.id.SPIi, ike.id.SPIr
	m.Initiator = ike.id.Initiator
	ike.env.Events.Message(ike, m, false, true)
	useFrags := false
	if allowFragments && ike.ikeCfg != nil && m.Exchange != encoding.ExchangeIKESAInit {
		switch ike.ikeCfg.Fragmentation {
		case config.FragmentationForce:
			useFrags = true
		case config.FragmentationYes:
			useFrags = ike.Supports(ExtIKEFragmentation)
		}
	}
	c := ike.keymat.Cipher(true)
	var datas [][]byte
	if useFrags && c != nil {
		frags, err := m.EncodeFragments(c, ike.env.Rand, ike.fragmentPayloadSize())
		if err != nil {
			return nil, err
		}
		// Encoding put the payloads in charon's order: log them now.
		ike.Log(bus.ENC, bus.Control, "generating %s", m)
		if len(frags) > 1 {
			for i := range frags {
				ike.Log(bus.ENC, bus.Control, "generating %s", m.FragmentSummary(i+1, len(frags)))
			}
		}
		datas = frags
	} else {
		b, err := m.Encode(c, ike.env.Rand)
		if err != nil {
			return nil, err
		}
		ike.Log(bus.ENC, bus.Control, "generating %s", m)
		ike.lastGenerated = b
		datas = [][]byte{b}
	}
	pkts := make([]Packet, len(datas))
	for i, d := range datas {
		pkts[i] = Packet{Data: d, Src: ike.myHost, Dst: ike.otherHost}
	}
	return pkts, nil
}

// fragmentPayloadSize turns charon.fragment_size (an IP datagram size)
// into the room left for an IKE message.
func (ike *IKESA) fragmentPayloadSize() int {
	return encoding.FragmentSize(ike.fragmentSize, !ike.otherHost.Addr().Is4(),
		ike.myHost.Port() != IKEPort && ike.otherHost.Port() != IKEPort)
}

// Send sends packets, logging each as charon's sender does.
func (ike *IKESA) Send(pkts []Packet) {
	for _, p := range pkts {
		ike.Log(bus.NET, bus.Control, "sending packet: from %s to %s (%d bytes)", FormatHost(p.Src), FormatHost(p.Dst), len(p.Data))
		ike.env.Sender.Send(p)
	}
}

// Reestablish recreates the IKE_SA and its CHILD_SAs after a failure, as
// the configured actions say (dpdaction=restart, closeaction=restart,
// keyingtries). It returns whether something was reestablished.
func (ike *IKESA) Reestablish() bool {
	return ike.env.Manager.reestablish(ike)
}

// InheritPre copies config, hosts, extensions and conditions from the SA
// being rekeyed before the exchange completes.
func (ike *IKESA) InheritPre(other *IKESA) {
	ike.SetPeerCfg(other.peerCfg)
	ike.ikeCfg = other.ikeCfg
	ike.myHost, ike.otherHost = other.myHost, other.otherHost
	ike.extensions = other.extensions
	ike.conditions = other.conditions &^ (CondStale | CondReauthenticating)
}

// InheritPost takes over everything of the rekeyed SA once the new one is
// up: hosts, ids, virtual IPs, authentication, conditions, CHILD_SAs and
// queued tasks.
func (ike *IKESA) InheritPost(other *IKESA) {
	ike.myHost, ike.otherHost = other.myHost, other.otherHost
	ike.myID, ike.otherID = other.myID, other.otherID
	ike.ifIDIn, ike.ifIDOut = other.ifIDIn, other.ifIDOut
	ike.myVIPs = append(ike.myVIPs, other.myVIPs...)
	ike.otherVIPs = append(ike.otherVIPs, other.otherVIPs...)
	other.myVIPs, other.otherVIPs = nil, nil
	ike.myAuths = append(ike.myAuths, other.myAuths...)
	ike.otherAuths = append(ike.otherAuths, other.otherAuths...)
	ike.conditions = other.conditions
	if ike.Has(CondNATHere) {
		ike.SendKeepalive(false)
	}
	for _, c := range other.children {
		ike.env.Children.Remove(c)
		ike.AddChild(c)
	}
	other.children = nil
	ike.tm.AdoptTasks(other.tm)
	if !other.stats[StatReauth].IsZero() {
		now := ike.env.Clock.Now()
		ike.stats[StatReauth] = other.stats[StatReauth]
		reauth := max(0, ike.stats[StatReauth].Sub(now))
		del := reauth + time.Duration(ike.peerCfg.OverTime)*time.Second
		ike.stats[StatDelete] = now.Add(del)
		ike.Log(bus.IKE, bus.Control, "rescheduling reauthentication in %ds after rekeying, lifetime reduced to %ds",
			int(reauth/time.Second), int(del/time.Second))
		ike.scheduleRekey(true, reauth)
		ike.env.Manager.ScheduleIKE(ike.id, del, "delete_ike_sa", func(x *IKESA) Status { return x.deleteJob(true) })
	}
}

// Destroy tears the SA down: tasks flushed, CHILD_SAs removed from the
// kernel, virtual IPs released. The manager calls it on checkin-and-destroy.
func (ike *IKESA) Destroy() {
	ike.SetState(IKEDestroying)
	if ike.tm != nil {
		ike.tm.Flush()
	}
	for len(ike.children) > 0 {
		c := ike.children[len(ike.children)-1]
		ike.children = ike.children[:len(ike.children)-1]
		ike.env.Children.Remove(c)
		c.Destroy()
	}
	if ike.env.Net != nil {
		for _, vip := range ike.myVIPs {
			_ = ike.env.Net.DelIP(vip, -1, true)
		}
	}
	ike.myVIPs, ike.otherVIPs = nil, nil
	ike.keymat.Wipe()
}

// FormatDuration prints a duration as charon's %V does ("5 seconds",
// "1 minute", "2 hours", "3 days").
func FormatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	if s < 0 {
		s = -s
	}
	unit, n := "second", s
	switch {
	case s > 24*3600*2:
		unit, n = "day", s/(24*3600)
	case s > 3600*2:
		unit, n = "hour", s/3600
	case s > 60*2:
		unit, n = "minute", s/60
	}
	if n == 1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// SetAuthLifetime applies an AUTH_LIFETIME (RFC 4478) received from the
// peer: reauthenticate before it runs out.
func (ike *IKESA) SetAuthLifetime(lifetime uint32) Status {
	over := time.Duration(ike.peerCfg.OverTime) * time.Second
	now := ike.env.Clock.Now()
	hard := now.Add(time.Duration(lifetime) * time.Second)
	soft := hard.Add(-over)
	sendUpdate := ike.state == IKEEstablished && !ike.Has(CondOriginalInitiator) &&
		(len(ike.otherVIPs) != 0 || ike.Has(CondEAPAuthenticated))
	switch {
	case time.Duration(lifetime)*time.Second < over:
		ike.stats[StatReauth] = now
		if !sendUpdate {
			ike.Log(bus.IKE, bus.Control, "received AUTH_LIFETIME of %ds, starting reauthentication", lifetime)
			ike.scheduleRekey(true, 0)
		}
	case ike.stats[StatReauth].IsZero() || ike.stats[StatReauth].After(soft):
		ike.stats[StatReauth] = soft
		if !sendUpdate {
			ike.Log(bus.IKE, bus.Control, "received AUTH_LIFETIME of %ds, scheduling reauthentication in %ds",
				lifetime, int(soft.Sub(now)/time.Second))
			ike.scheduleRekey(true, soft.Sub(now))
		}
	default:
		ike.Log(bus.IKE, bus.Control, "received AUTH_LIFETIME of %ds, reauthentication already scheduled in %ds",
			lifetime, int(ike.stats[StatReauth].Sub(now)/time.Second))
		sendUpdate = false
	}
	ike.stats[StatDelete] = maxTime(hard, now.Add(10*time.Second))
	if sendUpdate && ike.env.NewAuthLifetimeTask != nil {
		ike.tm.QueueTask(ike.env.NewAuthLifetimeTask(ike))
		return ike.tm.Initiate()
	}
	return Success
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
