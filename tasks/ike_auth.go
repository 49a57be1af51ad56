package tasks

import (
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
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
	// eapAcceptable: the peer's rounds need not comply strictly any more
	// while our mutual EAP method runs (require_strict).
	eapAcceptable bool
	// redirectTo is the gateway a REDIRECT in IKE_AUTH sends us to.
	redirectTo *credentials.Identity
}

// NewIKEAuth creates the task.
func NewIKEAuth(ike *sa.IKESA, initiator bool) *IKEAuth {
	return &IKEAuth{ike: ike, initiator: initiator, doAnotherAuth: true, expectAnotherAuth: true}
}

// Type implements sa.Task.
func (t *IKEAuth) Type() sa.TaskType { return sa.TaskIKEAuth }

// Migrate implements sa.Task.
func (t *IKEAuth) Migrate(ike *sa.IKESA) {
	t.Destroy()
	*t = *NewIKEAuth(ike, t.initiator)
}

// Destroy implements sa.Destroyer: authenticators in progress (an EAP
// method waiting for the next message) end with the task.
func (t *IKEAuth) Destroy() {
	for _, a := range []*sa.Authenticator{&t.myAuth, &t.otherAuth} {
		if *a != nil {
			(*a).Destroy()
			*a = nil
		}
	}
}

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

// doAnother reports whether we have rounds left that the peer can take
// (do_another_auth): a configured round that neither a completed round
// nor the one in progress complies with.
func (t *IKEAuth) doAnother() bool {
	if !t.ike.Supports(sa.ExtMultipleAuth) {
		return false
	}
	done := t.ike.AuthCfgs(true)
	for i, todo := range t.peer.LocalAuth {
		d := t.ike.CurrentAuth(true)
		if i < len(done) {
			d = done[i]
		}
		if !d.Complies(todo, nil) {
			return true
		}
	}
	return false
}

// requireStrict reports whether the peer's rounds must comply with the
// config before we go on with ours (require_strict): before a PSK or EAP
// round, unless the peer relies on our mutual EAP method.
func (t *IKEAuth) requireStrict(mutualEAP bool) bool {
	if t.eapAcceptable {
		return false
	}
	switch t.ike.CurrentAuth(true).Class {
	case config.AuthClassEAP:
		if mutualEAP && t.myAuth != nil {
			t.eapAcceptable = true
			return !t.myAuth.IsMutual()
		}
		return true
	case config.AuthClassPSK:
		return true
	}
	return false
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
		explainRefused(ike.Log, ike.Env().Backends, me.Addr(), other.Addr())
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
// config and switches to another candidate while it does not fit; strict
// also requires every configured round to be done. Without a selected
// config it takes the next candidate.
func (t *IKEAuth) updateCandidates(strict bool) bool {
	for {
		if t.peer != nil {
			problem := t.complyProblem(strict)
			if problem == "" {
				return true
			}
			t.ike.Log(bus.CFG, bus.Control, "selected peer config '%s' unacceptable: %s", t.peer.Name, problem)
		}
		if len(t.candidates) == 0 {
			t.ike.Log(bus.CFG, bus.Control, "no alternative config found")
			t.peer = nil
			return false
		}
		t.peer, t.candidates = t.candidates[0], t.candidates[1:]
		t.ike.Log(bus.CFG, bus.Control, "switching to peer config '%s'", t.peer.Name)
		t.ike.SetPeerCfg(t.peer)
	}
}

// complyProblem says why the remote rounds done do not fit the selected
// config, "" if they do.
func (t *IKEAuth) complyProblem(strict bool) string {
	done, want := t.ike.AuthCfgs(false), t.peer.RemoteAuth
	if strict {
		for i, w := range want {
			if i >= len(done) {
				return "insufficient authentication rounds"
			}
			if !done[i].Complies(w, t.ike.CredLog()) {
				return "constraint checking failed"
			}
		}
		return ""
	}
	for i, d := range done {
		if i >= len(want) {
			return "insufficient authentication rounds"
		}
		if !d.Complies(want[i], t.ike.CredLog()) {
			return "non-matching authentication done"
		}
	}
	return ""
}
