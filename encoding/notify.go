package encoding

import (
	"encoding/binary"
	"math"
	"slices"
)

// Notify is a Notify payload (RFC 7296 §3.10).
type Notify struct {
	Protocol   ProtocolID
	SPI        []byte
	NotifyType NotifyType
	Data       []byte
}

func (*Notify) Type() PayloadType { return PayloadNotify }

func (p *Notify) AppendBody(b []byte) ([]byte, error) {
	if len(p.SPI) > math.MaxUint8 {
		return b, errorf(ErrEncode, PayloadNotify, "SPI of %d bytes", len(p.SPI))
	}
	b = append(b, byte(p.Protocol), byte(len(p.SPI)))
	b = appendUint16(b, uint16(p.NotifyType))
	b = append(b, p.SPI...)
	return append(b, p.Data...), nil
}

// sha1Len is the length of NAT detection hashes and ME_CONNECTAUTH.
const sha1Len = 20

// decodeNotify parses a notify and makes the checks of charon's
// notify_payload verify(): the protocol must be known and some types have a
// fixed data length.
func decodeNotify(body []byte) (*Notify, error) {
	if len(body) < 4 {
		return nil, errorf(ErrMalformed, PayloadNotify, "%d bytes, needs at least 4", len(body))
	}
	spiLen := int(body[1])
	if 4+spiLen > len(body) {
		return nil, errorf(ErrMalformed, PayloadNotify, "SPI of %d bytes exceeds the payload", spiLen)
	}
	p := &Notify{
		Protocol:   ProtocolID(body[0]),
		NotifyType: NotifyType(binary.BigEndian.Uint16(body[2:])),
		SPI:        clone(body[4 : 4+spiLen]),
		Data:       clone(body[4+spiLen:]),
	}
	switch p.Protocol {
	case ProtocolNone, ProtocolIKE, ProtocolAH, ProtocolESP:
	default:
		return nil, errorf(ErrInvalid, PayloadNotify, "Unknown protocol (%d)", p.Protocol)
	}
	n := len(p.Data)
	bad := false
	switch p.NotifyType {
	case NotifyInvalidKEPayload:
		bad = n != 2
	case NotifyNATDetectionSourceIP, NotifyNATDetectionDestinationIP, NotifyMEConnectAuth:
		bad = n != sha1Len
	case NotifyInvalidSyntax, NotifyInvalidMajorVersion, NotifyNoProposalChosen:
		bad = n != 0
	case NotifyCookie:
		bad = n < 1 || n > 64
	case NotifyAdditionalIP4Address:
		bad = n != 4
	case NotifyAdditionalIP6Address:
		bad = n != 16
	case NotifySignatureHashAlgorithms:
		bad = n%2 != 0
	case NotifyAuthLifetime:
		bad = n != 4
	case NotifyIPCompSupported:
		bad = n != 3
	case NotifyMEEndpoint:
		bad = n != 8 && n != 12 && n != 24
	case NotifyMEConnectID:
		bad = n < 4 || n > 16
	case NotifyMEConnectKey:
		bad = n < 16 || n > 32
	case NotifyDPDRUThere, NotifyDPDRUThereAck:
		bad = n != 4
	}
	if bad {
		return nil, errorf(ErrInvalid, PayloadNotify, "invalid notify data length for %v (%d)", p.NotifyType, n)
	}
	return p, nil
}

// AppendNotifyAnswer appends the answer charon's receiver sends to a
// request outside of any IKE_SA (COOKIE, INVALID_MAJOR_VERSION): the
// request's SPIs, exchange and message ID with the response flag and the
// opposite role, and one notify of type t (protocol none) with data. It is
// what NewMessage, AddNotify and Encode make of that message, without
// their allocations: the receiver answers every request of a flood.
func AppendNotifyAnswer(b []byte, req Header, t NotifyType, data []byte) []byte {
	var flags uint8 = FlagResponse
	if !req.Initiator() {
		flags |= FlagInitiator
	}
	length := HeaderLen + genericHeaderLen + 4 + len(data)
	b = slices.Grow(b, length)
	b = binary.BigEndian.AppendUint64(b, req.SPIi)
	b = binary.BigEndian.AppendUint64(b, req.SPIr)
	b = append(b, byte(PayloadNotify), 2<<4, byte(req.Exchange), flags)
	b = binary.BigEndian.AppendUint32(b, req.MessageID)
	b = binary.BigEndian.AppendUint32(b, uint32(length))
	b = append(b, byte(PayloadNone), 0)
	b = binary.BigEndian.AppendUint16(b, uint16(genericHeaderLen+4+len(data)))
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(t))
	return append(b, data...)
}
