package sa

import (
	"net/netip"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// ChildSA is a pair of IPsec SAs with their policies, child_sa_t.
type ChildSA struct {
	env      *Env
	ike      *IKESA // current owner (changes when the IKE_SA is rekeyed)
	cfg      *config.ChildCfg
	uniqueID uint32
	state    ChildState
	outbound OutboundState

	myAddr, otherAddr netip.Addr
	myPort, otherPort uint16 // UDP encapsulation ports
	// in is the inbound SA (our SPI), out the outbound one (the peer's).
	in, out childDir
	// pending is the outbound SA registered until InstallOutbound.
	pending pendingOutbound

	rekeySPI      uint32
	protocol      uint8 // kernel.ProtoESP or ProtoAH; 0 before chosen
	mode          kernel.Mode
	encap         bool
	ipcomp        uint16
	proposal      *config.Proposal
	myTS, otherTS []selectors.TS

	reqid            uint32
	staticReqID      bool
	reqidAllocated   bool
	trap             bool
	inboundInstalled bool
	// detached marks a CHILD_SA restored from saved state: the peer has
	// it, this daemon installed nothing of it (its ESP keys were not
	// saved) until a rekey replaces it; a crashed predecessor's SAs under
	// its SPIs are removed when it goes.
	detached bool
	// standbyOut: the outbound policies wait behind those of another
	// CHILD_SA that holds them (kernel.ManagePolicy.Standby).
	standbyOut  bool
	closeAction config.Action
	dpdAction   config.Action

	installTime, rekeyTime, expireTime time.Time
}

// childDir is one direction of a CHILD_SA: the SA's SPI and IPComp CPI,
// the mark and interface id of the SA and its policies, and the traffic
// it carried.
type childDir struct {
	spi  uint32
	cpi  uint16
	mark kernel.Mark
	ifID uint32
	use  usage
}

// usage is a direction's traffic as the kernel last reported it.
type usage struct {
	bytes, packets uint64
	last           time.Time
}

// pendingOutbound is an outbound SA registered with RegisterOutbound:
// its keys and install arguments, kept until InstallOutbound (or wiped
// by RemoveOutbound and Destroy).
type pendingOutbound struct {
	encr, integ      []byte
	initiator, tfcv3 bool
}

// dir returns the inbound or outbound direction.
func (c *ChildSA) dir(inbound bool) *childDir {
	if inbound {
		return &c.in
	}
	return &c.out
}

// saID names a direction's SA in the kernel: inbound from the peer to us
// (its mark only with OptMarkInSA), outbound from us to the peer.
func (c *ChildSA) saID(inbound bool) kernel.SAID {
	if inbound {
		return kernel.SAID{Src: c.otherAddr, Dst: c.myAddr, SPI: c.in.spi, Proto: c.protocol,
			Mark: c.markInSA(), IfID: c.in.ifID}
	}
	return kernel.SAID{Src: c.myAddr, Dst: c.otherAddr, SPI: c.out.spi, Proto: c.protocol,
		Mark: c.out.mark, IfID: c.out.ifID}
}

// saInstalled reports whether a direction's SA is in the kernel.
func (c *ChildSA) saInstalled(inbound bool) bool {
	if inbound {
		return c.in.spi != 0 && c.inboundInstalled
	}
	return c.out.spi != 0 && c.outbound&OutboundSA != 0
}

// ChildSAArgs are child_sa_create_t's optional inputs.
type ChildSAArgs struct {
	ReqID           uint32 // reuse (rekey, trap)
	MarkIn, MarkOut uint32
	IfIDIn, IfIDOut uint32
	Encap           bool
}

// NewChildSA creates a CHILD_SA for cfg between the IKE_SA's hosts.
func NewChildSA(ike *IKESA, cfg *config.ChildCfg, args ChildSAArgs) *ChildSA {
	env := ike.env
	c := &ChildSA{
		env: env, ike: ike, cfg: cfg,
		uniqueID:    env.Manager.NextChildID(),
		state:       ChildCreated,
		mode:        kernel.ModeTunnel,
		encap:       args.Encap,
		closeAction: cfg.CloseAction,
		dpdAction:   cfg.DPDAction,
		reqid:       cfg.ReqID,
		in:          childDir{mark: cfg.MarkIn, ifID: cfg.IfIDIn},
		out:         childDir{mark: cfg.MarkOut, ifID: cfg.IfIDOut},
		installTime: env.Clock.Now(),
	}
	if c.in.ifID == 0 {
		c.in.ifID = ike.IfID(true)
	}
	if c.out.ifID == 0 {
		c.out.ifID = ike.IfID(false)
	}
	if args.MarkIn != 0 {
		c.in.mark.Value = args.MarkIn
	}
	if args.MarkOut != 0 {
		c.out.mark.Value = args.MarkOut
	}
	if args.IfIDIn != 0 {
		c.in.ifID = args.IfIDIn
	}
	if args.IfIDOut != 0 {
		c.out.ifID = args.IfIDOut
	}
	env.Manager.allocateUniqueMarks(&c.in.mark, &c.out.mark)
	if c.reqid == 0 {
		// The reqid of the SA this one replaces (rekey, restart, trap) is
		// asked for again when it is installed (see ReqIDs.Alloc).
		if args.ReqID != 0 && env.RefReqID(args.ReqID) {
			c.reqid = args.ReqID
		}
	} else {
		c.staticReqID = true
	}
	me, other := ike.MyHost().Addr(), ike.OtherHost().Addr()
	c.myPort, c.otherPort = ike.MyHost().Port(), ike.OtherHost().Port()
	if cfg.Mode == kernel.ModeTransport && cfg.Has(config.OptProxyMode) {
		c.mode = kernel.ModeTransport
		me, other = c.proxyAddr(true, me), c.proxyAddr(false, other)
	}
	c.myAddr, c.otherAddr = me, other
	return c
}

// proxyAddr finds the host a transport_proxy mode SA uses instead of the
// IKE address (MIPv6, seeds/004).
func (c *ChildSA) proxyAddr(local bool, ike netip.Addr) netip.Addr {
	ts, _ := c.cfg.TrafficSelectors(local, nil, []netip.Addr{ike})
	for _, t := range ts {
		if t.IsHost(netip.Addr{}) {
			p, _ := t.Prefix()
			who := "other"
			if local {
				who = "my"
			}
			c.log(bus.CHD, bus.Control, "%s address: %s is a transport mode proxy for %s", who, ike, p.Addr())
			return p.Addr()
		}
	}
	return ike
}

func (c *ChildSA) log(g bus.Group, l bus.Level, format string, args ...any) {
	if c.ike != nil {
		c.ike.Log(g, l, format, args...)
		return
	}
	c.env.Bus.Log(0, nil, g, l, format, args...)
}

// Name is the config name.
func (c *ChildSA) Name() string { return c.cfg.Name }

// Detached reports a CHILD_SA restored from saved state that has nothing
// in the kernel yet.
func (c *ChildSA) Detached() bool { return c.detached }

// Config is the CHILD_SA's config.
func (c *ChildSA) Config() *config.ChildCfg { return c.cfg }

// IKE returns the owning IKE_SA.
func (c *ChildSA) IKE() *IKESA { return c.ike }

// UniqueID is the number shown as name{N}.
func (c *ChildSA) UniqueID() uint32 { return c.uniqueID }

// ReqID is the reqid (0 before allocation).
func (c *ChildSA) ReqID() uint32 { return c.reqid }

// ReqIDRef is the reqid to hand to the CHILD_SA that replaces this one:
// with charon.keep_reqids a reference to it (0 for a static reqid or none
// yet) that the caller releases with Env.ReleaseReqIDRef once it has
// passed it on (5.9.12's get_reqid_ref); without, simply the reqid.
func (c *ChildSA) ReqIDRef() uint32 {
	if !c.env.Settings.KeepReqIDs {
		return c.reqid
	}
	if (c.reqidAllocated || (!c.staticReqID && c.reqid != 0)) && c.env.ReqIDs.Ref(c.reqid) {
		return c.reqid
	}
	return 0
}

// State returns the state.
func (c *ChildSA) State() ChildState { return c.state }

// SetState changes the state, announcing it to listeners.
func (c *ChildSA) SetState(s ChildState) {
	c.log(bus.CHD, bus.Diag, "CHILD_SA %s{%d} state change: %s => %s", c.cfg.Name, c.uniqueID, c.state, s)
	c.env.Events.ChildStateChange(c.ike, c, s)
	c.state = s
}

// SetOutboundStandby makes the outbound policies of this CHILD_SA, when
// installed, wait behind equal ones that another CHILD_SA holds already,
// and take over when that one removes them (kernel.ManagePolicy.Standby).
func (c *ChildSA) SetOutboundStandby(on bool) { c.standbyOut = on }

// Outbound is the outbound installation state.
func (c *ChildSA) Outbound() OutboundState { return c.outbound }

// SPI returns our (inbound) or the peer's (outbound) SPI.
func (c *ChildSA) SPI(inbound bool) uint32 { return c.dir(inbound).spi }

// CPI returns the IPComp CPI of a direction.
func (c *ChildSA) CPI(inbound bool) uint16 { return c.dir(inbound).cpi }

// Protocol is kernel.ProtoESP or kernel.ProtoAH.
func (c *ChildSA) Protocol() uint8 { return c.protocol }

// SetProtocol sets the protocol.
func (c *ChildSA) SetProtocol(p uint8) { c.protocol = p }

// Mode is the IPsec mode.
func (c *ChildSA) Mode() kernel.Mode { return c.mode }

// SetMode sets the mode.
func (c *ChildSA) SetMode(m kernel.Mode) { c.mode = m }

// Encap reports UDP encapsulation.
func (c *ChildSA) Encap() bool { return c.encap }

// IPComp is the IPComp transform (0: none).
func (c *ChildSA) IPComp() uint16 { return c.ipcomp }

// SetIPComp sets the IPComp transform.
func (c *ChildSA) SetIPComp(t uint16) { c.ipcomp = t }

// Proposal is the negotiated proposal.
func (c *ChildSA) Proposal() *config.Proposal { return c.proposal }

// SetProposal sets the negotiated proposal.
func (c *ChildSA) SetProposal(p *config.Proposal) { c.proposal = p }

// CloseAction is what to do when the peer closes it.
func (c *ChildSA) CloseAction() config.Action { return c.closeAction }

// SetCloseAction overrides the close action.
func (c *ChildSA) SetCloseAction(a config.Action) { c.closeAction = a }

// DPDAction is what to do on DPD timeout.
func (c *ChildSA) DPDAction() config.Action { return c.dpdAction }

// SetDPDAction overrides the DPD action.
func (c *ChildSA) SetDPDAction(a config.Action) { c.dpdAction = a }

// Mark returns the mark of a direction.
func (c *ChildSA) Mark(inbound bool) kernel.Mark { return c.dir(inbound).mark }

// IfID returns the interface id of a direction.
func (c *ChildSA) IfID(inbound bool) uint32 { return c.dir(inbound).ifID }

// TS returns the local or remote traffic selectors.
func (c *ChildSA) TS(local bool) []selectors.TS {
	if local {
		return c.myTS
	}
	return c.otherTS
}

// Lifetime returns the rekey (soft) or expire (hard) time.
func (c *ChildSA) Lifetime(hard bool) time.Time {
	if hard {
		return c.expireTime
	}
	return c.rekeyTime
}

// InstallTime is when the SA was created.
func (c *ChildSA) InstallTime() time.Time { return c.installTime }

// RekeySPI is the SPI of the SA this one rekeys (for the collision rules).
func (c *ChildSA) RekeySPI() uint32 { return c.rekeySPI }

// SetRekeySPI records it.
func (c *ChildSA) SetRekeySPI(spi uint32) { c.rekeySPI = spi }

// Addrs returns the SA's endpoints.
func (c *ChildSA) Addrs() (me, other netip.Addr) { return c.myAddr, c.otherAddr }

// markInSA is the inbound mark installed on the SA: only with
// OptMarkInSA, so that inbound SAs match packets regardless of mark.
func (c *ChildSA) markInSA() kernel.Mark {
	if c.cfg.Has(config.OptMarkInSA) {
		return c.in.mark
	}
	return kernel.Mark{}
}
