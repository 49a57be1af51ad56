package sa

import (
	"net/netip"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
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
	mySPI, otherSPI   uint32
	myCPI, otherCPI   uint16
	rekeySPI          uint32
	protocol          uint8 // kernel.ProtoESP or ProtoAH; 0 before chosen
	mode              kernel.Mode
	encap             bool
	ipcomp            uint16
	proposal          *config.Proposal
	myTS, otherTS     []selectors.TS
	markIn, markOut   kernel.Mark
	ifIDIn, ifIDOut   uint32
	reqid             uint32
	staticReqID       bool
	reqidAllocated    bool
	trap              bool
	inboundInstalled  bool
	closeAction       config.Action
	dpdAction         config.Action
	initiator         bool
	tfcv3             bool
	encrR, integR     []byte // registered outbound keys until InstallOutbound

	installTime, rekeyTime, expireTime time.Time

	myUseBytes, otherUseBytes     uint64
	myUsePackets, otherUsePackets uint64
	myUseTime, otherUseTime       time.Time
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
		markIn:      cfg.MarkIn,
		markOut:     cfg.MarkOut,
		ifIDIn:      cfg.IfIDIn,
		ifIDOut:     cfg.IfIDOut,
		installTime: env.Clock.Now(),
	}
	if c.ifIDIn == 0 {
		c.ifIDIn = ike.IfID(true)
	}
	if c.ifIDOut == 0 {
		c.ifIDOut = ike.IfID(false)
	}
	if args.MarkIn != 0 {
		c.markIn.Value = args.MarkIn
	}
	if args.MarkOut != 0 {
		c.markOut.Value = args.MarkOut
	}
	if args.IfIDIn != 0 {
		c.ifIDIn = args.IfIDIn
	}
	if args.IfIDOut != 0 {
		c.ifIDOut = args.IfIDOut
	}
	env.Manager.allocateUniqueMarks(&c.markIn, &c.markOut)
	if c.reqid == 0 {
		c.reqid = args.ReqID
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

// Config is the CHILD_SA's config.
func (c *ChildSA) Config() *config.ChildCfg { return c.cfg }

// IKE returns the owning IKE_SA.
func (c *ChildSA) IKE() *IKESA { return c.ike }

// UniqueID is the number shown as name{N}.
func (c *ChildSA) UniqueID() uint32 { return c.uniqueID }

// ReqID is the reqid (0 before allocation).
func (c *ChildSA) ReqID() uint32 { return c.reqid }

// State returns the state.
func (c *ChildSA) State() ChildState { return c.state }

// SetState changes the state, announcing it to listeners.
func (c *ChildSA) SetState(s ChildState) {
	c.log(bus.CHD, bus.Diag, "CHILD_SA %s{%d} state change: %s => %s", c.cfg.Name, c.uniqueID, c.state, s)
	c.env.Events.ChildStateChange(c.ike, c, s)
	c.state = s
}

// Outbound is the outbound installation state.
func (c *ChildSA) Outbound() OutboundState { return c.outbound }

// SPI returns our (inbound) or the peer's (outbound) SPI.
func (c *ChildSA) SPI(inbound bool) uint32 {
	if inbound {
		return c.mySPI
	}
	return c.otherSPI
}

// CPI returns the IPComp CPI of a direction.
func (c *ChildSA) CPI(inbound bool) uint16 {
	if inbound {
		return c.myCPI
	}
	return c.otherCPI
}

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
func (c *ChildSA) Mark(inbound bool) kernel.Mark {
	if inbound {
		return c.markIn
	}
	return c.markOut
}

// IfID returns the interface id of a direction.
func (c *ChildSA) IfID(inbound bool) uint32 {
	if inbound {
		return c.ifIDIn
	}
	return c.ifIDOut
}

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
		return c.markIn
	}
	return kernel.Mark{}
}

// AllocSPI allocates our inbound SPI in the kernel.
func (c *ChildSA) AllocSPI(proto uint8) (uint32, error) {
	spi, err := c.env.Kernel.GetSPI(c.otherAddr, c.myAddr, proto, c.reqid)
	if err != nil {
		return 0, err
	}
	c.mySPI, c.protocol = spi, proto
	return spi, nil
}

// AllocCPI allocates our IPComp CPI.
func (c *ChildSA) AllocCPI() (uint16, error) {
	cpi, err := c.env.Kernel.GetCPI(c.otherAddr, c.myAddr, c.reqid)
	if err != nil {
		return 0, err
	}
	c.myCPI = cpi
	return cpi, nil
}

// SetPolicies sets the negotiated selectors, sorted as strongSwan sorts them.
func (c *ChildSA) SetPolicies(my, other []selectors.TS) {
	c.myTS = slices.Clone(my)
	slices.SortStableFunc(c.myTS, selectors.Compare)
	c.otherTS = slices.Clone(other)
	slices.SortStableFunc(c.otherTS, selectors.Compare)
}

// policyPairs lists (mine, other) selector pairs of the same family and
// compatible protocol, the policies a CHILD_SA installs.
func (c *ChildSA) policyPairs() [][2]selectors.TS {
	var out [][2]selectors.TS
	for _, m := range c.myTS {
		for _, o := range c.otherTS {
			if m.Is4() != o.Is4() {
				continue
			}
			if m.Protocol() != 0 && o.Protocol() != 0 && m.Protocol() != o.Protocol() {
				continue
			}
			out = append(out, [2]selectors.TS{m, o})
		}
	}
	return out
}

// PolicyPairs is policyPairs for status output.
func (c *ChildSA) PolicyPairs() [][2]selectors.TS { return c.policyPairs() }

func (c *ChildSA) allocReqID() error {
	if c.reqidAllocated || c.staticReqID {
		return nil
	}
	id, err := c.env.ReqIDs.Alloc(c.reqid, ReqIDKey{c.myTS, c.otherTS, c.markIn, c.markOut, c.ifIDIn, c.ifIDOut})
	if err != nil {
		return err
	}
	c.reqid, c.reqidAllocated = id, true
	return nil
}

// Install installs one direction's SA in the kernel: inbound with our SPI,
// outbound with the peer's, as child_sa.c install_internal.
func (c *ChildSA) Install(encr, integ []byte, spi uint32, cpi uint16, initiator, inbound, tfcv3 bool) error {
	var src, dst netip.Addr
	var srcTS, dstTS []selectors.TS
	update := false
	tfc := uint32(0)
	if inbound {
		dst, src = c.myAddr, c.otherAddr
		if c.mySPI == spi {
			update = true // AllocSPI created a larval SA
		}
		c.mySPI, c.myCPI = spi, cpi
		dstTS, srcTS = c.myTS, c.otherTS
		c.inboundInstalled = true
	} else {
		src, dst = c.myAddr, c.otherAddr
		c.otherSPI, c.otherCPI = spi, cpi
		srcTS, dstTS = c.myTS, c.otherTS
		if tfcv3 {
			tfc = c.cfg.TFC
		}
		c.outbound |= OutboundSA
	}
	dir := "outbound"
	if inbound {
		dir = "inbound"
	}
	c.log(bus.CHD, bus.Diag, "adding %s %s SA", dir, protoName(c.protocol))
	c.log(bus.CHD, bus.Diag, "  SPI 0x%08x, src %s dst %s", spi, src, dst)
	var encAlg crypto.EncryptionAlgorithm
	var intAlg crypto.IntegrityAlgorithm
	esn := false
	if t, ok := c.proposal.Algorithm(crypto.TransformEncryption); ok {
		encAlg = crypto.EncryptionAlgorithm(t.ID)
	}
	if t, ok := c.proposal.Algorithm(crypto.TransformIntegrity); ok {
		intAlg = crypto.IntegrityAlgorithm(t.ID)
	}
	if t, ok := c.proposal.Algorithm(crypto.TransformExtendedSeqs); ok {
		esn = t.ID == uint16(crypto.ExtSeq)
	}
	if intAlg == crypto.AuthHMACSHA2_256_128 && c.cfg.Has(config.OptSHA256_96) {
		c.log(bus.CHD, bus.Diag, "  using %s with 96-bit truncation", intAlg)
		intAlg = crypto.AuthHMACSHA2_256_96
	}
	if err := c.allocReqID(); err != nil {
		return err
	}
	lt := c.cfg.LifetimeWithJitter(true, c.env.RandUint64)
	now := c.env.Clock.Now()
	if lt.Time.Rekey != 0 {
		at := now.Add(time.Duration(lt.Time.Rekey) * time.Second)
		if c.rekeyTime.IsZero() || at.Before(c.rekeyTime) {
			c.rekeyTime = at
		}
	}
	if lt.Time.Life != 0 {
		c.expireTime = now.Add(time.Duration(lt.Time.Life) * time.Second)
	}
	if lt.Time.Jitter == 0 && !inbound {
		// Without jitter both SAs would expire together: rekey on the
		// inbound one only.
		lt.Time.Rekey = 0
	}
	id := kernel.SAID{Src: src, Dst: dst, SPI: spi, Proto: c.protocol, Mark: c.markOut, IfID: c.ifIDOut}
	if inbound {
		id.Mark, id.IfID = c.markInSA(), c.ifIDIn
	}
	d := kernel.AddSA{
		ReqID: c.reqid, Mode: c.mode, SrcTS: srcTS, DstTS: dstTS,
		Lifetime: lt, EncAlg: encAlg, EncKey: encr, IntAlg: intAlg, IntKey: integ,
		ReplayWindow: c.cfg.ReplayWindow, TFC: tfc, IPComp: crypto.IPCompTransform(c.ipcomp), CPI: cpi,
		Encap: c.encap, HWOffload: c.cfg.HWOffload, ESN: esn,
		CopyDF: !c.cfg.Has(config.OptNoCopyDF), CopyECN: !c.cfg.Has(config.OptNoCopyECN),
		CopyDSCP: c.cfg.CopyDSCP, Initiator: initiator, Inbound: inbound, Update: update,
	}
	if d.ReplayWindow == 0 {
		d.ReplayWindow = c.env.Settings.ReplayWindow
	}
	if inbound {
		d.MarkOut = c.cfg.SetMarkIn
		d.EncapSrcPort, d.EncapDstPort = c.otherPort, c.myPort
	} else {
		d.Interface = c.cfg.Interface
		d.MarkOut = c.cfg.SetMarkOut
		d.EncapSrcPort, d.EncapDstPort = c.myPort, c.otherPort
	}
	if d.MarkOut.Value == kernel.MarkSame {
		if inbound {
			d.MarkOut.Value = c.markIn.Value
		} else {
			d.MarkOut.Value = c.markOut.Value
		}
	}
	return c.env.Kernel.AddSA(id, d)
}

func protoName(p uint8) string {
	switch p {
	case kernel.ProtoESP:
		return "ESP"
	case kernel.ProtoAH:
		return "AH"
	}
	return "PROTO_NONE"
}

// ProtoName prints a CHILD_SA protocol as charon does.
func ProtoName(p uint8) string { return protoName(p) }

func (c *ChildSA) saConfigs() (my, other kernel.SAConfig) {
	my.Mode, my.ReqID = c.mode, c.reqid
	my.IPComp.Transform = crypto.IPCompTransform(c.ipcomp)
	other = my
	my.IPComp.CPI, other.IPComp.CPI = c.myCPI, c.otherCPI
	if c.protocol == kernel.ProtoESP {
		my.ESP.Use, my.ESP.SPI = true, c.mySPI
		other.ESP.Use, other.ESP.SPI = true, c.otherSPI
	} else {
		my.AH.Use, my.AH.SPI = true, c.mySPI
		other.AH.Use, other.AH.SPI = true, c.otherSPI
	}
	n := uint32(len(c.policyPairs()))
	my.PolicyCount, other.PolicyCount = n, n
	return my, other
}

func (c *ChildSA) policiesInbound(add bool, my, other selectors.TS, mySA kernel.SAConfig, prio kernel.PolicyPriority) error {
	id := kernel.PolicyID{Dir: kernel.DirIn, Src: other, Dst: my, Mark: c.markIn, IfID: c.ifIDIn}
	d := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: prio, ManualPrio: c.cfg.ManualPrio,
		Src: c.otherAddr, Dst: c.myAddr, SA: mySA}
	var err error
	op := c.env.Kernel.AddPolicy
	if !add {
		op = c.env.Kernel.DelPolicy
	}
	if e := op(id, d); e != nil {
		err = e
	}
	if c.mode != kernel.ModeTransport {
		id.Dir = kernel.DirFwd
		if e := op(id, d); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (c *ChildSA) policiesOutbound(add bool, my, other selectors.TS, otherSA kernel.SAConfig, prio kernel.PolicyPriority) error {
	id := kernel.PolicyID{Dir: kernel.DirOut, Src: my, Dst: other, Mark: c.markOut, IfID: c.ifIDOut, Interface: c.cfg.Interface}
	d := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: prio, ManualPrio: c.cfg.ManualPrio,
		Src: c.myAddr, Dst: c.otherAddr, SA: otherSA}
	op := c.env.Kernel.AddPolicy
	if !add {
		op = c.env.Kernel.DelPolicy
	}
	err := op(id, d)
	if c.mode != kernel.ModeTransport && c.cfg.Has(config.OptFwdOutPolicies) {
		// An outbound FWD policy without reqid lets forwarded traffic pass
		// a drop policy; installed with reduced priority.
		id.Dir = kernel.DirFwd
		d.SA.ReqID = 0
		if prio == kernel.PriorityDefault {
			d.Prio = kernel.PriorityRouted
		}
		if e := op(id, d); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// InstallPolicies installs the policies for the negotiated selectors:
// inbound (in, fwd) always, outbound only if the outbound SA was not
// registered for later installation (rekeying, seeds/003). Without an
// installed SA (state CREATED) they are trap policies (auto=route).
func (c *ChildSA) InstallPolicies() error {
	if err := c.allocReqID(); err != nil {
		return err
	}
	installOut := false
	if c.outbound&OutboundRegistered == 0 {
		installOut = true
		c.outbound |= OutboundPolicies
	}
	var err error
	if !c.cfg.Has(config.OptNoPolicies) {
		mySA, otherSA := c.saConfigs()
		c.trap = c.state == ChildCreated
		prio := kernel.PriorityDefault
		if c.trap {
			prio = kernel.PriorityRouted
		}
		for _, p := range c.policyPairs() {
			if err = c.policiesInbound(true, p[0], p[1], mySA, prio); err == nil && installOut {
				err = c.policiesOutbound(true, p[0], p[1], otherSA, prio)
			}
			if err != nil {
				break
			}
		}
	}
	if err == nil && c.trap {
		c.SetState(ChildRouted)
	}
	return err
}

// RegisterOutbound remembers the outbound SA's keys so that it is installed
// only when InstallOutbound is called (after the rekey's delete, so that
// the old outbound SA keeps working until then), unless the kernel can
// install it right away because policies name SPIs.
func (c *ChildSA) RegisterOutbound(encr, integ []byte, spi uint32, cpi uint16, initiator, tfcv3 bool) error {
	var err error
	if c.env.Kernel.Features()&kernel.FeaturePolicySPI != 0 {
		err = c.Install(encr, integ, spi, cpi, initiator, false, tfcv3)
	} else {
		c.log(bus.CHD, bus.Diag, "registering outbound %s SA", protoName(c.protocol))
		c.log(bus.CHD, bus.Diag, "  SPI 0x%08x, src %s dst %s", spi, c.myAddr, c.otherAddr)
		c.otherSPI, c.otherCPI = spi, cpi
		c.encrR, c.integR = slices.Clone(encr), slices.Clone(integ)
		c.initiator, c.tfcv3 = initiator, tfcv3
	}
	c.outbound |= OutboundRegistered
	return err
}

// InstallOutbound installs a registered outbound SA and its policies.
func (c *ChildSA) InstallOutbound() error {
	var err error
	if c.outbound&OutboundSA == 0 {
		err = c.Install(c.encrR, c.integR, c.otherSPI, c.otherCPI, c.initiator, false, c.tfcv3)
		clear(c.encrR)
		clear(c.integR)
		c.encrR, c.integR = nil, nil
	}
	c.outbound &^= OutboundRegistered
	if err != nil {
		return err
	}
	if !c.cfg.Has(config.OptNoPolicies) && c.outbound&OutboundPolicies == 0 {
		_, otherSA := c.saConfigs()
		for _, p := range c.policyPairs() {
			if err = c.policiesOutbound(true, p[0], p[1], otherSA, kernel.PriorityDefault); err != nil {
				break
			}
		}
	}
	c.outbound |= OutboundPolicies
	return err
}

// RemoveOutbound removes the outbound SA and policies (the rekeyed SA's,
// right after the new one's are installed).
func (c *ChildSA) RemoveOutbound() {
	if c.outbound&OutboundSA == 0 {
		if c.outbound&OutboundRegistered != 0 {
			clear(c.encrR)
			clear(c.integR)
			c.encrR, c.integR = nil, nil
			c.outbound = OutboundNone
		}
		return
	}
	if !c.cfg.Has(config.OptNoPolicies) && c.outbound&OutboundPolicies != 0 {
		_, otherSA := c.saConfigs()
		for _, p := range c.policyPairs() {
			_ = c.policiesOutbound(false, p[0], p[1], otherSA, kernel.PriorityDefault)
		}
	}
	_ = c.env.Kernel.DelSA(kernel.SAID{Src: c.myAddr, Dst: c.otherAddr, SPI: c.otherSPI,
		Proto: c.protocol, Mark: c.markOut, IfID: c.ifIDOut}, c.otherCPI)
	c.outbound = OutboundNone
}

// Update moves the SA to new addresses (MOBIKE, NAT mapping change).
// NotFound means the kernel cannot update it and it must be rekeyed.
func (c *ChildSA) Update(me, other netip.AddrPort, vips []netip.Addr, encap bool) Status {
	if me.Addr() == c.myAddr && me.Port() == c.myPort && other.Addr() == c.otherAddr &&
		other.Port() == c.otherPort && encap == c.encap {
		return Success // nothing changed: no UPDATING state change either
	}
	old := c.state
	c.SetState(ChildUpdating)
	transportProxy := c.cfg.Mode == kernel.ModeTransport && c.cfg.Has(config.OptProxyMode)
	if !transportProxy && c.state != ChildRouted && (me.Addr() != c.myAddr || other.Addr() != c.otherAddr ||
		me.Port() != c.myPort || other.Port() != c.otherPort || encap != c.encap) {
		if c.mySPI != 0 && c.inboundInstalled {
			if err := c.env.Kernel.UpdateSA(kernel.SAID{Src: c.otherAddr, Dst: c.myAddr, SPI: c.mySPI,
				Proto: c.protocol, Mark: c.markInSA(), IfID: c.ifIDIn},
				kernel.UpdateSA{CPI: c.myCPI, NewSrc: other.Addr(), NewDst: me.Addr(),
					NewSrcPort: other.Port(), NewDstPort: me.Port(), Encap: c.encap, NewEncap: encap}); err != nil {
				c.SetState(old)
				return NotFound
			}
		}
		if c.otherSPI != 0 && c.outbound&OutboundSA != 0 {
			if err := c.env.Kernel.UpdateSA(kernel.SAID{Src: c.myAddr, Dst: c.otherAddr, SPI: c.otherSPI,
				Proto: c.protocol, Mark: c.markOut, IfID: c.ifIDOut},
				kernel.UpdateSA{CPI: c.otherCPI, NewSrc: me.Addr(), NewDst: other.Addr(),
					NewSrcPort: me.Port(), NewDstPort: other.Port(), Encap: c.encap, NewEncap: encap}); err != nil {
				c.SetState(old)
				return NotFound
			}
		}
	}
	if !transportProxy {
		c.myAddr, c.otherAddr = me.Addr(), other.Addr()
		c.myPort, c.otherPort = me.Port(), other.Port()
	}
	c.encap = encap
	c.SetState(old)
	return Success
}

// UsageStats reports traffic counters and the last use of a direction,
// refreshed from the kernel.
func (c *ChildSA) UsageStats(inbound bool) (bytes, packets uint64, last time.Time) {
	c.updateUsage(inbound)
	if inbound {
		return c.myUseBytes, c.myUsePackets, c.myUseTime
	}
	return c.otherUseBytes, c.otherUsePackets, c.otherUseTime
}

// UseTime is the last time traffic used a direction (for DPD and
// inactivity), from the cached counters and policy use times.
func (c *ChildSA) UseTime(inbound bool) time.Time {
	c.updateUsage(inbound)
	if inbound {
		return c.myUseTime
	}
	return c.otherUseTime
}

func (c *ChildSA) updateUsage(inbound bool) {
	if c.env.Kernel == nil {
		return
	}
	if inbound {
		if c.mySPI == 0 || !c.inboundInstalled {
			return
		}
		u, err := c.env.Kernel.QuerySA(kernel.SAID{Src: c.otherAddr, Dst: c.myAddr, SPI: c.mySPI,
			Proto: c.protocol, Mark: c.markInSA(), IfID: c.ifIDIn})
		if err == nil && u.Bytes != c.myUseBytes {
			c.myUseBytes, c.myUsePackets = u.Bytes, u.Packets
			if !u.LastUse.IsZero() {
				c.myUseTime = u.LastUse
			}
			c.updateUseTime(true)
		}
		return
	}
	if c.otherSPI == 0 || c.outbound&OutboundSA == 0 {
		return
	}
	u, err := c.env.Kernel.QuerySA(kernel.SAID{Src: c.myAddr, Dst: c.otherAddr, SPI: c.otherSPI,
		Proto: c.protocol, Mark: c.markOut, IfID: c.ifIDOut})
	if err == nil && u.Bytes != c.otherUseBytes {
		c.otherUseBytes, c.otherUsePackets = u.Bytes, u.Packets
		if !u.LastUse.IsZero() {
			c.otherUseTime = u.LastUse
		}
		c.updateUseTime(false)
	}
}

// updateUseTime takes the last use from the policies when there was
// traffic: XFRM reports when an SA was first used, the policies when they
// last matched (child_sa.c update_usetime).
func (c *ChildSA) updateUseTime(inbound bool) {
	var last time.Time
	query := func(id kernel.PolicyID) {
		if t, err := c.env.Kernel.QueryPolicy(id); err == nil && t.After(last) {
			last = t
		}
	}
	for _, p := range c.policyPairs() {
		if inbound {
			query(kernel.PolicyID{Dir: kernel.DirIn, Src: p[1], Dst: p[0], Mark: c.markIn, IfID: c.ifIDIn})
			if c.mode != kernel.ModeTransport {
				query(kernel.PolicyID{Dir: kernel.DirFwd, Src: p[1], Dst: p[0], Mark: c.markIn, IfID: c.ifIDIn})
			}
		} else {
			query(kernel.PolicyID{Dir: kernel.DirOut, Src: p[0], Dst: p[1], Mark: c.markOut, IfID: c.ifIDOut,
				Interface: c.cfg.Interface})
		}
	}
	if last.IsZero() {
		return
	}
	if inbound {
		c.myUseTime = last
	} else {
		c.otherUseTime = last
	}
}

// Destroy removes the policies and SAs from the kernel and releases the
// reqid. Inbound SAs are always deleted so that allocated SPIs go away.
func (c *ChildSA) Destroy() {
	prio := kernel.PriorityDefault
	if c.trap {
		prio = kernel.PriorityRouted
	}
	c.SetState(ChildDestroying)
	if !c.cfg.Has(config.OptNoPolicies) {
		mySA, otherSA := c.saConfigs()
		delOut := c.outbound&OutboundPolicies != 0 || c.trap
		for _, p := range c.policyPairs() {
			if delOut {
				_ = c.policiesOutbound(false, p[0], p[1], otherSA, prio)
			}
			_ = c.policiesInbound(false, p[0], p[1], mySA, prio)
		}
	}
	if c.mySPI != 0 {
		_ = c.env.Kernel.DelSA(kernel.SAID{Src: c.otherAddr, Dst: c.myAddr, SPI: c.mySPI,
			Proto: c.protocol, Mark: c.markInSA(), IfID: c.ifIDIn}, c.myCPI)
	}
	if c.otherSPI != 0 && c.outbound&OutboundSA != 0 {
		_ = c.env.Kernel.DelSA(kernel.SAID{Src: c.myAddr, Dst: c.otherAddr, SPI: c.otherSPI,
			Proto: c.protocol, Mark: c.markOut, IfID: c.ifIDOut}, c.otherCPI)
	}
	if c.reqidAllocated {
		if err := c.env.ReqIDs.Release(c.reqid, ReqIDKey{nil, nil, c.markIn, c.markOut, c.ifIDIn, c.ifIDOut}); err != nil {
			c.log(bus.CHD, bus.Control, "releasing reqid %d failed", c.reqid)
		}
	}
	clear(c.encrR)
	clear(c.integR)
}
