package sa

import (
	"net/netip"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
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
	// otherEAPID is the peer's EAP identity restored from saved state
	// (ha-state), whose auth rounds are not saved.
	otherEAPID *credentials.Identity

	children   []*ChildSA
	conditions Condition
	extensions Extension
	stats      [statMax]time.Time

	// myAuths and otherAuths are the completed authentication rounds.
	myAuths, otherAuths []*config.AuthCfg
	// curAuth holds the rounds in progress, [0] ours and [1] the peer's,
	// and helpers what the peer sent for its round (see ike_sa_auth.go).
	curAuth           [2]*config.AuthCfg
	helpers           credentials.Helpers
	myVIPs, otherVIPs []netip.Addr
	// attrs are the configuration attributes handlers took (client side),
	// released when the SA goes.
	attrs []configAttr
	// peerAddresses are the peer's addresses it announced with MOBIKE
	// (nil: none announced, its current address is all there is).
	peerAddresses []netip.AddrPort
	// kmLocal and kmRemote are the kmaddress of a kernel MIGRATE: the
	// endpoints to use from then on (ike_sa.c set_kmaddress).
	kmLocal, kmRemote netip.Addr

	keyingTry       uint32
	natDetectDest   []byte
	keepaliveQueued bool
	fragmentSize    int
	ifIDIn, ifIDOut uint32
	// redirectedFrom is the gateway that redirected us (RFC 5685);
	// remoteHost the gateway we were sent to, which overrides the config's
	// address; redirectedAt the times of the recent redirects.
	redirectedFrom netip.AddrPort
	remoteHost     netip.AddrPort
	redirectedAt   []time.Time
	// msgSrc and msgDst are the addresses of the message being processed
	// (tasks that look at them, such as NAT detection, read them here).
	msgSrc, msgDst netip.AddrPort
	// msgRaw is the datagram being processed; lastGenerated the last
	// unfragmented message we encoded (ike_auth signs both IKE_SA_INITs).
	msgRaw, lastGenerated []byte
}

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
	ike.tm = env.NewTaskManager(ike)
	return ike
}

// Env returns the environment the SA lives in.
func (ike *IKESA) Env() *Env { return ike.env }

// ID returns the SPIs and our role.
func (ike *IKESA) ID() IKESAID { return ike.id }

// SetResponderSPI sets the responder SPI once the IKE_SA_INIT response
// arrives (or 0 to reset it). The manager's entry holds the SA itself and
// looks ids up from it, so it follows without being told.
func (ike *IKESA) SetResponderSPI(spi uint64) { ike.id.SPIr = spi }

// SetInitiatorSPI replaces the initiator SPI (a reset starts from scratch).
func (ike *IKESA) SetInitiatorSPI(spi uint64) {
	ike.id.SPIi = spi
	// The manager files its SAs by this SPI.
	if ike.env.Manager != nil {
		ike.env.Manager.refile(ike)
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

// MyID is our identity in this SA.
func (ike *IKESA) MyID() *credentials.Identity { return ike.myID }

// OtherID is the peer's identity.
func (ike *IKESA) OtherID() *credentials.Identity { return ike.otherID }

// SetMyID sets our identity.
func (ike *IKESA) SetMyID(id *credentials.Identity) { ike.myID = id }

// SetOtherID sets the peer's identity.
func (ike *IKESA) SetOtherID(id *credentials.Identity) { ike.otherID = id }

// OtherEAPID is the peer's identity as its last authentication round
// knew it (get_other_eap_id): the EAP identity, else the XAuth identity,
// else the round's identity; the IKE identity without any.
func (ike *IKESA) OtherEAPID() *credentials.Identity {
	if ike.otherEAPID != nil {
		return ike.otherEAPID
	}
	var id *credentials.Identity
	for _, a := range ike.AuthCfgs(false) {
		cur := a.EAPIdentity
		if cur == nil || cur.Type() == credentials.IDAny {
			cur = a.XAuthIdentity
		}
		if cur == nil || cur.Type() == credentials.IDAny {
			cur = a.Identity
		}
		if cur != nil && cur.Type() != credentials.IDAny {
			id = cur
		}
	}
	if id != nil {
		return id
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

// FlushAuthCfgs forgets completed rounds and those in progress (reset).
func (ike *IKESA) FlushAuthCfgs() {
	ike.myAuths, ike.otherAuths = nil, nil
	ike.curAuth = [2]*config.AuthCfg{}
	ike.helpers = credentials.Helpers{}
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
