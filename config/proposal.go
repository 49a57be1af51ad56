package config

import (
	"slices"
	"strconv"
	"strings"

	"github.com/goswan/goswan/crypto"
)

// Protocol is the protocol a proposal negotiates (RFC 7296 §3.3.1). Its
// String form is strongSwan's protocol_id_names.
type Protocol uint8

// Protocols.
const (
	ProtoIKE Protocol = 1
	ProtoAH  Protocol = 2
	ProtoESP Protocol = 3
)

func (p Protocol) String() string {
	switch p {
	case ProtoIKE:
		return "IKE"
	case ProtoAH:
		return "AH"
	case ProtoESP:
		return "ESP"
	case 0:
		return "PROTO_NONE"
	case 4:
		return "IPCOMP"
	}
	return "(" + strconv.Itoa(int(p)) + ")"
}

// Transform is one algorithm of a proposal: its type, IANA id and, for
// variable-length ciphers, the key length in bits (0 when absent).
type Transform struct {
	Type      crypto.TransformType
	ID        uint16
	KeyLength uint16
}

// Proposal is an ordered set of transforms for one protocol, with the
// proposal number and SPI the SA payload carries. The transform order is the
// preference order within each type.
type Proposal struct {
	Protocol   Protocol
	Number     uint8
	SPI        uint64
	Transforms []Transform
}

// Add appends a transform.
func (p *Proposal) Add(t crypto.TransformType, id uint16, keyLength uint16) {
	p.Transforms = append(p.Transforms, Transform{Type: t, ID: id, KeyLength: keyLength})
}

// Clone returns a deep copy.
func (p *Proposal) Clone() *Proposal {
	c := *p
	c.Transforms = slices.Clone(p.Transforms)
	return &c
}

// Algorithms returns the transforms of type t, in order.
func (p *Proposal) Algorithms(t crypto.TransformType) []Transform {
	var out []Transform
	for _, tr := range p.Transforms {
		if tr.Type == t {
			out = append(out, tr)
		}
	}
	return out
}

// Algorithm returns the first transform of type t.
func (p *Proposal) Algorithm(t crypto.TransformType) (Transform, bool) {
	for _, tr := range p.Transforms {
		if tr.Type == t {
			return tr, true
		}
	}
	return Transform{}, false
}

// HasKE reports whether the proposal offers a real key exchange method
// (KE_NONE does not count): a CHILD_SA proposal with one wants PFS.
func (p *Proposal) HasKE() bool {
	for _, tr := range p.Algorithms(crypto.TransformKeyExchange) {
		if tr.ID != uint16(crypto.KENone) {
			return true
		}
	}
	return false
}

// WithoutKE returns a copy without key exchange transforms, as charon sends
// ESP proposals in IKE_AUTH (child_cfg get_proposals with strip_ke).
func (p *Proposal) WithoutKE() *Proposal {
	c := p.Clone()
	c.Transforms = slices.DeleteFunc(c.Transforms, func(t Transform) bool { return t.Type == crypto.TransformKeyExchange })
	return c
}

// PromoteKE moves key exchange method m to the front of the proposal's KE
// transforms (proposal.c promote_transform), as charon does with the group a
// peer asked for in INVALID_KE_PAYLOAD or the one it already uses when
// rekeying. It reports whether m was present.
func (p *Proposal) PromoteKE(m crypto.KeyExchangeMethod) bool {
	found := false
	p.Transforms = slices.DeleteFunc(p.Transforms, func(t Transform) bool {
		if t.Type == crypto.TransformKeyExchange && t.ID == uint16(m) {
			found = true
			return true
		}
		return false
	})
	if found {
		p.Transforms = slices.Insert(p.Transforms, 0, Transform{Type: crypto.TransformKeyExchange, ID: uint16(m)})
	}
	return found
}

// types lists the transform types present, in strongSwan's print and
// selection order: encryption, integrity, PRF, key exchange, ESN (proposal.c
// type_for_sort swaps PRF and integrity to keep the traditional order).
func (p *Proposal) types() []crypto.TransformType {
	var out []crypto.TransformType
	for _, t := range typeOrder {
		for _, tr := range p.Transforms {
			if tr.Type == t {
				out = append(out, t)
				break
			}
		}
	}
	// Unknown types follow, in numeric order.
	var extra []crypto.TransformType
	for _, tr := range p.Transforms {
		if !slices.Contains(typeOrder, tr.Type) && !slices.Contains(extra, tr.Type) {
			extra = append(extra, tr.Type)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

var typeOrder = []crypto.TransformType{
	crypto.TransformEncryption, crypto.TransformIntegrity, crypto.TransformPRF,
	crypto.TransformKeyExchange, crypto.TransformExtendedSeqs,
}

// String prints the proposal as charon's %P printf hook does, e.g.
// IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519 or
// ESP:AES_GCM_16_128/NO_EXT_SEQ.
func (p *Proposal) String() string {
	if p == nil {
		return "(null)"
	}
	var b strings.Builder
	b.WriteString(p.Protocol.String())
	b.WriteByte(':')
	first := true
	for _, t := range p.types() {
		for _, tr := range p.Transforms {
			if tr.Type != t {
				continue
			}
			if !first {
				b.WriteByte('/')
			}
			first = false
			if name, ok := crypto.TransformName(tr.Type, tr.ID); ok {
				b.WriteString(name)
			} else {
				b.WriteString("UNKNOWN_" + strconv.Itoa(int(tr.Type)) + "_" + strconv.Itoa(int(tr.ID)))
			}
			if tr.KeyLength != 0 {
				b.WriteString("_" + strconv.Itoa(int(tr.KeyLength)))
			}
		}
	}
	return b.String()
}

// FormatProposals prints a list as charon's %#P does: the proposals joined by
// ", " (the form of "received proposals:" and "configured proposals:").
func FormatProposals(ps []*Proposal) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// Equal reports whether two proposals offer the same algorithms in the same
// order for every transform type (proposal.c equals; protocol, number and SPI
// are not compared).
func (p *Proposal) Equal(o *Proposal) bool {
	for _, t := range mergeTypes(p, o) {
		if !slices.Equal(p.Algorithms(t), o.Algorithms(t)) {
			return false
		}
	}
	return true
}
