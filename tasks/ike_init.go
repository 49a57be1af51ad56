package tasks

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// maxInitRetries bounds IKE_SA_INIT retries after COOKIE or
// INVALID_KE_PAYLOAD.
const maxInitRetries = 5

// supportedHashAlgorithms is what charon announces in
// SIGNATURE_HASH_ALGORITHMS (RFC 7427) when no constraint narrows it: the
// hashes it verifies signatures with, SHA2-256, SHA2-384, SHA2-512 and
// Identity (EdDSA), as captured from Debian's charon 5.9.8.
var supportedHashAlgorithms = []credentials.HashAlgorithm{
	credentials.HashSHA256, credentials.HashSHA384, credentials.HashSHA512, credentials.HashIdentity,
}

// IKEInit is the IKE_SA_INIT exchange, ike_init.c: proposals, key
// exchange and nonces; also the CREATE_CHILD_SA part of an IKE_SA rekey
// (oldSA set).
type IKEInit struct {
	ike       *sa.IKESA
	initiator bool
	oldSA     *sa.IKESA

	keGroup    crypto.KeyExchangeMethod
	ke         crypto.KeyExchange
	keFailed   bool
	secret     []byte
	myNonce    []byte
	otherNonce []byte
	proposal   *config.Proposal
	cookie     []byte
	retry      int
	keDone     bool
	keDerived  bool
}

// NewIKEInit creates the task; oldSA is the IKE_SA being rekeyed, if any.
func NewIKEInit(ike *sa.IKESA, initiator bool, oldSA *sa.IKESA) *IKEInit {
	return &IKEInit{ike: ike, initiator: initiator, oldSA: oldSA}
}

// Type implements sa.Task.
func (t *IKEInit) Type() sa.TaskType { return sa.TaskIKEInit }

// Migrate implements sa.Task: keep nonce, cookie and the KE group (a reset
// after COOKIE/INVALID_KE keeps them), drop what came from the peer.
func (t *IKEInit) Migrate(ike *sa.IKESA) {
	t.ike = ike
	t.proposal = nil
	t.otherNonce = nil
	t.keDone, t.keDerived, t.keFailed = false, false, false
	t.secret = nil
}

// Proposal is the selected proposal.
func (t *IKEInit) Proposal() *config.Proposal { return t.proposal }

// LowerNonce returns the lower of both nonces (rekey collisions).
func (t *IKEInit) LowerNonce() []byte {
	n := min(len(t.myNonce), len(t.otherNonce))
	if bytes.Compare(t.myNonce[:n], t.otherNonce[:n]) < 0 {
		return t.myNonce
	}
	return t.otherNonce
}

func (t *IKEInit) ensureNonce() bool {
	if t.myNonce != nil {
		return true
	}
	n, err := t.ike.Keymat().NewNonce()
	if err != nil {
		t.ike.Log(bus.IKE, bus.Control, "nonce allocation failed")
		return false
	}
	t.myNonce = n
	return true
}

// Build implements sa.Task.
func (t *IKEInit) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.buildI(m)
	}
	return t.buildR(m)
}

// Process implements sa.Task.
func (t *IKEInit) Process(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.processI(m)
	}
	return t.processR(m)
}

func (t *IKEInit) buildI(m *encoding.Message) sa.Status {
	cfg := t.ike.IKECfg()
	// Also for the new SA of an IKE rekey: it goes CONNECTING so that
	// becoming ESTABLISHED schedules its rekeying and DPD, and charon logs
	// the line then too.
	t.ike.Log(bus.IKE, bus.Audit, "initiating IKE_SA %s[%d] to %s", t.ike.Name(), t.ike.UniqueID(), t.ike.OtherHost().Addr())
	t.ike.SetState(sa.IKEConnecting)
	if t.retry >= maxInitRetries {
		t.ike.Log(bus.IKE, bus.Control, "giving up after %d retries", maxInitRetries)
		return sa.Failed
	}
	if t.ke == nil || t.ke.Method() != t.keGroup {
		if t.ke == nil {
			t.keGroup = cfg.KEMethod()
			if t.oldSA != nil {
				// Reuse the old IKE_SA's group (prefer_previous_dh_group).
				if g, ok := t.oldSA.Proposal().Algorithm(crypto.TransformKeyExchange); ok {
					t.keGroup = crypto.KeyExchangeMethod(g.ID)
				}
			}
		}
		k, err := t.ike.Keymat().NewKE(t.keGroup)
		if err != nil {
			t.ike.Log(bus.IKE, bus.Control, "configured DH group %s not supported", t.keGroup)
			return sa.Failed
		}
		t.ke = k
	}
	if !t.ensureNonce() {
		return sa.Failed
	}
	if t.cookie != nil {
		m.AddNotify(encoding.NotifyCookie, t.cookie)
	}
	if !t.buildPayloads(m) {
		return sa.Failed
	}
	return sa.NeedMore
}

func (t *IKEInit) processR(m *encoding.Message) sa.Status {
	src, _ := t.ike.MessageAddrs()
	t.ike.Log(bus.IKE, bus.Audit, "%s is initiating an IKE_SA", src.Addr())
	t.ike.SetState(sa.IKEConnecting)
	if !t.ensureNonce() {
		return sa.Failed
	}
	t.processPayloads(m)
	return sa.NeedMore
}

func (t *IKEInit) buildR(m *encoding.Message) sa.Status {
	if t.proposal == nil || len(t.otherNonce) == 0 || len(t.myNonce) == 0 {
		t.ike.Log(bus.IKE, bus.Control, "received proposals unacceptable")
		addNotifyFlush(m, encoding.NotifyNoProposalChosen, nil)
		return sa.Failed
	}
	if t.ke == nil || !proposalHasKE(t.proposal, t.keGroup) {
		if g, ok := t.proposal.Algorithm(crypto.TransformKeyExchange); ok {
			want := crypto.KeyExchangeMethod(g.ID)
			t.ike.Log(bus.IKE, bus.Control, "DH group %s unacceptable, requesting %s", t.keGroup, want)
			t.keGroup = want
			m.AddNotify(encoding.NotifyInvalidKEPayload, binary.BigEndian.AppendUint16(nil, uint16(want)))
		} else {
			t.ike.Log(bus.IKE, bus.Control, "no acceptable proposal found")
			addNotifyFlush(m, encoding.NotifyNoProposalChosen, nil)
		}
		return sa.Failed
	}
	if t.keFailed {
		t.ike.Log(bus.IKE, bus.Control, "applying DH public value failed")
		addNotifyFlush(m, encoding.NotifyNoProposalChosen, nil)
		return sa.Failed
	}
	if !t.buildPayloads(m) {
		addNotifyFlush(m, encoding.NotifyNoProposalChosen, nil)
		return sa.Failed
	}
	t.keDone = true
	if t.oldSA != nil {
		if t.DeriveKeys() != sa.Success {
			m.AddNotify(encoding.NotifyNoProposalChosen, nil)
			return sa.Failed
		}
		return sa.Success
	}
	return sa.NeedMore
}

// PreProcess implements sa.PreProcessor (initiator): ignore a response
// that repeats our cookie.
func (t *IKEInit) PreProcess(m *encoding.Message) sa.Status {
	if !t.initiator {
		return sa.Success
	}
	if n := m.Notify(encoding.NotifyCookie); n != nil && t.cookie != nil && bytes.Equal(n.Data, t.cookie) {
		t.ike.Log(bus.IKE, bus.Control, "ignore response with duplicate COOKIE notify")
		return sa.Failed
	}
	if n := m.Notify(encoding.NotifyRedirect); n != nil && t.oldSA == nil {
		// a REDIRECT must carry our nonce (RFC 5685 §4.2)
		gw, nonce := parseRedirectData(t.ike, n.Data)
		if gw == nil || !bytes.Equal(nonce, t.myNonce) {
			t.ike.Log(bus.IKE, bus.Control, "received invalid REDIRECT notify")
			return sa.Failed
		}
	}
	return sa.Success
}

func (t *IKEInit) processI(m *encoding.Message) sa.Status {
	for _, n := range m.Notifies() {
		switch n.NotifyType {
		case encoding.NotifyInvalidKEPayload:
			bad := t.keGroup
			if len(n.Data) >= 2 {
				t.keGroup = crypto.KeyExchangeMethod(binary.BigEndian.Uint16(n.Data))
			}
			t.ike.Log(bus.IKE, bus.Control, "peer didn't accept DH group %s, it requested %s", bad, t.keGroup)
			if t.oldSA == nil {
				t.ike.Reset(false)
			}
			t.retry++
			return sa.NeedMore
		case encoding.NotifyNATDetectionSourceIP, encoding.NotifyNATDetectionDestinationIP,
			encoding.NotifyMultipleAuthSupported:
		case encoding.NotifyRedirect:
			if t.oldSA != nil {
				t.ike.Log(bus.IKE, bus.Control, "received REDIRECT notify during rekeying, ignored")
				continue
			}
			if gw := parseRedirect(t.ike, n.Data); gw != nil && t.ike.HandleRedirect(gw) {
				return sa.NeedMore
			}
			return sa.Failed
		case encoding.NotifyCookie:
			if t.oldSA != nil {
				t.ike.Log(bus.IKE, bus.Control, "received COOKIE notify during rekeying, ignored")
				continue
			}
			t.cookie = slices.Clone(n.Data)
			t.ike.Reset(false)
			t.ike.Log(bus.IKE, bus.Diag, "received %s notify", n.NotifyType)
			t.retry++
			return sa.NeedMore
		default:
			if notifyError(n.NotifyType) {
				t.ike.Log(bus.IKE, bus.Control, "received %s notify error", n.NotifyType)
				if n.NotifyType == encoding.NotifyNoProposalChosen {
					t.ike.Env().Events.Alert(t.ike, sa.AlertProposalMismatchIKE, t.ike.IKECfg().Proposals)
				}
				return sa.Failed
			}
			t.ike.Log(bus.IKE, bus.Diag, "received %s notify", n.NotifyType)
		}
	}
	t.processPayloads(m)
	if t.proposal == nil || len(t.otherNonce) == 0 || len(t.myNonce) == 0 {
		t.ike.Log(bus.IKE, bus.Control, "peers proposal selection invalid")
		return sa.Failed
	}
	if t.ke == nil || !proposalHasKE(t.proposal, t.keGroup) {
		t.ike.Log(bus.IKE, bus.Control, "peer DH group selection invalid")
		return sa.Failed
	}
	if t.keFailed {
		t.ike.Log(bus.IKE, bus.Control, "applying DH public value failed")
		return sa.Failed
	}
	t.keDone = true
	if t.oldSA != nil {
		return t.DeriveKeys()
	}
	return sa.NeedMore
}

// DeriveKeys derives the IKE keys once the exchange is complete; the task
// manager calls it before the next message needs them.
func (t *IKEInit) DeriveKeys() sa.Status {
	if !t.keDone || t.keDerived {
		return sa.NeedMore
	}
	t.keDerived = true
	ni, nr := t.myNonce, t.otherNonce
	if !t.initiator {
		ni, nr = nr, ni
	}
	var old *sa.Keymat
	if t.oldSA != nil {
		old = t.oldSA.Keymat()
	}
	id := t.ike.ID()
	if err := t.ike.Keymat().DeriveIKEKeys(t.ike.Logger(), t.proposal, t.secret, ni, nr, id.SPIi, id.SPIr, old); err != nil {
		t.ike.Log(bus.IKE, bus.Control, "key derivation failed: %v", err)
		return sa.Failed
	}
	clear(t.secret)
	return sa.Success
}

// Nonces returns our and the peer's nonce.
func (t *IKEInit) Nonces() (mine, other []byte) { return t.myNonce, t.otherNonce }
