package encoding

import (
	"encoding/binary"
	"math"
)

// SA is a Security Association payload (RFC 7296 §3.3): the proposals in
// order of preference.
type SA struct {
	Proposals []Proposal
}

// Proposal is one proposal substructure (RFC 7296 §3.3.1).
type Proposal struct {
	// Number is the proposal number; proposals with the same number are
	// alternatives ANDed together (AH+ESP), numbers start at 1.
	Number   uint8
	Protocol ProtocolID
	// SPI is empty in an IKE_SA_INIT proposal, 8 bytes in an IKE rekey,
	// 4 bytes for AH and ESP.
	SPI        []byte
	Transforms []Transform
}

// Transform is one transform substructure (RFC 7296 §3.3.2). ID is the raw
// IANA transform ID of Type; package crypto's algorithm table names it.
type Transform struct {
	Type       TransformType
	ID         uint16
	Attributes []TransformAttribute
}

// TransformAttribute is a transform attribute (RFC 7296 §3.3.5). In TV
// format (the AF bit set) the value is the 16-bit Value; in TLV format it is
// Data.
type TransformAttribute struct {
	Type  uint16 // 15 bits
	TV    bool
	Value uint16
	Data  []byte
}

// KeyLength returns the value of the Key Length attribute, if the transform
// has one in TV format.
func (t Transform) KeyLength() (uint16, bool) {
	for _, a := range t.Attributes {
		if a.Type == AttributeKeyLength && a.TV {
			return a.Value, true
		}
	}
	return 0, false
}

// KeyLengthAttribute builds the Key Length attribute for bits.
func KeyLengthAttribute(bits uint16) TransformAttribute {
	return TransformAttribute{Type: AttributeKeyLength, TV: true, Value: bits}
}

func (*SA) Type() PayloadType { return PayloadSA }

// Substructure "last" markers (RFC 7296 §3.3.1, §3.3.2).
const (
	moreProposals  = 2
	moreTransforms = 3
)

func (p *SA) AppendBody(b []byte) ([]byte, error) {
	for i, prop := range p.Proposals {
		last := byte(0)
		if i < len(p.Proposals)-1 {
			last = moreProposals
		}
		if len(prop.SPI) > math.MaxUint8 || len(prop.Transforms) > math.MaxUint8 {
			return b, errorf(ErrEncode, PayloadSA, "proposal %d: SPI or transform count too large", prop.Number)
		}
		start := len(b)
		b = append(b, last, 0, 0, 0, prop.Number, byte(prop.Protocol), byte(len(prop.SPI)), byte(len(prop.Transforms)))
		b = append(b, prop.SPI...)
		for j, t := range prop.Transforms {
			last := byte(0)
			if j < len(prop.Transforms)-1 {
				last = moreTransforms
			}
			if t.Type > 0xff {
				return b, errorf(ErrEncode, PayloadSA, "transform type %d exceeds 8 bits", t.Type)
			}
			tstart := len(b)
			b = append(b, last, 0, 0, 0, byte(t.Type), 0)
			b = appendUint16(b, t.ID)
			for _, a := range t.Attributes {
				if a.Type > 0x7fff {
					return b, errorf(ErrEncode, PayloadSA, "attribute type %d exceeds 15 bits", a.Type)
				}
				if a.TV {
					b = appendUint16(b, 0x8000|a.Type)
					b = appendUint16(b, a.Value)
					continue
				}
				if len(a.Data) > math.MaxUint16 {
					return b, errorf(ErrEncode, PayloadSA, "attribute %d too long", a.Type)
				}
				b = appendUint16(b, a.Type)
				b = appendUint16(b, uint16(len(a.Data)))
				b = append(b, a.Data...)
			}
			if n := len(b) - tstart; n > math.MaxUint16 {
				return b, errorf(ErrEncode, PayloadSA, "transform too long")
			}
			binary.BigEndian.PutUint16(b[tstart+2:], uint16(len(b)-tstart))
		}
		if n := len(b) - start; n > math.MaxUint16 {
			return b, errorf(ErrEncode, PayloadSA, "proposal too long")
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	}
	return b, nil
}

// decodeSA parses the proposal list with strict nesting: every substructure
// must fit inside its parent and the children must fill it exactly. It then
// makes the checks of charon's sa_payload/proposal/transform verify().
func decodeSA(body []byte) (*SA, error) {
	sa := &SA{}
	expected := uint8(1)
	for len(body) > 0 {
		if len(body) < 8 {
			return nil, errorf(ErrMalformed, PayloadSA, "%d bytes left, proposal header needs 8", len(body))
		}
		last := body[0]
		n := int(binary.BigEndian.Uint16(body[2:]))
		if n < 8 || n > len(body) {
			return nil, errorf(ErrMalformed, PayloadSA, "proposal length %d invalid (%d bytes left)", n, len(body))
		}
		pb := body[:n]
		body = body[n:]
		prop := Proposal{Number: pb[4], Protocol: ProtocolID(pb[5])}
		spiLen, count := int(pb[6]), int(pb[7])
		if 8+spiLen > n {
			return nil, errorf(ErrMalformed, PayloadSA, "proposal %d: SPI of %d bytes exceeds the proposal", prop.Number, spiLen)
		}
		prop.SPI = clone(pb[8 : 8+spiLen])
		ts, err := decodeTransforms(pb[8+spiLen:])
		if err != nil {
			return nil, err
		}
		prop.Transforms = ts
		// verification (charon: sa_payload.c, proposal_substructure.c)
		if prop.Number < expected {
			return nil, errorf(ErrInvalid, PayloadSA, "proposal number smaller than previous")
		}
		expected = prop.Number
		if last != 0 && last != moreProposals {
			return nil, errorf(ErrInvalid, PayloadSA, "inconsistent next payload (%d) in proposal", last)
		}
		if count != len(ts) {
			return nil, errorf(ErrInvalid, PayloadSA, "transform count invalid (%d announced, %d present)", count, len(ts))
		}
		if err := checkProposalSPI(prop.Protocol, spiLen); err != nil {
			return nil, err
		}
		sa.Proposals = append(sa.Proposals, prop)
	}
	return sa, nil
}

func checkProposalSPI(p ProtocolID, n int) error {
	ok := true
	switch p {
	case ProtocolIPComp:
		ok = n == 2 || n == 4
	case ProtocolAH, ProtocolESP:
		ok = n == 4
	case ProtocolIKE:
		ok = n == 0 || n == 8
	}
	if !ok {
		return errorf(ErrInvalid, PayloadSA, "invalid SPI length (%d) in %v proposal", n, p)
	}
	return nil
}

func decodeTransforms(b []byte) ([]Transform, error) {
	var ts []Transform
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errorf(ErrMalformed, PayloadSA, "%d bytes left, transform header needs 8", len(b))
		}
		last := b[0]
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < 8 || n > len(b) {
			return nil, errorf(ErrMalformed, PayloadSA, "transform length %d invalid (%d bytes left)", n, len(b))
		}
		if last != 0 && last != moreTransforms {
			return nil, errorf(ErrInvalid, PayloadSA, "inconsistent next payload (%d) in transform", last)
		}
		t := Transform{Type: TransformType(b[4]), ID: binary.BigEndian.Uint16(b[6:])}
		attrs, err := decodeTransformAttributes(b[8:n])
		if err != nil {
			return nil, err
		}
		t.Attributes = attrs
		ts = append(ts, t)
		b = b[n:]
	}
	return ts, nil
}

func decodeTransformAttributes(b []byte) ([]TransformAttribute, error) {
	var attrs []TransformAttribute
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errorf(ErrMalformed, PayloadSA, "%d bytes left, transform attribute needs 4", len(b))
		}
		v := binary.BigEndian.Uint16(b)
		a := TransformAttribute{Type: v & 0x7fff, TV: v&0x8000 != 0}
		lv := binary.BigEndian.Uint16(b[2:])
		if a.TV {
			a.Value = lv
			b = b[4:]
		} else {
			if 4+int(lv) > len(b) {
				return nil, errorf(ErrMalformed, PayloadSA, "transform attribute length %d exceeds the %d bytes left", lv, len(b)-4)
			}
			a.Data = clone(b[4 : 4+int(lv)])
			b = b[4+int(lv):]
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}
