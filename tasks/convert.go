package tasks

import (
	"encoding/binary"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/selectors"
)

// Conversions between the codec's payload structures and the config and
// selector types the tasks work with.

// toEncodingProposals turns proposals into SA payload proposals, numbered
// from 1 if their number is unset. Transforms go out grouped by type in
// charon's order: encryption, integrity, PRF, key exchange, ESN
// (proposal_substructure.c set_from_proposal_v2), which is not the order of
// the type numbers.
func toEncodingProposals(ps []*config.Proposal) []encoding.Proposal {
	out := make([]encoding.Proposal, 0, len(ps))
	for i, p := range ps {
		ep := encoding.Proposal{Number: p.Number, Protocol: encoding.ProtocolID(p.Protocol)}
		if ep.Number == 0 {
			ep.Number = uint8(i + 1)
		}
		switch p.Protocol {
		case config.ProtoIKE:
			if p.SPI != 0 {
				ep.SPI = binary.BigEndian.AppendUint64(nil, p.SPI)
			}
		case config.ProtoESP, config.ProtoAH:
			ep.SPI = binary.BigEndian.AppendUint32(nil, uint32(p.SPI))
		}
		for _, tt := range []crypto.TransformType{crypto.TransformEncryption, crypto.TransformIntegrity,
			crypto.TransformPRF, crypto.TransformKeyExchange, crypto.TransformExtendedSeqs} {
			for _, t := range p.Algorithms(tt) {
				et := encoding.Transform{Type: t.Type, ID: t.ID}
				if t.KeyLength != 0 {
					et.Attributes = []encoding.TransformAttribute{encoding.KeyLengthAttribute(t.KeyLength)}
				}
				ep.Transforms = append(ep.Transforms, et)
			}
		}
		out = append(out, ep)
	}
	return out
}

// fromEncodingProposals converts received proposals. Proposals of other
// protocols than want are skipped; transforms of unknown type are dropped
// (they cannot match anything).
func fromEncodingProposals(eps []encoding.Proposal) []*config.Proposal {
	var out []*config.Proposal
	for _, ep := range eps {
		p := &config.Proposal{Protocol: config.Protocol(ep.Protocol), Number: ep.Number}
		switch len(ep.SPI) {
		case 8:
			p.SPI = binary.BigEndian.Uint64(ep.SPI)
		case 4:
			p.SPI = uint64(binary.BigEndian.Uint32(ep.SPI))
		}
		for _, t := range ep.Transforms {
			kl, _ := t.KeyLength()
			p.Add(t.Type, t.ID, kl)
		}
		out = append(out, p)
	}
	return out
}

// saPayload builds an SA payload.
func saPayload(ps []*config.Proposal) *encoding.SA {
	return &encoding.SA{Proposals: toEncodingProposals(ps)}
}

// toEncodingTS converts traffic selectors for a TS payload.
func toEncodingTS(responder bool, ts []selectors.TS) *encoding.TS {
	p := &encoding.TS{Responder: responder}
	for _, t := range ts {
		p.Selectors = append(p.Selectors, encoding.AddressRange(t.Protocol(), t.FromPort(), t.ToPort(), t.From(), t.To()))
	}
	return p
}

// fromEncodingTS converts received selectors, skipping types we do not
// support (as charon does).
func fromEncodingTS(p *encoding.TS) []selectors.TS {
	var out []selectors.TS
	for _, s := range p.Selectors {
		if s.TSType != encoding.TSIPv4AddrRange && s.TSType != encoding.TSIPv6AddrRange {
			continue
		}
		t, err := selectors.FromRange(s.Start, s.End, s.Protocol, s.StartPort, s.EndPort)
		if err != nil {
			continue
		}
		out = append(out, t)
	}
	return out
}

// notifyError reports whether a notify type is an error (below 16384).
func notifyError(t encoding.NotifyType) bool { return t <= 16383 }

// addNotifyFlush replaces whatever other tasks put into a response with a
// single error notify, as charon's add_notify(message, TRUE, ...) does:
// the peer gets only the reason of the failure.
func addNotifyFlush(m *encoding.Message, t encoding.NotifyType, data []byte) {
	m.Payloads = nil
	m.AddNotify(t, data)
}
