package tasks

import (
	"encoding/binary"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

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
		if t.authDone {
			return sa.NeedMore
		}
		if s := t.deferChild(); s == sa.DestroyMe {
			return sa.DestroyMe
		} else if s == sa.NeedMore {
			return sa.NeedMore
		}
		t.authDone = true
	default:
		return sa.NeedMore
	}
	t.tsi, _ = t.cfg.TrafficSelectors(true, nil, t.initiatorHosts())
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
	if !t.orderProposalsI() {
		return sa.Failed
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

// orderProposalsI gives the proposals our SPI and puts those with the
// requested key exchange group first, then creates its key exchange;
// false if no proposal has the group or it is not supported.
func (t *ChildCreate) orderProposalsI() bool {
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
		t.ike.Log(bus.IKE, bus.Control, "requested DH group %s not contained in any of our proposals", t.keGroup)
		return false
	}
	if t.keGroup != crypto.KENone {
		k, err := t.ike.Keymat().NewKE(t.keGroup)
		if err != nil {
			t.ike.Log(bus.IKE, bus.Control, "DH group %s not supported", t.keGroup)
			return false
		}
		t.ke = k
	}
	return true
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
	if s, done := t.processErrorNotifies(m); done {
		return s
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

// processErrorNotifies handles the notifies of the response that end the
// exchange (errors, TEMPORARY_FAILURE, INVALID_KE_PAYLOAD: retry with the
// group the peer asks for); done says one did, with the status to return.
func (t *ChildCreate) processErrorNotifies(m *encoding.Message) (s sa.Status, done bool) {
	ike := t.ike
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
			return sa.Success, true
		case encoding.NotifyTemporaryFailure:
			ike.Log(bus.IKE, bus.Control, "received %s notify, will retry later", n.NotifyType)
			if !t.rekey {
				t.scheduleRetry()
			}
			return sa.Success, true
		case encoding.NotifyInvalidKEPayload:
			group := crypto.KENone
			if len(n.Data) == 2 {
				group = crypto.KeyExchangeMethod(binary.BigEndian.Uint16(n.Data))
			}
			if t.retry {
				ike.Log(bus.IKE, bus.Control, "already retried with DH group %s, ignore requested %s", t.keGroup, group)
				t.failure(m)
				return sa.Success, true
			}
			ike.Log(bus.IKE, bus.Control, "peer didn't accept DH group %s, it requested %s", t.keGroup, group)
			t.retry = true
			t.keGroup = group
			if t.child != nil {
				t.child.SetState(sa.ChildRetrying)
			}
			t.Migrate(ike)
			return sa.NeedMore, true
		default:
			if m.Exchange == encoding.ExchangeCreateChildSA {
				if notifyError(n.NotifyType) {
					ike.Log(bus.IKE, bus.Control, "received %s notify error", n.NotifyType)
					return sa.Success, true
				}
				ike.Log(bus.IKE, bus.Diag, "received %s notify", n.NotifyType)
			}
		}
	}
	return sa.Success, false
}

func (t *ChildCreate) scheduleRetry() {
	retry := childRetryInterval - uint32(t.ike.Env().RandUint64(childRetryJitter))
	task := NewChildCreate(t.ike, t.cfg, false, &sa.ChildInitArgs{ReqID: t.args.ReqID, Src: t.packetTSi, Dst: t.packetTSr})
	task.args = t.args
	t.ike.Log(bus.IKE, bus.Control, "creating CHILD_SA failed, trying again in %d seconds", retry)
	t.ike.TaskManager().QueueTaskDelayed(task, retry)
}
