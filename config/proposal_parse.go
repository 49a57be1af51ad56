package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goswan/goswan/crypto"
)

// ProposalError describes a proposal string charon would refuse; Msg is the
// reason in charon's words.
type ProposalError struct {
	Proposal string // the single proposal ("aes128-sha256-modp3072")
	Msg      string
}

func (e *ProposalError) Error() string {
	return fmt.Sprintf("invalid proposal string %q: %s", e.Proposal, e.Msg)
}

// ErrEmptyProposal is the Msg-less cause of an empty proposal.
var ErrEmptyProposal = errors.New("empty proposal")

// splitTokens splits a proposal into its '-'-separated algorithm tokens the
// way libstrongswan's token enumerator does with separator "-" and trim " ":
// runs of separators and surrounding spaces are skipped, a token may be
// quoted with ' or ", and an unterminated quote is kept as part of the token.
func splitTokens(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, "- ")
		if s == "" {
			return out
		}
		if q := s[0]; q == '"' || q == '\'' {
			if end := strings.IndexByte(s[1:], q); end >= 0 {
				out = append(out, s[1:1+end])
				s = s[2+end:]
				continue
			}
		}
		tok, rest, found := strings.Cut(s, "-")
		tok = strings.TrimRight(tok, " ")
		if tok != "" || found {
			out = append(out, tok)
		}
		if !found {
			return out
		}
		s = rest
	}
}

// ParseProposal parses one proposal ("aes128-sha256-modp3072") for proto as
// proposal_create_from_string does, including its fix-ups: an IKE proposal
// without PRF gets the PRFs of its integrity algorithms, KE_NONE is dropped
// from IKE, PRFs are dropped from ESP/AH, integrity algorithms are dropped when
// every cipher is an AEAD, AES-GMAC becomes an integrity algorithm in AH, and
// ESP/AH get NO_EXT_SEQ when no ESN keyword was given.
func ParseProposal(proto Protocol, s string) (*Proposal, error) {
	fail := func(format string, a ...any) (*Proposal, error) {
		return nil, &ProposalError{Proposal: s, Msg: fmt.Sprintf(format, a...)}
	}
	tokens := splitTokens(s)
	if len(tokens) == 0 {
		return fail("%v", ErrEmptyProposal)
	}
	p := &Proposal{Protocol: proto}
	for _, tok := range tokens {
		a, keyLength, ok := crypto.LookupKeyword(tok)
		if !ok {
			return fail("algorithm '%s' not recognized", tok)
		}
		p.Add(a.Type, a.ID, keyLength)
	}
	if err := p.check(); err != "" {
		return fail("%s", err)
	}
	return p, nil
}

// check applies proposal.c check_proposal; it returns charon's message for a
// proposal it rejects.
func (p *Proposal) check() string {
	var msg string
	switch p.Protocol {
	case ProtoIKE:
		if msg = p.checkIKE(); msg == "" {
			msg = p.checkEncryption()
		}
	case ProtoESP:
		p.Transforms = deleteType(p.Transforms, crypto.TransformPRF)
		msg = p.checkEncryption()
	default:
		p.Transforms = deleteType(p.Transforms, crypto.TransformPRF)
		msg = p.checkAH()
	}
	if msg != "" {
		return msg
	}
	if (p.Protocol == ProtoAH || p.Protocol == ProtoESP) && len(p.Algorithms(crypto.TransformExtendedSeqs)) == 0 {
		p.Add(crypto.TransformExtendedSeqs, uint16(crypto.NoExtSeq), 0)
	}
	return ""
}

// checkIKE: a PRF (derived from the integrity algorithms if none is given)
// and a key exchange method other than none are mandatory.
func (p *Proposal) checkIKE() string {
	if len(p.Algorithms(crypto.TransformPRF)) == 0 {
		for _, integ := range p.Algorithms(crypto.TransformIntegrity) {
			if prf, ok := crypto.IntegrityAlgorithm(integ.ID).PRF(); ok {
				p.Add(crypto.TransformPRF, uint16(prf), 0)
			}
		}
	}
	if len(p.Algorithms(crypto.TransformPRF)) == 0 {
		return "a PRF algorithm is mandatory in IKE proposals"
	}
	p.Transforms = slices.DeleteFunc(p.Transforms, func(t Transform) bool {
		return t.Type == crypto.TransformKeyExchange && t.ID == uint16(crypto.KENone)
	})
	if len(p.Algorithms(crypto.TransformKeyExchange)) == 0 {
		return "a DH group is mandatory in IKE proposals"
	}
	return ""
}

// checkEncryption (IKE and ESP): an encryption algorithm is mandatory,
// AEAD and classic ones do not mix, AEAD drops integrity, and IKE needs
// integrity with classic encryption.
func (p *Proposal) checkEncryption() string {
	encs := p.Algorithms(crypto.TransformEncryption)
	anyAEAD, allAEAD := false, true
	for _, e := range encs {
		if crypto.EncryptionAlgorithm(e.ID).IsAEAD() {
			anyAEAD = true
		} else {
			allAEAD = false
		}
	}
	switch {
	case len(encs) == 0:
		return fmt.Sprintf("an encryption algorithm is mandatory in %v proposals", p.Protocol)
	case anyAEAD && !allAEAD:
		return fmt.Sprintf("classic and combined-mode (AEAD) encryption algorithms can't be contained in the same %v proposal", p.Protocol)
	case allAEAD:
		p.Transforms = deleteType(p.Transforms, crypto.TransformIntegrity)
	case p.Protocol == ProtoIKE && len(p.Algorithms(crypto.TransformIntegrity)) == 0:
		return fmt.Sprintf("an integrity algorithm is mandatory in %v proposals with classic (non-AEAD) encryption algorithms", p.Protocol)
	}
	return ""
}

// ahGMAC maps AES-GMAC, written as a cipher, to the integrity algorithm
// it is in AH.
var ahGMAC = map[uint16]crypto.IntegrityAlgorithm{128: crypto.AuthAES128GMAC, 192: crypto.AuthAES192GMAC, 256: crypto.AuthAES256GMAC}

// checkAH: AES-GMAC becomes an integrity algorithm, every other cipher is
// dropped, and integrity is mandatory.
func (p *Proposal) checkAH() string {
	kept := p.Transforms[:0]
	for _, t := range p.Transforms {
		if t.Type == crypto.TransformEncryption {
			a, ok := ahGMAC[t.KeyLength]
			if t.ID != uint16(crypto.EncrNullAuthAESGMAC) || !ok {
				continue
			}
			t = Transform{Type: crypto.TransformIntegrity, ID: uint16(a)}
		}
		kept = append(kept, t)
	}
	p.Transforms = kept
	if len(p.Algorithms(crypto.TransformIntegrity)) == 0 {
		return "an integrity algorithm is mandatory in AH proposals"
	}
	return ""
}

func deleteType(ts []Transform, t crypto.TransformType) []Transform {
	out := ts[:0]
	for _, x := range ts {
		if x.Type != t {
			out = append(out, x)
		}
	}
	return out
}

// ParseProposals parses an ike=, esp= or ah= value as the stroke plugin does
// (stroke_config.c add_proposals): comma-separated proposals, each parsed by
// ParseProposal; a trailing '!' makes the list strict, otherwise strongSwan's
// default proposals for proto are appended. An empty value yields just the
// defaults. Any invalid proposal fails the whole value, as charon refuses to
// load such a connection.
func ParseProposals(proto Protocol, value string) ([]*Proposal, error) {
	var out []*Proposal
	if value != "" {
		strict := strings.HasSuffix(value, "!")
		value = strings.TrimSuffix(value, "!")
		for _, single := range strings.Split(value, ",") {
			p, err := ParseProposal(proto, single)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		if strict {
			return out, nil
		}
	}
	return append(out, DefaultProposals(proto)...), nil
}
