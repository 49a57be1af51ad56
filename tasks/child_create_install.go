package tasks

import (
	"net/netip"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

func (t *ChildCreate) scheduleInactivity() {
	timeout := t.cfg.Inactivity
	if timeout == 0 {
		return
	}
	uid := t.child.UniqueID()
	closeIKE := t.ike.Env().Settings.InactivityCloseIKE
	env := t.ike.Env()
	var check func(thread int)
	check = func(thread int) {
		ike, child := env.Children.CheckoutByID(env.Manager, uid, thread)
		if ike == nil {
			return
		}
		// Whole seconds, as charon's time_monotonic().
		last := maxTime(child.UseTime(true), child.UseTime(false), child.InstallTime())
		idle := time.Duration(env.Clock.Now().Unix()-last.Unix()) * time.Second
		if idle >= time.Duration(timeout)*time.Second {
			status := sa.Success
			if closeIKE && ike.ChildCount() == 1 {
				ike.Log(bus.JOB, bus.Control, "deleting IKE_SA after %d seconds of CHILD_SA inactivity", timeout)
				status = ike.Delete(false)
			} else {
				ike.Log(bus.JOB, bus.Control, "deleting CHILD_SA after %d seconds of inactivity", timeout)
				status = ike.DeleteChild(child.Protocol(), child.SPI(true), false)
			}
			env.Manager.Release(ike, status)
			return
		}
		env.Manager.Release(ike, sa.Success)
		env.Manager.Schedule(time.Duration(timeout)*time.Second-idle, "inactivity", check)
	}
	env.Manager.Schedule(time.Duration(timeout)*time.Second, "inactivity", check)
}

func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, x := range ts {
		if x.After(m) {
			m = x
		}
	}
	return m
}

// transportNATTS replaces the host selectors of a NATed transport mode peer
// with its IKE address (RFC 7296 §2.23.1).
func (t *ChildCreate) transportNATTS(local bool, in []selectors.TS) []selectors.TS {
	ike := t.ike.OtherHost().Addr()
	if local {
		ike = t.ike.MyHost().Addr()
	}
	var out []selectors.TS
	var first netip.Addr
	for _, ts := range in {
		if ts.IsHost(first) || (!first.IsValid() && ts.IsHost(netip.Addr{})) {
			if !first.IsValid() {
				first = ts.From()
			}
			out = append(out, ts.SetAddress(ike))
		}
	}
	return out
}

func (t *ChildCreate) narrow(local bool, in []selectors.TS) []selectors.TS {
	cond := sa.CondNATThere
	if local {
		cond = sa.CondNATHere
	}
	if t.mode == kernel.ModeTransport && t.ike.Has(cond) {
		in = t.transportNATTS(local, in)
	}
	if in == nil {
		in = []selectors.TS{}
	}
	ts, narrowed := t.cfg.TrafficSelectors(local, in, t.dynamicHosts(local))
	if narrowed {
		t.ike.Env().Events.Alert(t.ike, sa.AlertTSNarrowed, local, ts)
	}
	return ts
}

func allHosts(list []selectors.TS, host netip.Addr) bool {
	for _, ts := range list {
		if !ts.IsHost(host) {
			return false
		}
	}
	return true
}

func (t *ChildCreate) checkMode(i, r netip.Addr) bool {
	switch t.mode {
	case kernel.ModeTransport:
		if !t.cfg.Has(config.OptProxyMode) && (!allHosts(t.tsi, i) || !allHosts(t.tsr, r)) {
			t.ike.Log(bus.IKE, bus.Control, "not using transport mode, not host-to-host")
			return false
		}
		return t.cfg.Mode == kernel.ModeTransport
	case kernel.ModeBEET:
		if !allHosts(t.tsi, netip.Addr{}) || !allHosts(t.tsr, netip.Addr{}) {
			t.ike.Log(bus.IKE, bus.Control, "not using BEET mode, not host-to-host")
			return false
		}
		return t.cfg.Mode == kernel.ModeBEET
	}
	return true
}

func protoOf(p *config.Proposal) uint8 {
	if p.Protocol == config.ProtoAH {
		return kernel.ProtoAH
	}
	return kernel.ProtoESP
}

// selectAndInstall picks the proposal and selectors and installs the SAs
// and policies (select_and_install). The status distinguishes what the
// responder answers: NotFound is TS_UNACCEPTABLE, InvalidState a request
// for another KE group, Failed NO_PROPOSAL_CHOSEN.
func (t *ChildCreate) selectAndInstall(noKE, ikeAuth bool) sa.Status {
	ike := t.ike
	if t.proposals == nil {
		ike.Log(bus.IKE, bus.Control, "SA payload missing in message")
		return sa.Failed
	}
	if !t.haveTSi || !t.haveTSr {
		ike.Log(bus.IKE, bus.Control, "TS payloads missing in message")
		return sa.NotFound
	}
	if s := t.selectProposal(noKE); s != sa.Success {
		return s
	}
	myTS, otherTS, s := t.selectTS()
	if s != sa.Success {
		return s
	}
	t.child.SetIPComp(t.ipcomp)
	t.child.SetMode(t.mode)
	t.child.SetProtocol(protoOf(t.proposal))
	t.child.SetState(sa.ChildInstalling)
	t.child.Update(ike.MyHost(), ike.OtherHost(), nil, ike.Has(sa.CondNATAny))
	t.child.SetPolicies(myTS, otherTS)
	if t.myCPI == 0 || t.otherCPI == 0 || t.ipcomp == 0 {
		t.myCPI, t.otherCPI, t.ipcomp = 0, 0, 0
	}
	if !t.installSAs() {
		ike.Env().Events.Alert(ike, sa.AlertInstallChildSAFailed, t.child)
		return sa.Failed
	}
	// A responder's new CHILD_SA (not a rekey) may duplicate one of an
	// IKE_SA the initiator is reauthenticating make-before-break: the
	// initiator installs the new SAs only when our response arrives, so
	// our outbound policies keep the old SA until the initiator deletes
	// it. Without such a duplicate they are installed as usual. (charon
	// switches at once; packets it sends in that half round trip are
	// lost.)
	t.child.SetOutboundStandby(!t.initiator && !t.rekey)
	if err := t.child.InstallPolicies(); err != nil {
		ike.Log(bus.IKE, bus.Control, "unable to install IPsec policies (SPD) in kernel")
		ike.Env().Events.Alert(ike, sa.AlertInstallChildPolicyFailed, t.child)
		return sa.NotFound
	}
	prefix := ""
	if t.child.Outbound() != sa.OutboundInstalled {
		prefix = "inbound "
	}
	ike.Log(bus.IKE, bus.Audit, "%sCHILD_SA %s{%d} established with SPIs %08x_i %08x_o and TS %s === %s",
		prefix, t.child.Name(), t.child.UniqueID(), t.child.SPI(true), t.child.SPI(false),
		selectors.List(t.child.TS(true)), selectors.List(t.child.TS(false)))
	t.child.SetState(sa.ChildInstalled)
	ike.AddChild(t.child)
	t.established = true
	t.scheduleInactivity()
	return sa.Success
}

// selectProposal picks our proposal from the peer's (the responder
// allocates its SPI for it) and settles the key exchange: InvalidState
// asks the initiator for another group, a non-PFS proposal drops ours.
func (t *ChildCreate) selectProposal(noKE bool) sa.Status {
	ike := t.ike
	var flags config.SelectFlags
	if noKE {
		flags |= config.SelectSkipKE
	}
	if !ike.Supports(sa.ExtStrongSwan) && !ike.Env().Settings.AcceptPrivateAlgs {
		flags |= config.SelectSkipPrivate
	}
	if !ike.Env().Settings.PreferConfiguredProposals {
		flags |= config.SelectPreferSupplied
	}
	t.proposal = selectProposal(ike, t.cfg.Proposals, t.proposals, flags)
	if t.proposal == nil {
		ike.Log(bus.IKE, bus.Control, "no acceptable proposal found")
		ike.Env().Events.Alert(ike, sa.AlertProposalMismatchChild, t.proposals)
		return sa.Failed
	}
	t.otherSPI = uint32(t.proposal.SPI)
	if !t.initiator {
		if !t.allocSPI() {
			ike.Log(bus.IKE, bus.Control, "allocating SPI failed")
			return sa.Failed
		}
		t.proposal.SPI = uint64(t.mySPI)
	}
	t.child.SetProposal(t.proposal)
	if proposalHasKE(t.proposal, t.keGroup) {
		return sa.Success
	}
	if g, ok := t.proposal.Algorithm(crypto.TransformKeyExchange); ok && crypto.KeyExchangeMethod(g.ID) != crypto.KENone {
		want := crypto.KeyExchangeMethod(g.ID)
		ike.Log(bus.IKE, bus.Control, "DH group %s unacceptable, requesting %s", t.keGroup, want)
		t.keGroup = want
		return sa.InvalidState
	}
	if t.ke != nil {
		ike.Log(bus.IKE, bus.Control, "ignoring KE exchange, agreed on a non-PFS proposal")
	}
	t.ke, t.secret, t.keGroup = nil, nil, crypto.KENone
	return sa.Success
}

// selectTS narrows the selectors to ours and the peer's and checks the
// mode against them: an initiator refuses a transport or BEET mode the
// responder picked for selectors that are not host-to-host, a responder
// falls back to tunnel mode.
func (t *ChildCreate) selectTS() (myTS, otherTS []selectors.TS, s sa.Status) {
	ike := t.ike
	me, other := ike.MyHost().Addr(), ike.OtherHost().Addr()
	if t.initiator {
		myTS, otherTS = t.narrow(true, t.tsi), t.narrow(false, t.tsr)
	} else {
		myTS, otherTS = t.narrow(true, t.tsr), t.narrow(false, t.tsi)
	}
	if len(myTS) == 0 || len(otherTS) == 0 {
		ike.Env().Events.Alert(ike, sa.AlertTSMismatch, t.tsi, t.tsr)
		ike.Log(bus.IKE, bus.Control, "no acceptable traffic selectors found")
		return nil, nil, sa.NotFound
	}
	if t.initiator {
		t.tsi, t.tsr = myTS, otherTS
		if !t.checkMode(me, other) {
			ike.Log(bus.IKE, bus.Control, "%s mode requested by responder is unacceptable", t.mode)
			return nil, nil, sa.Failed
		}
	} else {
		t.tsr, t.tsi = myTS, otherTS
		if !t.checkMode(other, me) {
			t.mode = kernel.ModeTunnel
		}
	}
	return myTS, otherTS, sa.Success
}

// installSAs derives the CHILD_SA's keys and installs its inbound SA and
// its outbound one (registered only, when rekeying: it waits until the
// old SA is deleted); false, logged, if the kernel refused either.
func (t *ChildCreate) installSAs() bool {
	nonceI, nonceR := t.myNonce, t.otherNonce
	if !t.initiator {
		nonceI, nonceR = t.otherNonce, t.myNonce
	}
	ike := t.ike
	keys, err := ike.Keymat().ChildKeys(ike.Logger(), t.proposal, t.secret, nonceI, nonceR)
	inErr, outErr := err, err
	if err == nil {
		defer keys.Wipe()
		// Our inbound SA uses the peer's keys.
		inE, inI, outE, outI := keys.EncrR, keys.IntegR, keys.EncrI, keys.IntegI
		if !t.initiator {
			inE, inI, outE, outI = keys.EncrI, keys.IntegI, keys.EncrR, keys.IntegR
		}
		inErr = t.child.Install(inE, inI, t.mySPI, t.myCPI, t.initiator, true, t.tfcv3)
		if t.rekey {
			outErr = t.child.RegisterOutbound(outE, outI, t.otherSPI, t.otherCPI, t.initiator, t.tfcv3)
		} else {
			outErr = t.child.Install(outE, outI, t.otherSPI, t.otherCPI, t.initiator, false, t.tfcv3)
		}
	}
	which := ""
	switch {
	case inErr == nil && outErr == nil:
		return true
	case inErr != nil && outErr != nil:
		which = "inbound and outbound "
	case inErr != nil:
		which = "inbound "
	default:
		which = "outbound "
	}
	ike.Log(bus.IKE, bus.Control, "unable to install %sIPsec SA (SAD) in kernel", which)
	return false
}

func (t *ChildCreate) allocSPI() bool {
	if t.initiator {
		t.proto = kernel.ProtoESP
		if len(t.proposals) > 0 {
			t.proto = protoOf(t.proposals[0])
		}
	} else {
		t.proto = protoOf(t.proposal)
	}
	spi, err := t.child.AllocSPI(t.proto)
	if err != nil {
		t.ike.Log(bus.KNL, bus.Control, "unable to get SPI: %v", err)
		return false
	}
	t.mySPI = spi
	return true
}
