package tasks

import (
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

func (t *IKEInit) buildPayloads(m *encoding.Message) bool {
	cfg := t.ike.IKECfg()
	var sap *encoding.SA
	if t.initiator {
		var first, rest []*config.Proposal
		for _, p := range cfg.Proposals {
			q := p.Clone()
			if t.oldSA != nil {
				q.SPI = t.ike.ID().SPIi
			}
			if q.PromoteKE(t.keGroup) {
				first = append(first, q)
			} else {
				// Proposals without our KE group go to the back.
				rest = append(rest, q)
			}
		}
		sap = saPayload(append(first, rest...))
	} else {
		p := t.proposal.Clone()
		if t.oldSA != nil {
			p.SPI = t.ike.ID().SPIr
		}
		sap = saPayload([]*config.Proposal{p})
	}
	m.Add(sap)
	ke := &encoding.KE{Group: uint16(t.ke.Method()), Data: t.ke.PublicValue()}
	nonce := &encoding.Nonce{Data: t.myNonce}
	if t.oldSA != nil {
		m.Add(nonce, ke) // a rekey orders Nonce before KE
	} else {
		m.Add(ke, nonce)
	}
	if t.oldSA != nil {
		return true
	}
	if cfg.Fragmentation != config.FragmentationNo && (t.initiator || t.ike.Supports(sa.ExtIKEFragmentation)) {
		m.AddNotify(encoding.NotifyFragmentationSupported, nil)
	}
	// Capabilities only when goswan has them (announce.go).
	if announces(encoding.NotifySignatureHashAlgorithms) && t.ike.Env().Settings.SignatureAuthentication &&
		(t.initiator || t.ike.Supports(sa.ExtSignatureAuth)) {
		t.sendHashAlgorithms(m)
	}
	if t.initiator && t.ike.Env().Settings.FollowRedirects && announces(encoding.NotifyRedirectSupported) {
		if from := t.ike.RedirectedFrom(); from.IsValid() {
			// tell the new gateway where we come from
			m.AddNotify(encoding.NotifyRedirectedFrom, sa.RedirectDataFor(credentials.FromAddr(from.Addr()), nil))
		} else {
			m.AddNotify(encoding.NotifyRedirectSupported, nil)
		}
	}
	if !t.initiator && cfg.Childless != config.ChildlessNever {
		m.AddNotify(encoding.NotifyChildlessIKEv2Supported, nil)
	}
	return true
}

func (t *IKEInit) processSA(m *encoding.Message, p *encoding.SA) {
	cfg := t.ike.IKECfg()
	received := fromEncodingProposals(p.Proposals)
	var flags config.SelectFlags
	s := &t.ike.Env().Settings
	if !t.ike.Supports(sa.ExtStrongSwan) && !s.AcceptPrivateAlgs {
		flags |= config.SelectSkipPrivate
	}
	if !s.PreferConfiguredProposals {
		flags |= config.SelectPreferSupplied
	}
	t.proposal = selectProposal(t.ike, cfg.Proposals, received, flags)
	if t.proposal != nil {
		return
	}
	if !t.initiator && t.oldSA == nil {
		src, dst := t.ike.MessageAddrs()
		for _, cand := range t.ike.Env().Backends.Peers() {
			if cand.IKE == cfg || cand.IKE.MatchMe(dst.Addr(), t.ike.Env().Resolve) == 0 ||
				cand.IKE.MatchOther(src.Addr(), t.ike.Env().Resolve) == 0 {
				continue
			}
			t.ike.Log(bus.IKE, bus.Control, "no matching proposal found, trying alternative config")
			if t.proposal = selectProposal(t.ike, cand.IKE.Proposals, received, flags); t.proposal != nil {
				t.ike.SetIKECfg(cand.IKE)
				return
			}
		}
	}
	t.ike.Env().Events.Alert(t.ike, sa.AlertProposalMismatchIKE, received)
}

func (t *IKEInit) processPayloads(m *encoding.Message) {
	var ke *encoding.KE
	for _, p := range m.Payloads {
		switch x := p.(type) {
		case *encoding.SA:
			t.processSA(m, x)
		case *encoding.KE:
			ke = x
			t.keGroup = crypto.KeyExchangeMethod(x.Group)
		case *encoding.Nonce:
			t.otherNonce = slices.Clone(x.Data)
		case *encoding.Notify:
			t.processNotify(x)
		}
	}
	if t.proposal != nil {
		t.ike.SetProposal(t.proposal)
		if t.oldSA != nil {
			if t.initiator {
				t.ike.SetResponderSPI(t.proposal.SPI)
			} else {
				t.ike.SetInitiatorSPI(t.proposal.SPI)
			}
		}
	}
	if ke == nil || t.proposal == nil || !proposalHasKE(t.proposal, t.keGroup) {
		return
	}
	if !t.initiator {
		k, err := t.ike.Keymat().NewKE(t.keGroup)
		if err != nil {
			t.ike.Log(bus.IKE, bus.Control, "DH group %s not supported", t.keGroup)
			return
		}
		t.ke = k
	} else if t.ke != nil {
		t.keFailed = t.ke.Method() != t.keGroup
	}
	if t.ke != nil && !t.keFailed {
		secret, err := t.ke.SharedSecret(ke.Data)
		if err != nil {
			t.ike.Log(bus.IKE, bus.Control, "applying DH public value failed: %v", err)
			t.keFailed = true
			return
		}
		t.secret = secret
	}
}

// processNotify enables the extensions the peer announces in IKE_SA_INIT
// (redirection and childless only on a new IKE_SA, not a rekey).
func (t *IKEInit) processNotify(n *encoding.Notify) {
	switch n.NotifyType {
	case encoding.NotifyFragmentationSupported:
		t.ike.Enable(sa.ExtIKEFragmentation)
	case encoding.NotifySignatureHashAlgorithms:
		if t.ike.Env().Settings.SignatureAuthentication {
			t.handleHashAlgorithms(n.Data)
		}
	case encoding.NotifyRedirectedFrom:
		gw := parseRedirect(t.ike, n.Data)
		if gw == nil {
			t.ike.Log(bus.IKE, bus.Control, "received invalid REDIRECTED_FROM notify, ignored")
			return
		}
		t.ike.Log(bus.IKE, bus.Control, "client got redirected from %s", gw)
		if t.oldSA == nil {
			t.ike.Enable(sa.ExtIKERedirection)
		}
	case encoding.NotifyRedirectSupported:
		if t.oldSA == nil {
			t.ike.Enable(sa.ExtIKERedirection)
		}
	case encoding.NotifyChildlessIKEv2Supported:
		if t.initiator && t.oldSA == nil {
			t.ike.Enable(sa.ExtIKEChildless)
		}
	}
}

func proposalHasKE(p *config.Proposal, m crypto.KeyExchangeMethod) bool {
	for _, t := range p.Algorithms(crypto.TransformKeyExchange) {
		if crypto.KeyExchangeMethod(t.ID) == m {
			return true
		}
	}
	return false
}
