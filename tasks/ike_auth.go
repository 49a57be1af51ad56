package tasks

import (
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/sa/authenticators"
)

// IKEAuth is the IKE_AUTH exchange, ike_auth.c: identities, AUTH payloads
// per authentication round (RFC 4739 for several), peer config selection
// by identity on the responder, INITIAL_CONTACT.
type IKEAuth struct {
	ike       *sa.IKESA
	initiator bool

	myNonce, otherNonce   []byte
	myPacket, otherPacket []byte

	peer       *config.PeerCfg
	candidates []*config.PeerCfg

	myAuth, otherAuth sa.Authenticator
	myRound           *config.AuthCfg // the local round in progress

	doAnotherAuth     bool
	expectAnotherAuth bool
	authFailed        bool
	initialContact    bool
	firstAuth         bool
}

// NewIKEAuth creates the task.
func NewIKEAuth(ike *sa.IKESA, initiator bool) *IKEAuth {
	return &IKEAuth{ike: ike, initiator: initiator, doAnotherAuth: true, expectAnotherAuth: true}
}

// Type implements sa.Task.
func (t *IKEAuth) Type() sa.TaskType { return sa.TaskIKEAuth }

// Migrate implements sa.Task.
func (t *IKEAuth) Migrate(ike *sa.IKESA) { *t = *NewIKEAuth(ike, t.initiator) }

func (t *IKEAuth) inputs() sa.AuthInputs {
	return sa.AuthInputs{MyInit: t.myPacket, OtherInit: t.otherPacket, MyNonce: t.myNonce, OtherNonce: t.otherNonce}
}

func (t *IKEAuth) multipleAuth() bool { return t.ike.Env().Settings.MultipleAuthentication }

// roundsDone counts completed rounds of one side.
func (t *IKEAuth) roundsDone(local bool) int { return len(t.ike.AuthCfgs(local)) }

// nextRound is the configured round of one side that is not done yet.
func (t *IKEAuth) nextRound(local bool) *config.AuthCfg {
	rounds := t.peer.RemoteAuth
	if local {
		rounds = t.peer.LocalAuth
	}
	if n := t.roundsDone(local); n < len(rounds) {
		return rounds[n]
	}
	return nil
}

// doAnother reports whether we have rounds left that the peer can take.
func (t *IKEAuth) doAnother() bool {
	if !t.ike.Supports(sa.ExtMultipleAuth) {
		return false
	}
	return t.roundsDone(true) < len(t.peer.LocalAuth)
}

// collectInit keeps the IKE_SA_INIT nonce and packet of one side.
func (t *IKEAuth) collectInit(m *encoding.Message, mine bool) sa.Status {
	n, _ := m.First(encoding.PayloadNonce).(*encoding.Nonce)
	if n == nil {
		return sa.Failed
	}
	if mine {
		if t.ike.LastGenerated() == nil {
			return sa.Failed
		}
		t.myNonce, t.myPacket = slices.Clone(n.Data), slices.Clone(t.ike.LastGenerated())
	} else {
		raw := t.ike.MessageRaw()
		if raw == nil {
			return sa.Failed
		}
		t.otherNonce, t.otherPacket = slices.Clone(n.Data), slices.Clone(raw)
	}
	return sa.NeedMore
}

// PostBuild implements sa.PostBuilder: keep our IKE_SA_INIT as sent.
func (t *IKEAuth) PostBuild(m *encoding.Message) sa.Status {
	if m.Exchange == encoding.ExchangeIKESAInit {
		return t.collectInit(m, true)
	}
	return sa.NeedMore
}

// Build implements sa.Task.
func (t *IKEAuth) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.buildI(m)
	}
	return t.buildR(m)
}

// Process implements sa.Task.
func (t *IKEAuth) Process(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.processI(m)
	}
	return t.processR(m)
}

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
		m.AddNotify(encoding.NotifyEAPOnlyAuthentication, nil)
		m.AddNotify(encoding.NotifyIKEv2MessageIDSyncSupported, nil)
	}
	if !t.doAnotherAuth && t.myAuth == nil {
		return sa.NeedMore
	}
	if t.myAuth == nil {
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
	}
	switch t.myAuth.Build(m) {
	case sa.Success:
		t.ike.CompleteAuth(true)
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

// startLocalRound prepares our round in progress for a configured round:
// what an earlier round left goes, but the CA certificates the peer asked
// for stay; the configured rules join them (purge and merge of ike_auth).
func startLocalRound(ike *sa.IKESA, round *config.AuthCfg) *config.AuthCfg {
	ike.PurgeCurrentAuth(true, true)
	cur := ike.CurrentAuth(true)
	cas := cur.CACerts
	*cur = *round.Clone()
	cur.CACerts = append(cas, cur.CACerts...)
	return cur
}

// loadCandidates selects the responder's peer config from addresses and
// identities, keeping the others as fallbacks.
func (t *IKEAuth) loadCandidates() bool {
	ike := t.ike
	me, other := ike.MyHost(), ike.OtherHost()
	ike.Log(bus.CFG, bus.Control, "looking for peer configs matching %s[%s]...%s[%s]",
		me.Addr(), ike.MyID(), other.Addr(), ike.OtherID())
	var myID *credentials.Identity
	if id := ike.MyID(); id.Type() != credentials.IDAny {
		myID = id
	}
	for _, c := range ike.Env().Backends.PeerCfgs(me.Addr(), other.Addr(), myID, ike.OtherID(), config.IKEv2) {
		p := c.Peer
		ike.Log(bus.CFG, bus.Diag, "  candidate \"%s\", match: %d/%d (peer/ike)", p.Name, c.MatchPeer, c.MatchIKE)
		if !hasProposal(p.IKE, ike.Proposal()) {
			ike.Log(bus.CFG, bus.Diag, "ignore candidate '%s' without matching IKE proposal", p.Name)
			continue
		}
		if t.peer == nil {
			t.peer = p
		} else {
			t.candidates = append(t.candidates, p)
		}
	}
	if t.peer == nil {
		ike.Log(bus.CFG, bus.Control, "no matching peer config found")
		return false
	}
	ike.SetPeerCfg(t.peer)
	ike.Log(bus.CFG, bus.Control, "selected peer config '%s'", t.peer.Name)
	return true
}

// hasProposal reports whether an IKE config would have selected the
// proposal in use.
func hasProposal(c *config.IKECfg, p *config.Proposal) bool {
	if p == nil {
		return true
	}
	return config.SelectProposal(c.Proposals, []*config.Proposal{p}, config.SelectSkipPrivate) != nil ||
		config.SelectProposal(c.Proposals, []*config.Proposal{p}, 0) != nil
}

// updateCandidates checks the remote rounds done against the selected
// config and switches to another candidate if it does not fit; strict also
// requires every configured round to be done.
func (t *IKEAuth) updateCandidates(strict bool) bool {
	for t.peer != nil {
		done, want := t.ike.AuthCfgs(false), t.peer.RemoteAuth
		problem := ""
		if strict {
			for i, w := range want {
				if i >= len(done) {
					problem = "insufficient authentication rounds"
					break
				}
				if !done[i].Complies(w, t.ike.CredLog()) {
					problem = "constraint checking failed"
					break
				}
			}
		} else {
			for i, d := range done {
				if i >= len(want) {
					problem = "insufficient authentication rounds"
					break
				}
				if !d.Complies(want[i], t.ike.CredLog()) {
					problem = "non-matching authentication done"
					break
				}
			}
		}
		if problem == "" {
			return true
		}
		t.ike.Log(bus.CFG, bus.Control, "selected peer config '%s' unacceptable: %s", t.peer.Name, problem)
		if len(t.candidates) == 0 {
			t.ike.Log(bus.CFG, bus.Control, "no alternative config found")
			t.peer = nil
			return false
		}
		t.peer, t.candidates = t.candidates[0], t.candidates[1:]
		t.ike.Log(bus.CFG, bus.Control, "switching to peer config '%s'", t.peer.Name)
		t.ike.SetPeerCfg(t.peer)
	}
	return false
}

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
	if t.ike.Env().Manager.CheckUniqueness(t.ike, t.initialContact) {
		t.ike.Log(bus.IKE, bus.Control, "canceling IKE_SA setup due to uniqueness policy")
		t.ike.Env().Events.Alert(t.ike, sa.AlertUniqueKeep)
		addNotifyFlush(m, encoding.NotifyAuthenticationFailed, nil)
		return sa.Failed
	}
	t.ike.SetCondition(sa.CondAuthenticated, true)
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
		default:
			if notifyError(n.NotifyType) {
				t.ike.Log(bus.IKE, bus.Control, "received %s notify error", n.NotifyType)
				t.ike.Env().Events.Alert(t.ike, sa.AlertLocalAuthFailed)
				return sa.Failed
			}
			t.ike.Log(bus.IKE, bus.Diag, "received %s notify", n.NotifyType)
		}
	}
	peerFailed := func() sa.Status {
		t.ike.Env().Events.Alert(t.ike, sa.AlertPeerAuthFailed)
		t.sendAuthFailed(m)
		return sa.Failed
	}
	if t.expectAnotherAuth {
		if t.otherAuth == nil {
			idr, _ := m.First(encoding.PayloadIDr).(*encoding.ID)
			if idr == nil {
				t.ike.Log(bus.IKE, bus.Control, "IDr payload missing")
				return peerFailed()
			}
			t.ike.SetOtherID(credentials.FromEncoding(credentials.IDType(idr.IDType), idr.Data))
			t.ike.CurrentAuth(false).Identity = t.ike.OtherID()
			if m.First(encoding.PayloadAUTH) == nil {
				t.ike.Log(bus.IKE, bus.Control, "EAP-only authentication is not supported")
				return peerFailed()
			}
			a := authenticators.NewVerifier(t.ike, m, t.inputs())
			if a == nil {
				return peerFailed()
			}
			t.otherAuth = a
		}
		switch t.otherAuth.Process(m) {
		case sa.Success:
		case sa.NeedMore:
			return sa.NeedMore
		default:
			return peerFailed()
		}
		t.otherAuth = nil
		t.ike.CompleteAuth(false)
	}
	// Without EAP on our side the peer's rounds must satisfy the
	// configuration strictly (require_strict).
	if t.ike.CurrentAuth(true).Class != config.AuthClassEAP {
		if !t.updateCandidates(true) {
			return peerFailed()
		}
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
	return sa.Success
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
