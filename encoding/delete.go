package encoding

import (
	"encoding/binary"
	"math"
)

// Delete is a Delete payload (RFC 7296 §3.11). An IKE_SA delete has
// Protocol IKE and no SPIs; an AH or ESP delete lists 4-byte SPIs, each
// the SPI the sender expects on inbound packets.
type Delete struct {
	Protocol ProtocolID
	SPIs     []uint32
}

func (*Delete) Type() PayloadType { return PayloadDelete }

func (p *Delete) AppendBody(b []byte) ([]byte, error) {
	if len(p.SPIs) > math.MaxUint16 {
		return b, errorf(ErrEncode, PayloadDelete, "%d SPIs exceed the 16-bit count", len(p.SPIs))
	}
	size := byte(0)
	switch p.Protocol {
	case ProtocolAH, ProtocolESP:
		size = 4
	case ProtocolIKE, ProtocolNone:
		if len(p.SPIs) > 0 {
			return b, errorf(ErrEncode, PayloadDelete, "an IKE_SA delete carries no SPIs")
		}
	default:
		return b, errorf(ErrEncode, PayloadDelete, "protocol %v", p.Protocol)
	}
	b = append(b, byte(p.Protocol), size)
	b = appendUint16(b, uint16(len(p.SPIs)))
	for _, spi := range p.SPIs {
		b = appendUint32(b, spi)
	}
	return b, nil
}

// decodeDelete makes charon's delete_payload verify() checks: AH and ESP
// SPIs are 4 bytes, an IKE delete has none, other protocols are refused.
func decodeDelete(body []byte) (*Delete, error) {
	if len(body) < 4 {
		return nil, errorf(ErrMalformed, PayloadDelete, "%d bytes, needs at least 4", len(body))
	}
	p := &Delete{Protocol: ProtocolID(body[0])}
	size, count := int(body[1]), int(binary.BigEndian.Uint16(body[2:]))
	spis := body[4:]
	switch p.Protocol {
	case ProtocolAH, ProtocolESP:
		if size != 4 {
			return nil, errorf(ErrInvalid, PayloadDelete, "SPI size %d for %v", size, p.Protocol)
		}
	case ProtocolIKE, ProtocolNone:
		if size != 0 {
			return nil, errorf(ErrInvalid, PayloadDelete, "IKE delete with SPI size %d", size)
		}
	default:
		return nil, errorf(ErrInvalid, PayloadDelete, "protocol %v", p.Protocol)
	}
	if len(spis) != size*count {
		return nil, errorf(ErrInvalid, PayloadDelete, "%d SPIs of %d bytes announced, %d bytes present", count, size, len(spis))
	}
	for ; len(spis) >= 4; spis = spis[4:] {
		p.SPIs = append(p.SPIs, binary.BigEndian.Uint32(spis))
	}
	return p, nil
}
