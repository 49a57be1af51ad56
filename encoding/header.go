package encoding

import "encoding/binary"

// HeaderLen is the length of the IKE header (RFC 7296 §3.1).
const HeaderLen = 28

// Header flags (RFC 7296 §3.1).
const (
	FlagResponse  = 0x20
	FlagVersion   = 0x10
	FlagInitiator = 0x08
)

// Header is the fixed IKE header. The receiver reads it first (to find the
// IKE_SA by SPI, to answer an unsupported version) before the body is
// decoded.
type Header struct {
	SPIi, SPIr   uint64
	NextPayload  PayloadType
	MajorVersion uint8
	MinorVersion uint8
	Exchange     ExchangeType
	Flags        uint8
	MessageID    uint32
	Length       uint32
}

// Response and the other accessors read the flags.
func (h Header) Response() bool      { return h.Flags&FlagResponse != 0 }
func (h Header) Initiator() bool     { return h.Flags&FlagInitiator != 0 }
func (h Header) HigherVersion() bool { return h.Flags&FlagVersion != 0 }

// DecodeHeader parses the IKE header at the start of b and makes the checks
// of charon's ike_header verify(): the initiator SPI is not zero and the
// exchange type exists for a major version charon knows (1 or 2). Other
// major versions pass, so that the caller can answer them with
// INVALID_MAJOR_VERSION; Decode refuses everything but version 2.
func DecodeHeader(b []byte) (Header, error) {
	h, ok := ReadHeader(b)
	if ok {
		return h, nil
	}
	if len(b) < HeaderLen {
		return Header{}, errorf(ErrHeader, PayloadNone, "%d bytes, the IKE header needs %d", len(b), HeaderLen)
	}
	switch headerProblem(h) {
	case problemMessageID:
		return h, errorf(ErrHeader, PayloadNone, "%v with message ID %d", h.Exchange, h.MessageID)
	case problemExchange:
		return h, errorf(ErrHeader, PayloadNone, "exchange type %v in an IKEv%d header", h.Exchange, h.MajorVersion)
	}
	return h, errorf(ErrHeader, PayloadNone, "initiator SPI is zero")
}

// ReadHeader is DecodeHeader without the error's description: it reports
// whether the header passes, and allocates nothing, for a receiver that
// drops what does not (a flood of junk costs no garbage).
func ReadHeader(b []byte) (Header, bool) {
	if len(b) < HeaderLen {
		return Header{}, false
	}
	h := Header{
		SPIi:         binary.BigEndian.Uint64(b),
		SPIr:         binary.BigEndian.Uint64(b[8:]),
		NextPayload:  PayloadType(b[16]),
		MajorVersion: b[17] >> 4,
		MinorVersion: b[17] & 0x0f,
		Exchange:     ExchangeType(b[18]),
		Flags:        b[19],
		MessageID:    binary.BigEndian.Uint32(b[20:]),
		Length:       binary.BigEndian.Uint32(b[24:]),
	}
	return h, headerProblem(h) == problemNone
}

const (
	problemNone = iota
	problemMessageID
	problemExchange
	problemSPI
)

// headerProblem makes the checks of charon's ike_header verify(), whatever
// the major version: ID_PROT and AGGRESSIVE carry message ID 0; IKEv1's
// exchange types do not come with version 2, IKEv2's not with version 1,
// and unknown ones with neither (other versions pass, for the receiver to
// answer); the initiator SPI is not zero.
func headerProblem(h Header) int {
	switch {
	case (h.Exchange == 2 || h.Exchange == 4) && h.MessageID != 0:
		return problemMessageID
	case h.Exchange.IsIKEv1() && h.MajorVersion == 2,
		h.Exchange.isIKEv2() && h.MajorVersion == 1,
		!h.Exchange.IsIKEv1() && !h.Exchange.isIKEv2() && (h.MajorVersion == 1 || h.MajorVersion == 2):
		return problemExchange
	case h.SPIi == 0:
		return problemSPI
	}
	return problemNone
}

func appendHeader(b []byte, m *Message, next PayloadType, length int) []byte {
	b = binary.BigEndian.AppendUint64(b, m.SPIi)
	b = binary.BigEndian.AppendUint64(b, m.SPIr)
	var flags uint8
	if m.Response {
		flags |= FlagResponse
	}
	if m.HigherVersion {
		flags |= FlagVersion
	}
	if m.Initiator {
		flags |= FlagInitiator
	}
	major := m.MajorVersion
	if major == 0 {
		major = 2 // the zero Message is an IKEv2 message
	}
	b = append(b, byte(next), major<<4|m.MinorVersion&0x0f, byte(m.Exchange), flags)
	b = appendUint32(b, m.MessageID)
	return appendUint32(b, uint32(length))
}
