package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/sa/authenticators"
)

func (t *IKEAuth) buildI(m *encoding.Message) sa.Status {
	if m.Exchange != encoding.ExchangeIKEAuth {
		return sa.NeedMore
	}
	first := false
	if !t.firstAuth {
		first, t.firstAuth = true, true
	}
	if t.peer == nil {
		t.peer = t.ike.PeerCfg()
	}
	if first {
		if t.ike.Supports(sa.ExtMultipleAuth) {
			m.AddNotify(encoding.NotifyMultipleAuthSupported, nil)
		}
		announce(m, encoding.NotifyEAPOnlyAuthentication, encoding.NotifyIKEv2MessageIDSyncSupported)
	}
	if !t.doAnotherAuth && t.myAuth == nil {
		return sa.NeedMore
	}
	if t.myAuth == nil && t.beginRoundI(m, first) != sa.Success {
		return sa.Failed
	}
	switch t.myAuth.Build(m) {
	case sa.Success:
		t.ike.CompleteAuth(true)
		t.myAuth.Destroy()
		t.myAuth = nil
	case sa.NeedMore:
	default:
		t.ike.Env().Events.Alert(t.ike, sa.AlertLocalAuthFailed)
		return sa.Failed
	}
	if t.doAnother() {
		if m.First(encoding.PayloadAUTH) != nil {
			m.AddNotify(encoding.NotifyAnotherAuthFollows, nil)
		}
	} else {
		t.doAnotherAuth = false
	}
	return sa.NeedMore
}

// beginRoundI starts our next authentication round: IDr if the round
// names the peer exactly, IDi, INITIAL_CONTACT on the first round unless
// we have an SA with the peer already, and the authenticator that builds
// AUTH.
func (t *IKEAuth) beginRoundI(m *encoding.Message, first bool) sa.Status {
	var idr *credentials.Identity
	if rc := t.nextRound(false); rc != nil {
		idr = rc.Identity
		if idr != nil && !rc.IdentityLoose && idr.Type() != credentials.IDAny && !idr.ContainsWildcards() {
			t.ike.SetOtherID(idr)
			m.Add(sa.IDPayload(idr, true))
		}
	}
	round := t.nextRound(true)
	if round == nil {
		t.ike.Log(bus.IKE, bus.Control, "no local authentication round configured")
		t.ike.Env().Events.Alert(t.ike, sa.AlertLocalAuthFailed)
		return sa.Failed
	}
	t.myRound = round
	cur := startLocalRound(t.ike, round)
	idi := round.Identity
	if idi == nil || idi.Type() == credentials.IDAny {
		t.ike.Log(bus.CFG, bus.Control, "no IDi configured, fall back on IP address")
		idi = credentials.FromAddr(t.ike.MyHost().Addr())
	}
	cur.Identity = idi
	t.ike.SetMyID(idi)
	m.Add(sa.IDPayload(idi, false))
	if idr != nil && idr.Type() != credentials.IDAny && !idr.ContainsWildcards() && first &&
		t.peer.Unique != config.UniqueNever && !t.ike.Env().Manager.HasContact(t.ike, idi, idr) {
		m.AddNotify(encoding.NotifyInitialContact, nil)
	}
	a := authenticators.NewBuilder(t.ike, cur, t.inputs())
	if a == nil {
		t.ike.Env().Events.Alert(t.ike, sa.AlertLocalAuthFailed)
		return sa.Failed
	}
	t.myAuth = a
	return sa.Success
}

func (t *IKEAuth) processI(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		if m.Notify(encoding.NotifyMultipleAuthSupported) != nil && t.multipleAuth() {
			t.ike.Enable(sa.ExtMultipleAuth)
		}
		return t.collectInit(m, false)
	case encoding.ExchangeIKEAuth:
	default:
		return sa.NeedMore
	}
	if !t.processNotifiesI(m) {
		return sa.Failed
	}
	peerFailed := func() sa.Status {
		t.ike.Env().Events.Alert(t.ike, sa.AlertPeerAuthFailed)
		t.sendAuthFailed(m)
		return sa.Failed
	}
	mutualEAP, st := t.processOtherRoundI(m)
	if st != sa.Success {
		if st == sa.NeedMore {
			return sa.NeedMore
		}
		return peerFailed()
	}
	if t.requireStrict(mutualEAP) && !t.updateCandidates(true) {
		return peerFailed()
	}
	if !t.processMyAuthI(m) {
		t.ike.Env().Events.Alert(t.ike, sa.AlertLocalAuthFailed)
		return sa.Failed
	}
	if mutualEAP {
		if t.myAuth == nil || !t.myAuth.IsMutual() {
			t.ike.Log(bus.IKE, bus.Control, "do not allow non-mutual EAP-only authentication")
			return peerFailed()
		}
		t.ike.Log(bus.IKE, bus.Control, "allow mutual EAP-only authentication")
	}
	if m.Notify(encoding.NotifyAnotherAuthFollows) == nil {
		t.expectAnotherAuth = false
	}
	if t.expectAnotherAuth || t.doAnotherAuth || t.myAuth != nil {
		return sa.NeedMore
	}
	if !t.updateCandidates(true) {
		return peerFailed()
	}
	t.ike.SetCondition(sa.CondAuthenticated, true)
	if t.redirectTo != nil {
		t.ike.HandleRedirect(t.redirectTo)
	}
	return sa.Success
}

// processMyAuthI lets our authenticator take the response (the EAP
// server's request or result, the responder's check of our AUTH); false
// if our authentication failed.
func (t *IKEAuth) processMyAuthI(m *encoding.Message) bool {
	if t.myAuth == nil {
		return true
	}
	switch t.myAuth.Process(m) {
	case sa.Success:
		t.ike.CompleteAuth(true)
		if t.myAuth.IsMutual() {
			t.ike.CompleteAuth(false)
		}
		t.myAuth.Destroy()
		t.myAuth = nil
		t.doAnotherAuth = t.doAnother()
	case sa.NeedMore:
	default:
		return false
	}
	return true
}

// processOtherRoundI verifies the responder's round in the response: IDr,
// then its AUTH, or none (EAP-only authentication, RFC 5998: mutualEAP).
// Success goes on, NeedMore waits for the next response, Failed is a
// peer authentication failure.
func (t *IKEAuth) processOtherRoundI(m *encoding.Message) (mutualEAP bool, st sa.Status) {
	if !t.expectAnotherAuth {
		return false, sa.Success
	}
	if t.otherAuth == nil {
		idr, _ := m.First(encoding.PayloadIDr).(*encoding.ID)
		if idr == nil {
			t.ike.Log(bus.IKE, bus.Control, "IDr payload missing")
			return false, sa.Failed
		}
		t.ike.SetOtherID(credentials.FromEncoding(credentials.IDType(idr.IDType), idr.Data))
		t.ike.CurrentAuth(false).Identity = t.ike.OtherID()
		if m.First(encoding.PayloadAUTH) == nil {
			// The responder omitted AUTH: EAP-only authentication.
			return true, sa.Success
		}
		if t.otherAuth = authenticators.NewVerifier(t.ike, m, t.inputs()); t.otherAuth == nil {
			return false, sa.Failed
		}
	}
	switch t.otherAuth.Process(m) {
	case sa.Success:
	case sa.NeedMore:
		return false, sa.NeedMore
	default:
		return false, sa.Failed
	}
	t.otherAuth.Destroy()
	t.otherAuth = nil
	t.ike.CompleteAuth(false)
	return false, sa.Success
}

// sendAuthFailed tells the responder that we could not authenticate it,
// in a separate INFORMATIONAL (RFC 7296 §2.21.2).
func (t *IKEAuth) sendAuthFailed(reply *encoding.Message) {
	m := encoding.NewMessage(encoding.ExchangeInformational, reply.MessageID+1)
	m.AddNotify(encoding.NotifyAuthenticationFailed, nil)
	if pkts, err := t.ike.GenerateMessage(m, false); err == nil {
		t.ike.Send(pkts)
	}
}

// processNotifiesI reads the notifies of an IKE_AUTH response; false if
// one is an error that ends the IKE_SA.
func (t *IKEAuth) processNotifiesI(m *encoding.Message) bool {
	for _, n := range m.Notifies() {
		switch n.NotifyType {
		case encoding.NotifyNoProposalChosen, encoding.NotifySinglePairRequired, encoding.NotifyNoAdditionalSAs,
			encoding.NotifyInternalAddressFailure, encoding.NotifyFailedCPRequired, encoding.NotifyTSUnacceptable,
			encoding.NotifyInvalidSelectors:
			// CHILD_SA errors: child_create handles them.
		case encoding.NotifyMOBIKESupported, encoding.NotifyAdditionalIP4Address, encoding.NotifyAdditionalIP6Address,
			encoding.NotifyAuthLifetime:
		case encoding.NotifyIKEv2MessageIDSyncSupported:
			t.ike.Enable(sa.ExtIKEMessageIDSync)
		case encoding.NotifyRedirect:
			if t.redirectTo = parseRedirect(t.ike, n.Data); t.redirectTo == nil {
				t.ike.Log(bus.IKE, bus.Control, "received invalid REDIRECT notify")
			}
		default:
			if notifyError(n.NotifyType) {
				t.ike.Log(bus.IKE, bus.Control, "received %s notify error", n.NotifyType)
				t.ike.Env().Events.Alert(t.ike, sa.AlertLocalAuthFailed)
				return false
			}
			t.ike.Log(bus.IKE, bus.Diag, "received %s notify", n.NotifyType)
		}
	}
	return true
}
