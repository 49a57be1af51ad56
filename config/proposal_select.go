package config

import (
	"slices"

	"github.com/goswan/goswan/crypto"
)

// SelectFlags modify proposal selection (proposal_selection_flag_t).
type SelectFlags uint8

const (
	// SelectSkipPrivate ignores algorithms from the private-use range (id
	// 1024 and above): the peer is not known to be strongSwan, so the numbers
	// may mean something else to it. charon sets it unless the peer sent the
	// strongSwan vendor ID or charon.accept_private_algs is set.
	SelectSkipPrivate SelectFlags = 1 << iota
	// SelectPreferSupplied lets the peer's order win instead of ours: set
	// when charon.prefer_configured_proposals is no.
	SelectPreferSupplied
	// SelectSkipKE ignores key exchange transforms, for CHILD_SAs created
	// with IKE_AUTH (no KE payload there, RFC 7296 §1.2).
	SelectSkipKE
)

// mergeTypes is the union of the transform types of a and b in print order.
func mergeTypes(a, b *Proposal) []crypto.TransformType {
	at, bt := a.types(), b.types()
	out := slices.Clone(at)
	for _, t := range bt {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	rank := func(t crypto.TransformType) int {
		if i := slices.Index(typeOrder, t); i >= 0 {
			return i
		}
		return len(typeOrder) + int(t)
	}
	slices.SortFunc(out, func(x, y crypto.TransformType) int { return rank(x) - rank(y) })
	return out
}

// selectAlgo picks the transform of type t from pref and other, preferring
// pref's order (proposal.c select_algo). ok is false when they share none;
// a zero Transform with ok means "nothing to add" (both lack the type, or a
// PFS-optional key exchange was declined with NONE).
func selectAlgo(pref, other *Proposal, t crypto.TransformType, flags SelectFlags) (Transform, bool) {
	// A key exchange is optional for CHILD_SAs: NONE in one proposal
	// matches a proposal without any.
	optional := t == crypto.TransformKeyExchange && (pref.Protocol == ProtoESP || pref.Protocol == ProtoAH)
	pa, oa := pref.Algorithms(t), other.Algorithms(t)
	hasNone := func(l []Transform) bool {
		return slices.ContainsFunc(l, func(x Transform) bool { return x.ID == 0 })
	}
	switch {
	case len(pa) == 0 && len(oa) == 0:
		return Transform{}, true
	case len(pa) == 0:
		if optional && hasNone(oa) {
			return Transform{}, true
		}
	case len(oa) == 0:
		if optional && hasNone(pa) {
			return Transform{}, true
		}
	}
	for _, a := range pa {
		for _, b := range oa {
			if a.ID != b.ID || a.KeyLength != b.KeyLength {
				continue
			}
			if flags&SelectSkipPrivate != 0 && crypto.IsPrivateUse(t, a.ID) {
				continue
			}
			return a, true
		}
	}
	return Transform{}, false
}

// selectFrom builds the proposal pref and other agree on, or nil. The result
// carries the number and SPI of the supplied proposal, which is other unless
// SelectPreferSupplied swapped the roles.
func selectFrom(pref, other *Proposal, flags SelectFlags) *Proposal {
	if pref.Protocol != other.Protocol {
		return nil
	}
	supplied := other
	if flags&SelectPreferSupplied != 0 {
		supplied = pref
	}
	sel := &Proposal{Protocol: pref.Protocol, Number: supplied.Number, SPI: supplied.SPI}
	skipInteg := false
	for _, t := range mergeTypes(pref, other) {
		if (t == crypto.TransformIntegrity && skipInteg) || (t == crypto.TransformKeyExchange && flags&SelectSkipKE != 0) {
			continue
		}
		tr, ok := selectAlgo(pref, other, t, flags)
		if !ok {
			return nil
		}
		// Id 0 means NONE (or is reserved) for every type but ESN, where
		// it is NO_EXT_SEQ.
		if tr.ID == 0 && t != crypto.TransformExtendedSeqs {
			continue
		}
		if tr.Type == 0 {
			continue
		}
		sel.Transforms = append(sel.Transforms, tr)
		if t == crypto.TransformEncryption && crypto.EncryptionAlgorithm(tr.ID).IsAEAD() {
			skipInteg = true
		}
	}
	return sel
}

// Matches reports whether p and other share a selectable set of algorithms.
func (p *Proposal) Matches(other *Proposal, flags SelectFlags) bool {
	return selectFrom(p, other, flags) != nil
}

// SelectProposal chooses the proposal to use from our configured list and the
// peer's supplied one (proposal.c proposal_select): our order wins, first by
// proposal and then by algorithm within it, unless SelectPreferSupplied gives
// the peer's order precedence. The result has one transform per type and the
// supplied proposal's number and SPI; nil means no proposal matched.
func SelectProposal(configured, supplied []*Proposal, flags SelectFlags) *Proposal {
	prefer, match := configured, supplied
	if flags&SelectPreferSupplied != 0 {
		prefer, match = supplied, configured
	}
	for _, p := range prefer {
		for _, m := range match {
			if sel := selectFrom(p, m, flags); sel != nil {
				return sel
			}
		}
	}
	return nil
}
