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
	// authDone is set once the first IKE_AUTH message carried (initiator)
	// or delivered (responder) the CHILD_SA's payloads: further
	// authentication rounds (EAP, RFC 4739) carry none.
	authDone bool

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
		t.UseReqID(args.ReqID)
		t.packetTSi, t.packetTSr = args.Src, args.Dst
	}
	return t
}

// Type implements sa.Task.
func (t *ChildCreate) Type() sa.TaskType { return sa.TaskChildCreate }

// UseReqID reuses a reqid (rekeying, trap policies). With
// charon.keep_reqids the task holds a reference to it until it is
// destroyed (5.9.12's use_reqid); a reqid no longer allocated is then not
// taken.
func (t *ChildCreate) UseReqID(r uint32) {
	env := t.ike.Env()
	if r == 0 || env.RefReqID(r) {
		held := t.args.ReqID
		t.args.ReqID = r
		env.ReleaseReqIDRef(held)
	}
}

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
	t.destroyChild()
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

// Destroy implements sa.Destroyer: a CHILD_SA that never got established
// is removed with its larval inbound SA, as destroying the task does in
// charon.
func (t *ChildCreate) Destroy() {
	t.destroyChild()
	t.ike.Env().ReleaseReqIDRef(t.args.ReqID)
	t.args.ReqID = 0
}

// destroyChild removes a CHILD_SA that never got established (the task
// starts over or goes).
func (t *ChildCreate) destroyChild() {
	if t.child != nil && !t.established {
		t.child.Destroy()
	}
	t.child = nil
	clear(t.secret)
}
