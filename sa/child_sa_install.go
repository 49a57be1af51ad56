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

// AllocSPI allocates our inbound SPI in the kernel.
func (c *ChildSA) AllocSPI(proto uint8) (uint32, error) {
	spi, err := c.env.Kernel.GetSPI(c.otherAddr, c.myAddr, proto, c.reqid)
	if err != nil {
		return 0, err
	}
	c.in.spi, c.protocol = spi, proto
	return spi, nil
}

// AllocCPI allocates our IPComp CPI.
func (c *ChildSA) AllocCPI() (uint16, error) {
	cpi, err := c.env.Kernel.GetCPI(c.otherAddr, c.myAddr, c.reqid)
	if err != nil {
		return 0, err
	}
	c.in.cpi = cpi
	return cpi, nil
}

func (c *ChildSA) allocReqID() error {
	if c.reqidAllocated || c.staticReqID {
		return nil
	}
	held := c.reqid
	id, err := c.env.ReqIDs.Alloc(c.reqid, ReqIDKey{c.myTS, c.otherTS, c.in.mark, c.out.mark, c.in.ifID, c.out.ifID})
	if err != nil {
		return err
	}
	c.reqid, c.reqidAllocated = id, true
	c.env.ReleaseReqIDRef(held)
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
		if c.in.spi == spi {
			update = true // AllocSPI created a larval SA
		}
		c.in.spi, c.in.cpi = spi, cpi
		dstTS, srcTS = c.myTS, c.otherTS
		c.inboundInstalled = true
	} else {
		src, dst = c.myAddr, c.otherAddr
		c.out.spi, c.out.cpi = spi, cpi
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
	id := c.saID(inbound)
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
			d.MarkOut.Value = c.in.mark.Value
		} else {
			d.MarkOut.Value = c.out.mark.Value
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
		c.out.spi, c.out.cpi = spi, cpi
		c.pending.encr, c.pending.integ = slices.Clone(encr), slices.Clone(integ)
		c.pending.initiator, c.pending.tfcv3 = initiator, tfcv3
	}
	c.outbound |= OutboundRegistered
	return err
}

// InstallOutbound installs a registered outbound SA and its policies.
func (c *ChildSA) InstallOutbound() error {
	var err error
	if c.outbound&OutboundSA == 0 {
		err = c.Install(c.pending.encr, c.pending.integ, c.out.spi, c.out.cpi, c.pending.initiator, false, c.pending.tfcv3)
		clear(c.pending.encr)
		clear(c.pending.integ)
		c.pending.encr, c.pending.integ = nil, nil
	}
	c.outbound &^= OutboundRegistered
	if err != nil {
		return err
	}
	if !c.cfg.Has(config.OptNoPolicies) && c.outbound&OutboundPolicies == 0 {
		_, otherSA := c.saConfigs()
		for _, p := range c.policyPairs() {
			if err = c.policiesOutbound(c.ipsecPolicies(true, kernel.PriorityDefault), p[0], p[1], otherSA); err != nil {
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
			clear(c.pending.encr)
			clear(c.pending.integ)
			c.pending.encr, c.pending.integ = nil, nil
			c.outbound = OutboundNone
		}
		return
	}
	if !c.cfg.Has(config.OptNoPolicies) && c.outbound&OutboundPolicies != 0 {
		_, otherSA := c.saConfigs()
		for _, p := range c.policyPairs() {
			_ = c.policiesOutbound(c.ipsecPolicies(false, kernel.PriorityDefault), p[0], p[1], otherSA)
		}
	}
	_ = c.env.Kernel.DelSA(c.saID(false), c.out.cpi)
	c.outbound = OutboundNone
}

// HandOverOutbound gives this CHILD_SA's outbound policies to the
// CHILD_SA standing by behind them (SetOutboundStandby: its successor in
// the IKE_SA that replaces this one make-before-break). The responder
// calls it when the initiator deletes the old IKE_SA, before answering:
// the initiator removes its old inbound SA when the answer arrives, and
// what we still sent with this SA after that would be lost. A policy no
// other CHILD_SA holds stays, for Destroy to remove.
func (c *ChildSA) HandOverOutbound() {
	if c.cfg.Has(config.OptNoPolicies) || c.outbound&OutboundPolicies == 0 || c.trap {
		return
	}
	_, otherSA := c.saConfigs()
	all := true
	for _, p := range c.policyPairs() {
		op := c.ipsecPolicies(false, kernel.PriorityDefault)
		op.handOver = true
		if c.policiesOutbound(op, p[0], p[1], otherSA) != nil {
			all = false
		}
	}
	if all {
		c.outbound &^= OutboundPolicies
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
	if c.detached {
		// Its keys were not saved, so this daemon installed nothing of
		// it. A daemon restarted on the same kernel (kill -9, then the
		// starter) finds its predecessor's SAs there under these SPIs:
		// they go with the CHILD_SA (where there are none, as in
		// libipsec, the kernel answers not found, which is not logged).
		// The policies are the successor's, which updated them.
		_ = c.env.Kernel.DelSA(c.saID(true), 0)
		_ = c.env.Kernel.DelSA(c.saID(false), 0)
		return
	}
	if !c.cfg.Has(config.OptNoPolicies) {
		mySA, otherSA := c.saConfigs()
		delOut := c.outbound&OutboundPolicies != 0 || c.trap
		for _, p := range c.policyPairs() {
			if delOut {
				_ = c.policiesOutbound(c.ipsecPolicies(false, prio), p[0], p[1], otherSA)
			}
			_ = c.policiesInbound(c.ipsecPolicies(false, prio), p[0], p[1], mySA)
		}
	}
	if c.in.spi != 0 { // installed or only allocated (larval)
		_ = c.env.Kernel.DelSA(c.saID(true), c.in.cpi)
	}
	if c.saInstalled(false) {
		_ = c.env.Kernel.DelSA(c.saID(false), c.out.cpi)
	}
	switch {
	case c.env.Settings.KeepReqIDs && (c.reqidAllocated || (!c.staticReqID && c.reqid != 0)):
		if !c.env.ReqIDs.releaseRef(c.reqid) {
			c.log(bus.CHD, bus.Control, "releasing reqid %d failed", c.reqid)
		}
	case c.reqidAllocated:
		if err := c.env.ReqIDs.Release(c.reqid, ReqIDKey{nil, nil, c.in.mark, c.out.mark, c.in.ifID, c.out.ifID}); err != nil {
			c.log(bus.CHD, bus.Control, "releasing reqid %d failed", c.reqid)
		}
	}
	clear(c.pending.encr)
	clear(c.pending.integ)
}
