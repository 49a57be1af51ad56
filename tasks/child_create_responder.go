package tasks

import (
	"encoding/binary"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

func (t *ChildCreate) processR(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		return initNonce(m, &t.otherNonce)
	case encoding.ExchangeCreateChildSA:
		t.otherNonce = nonceOf(m)
	case encoding.ExchangeIKEAuth:
		if t.authDone {
			return sa.NeedMore
		}
		t.authDone = true
	default:
		return sa.NeedMore
	}
	t.processPayloads(m)
	return sa.NeedMore
}

// childInIKEAuth decides whether the IKE_AUTH response builds a CHILD_SA:
// not before the peer is authenticated, not when we redirect it, and as
// the conn's childless setting wants (INVALID_SYNTAX if the peer's
// request does not match it); s is the status when not.
func (t *ChildCreate) childInIKEAuth(m *encoding.Message) (s sa.Status, build bool) {
	ike := t.ike
	if !ike.Has(sa.CondAuthenticated) {
		return sa.NeedMore, false
	}
	if ike.Has(sa.CondRedirected) {
		return sa.Success, false
	}
	if t.proposals == nil && !t.haveTSi && !t.haveTSr {
		if ike.IKECfg().Childless == config.ChildlessNever {
			ike.Log(bus.IKE, bus.Control, "peer tried to initiate a childless IKE_SA")
			m.AddNotify(encoding.NotifyInvalidSyntax, nil)
			return sa.Failed, false
		}
		return sa.Success, false
	}
	if ike.IKECfg().Childless == config.ChildlessForce {
		ike.Log(bus.IKE, bus.Control, "peer did not initiate a childless IKE_SA")
		m.AddNotify(encoding.NotifyInvalidSyntax, nil)
		return sa.Failed, false
	}
	return sa.Success, true
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
		if s, build := t.childInIKEAuth(m); !build {
			return s
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
