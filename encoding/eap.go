package encoding

import (
	"encoding/binary"
	"strconv"
)

// EAP is an EAP payload (RFC 7296 §3.16); Data is the whole EAP packet
// (RFC 3748 §4), from the Code octet on.
type EAP struct {
	Data []byte
}

func (*EAP) Type() PayloadType { return PayloadEAP }

func (p *EAP) AppendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

// Code is the EAP code (0 if the packet is empty).
func (p *EAP) Code() EAPCode {
	if len(p.Data) == 0 {
		return 0
	}
	return EAPCode(p.Data[0])
}

// Identifier is the EAP identifier.
func (p *EAP) Identifier() uint8 {
	if len(p.Data) < 2 {
		return 0
	}
	return p.Data[1]
}

// Method returns the method type of a request or response and, for an
// expanded type (RFC 3748 §5.7), its vendor; 0 when there is none.
func (p *EAP) Method() (t EAPType, vendor uint32) {
	if len(p.Data) <= 4 {
		return 0, 0
	}
	t = EAPType(p.Data[4])
	if t != EAPExpanded {
		return t, 0
	}
	if len(p.Data) < 12 {
		return 0, 0
	}
	return EAPType(binary.BigEndian.Uint32(p.Data[8:])), binary.BigEndian.Uint32(p.Data[4:]) & 0xffffff
}

// summary is what charon's message summary prints after "EAP", e.g.
// "/REQ/ID", "/SUCC" or "/RES/254-MS" for a vendor type.
func (p *EAP) summary() string {
	s := "/" + p.Code().String()
	t, vendor := p.Method()
	switch {
	case t == 0:
	case vendor != 0:
		s += "/" + strconv.Itoa(int(int32(t))) + "-" + name(penShortNames, vendor, int(vendor))
	default:
		s += "/" + t.String()
	}
	return s
}

// decodeEAP makes the checks of charon's eap_payload verify().
func decodeEAP(body []byte) (*EAP, error) {
	if len(body) < 4 {
		return nil, errorf(ErrInvalid, PayloadEAP, "EAP payloads EAP message too short (%d)", len(body))
	}
	if n := int(binary.BigEndian.Uint16(body[2:])); n != len(body) {
		return nil, errorf(ErrInvalid, PayloadEAP, "EAP payload length (%d) does not match contained message length (%d)", len(body), n)
	}
	switch EAPCode(body[0]) {
	case EAPRequest, EAPResponse:
	case EAPSuccess, EAPFailure:
		if len(body) != 4 {
			return nil, errorf(ErrInvalid, PayloadEAP, "EAP Success/Failure has data")
		}
	default:
		return nil, errorf(ErrInvalid, PayloadEAP, "EAP code %d", body[0])
	}
	return &EAP{Data: clone(body)}, nil
}
