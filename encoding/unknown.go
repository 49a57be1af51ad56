package encoding

// Unknown is a payload whose type an IKEv2 parser does not know (RFC 7296
// §2.5). It stays in the message, in order, so that the summary shows it as
// UNKN(type) the way charon logs it; tasks ignore it. A critical one makes
// Decode/Decrypt return an *UnsupportedCriticalPayloadError.
type Unknown struct {
	PayloadType PayloadType
	Critical    bool
	Data        []byte
}

func (p *Unknown) Type() PayloadType { return p.PayloadType }

func (p *Unknown) AppendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

func (p *Unknown) headerFlags() uint8 {
	if p.Critical {
		return 0x80
	}
	return 0
}
