package tasks

import (
	"bytes"
	"encoding/binary"
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

// Established reports whether the CHILD_SA got installed.
func (t *ChildCreate) Established() bool { return t.established }

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

// initNonce keeps a nonce of IKE_SA_INIT: the CHILD_SA created in IKE_AUTH
// derives its keys from them (RFC 7296 §2.17). A message without one ends
// the IKE_SA, as get_nonce() does in charon.
func initNonce(m *encoding.Message, nonce *[]byte) sa.Status {
	n := nonceOf(m)
	if n == nil {
		return sa.Failed
	}
	*nonce = n
	return sa.NeedMore
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
		return initNonce(m, &t.myNonce)
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

func (t *ChildCreate) processR(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		return initNonce(m, &t.otherNonce)
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

func (t *ChildCreate) buildR(m *encoding.Message) sa.Status {
	ike := t.ike
	noKE, ikeAuth := true, false
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		return initNonce(m, &t.myNonce)
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
		addNotifyFlush(m, encoding.NotifyTemporaryFailure, nil)
		return sa.Success
	case sa.IKEDeleting:
		ike.Log(bus.IKE, bus.Control, "unable to create CHILD_SA while deleting IKE_SA")
		addNotifyFlush(m, encoding.NotifyTemporaryFailure, nil)
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
		return initNonce(m, &t.otherNonce)
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
