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
	if t.authFailed || t.peer == nil {
		return t.failR(m, peerAuthFailure)
	}
	if t.myAuth == nil && t.doAnotherAuth {
		if f := t.startMyRoundR(m); f != noAuthFailure {
			return t.failR(m, f)
		}
	}
	if st, done := t.buildAuthenticatorsR(m); done {
		return st
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

// authFailure says whose authentication a responder's IKE_AUTH failed.
type authFailure uint8

const (
	noAuthFailure authFailure = iota
	peerAuthFailure
	localAuthFailure
)

// failR answers AUTHENTICATION_FAILED and raises the alert of whose
// authentication failed.
func (t *IKEAuth) failR(m *encoding.Message, f authFailure) sa.Status {
	addNotifyFlush(m, encoding.NotifyAuthenticationFailed, nil)
	alert := sa.AlertPeerAuthFailed
	if f == localAuthFailure {
		alert = sa.AlertLocalAuthFailed
	}
	t.ike.Env().Events.Alert(t.ike, alert)
	return sa.Failed
}

// startMyRoundR starts the responder's next authentication round: its
// IDr, and the authenticator that makes its AUTH, none for EAP-only
// authentication (RFC 5998), where our EAP method authenticates us too.
func (t *IKEAuth) startMyRoundR(m *encoding.Message) authFailure {
	round := t.nextRound(true)
	if round == nil {
		return localAuthFailure
	}
	t.myRound = round
	cur := startLocalRound(t.ike, round)
	id, ok := t.myIDR(round.Identity)
	if !ok {
		return peerAuthFailure
	}
	cur.Identity = id
	m.Add(sa.IDPayload(id, true))
	if cur.Class != config.AuthClassEAP {
		a := authenticators.NewBuilder(t.ike, cur, t.inputs())
		if a == nil {
			return localAuthFailure
		}
		t.myAuth = a
		return noAuthFailure
	}
	if !t.ike.Supports(sa.ExtEAPOnlyAuthentication) {
		if !t.ike.Env().Settings.ForceEAPOnlyAuthentication {
			t.ike.Log(bus.IKE, bus.Control, "configured EAP-only authentication, but peer does not support it")
			return peerAuthFailure
		}
		t.ike.Log(bus.IKE, bus.Control, "ignore missing %s notify and use EAP-only authentication",
			encoding.NotifyEAPOnlyAuthentication)
	}
	return noAuthFailure
}

// myIDR is the IDr the responder sends: the one the initiator asked for
// if it matches the configured one, else the configured one (or our
// address, if that is no single identity); false if the requested IDr
// does not match ours.
func (t *IKEAuth) myIDR(cfgID *credentials.Identity) (*credentials.Identity, bool) {
	id := t.ike.MyID()
	if id.Type() == credentials.IDAny {
		if cfgID == nil || cfgID.Type() == credentials.IDAny || cfgID.ContainsWildcards() {
			t.ike.Log(bus.CFG, bus.Control, "no IDr configured, fall back on IP address")
			cfgID = credentials.FromAddr(t.ike.MyHost().Addr())
		}
		t.ike.SetMyID(cfgID)
		return cfgID, true
	}
	if cfgID != nil && cfgID.Type() != credentials.IDAny && id.Matches(cfgID) == credentials.MatchNone {
		t.ike.Log(bus.CFG, bus.Control, "received IDr %s, but require %s", id, cfgID)
		return nil, false
	}
	return id, true
}

// buildAuthenticatorsR lets the peer's authenticator (EAP requests) and
// ours (AUTH) add their payloads; done with the status if the exchange
// ends here.
func (t *IKEAuth) buildAuthenticatorsR(m *encoding.Message) (sa.Status, bool) {
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
				return sa.Failed, true
			}
			return t.failR(m, peerAuthFailure), true
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
			return t.failR(m, localAuthFailure), true
		}
	}
	return sa.NeedMore, false
}
