package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/sa/authenticators"
)

func (t *IKEAuth) processR(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		return t.collectInit(m, false)
	case encoding.ExchangeIKEAuth:
	default:
		return sa.NeedMore
	}
	if t.myAuth == nil && t.doAnotherAuth {
		if idr, _ := m.First(encoding.PayloadIDr).(*encoding.ID); idr != nil {
			t.ike.SetMyID(credentials.FromEncoding(credentials.IDType(idr.IDType), idr.Data))
		} else {
			t.ike.SetMyID(credentials.Any())
		}
	}
	if !t.expectAnotherAuth {
		return sa.NeedMore
	}
	if !t.firstAuth {
		if m.Notify(encoding.NotifyMultipleAuthSupported) != nil {
			t.ike.Enable(sa.ExtMultipleAuth)
		}
		if m.Notify(encoding.NotifyEAPOnlyAuthentication) != nil {
			t.ike.Enable(sa.ExtEAPOnlyAuthentication)
		}
		if m.Notify(encoding.NotifyInitialContact) != nil {
			t.initialContact = true
		}
		t.firstAuth = true
	}
	if t.otherAuth == nil {
		idi, _ := m.First(encoding.PayloadIDi).(*encoding.ID)
		if idi == nil {
			t.ike.Log(bus.IKE, bus.Control, "IDi payload missing")
			return sa.Failed
		}
		t.ike.SetOtherID(credentials.FromEncoding(credentials.IDType(idi.IDType), idi.Data))
		t.ike.CurrentAuth(false).Identity = t.ike.OtherID()
		if t.peer == nil && !t.loadCandidates() {
			t.authFailed = true
			return sa.NeedMore
		}
		if m.First(encoding.PayloadAUTH) == nil && !t.selectEAPConfig() {
			t.authFailed = true
			return sa.NeedMore
		}
		a := authenticators.NewVerifier(t.ike, m, t.inputs())
		if a == nil {
			t.authFailed = true
			return sa.NeedMore
		}
		t.otherAuth = a
	}
	switch t.otherAuth.Process(m) {
	case sa.Success:
		t.otherAuth.Destroy()
		t.otherAuth = nil
	case sa.NeedMore:
		if m.First(encoding.PayloadAUTH) == nil {
			return sa.NeedMore
		}
	default:
		t.authFailed = true
		return sa.NeedMore
	}
	t.ike.CompleteAuth(false)
	if !t.updateCandidates(false) {
		t.authFailed = true
		return sa.NeedMore
	}
	if m.Notify(encoding.NotifyAnotherAuthFollows) == nil {
		t.expectAnotherAuth = false
		if !t.updateCandidates(true) {
			t.authFailed = true
			return sa.NeedMore
		}
	}
	return sa.NeedMore
}

// selectEAPConfig prepares the peer's round for EAP, which a request
// without AUTH asks for: the selected config (or the next candidate that
// does) must name an EAP method for the round, whose type, vendor, EAP
// and AAA identities the round takes.
func (t *IKEAuth) selectEAPConfig() bool {
	cand := t.nextRound(false)
	for cand == nil || (cand.EAPType == 0 || cand.EAPType == eap.TypeNak) && cand.EAPVendor == 0 {
		t.ike.Log(bus.IKE, bus.Control, "peer requested EAP, config unacceptable")
		t.peer = nil
		if !t.updateCandidates(false) {
			return false
		}
		cand = t.nextRound(false)
	}
	cur := t.ike.CurrentAuth(false)
	cur.EAPType, cur.EAPVendor = cand.EAPType, cand.EAPVendor
	if cand.EAPIdentity != nil {
		cur.EAPIdentity = cand.EAPIdentity
	}
	if cand.AAAIdentity != nil {
		cur.AAAIdentity = cand.AAAIdentity
	}
	return true
}

func (t *IKEAuth) buildR(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		if t.multipleAuth() {
			m.AddNotify(encoding.NotifyMultipleAuthSupported, nil)
		}
		return sa.NeedMore
	case encoding.ExchangeIKEAuth:
	default:
		return sa.NeedMore
	}
	peerFailed := func() sa.Status {
		addNotifyFlush(m, encoding.NotifyAuthenticationFailed, nil)
		t.ike.Env().Events.Alert(t.ike, sa.AlertPeerAuthFailed)
		return sa.Failed
	}
	localFailed := func() sa.Status {
		addNotifyFlush(m, encoding.NotifyAuthenticationFailed, nil)
		t.ike.Env().Events.Alert(t.ike, sa.AlertLocalAuthFailed)
		return sa.Failed
	}
	if t.authFailed || t.peer == nil {
		return peerFailed()
	}
	if t.myAuth == nil && t.doAnotherAuth {
		round := t.nextRound(true)
		if round == nil {
			return localFailed()
		}
		t.myRound = round
		cur := startLocalRound(t.ike, round)
		id := t.ike.MyID()
		cfgID := round.Identity
		if id.Type() == credentials.IDAny {
			if cfgID == nil || cfgID.Type() == credentials.IDAny || cfgID.ContainsWildcards() {
				t.ike.Log(bus.CFG, bus.Control, "no IDr configured, fall back on IP address")
				cfgID = credentials.FromAddr(t.ike.MyHost().Addr())
			}
			t.ike.SetMyID(cfgID)
			id = cfgID
		} else if cfgID != nil && cfgID.Type() != credentials.IDAny && id.Matches(cfgID) == credentials.MatchNone {
			t.ike.Log(bus.CFG, bus.Control, "received IDr %s, but require %s", id, cfgID)
			return peerFailed()
		}
		cur.Identity = id
		m.Add(sa.IDPayload(id, true))
		if cur.Class == config.AuthClassEAP {
			// EAP-only authentication (RFC 5998): our EAP method
			// authenticates us too, no AUTH of our own.
			if !t.ike.Supports(sa.ExtEAPOnlyAuthentication) {
				if !t.ike.Env().Settings.ForceEAPOnlyAuthentication {
					t.ike.Log(bus.IKE, bus.Control, "configured EAP-only authentication, but peer does not support it")
					return peerFailed()
				}
				t.ike.Log(bus.IKE, bus.Control, "ignore missing %s notify and use EAP-only authentication",
					encoding.NotifyEAPOnlyAuthentication)
			}
		} else {
			a := authenticators.NewBuilder(t.ike, cur, t.inputs())
			if a == nil {
				return localFailed()
			}
			t.myAuth = a
		}
	}
	if t.otherAuth != nil {
		switch t.otherAuth.Build(m) {
		case sa.Success:
			t.otherAuth.Destroy()
			t.otherAuth = nil
		case sa.NeedMore:
		default:
			if m.First(encoding.PayloadEAP) != nil {
				// EAP_FAILURE says it; no AUTHENTICATION_FAILED.
				t.ike.Env().Events.Alert(t.ike, sa.AlertPeerAuthFailed)
				return sa.Failed
			}
			return peerFailed()
		}
	}
	if t.myAuth != nil {
		switch t.myAuth.Build(m) {
		case sa.Success:
			t.ike.CompleteAuth(true)
			t.myAuth.Destroy()
			t.myAuth = nil
		case sa.NeedMore:
		default:
			return localFailed()
		}
	}
	if t.doAnother() {
		m.AddNotify(encoding.NotifyAnotherAuthFollows, nil)
	} else {
		t.doAnotherAuth = false
	}
	if t.doAnotherAuth || t.expectAnotherAuth {
		return sa.NeedMore
	}
	if t.ike.Env().Manager.CheckUniqueness(t.ike, t.initialContact) {
		t.ike.Log(bus.IKE, bus.Control, "canceling IKE_SA setup due to uniqueness policy")
		t.ike.Env().Events.Alert(t.ike, sa.AlertUniqueKeep)
		addNotifyFlush(m, encoding.NotifyAuthenticationFailed, nil)
		return sa.Failed
	}
	t.ike.SetCondition(sa.CondAuthenticated, true)
	return sa.Success
}
