package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
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
		if m.Notify(encoding.NotifyIKEv2MessageIDSyncSupported) != nil {
			t.ike.Enable(sa.ExtIKEMessageIDSync)
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
		a := authenticators.NewVerifier(t.ike, m, t.inputs())
		if a == nil {
			t.authFailed = true
			return sa.NeedMore
		}
		t.otherAuth = a
	}
	switch t.otherAuth.Process(m) {
	case sa.Success:
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
		a := authenticators.NewBuilder(t.ike, cur, t.inputs())
		if a == nil {
			return localFailed()
		}
		t.myAuth = a
	}
	if t.myAuth != nil {
		switch t.myAuth.Build(m) {
		case sa.Success:
			t.ike.CompleteAuth(true)
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
	return t.completeR(m)
}

// completeR ends the last IKE_AUTH response: the uniqueness policy may
// still cancel the SA; else it is authenticated.
func (t *IKEAuth) completeR(m *encoding.Message) sa.Status {
	if t.ike.Env().Manager.CheckUniqueness(t.ike, t.initialContact) {
		t.ike.Log(bus.IKE, bus.Control, "canceling IKE_SA setup due to uniqueness policy")
		t.ike.Env().Events.Alert(t.ike, sa.AlertUniqueKeep)
		addNotifyFlush(m, encoding.NotifyAuthenticationFailed, nil)
		return sa.Failed
	}
	if t.ike.Supports(sa.ExtIKEMessageIDSync) && t.ike.Env().Settings.MIDSyncResponder {
		// a gateway that restores its IKE_SAs from saved state synchronizes
		// message IDs with its clients (RFC 6311); strongSwan's responder
		// never announces it, nor does goswan's without that
		m.AddNotify(encoding.NotifyIKEv2MessageIDSyncSupported, nil)
	}
	t.ike.SetCondition(sa.CondAuthenticated, true)
	return sa.Success
}
