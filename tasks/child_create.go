package tasks

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// Retry of a CHILD_SA after TEMPORARY_FAILURE: 15 s minus up to 10 s jitter.
const (
	childRetryInterval = 15
	childRetryJitter   = 10
)

// ChildCreate negotiates a CHILD_SA in IKE_AUTH or CREATE_CHILD_SA,
// child_create.c: proposals and traffic selectors with narrowing, transport
// mode, optional PFS, and installing the SAs and policies. child_rekey uses
// it with rekey set, in which case the outbound SA is only registered.
type ChildCreate struct {
	ike       *sa.IKESA
	initiator bool
	cfg       *config.ChildCfg
	rekey     bool
	retry     bool

	packetTSi, packetTSr *selectors.TS
	myNonce, otherNonce  []byte
	proposals            []*config.Proposal
	proposal             *config.Proposal
	tsi, tsr             []selectors.TS
	haveTSi, haveTSr     bool
	keGroup              crypto.KeyExchangeMethod
	ke                   crypto.KeyExchange
	keFailed             bool
	secret               []byte
	mode                 kernel.Mode
	ipcomp, ipcompRecv   uint16
	myCPI, otherCPI      uint16
	mySPI, otherSPI      uint32
	proto                uint8
	tfcv3                bool
	args                 sa.ChildSAArgs
	child                *sa.ChildSA
	established          bool
	deleteFailed         bool // the phase that deletes a half-negotiated SA
}

// NewChildCreate creates the task; cfg is nil for a responder. args may
// carry a reqid to reuse and the packet that triggered a trap.
func NewChildCreate(ike *sa.IKESA, cfg *config.ChildCfg, rekey bool, args *sa.ChildInitArgs) *ChildCreate {
	t := &ChildCreate{ike: ike, cfg: cfg, initiator: cfg != nil, rekey: rekey, mode: kernel.ModeTunnel, tfcv3: true}
	if args != nil {
		t.args.ReqID = args.ReqID
		t.packetTSi, t.packetTSr = args.Src, args.Dst
	}
	return t
}

// Type implements sa.Task.
func (t *ChildCreate) Type() sa.TaskType { return sa.TaskChildCreate }

// UseReqID reuses a reqid (rekeying, trap policies).
func (t *ChildCreate) UseReqID(r uint32) { t.args.ReqID = r }

// UseMarks reuses marks.
func (t *ChildCreate) UseMarks(in, out uint32) { t.args.MarkIn, t.args.MarkOut = in, out }

// UseIfIDs reuses interface ids.
func (t *ChildCreate) UseIfIDs(in, out uint32) { t.args.IfIDIn, t.args.IfIDOut = in, out }

// UseKEGroup reuses the key exchange of the CHILD_SA being rekeyed.
func (t *ChildCreate) UseKEGroup(g crypto.KeyExchangeMethod) { t.keGroup = g }

// Child is the CHILD_SA being created.
func (t *ChildCreate) Child() *sa.ChildSA { return t.child }

// SetConfig sets the config (a rekey responder learns it from the old SA).
func (t *ChildCreate) SetConfig(c *config.ChildCfg) { t.cfg = c }

// Config is the config in use.
func (t *ChildCreate) Config() *config.ChildCfg { return t.cfg }

// LowerNonce returns the lower nonce (rekey collisions).
func (t *ChildCreate) LowerNonce() []byte {
	n := min(len(t.myNonce), len(t.otherNonce))
	if bytes.Compare(t.myNonce[:n], t.otherNonce[:n]) < 0 {
		return t.myNonce
	}
	return t.otherNonce
}

// Migrate implements sa.Task: start over on another IKE_SA (or after an
// INVALID_KE_PAYLOAD).
func (t *ChildCreate) Migrate(ike *sa.IKESA) {
	t.Destroy()
	keep := t.keGroup
	*t = ChildCreate{ike: ike, cfg: t.cfg, initiator: t.initiator, rekey: t.rekey, retry: t.retry,
		packetTSi: t.packetTSi, packetTSr: t.packetTSr, args: t.args, mode: kernel.ModeTunnel, tfcv3: true}
	if t.rekey || t.retry {
		t.keGroup = keep
	}
}

func (t *ChildCreate) newNonce() bool {
	n, err := t.ike.Keymat().NewNonce()
	if err != nil {
		t.ike.Log(bus.IKE, bus.Control, "nonce allocation failed")
		return false
	}
	t.myNonce = n
	return true
}

func nonceOf(m *encoding.Message) []byte {
	if n, ok := m.First(encoding.PayloadNonce).(*encoding.Nonce); ok {
		return slices.Clone(n.Data)
	}
	return nil
}

// dynamicHosts are the hosts that replace dynamic selectors: virtual IPs
// if assigned, else the IKE address.
func (t *ChildCreate) dynamicHosts(local bool) []netip.Addr {
	if v := t.ike.VirtualIPs(local); len(v) > 0 {
		return slices.Clone(v)
	}
	if local {
		return []netip.Addr{t.ike.MyHost().Addr()}
	}
	if t.ike.PeerCfg() != nil && len(t.ike.PeerCfg().Pools) > 0 {
		return nil
	}
	return []netip.Addr{t.ike.OtherHost().Addr()}
}

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
		idle := env.Clock.Now().Sub(maxTime(child.UseTime(true), child.UseTime(false), child.InstallTime()))
		if idle >= time.Duration(timeout)*time.Second {
			ike.Log(bus.JOB, bus.Control, "CHILD_SA %s{%d} inactive for %ds, closing", child.Name(), uid, int(idle/time.Second))
			status := sa.Success
			if closeIKE && ike.ChildCount() == 1 {
				status = ike.Delete(false)
			} else {
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
	me, other := ike.MyHost().Addr(), ike.OtherHost().Addr()
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
	t.proposal = t.cfg.SelectProposal(t.proposals, flags)
	if t.proposal == nil {
		ike.Log(bus.IKE, bus.Control, "no acceptable proposal found")
		ike.Log(bus.CFG, bus.Control, "received proposals: %s", config.FormatProposals(t.proposals))
		ike.Log(bus.CFG, bus.Control, "configured proposals: %s", config.FormatProposals(t.cfg.ProposalsForNegotiation(noKE)))
		ike.Env().Events.Alert(ike, sa.AlertProposalMismatchChild, t.proposals)
		return sa.Failed
	}
	ike.Log(bus.CFG, bus.Control, "selected proposal: %s", t.proposal)
	t.otherSPI = uint32(t.proposal.SPI)
	if !t.initiator {
		if !t.allocSPI() {
			ike.Log(bus.IKE, bus.Control, "allocating SPI failed")
			return sa.Failed
		}
		t.proposal.SPI = uint64(t.mySPI)
	}
	t.child.SetProposal(t.proposal)
	if !proposalHasKE(t.proposal, t.keGroup) {
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
	}
	var nonceI, nonceR []byte
	var myTS, otherTS []selectors.TS
	if t.initiator {
		nonceI, nonceR = t.myNonce, t.otherNonce
		myTS, otherTS = t.narrow(true, t.tsi), t.narrow(false, t.tsr)
	} else {
		nonceI, nonceR = t.otherNonce, t.myNonce
		myTS, otherTS = t.narrow(true, t.tsr), t.narrow(false, t.tsi)
	}
	if len(myTS) == 0 || len(otherTS) == 0 {
		ike.Env().Events.Alert(ike, sa.AlertTSMismatch, t.tsi, t.tsr)
		ike.Log(bus.IKE, bus.Control, "no acceptable traffic selectors found")
		return sa.NotFound
	}
	if t.initiator {
		t.tsi, t.tsr = myTS, otherTS
		if !t.checkMode(me, other) {
			ike.Log(bus.IKE, bus.Control, "%s mode requested by responder is unacceptable", t.mode)
			return sa.Failed
		}
	} else {
		t.tsr, t.tsi = myTS, otherTS
		if !t.checkMode(other, me) {
			t.mode = kernel.ModeTunnel
		}
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
			// The outbound SA waits until the old one is deleted.
			outErr = t.child.RegisterOutbound(outE, outI, t.otherSPI, t.otherCPI, t.initiator, t.tfcv3)
		} else {
			outErr = t.child.Install(outE, outI, t.otherSPI, t.otherCPI, t.initiator, false, t.tfcv3)
		}
	}
	if inErr != nil || outErr != nil {
		which := ""
		switch {
		case inErr != nil && outErr != nil:
			which = "inbound and outbound "
		case inErr != nil:
			which = "inbound "
		default:
			which = "outbound "
		}
		ike.Log(bus.IKE, bus.Control, "unable to install %sIPsec SA (SAD) in kernel", which)
		ike.Env().Events.Alert(ike, sa.AlertInstallChildSAFailed, t.child)
		return sa.Failed
	}
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

func (t *ChildCreate) buildPayloads(m *encoding.Message) bool {
	if t.initiator {
		m.Add(saPayload(t.proposals))
	} else {
		m.Add(saPayload([]*config.Proposal{t.proposal}))
	}
	if m.Exchange == encoding.ExchangeCreateChildSA {
		m.Add(&encoding.Nonce{Data: t.myNonce})
	}
	if t.ke != nil {
		m.Add(&encoding.KE{Group: uint16(t.ke.Method()), Data: t.ke.PublicValue()})
	}
	m.Add(toEncodingTS(false, t.tsi), toEncodingTS(true, t.tsr))
	switch t.mode {
	case kernel.ModeTransport:
		m.AddNotify(encoding.NotifyUseTransportMode, nil)
	case kernel.ModeBEET:
		m.AddNotify(notifyUseBEETMode, nil)
	}
	if t.ike.Env().Kernel.Features()&kernel.FeatureESPv3TFC == 0 {
		m.AddNotify(encoding.NotifyESPTFCPaddingNotSupported, nil)
	}
	return true
}

func (t *ChildCreate) addIPCompNotify(m *encoding.Message, transform uint16) {
	cpi, err := t.child.AllocCPI()
	if err != nil || cpi == 0 {
		t.ike.Log(bus.IKE, bus.Control, "unable to allocate a CPI from kernel, IPComp disabled")
		return
	}
	t.myCPI, t.ipcomp = cpi, transform
	data := binary.BigEndian.AppendUint16(nil, cpi)
	m.AddNotify(encoding.NotifyIPCompSupported, append(data, byte(transform)))
}

const ipcompDeflate = 2

// notifyUseBEETMode is strongSwan's private notify for BEET mode.
const notifyUseBEETMode encoding.NotifyType = 40961

func (t *ChildCreate) handleNotify(n *encoding.Notify) {
	switch n.NotifyType {
	case encoding.NotifyUseTransportMode:
		t.mode = kernel.ModeTransport
	case notifyUseBEETMode:
		if t.ike.Supports(sa.ExtStrongSwan) {
			t.mode = kernel.ModeBEET
		} else {
			t.ike.Log(bus.IKE, bus.Control, "received a notify strongSwan uses for BEET mode, but peer implementation unknown, skipped")
		}
	case encoding.NotifyIPCompSupported:
		if len(n.Data) >= 3 {
			if n.Data[2] == ipcompDeflate {
				t.otherCPI, t.ipcompRecv = binary.BigEndian.Uint16(n.Data), ipcompDeflate
			} else {
				t.ike.Log(bus.IKE, bus.Control, "received IPCOMP_SUPPORTED notify with a transform ID we don't support %d", n.Data[2])
			}
		}
	case encoding.NotifyESPTFCPaddingNotSupported:
		t.ike.Log(bus.IKE, bus.Control, "received %s, not using ESPv3 TFC padding", n.NotifyType)
		t.tfcv3 = false
	}
}

func (t *ChildCreate) processPayloads(m *encoding.Message) {
	t.mode = kernel.ModeTunnel
	for _, p := range m.Payloads {
		switch x := p.(type) {
		case *encoding.SA:
			t.proposals = fromEncodingProposals(x.Proposals)
		case *encoding.KE:
			if !t.initiator {
				t.keGroup = crypto.KeyExchangeMethod(x.Group)
				k, err := t.ike.Keymat().NewKE(t.keGroup)
				if err != nil {
					t.ike.Log(bus.IKE, bus.Control, "DH group %s not supported", t.keGroup)
				} else {
					t.ke = k
				}
			} else if t.ke != nil {
				t.keFailed = t.ke.Method() != crypto.KeyExchangeMethod(x.Group)
			}
			if t.ke != nil && !t.keFailed {
				s, err := t.ke.SharedSecret(x.Data)
				if err != nil {
					t.keFailed = true
				} else {
					t.secret = s
				}
			}
		case *encoding.TS:
			if x.Responder {
				t.tsr, t.haveTSr = fromEncodingTS(x), true
			} else {
				t.tsi, t.haveTSi = fromEncodingTS(x), true
			}
		case *encoding.Notify:
			t.handleNotify(x)
		}
	}
}

// Build implements sa.Task.
func (t *ChildCreate) Build(m *encoding.Message) sa.Status {
	if t.deleteFailed {
		return t.buildDelete(m)
	}
	if t.initiator {
		return t.buildI(m)
	}
	return t.buildR(m)
}

// Process implements sa.Task.
func (t *ChildCreate) Process(m *encoding.Message) sa.Status {
	if t.deleteFailed {
		return sa.Success
	}
	if t.initiator {
		return t.processI(m)
	}
	return t.processR(m)
}

func (t *ChildCreate) buildI(m *encoding.Message) sa.Status {
	ike := t.ike
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		// The CHILD_SA of IKE_AUTH derives its keys from the IKE_SA_INIT
		// nonces (RFC 7296 §2.17): take ours from the request ike_init
		// has just built.
		t.myNonce = nonceOf(m)
		return sa.NeedMore
	case encoding.ExchangeCreateChildSA:
		if !t.newNonce() {
			m.Exchange = encoding.ExchangeUndefined
			return sa.Success
		}
		if !t.retry && t.keGroup == crypto.KENone {
			// A rekey has already set the group of the old SA.
			t.keGroup = childKEGroup(t.cfg)
		}
	case encoding.ExchangeIKEAuth:
		if s := t.deferChild(); s == sa.DestroyMe {
			return sa.DestroyMe
		} else if s == sa.NeedMore {
			return sa.NeedMore
		}
	default:
		return sa.NeedMore
	}
	t.tsi, _ = t.cfg.TrafficSelectors(true, nil, t.dynamicHosts(true))
	t.tsr, _ = t.cfg.TrafficSelectors(false, nil, t.dynamicHosts(false))
	if t.packetTSi != nil {
		t.tsi = append([]selectors.TS{*t.packetTSi}, t.tsi...)
	}
	if t.packetTSr != nil {
		t.tsr = append([]selectors.TS{*t.packetTSr}, t.tsr...)
	}
	t.proposals = t.cfg.ProposalsForNegotiation(t.keGroup == crypto.KENone)
	t.mode = t.cfg.Mode
	t.args.Encap = ike.Has(sa.CondNATAny)
	t.child = sa.NewChildSA(ike, t.cfg, t.args)
	if !t.rekey && m.Exchange == encoding.ExchangeCreateChildSA && t.duplicate() {
		m.Exchange = encoding.ExchangeUndefined
		return sa.Success
	}
	if t.args.ReqID != 0 {
		ike.Log(bus.IKE, bus.Audit, "establishing CHILD_SA %s{%d} reqid %d", t.child.Name(), t.child.UniqueID(), t.args.ReqID)
	} else {
		ike.Log(bus.IKE, bus.Audit, "establishing CHILD_SA %s{%d}", t.child.Name(), t.child.UniqueID())
	}
	if !t.allocSPI() {
		ike.Log(bus.IKE, bus.Control, "unable to allocate SPIs from kernel")
		return sa.Failed
	}
	var first, rest []*config.Proposal
	found := false
	for _, p := range t.proposals {
		p.SPI = uint64(t.mySPI)
		if t.keGroup != crypto.KENone {
			if p.PromoteKE(t.keGroup) {
				found = true
				first = append(first, p)
			} else {
				rest = append(rest, p)
			}
		} else {
			first = append(first, p)
		}
	}
	t.proposals = append(first, rest...)
	if t.keGroup != crypto.KENone && !found {
		ike.Log(bus.IKE, bus.Control, "requested DH group %s not contained in any of our proposals", t.keGroup)
		return sa.Failed
	}
	if t.keGroup != crypto.KENone {
		k, err := ike.Keymat().NewKE(t.keGroup)
		if err != nil {
			ike.Log(bus.IKE, bus.Control, "DH group %s not supported", t.keGroup)
			return sa.Failed
		}
		t.ke = k
	}
	if t.cfg.Has(config.OptIPComp) {
		t.addIPCompNotify(m, ipcompDeflate)
	}
	if !t.buildPayloads(m) {
		return sa.Failed
	}
	t.tsi, t.tsr, t.proposals = nil, nil, nil
	return sa.NeedMore
}

// childKEGroup is the first key exchange method of the CHILD_SA's
// proposals (PFS), KENone without.
func childKEGroup(c *config.ChildCfg) crypto.KeyExchangeMethod {
	for _, p := range c.Proposals {
		if g, ok := p.Algorithm(crypto.TransformKeyExchange); ok {
			return crypto.KeyExchangeMethod(g.ID)
		}
	}
	return crypto.KENone
}

// deferChild decides whether the CHILD_SA waits for after IKE_AUTH
// (childless initiation, RFC 6023).
func (t *ChildCreate) deferChild() sa.Status {
	policy := t.ike.IKECfg().Childless
	if t.ike.Supports(sa.ExtIKEChildless) {
		if policy == config.ChildlessForce {
			return sa.NeedMore
		}
	} else if policy == config.ChildlessForce {
		t.ike.Log(bus.IKE, bus.Control, "peer does not support childless IKE_SA initiation")
		return sa.DestroyMe
	}
	return sa.Success
}

// duplicate reports an installed CHILD_SA for the same config and marks.
func (t *ChildCreate) duplicate() bool {
	for _, c := range t.ike.Children() {
		if c.State() != sa.ChildInstalled || !c.Config().Equal(t.child.Config()) {
			continue
		}
		if c.ReqID() != 0 && t.child.ReqID() != 0 && c.ReqID() != t.child.ReqID() {
			continue
		}
		if c.Mark(true).Value != t.child.Mark(true).Value || c.Mark(false).Value != t.child.Mark(false).Value ||
			c.IfID(true) != t.child.IfID(true) || c.IfID(false) != t.child.IfID(false) {
			continue
		}
		t.ike.Log(bus.IKE, bus.Control, "not establishing CHILD_SA %s{%d} due to existing duplicate {%d} with SPIs %08x_i %08x_o and TS %s === %s",
			t.child.Name(), t.child.UniqueID(), c.UniqueID(), c.SPI(true), c.SPI(false),
			selectors.List(c.TS(true)), selectors.List(c.TS(false)))
		t.child.Destroy()
		t.child = nil
		return true
	}
	return false
}

func (t *ChildCreate) processR(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		t.otherNonce = nonceOf(m)
		return sa.NeedMore
	case encoding.ExchangeCreateChildSA:
		t.otherNonce = nonceOf(m)
	case encoding.ExchangeIKEAuth:
	default:
		return sa.NeedMore
	}
	t.processPayloads(m)
	return sa.NeedMore
}

// failure logs what charon logs when a CHILD_SA could not be created but
// the IKE_SA stays (seeds/001: "failed to establish CHILD_SA, keeping
// IKE_SA"), or schedules closing the IKE_SA (close_ike_on_child_failure).
func (t *ChildCreate) failure(m *encoding.Message) {
	first := m.Exchange == encoding.ExchangeIKEAuth
	if first && t.ike.Env().Settings.CloseIKEOnChildFailure {
		t.ike.Log(bus.IKE, bus.Control, "closing IKE_SA due CHILD_SA setup failure")
		t.ike.Env().Manager.ScheduleIKE(t.ike.ID(), 100*time.Millisecond, "delete_ike_sa", func(x *sa.IKESA) sa.Status {
			return x.Delete(false)
		})
		return
	}
	t.ike.Log(bus.IKE, bus.Control, "failed to establish CHILD_SA, keeping IKE_SA")
	t.ike.Env().Events.Alert(t.ike, sa.AlertKeepOnChildSAFailure, first)
}

// selectChildCfg finds the child config that best fits the proposed
// selectors (peer_cfg select_child_cfg with get_ts_match's scoring).
func (t *ChildCreate) selectChildCfg() *config.ChildCfg {
	peer := t.ike.PeerCfg()
	if peer == nil || !t.haveTSi || !t.haveTSr {
		return nil
	}
	myHosts, otherHosts := t.dynamicHosts(true), t.dynamicHosts(false)
	score := func(c *config.ChildCfg, local bool, sup []selectors.TS, hosts []netip.Addr) int {
		cfgTS, _ := c.TrafficSelectors(local, nil, hosts)
		match, round := 0, len(sup)
		for _, s := range sup {
			for _, ct := range cfgTS {
				if ct.Equal(s) {
					match += round * 5
				} else if _, ok := ct.Subset(s); ok {
					match += round
				}
			}
			round--
		}
		return match
	}
	pick := func(myTS, otherTS []selectors.TS) *config.ChildCfg {
		var best *config.ChildCfg
		bestScore := 0
		for _, c := range peer.Children() {
			mp := score(c, true, myTS, myHosts)
			if mp == 0 {
				continue
			}
			if op := score(c, false, otherTS, otherHosts); op > 0 && mp+op > bestScore {
				best, bestScore = c, mp+op
			}
		}
		return best
	}
	var natTSr, natTSi []selectors.TS
	if t.mode == kernel.ModeTransport {
		if t.ike.Has(sa.CondNATHere) {
			natTSr = t.transportNATTS(true, t.tsr)
		}
		if t.ike.Has(sa.CondNATThere) {
			natTSi = t.transportNATTS(false, t.tsi)
		}
	}
	if len(natTSr) > 0 || len(natTSi) > 0 {
		r, i := t.tsr, t.tsi
		if len(natTSr) > 0 {
			r = natTSr
		}
		if len(natTSi) > 0 {
			i = natTSi
		}
		if c := pick(r, i); c != nil && c.Mode == kernel.ModeTransport {
			return c
		}
	}
	return pick(t.tsr, t.tsi)
}

func (t *ChildCreate) buildR(m *encoding.Message) sa.Status {
	ike := t.ike
	noKE, ikeAuth := true, false
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		t.myNonce = nonceOf(m)
		return sa.NeedMore
	case encoding.ExchangeCreateChildSA:
		if !t.newNonce() {
			m.AddNotify(encoding.NotifyNoProposalChosen, nil)
			return sa.Success
		}
		if t.keFailed {
			ike.Log(bus.IKE, bus.Control, "applying DH public value failed")
			m.AddNotify(encoding.NotifyNoProposalChosen, nil)
			return sa.Success
		}
		noKE = false
	case encoding.ExchangeIKEAuth:
		if !ike.Has(sa.CondAuthenticated) {
			return sa.NeedMore
		}
		if ike.Has(sa.CondRedirected) {
			return sa.Success
		}
		if t.proposals == nil && !t.haveTSi && !t.haveTSr {
			if ike.IKECfg().Childless == config.ChildlessNever {
				ike.Log(bus.IKE, bus.Control, "peer tried to initiate a childless IKE_SA")
				m.AddNotify(encoding.NotifyInvalidSyntax, nil)
				return sa.Failed
			}
			return sa.Success
		}
		if ike.IKECfg().Childless == config.ChildlessForce {
			ike.Log(bus.IKE, bus.Control, "peer did not initiate a childless IKE_SA")
			m.AddNotify(encoding.NotifyInvalidSyntax, nil)
			return sa.Failed
		}
		ikeAuth = true
	default:
		return sa.NeedMore
	}
	switch ike.State() {
	case sa.IKERekeying:
		ike.Log(bus.IKE, bus.Control, "unable to create CHILD_SA while rekeying IKE_SA")
		m.AddNotify(encoding.NotifyTemporaryFailure, nil)
		return sa.Success
	case sa.IKEDeleting:
		ike.Log(bus.IKE, bus.Control, "unable to create CHILD_SA while deleting IKE_SA")
		m.AddNotify(encoding.NotifyTemporaryFailure, nil)
		return sa.Success
	}
	if t.cfg == nil {
		t.cfg = t.selectChildCfg()
	}
	if t.cfg == nil {
		ike.Log(bus.IKE, bus.Control, "traffic selectors %s === %s unacceptable", selectors.List(t.tsr), selectors.List(t.tsi))
		ike.Env().Events.Alert(ike, sa.AlertTSMismatch, t.tsi, t.tsr)
		m.AddNotify(encoding.NotifyTSUnacceptable, nil)
		t.failure(m)
		return sa.Success
	}
	// ike_config runs first and may already have refused the config
	// request in this response.
	if m.Notify(encoding.NotifyInternalAddressFailure) != nil || m.Notify(encoding.NotifyFailedCPRequired) != nil {
		ike.Log(bus.IKE, bus.Control, "configuration payload negotiation failed, no CHILD_SA built")
		t.failure(m)
		return sa.Success
	}
	t.args.Encap = ike.Has(sa.CondNATAny)
	t.child = sa.NewChildSA(ike, t.cfg, t.args)
	if t.ipcompRecv != 0 {
		if t.cfg.Has(config.OptIPComp) {
			t.addIPCompNotify(m, t.ipcompRecv)
		} else {
			ike.Log(bus.IKE, bus.Control, "received %s notify but IPComp is disabled, ignoring", encoding.NotifyIPCompSupported)
		}
	}
	switch t.selectAndInstall(noKE, ikeAuth) {
	case sa.Success:
	case sa.NotFound:
		m.AddNotify(encoding.NotifyTSUnacceptable, nil)
		t.failure(m)
		return sa.Success
	case sa.InvalidState:
		m.AddNotify(encoding.NotifyInvalidKEPayload, binary.BigEndian.AppendUint16(nil, uint16(t.keGroup)))
		return sa.Success
	default:
		m.AddNotify(encoding.NotifyNoProposalChosen, nil)
		t.failure(m)
		return sa.Success
	}
	if !t.buildPayloads(m) {
		m.AddNotify(encoding.NotifyNoProposalChosen, nil)
		t.failure(m)
		return sa.Success
	}
	if !t.rekey {
		ike.Env().Events.ChildUpdown(ike, t.child, true)
	}
	return sa.Success
}

// buildDelete sends a DELETE for an SA we allocated but could not install
// (seeds/001: an initiator-side install failure is reported to the peer).
func (t *ChildCreate) buildDelete(m *encoding.Message) sa.Status {
	m.Exchange = encoding.ExchangeInformational
	if t.mySPI != 0 && t.proto != 0 {
		m.Add(&encoding.Delete{Protocol: protocolID(t.proto), SPIs: []uint32{t.mySPI}})
		t.ike.Log(bus.IKE, bus.Control, "sending DELETE for %s CHILD_SA with SPI %08x", sa.ProtoName(t.proto), t.mySPI)
	}
	return sa.NeedMore
}

// protocolID maps an IP protocol to the IKEv2 protocol id.
func protocolID(p uint8) encoding.ProtocolID {
	if p == kernel.ProtoAH {
		return encoding.ProtocolAH
	}
	return encoding.ProtocolESP
}

func (t *ChildCreate) deleteFailedSA() sa.Status {
	if t.mySPI != 0 && t.proto != 0 {
		t.deleteFailed = true
		return sa.NeedMore
	}
	return sa.Success
}

func (t *ChildCreate) processI(m *encoding.Message) sa.Status {
	ike := t.ike
	noKE, ikeAuth := true, false
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		t.otherNonce = nonceOf(m)
		return sa.NeedMore
	case encoding.ExchangeCreateChildSA:
		t.otherNonce = nonceOf(m)
		noKE = false
	case encoding.ExchangeIKEAuth:
		if !ike.Has(sa.CondAuthenticated) {
			return sa.NeedMore
		}
		if t.deferChild() == sa.NeedMore {
			return sa.NeedMore
		}
		ikeAuth = true
	default:
		return sa.NeedMore
	}
	for _, n := range m.Notifies() {
		switch n.NotifyType {
		case encoding.NotifyNoProposalChosen, encoding.NotifySinglePairRequired, encoding.NotifyNoAdditionalSAs,
			encoding.NotifyInternalAddressFailure, encoding.NotifyFailedCPRequired, encoding.NotifyTSUnacceptable,
			encoding.NotifyInvalidSelectors:
			ike.Log(bus.IKE, bus.Control, "received %s notify, no CHILD_SA built", n.NotifyType)
			if n.NotifyType == encoding.NotifyNoProposalChosen {
				ike.Env().Events.Alert(ike, sa.AlertProposalMismatchChild, t.cfg.Proposals)
			}
			t.failure(m)
			return sa.Success
		case encoding.NotifyTemporaryFailure:
			ike.Log(bus.IKE, bus.Control, "received %s notify, will retry later", n.NotifyType)
			if !t.rekey {
				t.scheduleRetry()
			}
			return sa.Success
		case encoding.NotifyInvalidKEPayload:
			group := crypto.KENone
			if len(n.Data) == 2 {
				group = crypto.KeyExchangeMethod(binary.BigEndian.Uint16(n.Data))
			}
			if t.retry {
				ike.Log(bus.IKE, bus.Control, "already retried with DH group %s, ignore requested %s", t.keGroup, group)
				t.failure(m)
				return sa.Success
			}
			ike.Log(bus.IKE, bus.Control, "peer didn't accept DH group %s, it requested %s", t.keGroup, group)
			t.retry = true
			t.keGroup = group
			if t.child != nil {
				t.child.SetState(sa.ChildRetrying)
			}
			t.Migrate(ike)
			return sa.NeedMore
		default:
			if m.Exchange == encoding.ExchangeCreateChildSA {
				if notifyError(n.NotifyType) {
					ike.Log(bus.IKE, bus.Control, "received %s notify error", n.NotifyType)
					return sa.Success
				}
				ike.Log(bus.IKE, bus.Diag, "received %s notify", n.NotifyType)
			}
		}
	}
	t.processPayloads(m)
	switch {
	case t.ipcomp == 0 && t.ipcompRecv != 0:
		ike.Log(bus.IKE, bus.Control, "received an IPCOMP_SUPPORTED notify without requesting one, no CHILD_SA built")
		t.failure(m)
		return t.deleteFailedSA()
	case t.ipcomp != 0 && t.ipcompRecv == 0:
		ike.Log(bus.IKE, bus.Control, "peer didn't accept our proposed IPComp transforms, IPComp is disabled")
		t.ipcomp = 0
	case t.ipcomp != 0 && t.ipcomp != t.ipcompRecv:
		ike.Log(bus.IKE, bus.Control, "received an IPCOMP_SUPPORTED notify we didn't propose, no CHILD_SA built")
		t.failure(m)
		return t.deleteFailedSA()
	}
	if t.keFailed {
		ike.Log(bus.IKE, bus.Control, "applying DH public value failed")
		t.failure(m)
		return t.deleteFailedSA()
	}
	if t.selectAndInstall(noKE, ikeAuth) != sa.Success {
		t.failure(m)
		return t.deleteFailedSA()
	}
	if !t.rekey {
		ike.Env().Events.ChildUpdown(ike, t.child, true)
	}
	return sa.Success
}

// Destroy implements sa.Destroyer: a CHILD_SA that never got established
// is removed with its larval inbound SA, as destroying the task does in
// charon.
func (t *ChildCreate) Destroy() {
	if t.child != nil && !t.established {
		t.child.Destroy()
	}
	t.child = nil
	clear(t.secret)
}

func (t *ChildCreate) scheduleRetry() {
	retry := childRetryInterval - uint32(t.ike.Env().RandUint64(childRetryJitter))
	task := NewChildCreate(t.ike, t.cfg, false, &sa.ChildInitArgs{ReqID: t.args.ReqID, Src: t.packetTSi, Dst: t.packetTSr})
	task.args = t.args
	t.ike.Log(bus.IKE, bus.Control, "creating CHILD_SA failed, trying again in %d seconds", retry)
	t.ike.TaskManager().QueueTaskDelayed(task, retry)
}
