package encoding

import "encoding/binary"

// KE is a Key Exchange payload (RFC 7296 §3.4). Group is the raw IANA
// number of the key exchange method.
type KE struct {
	Group uint16
	Data  []byte
}

func (*KE) Type() PayloadType { return PayloadKE }

func (p *KE) AppendBody(b []byte) ([]byte, error) {
	b = appendUint16(b, p.Group)
	b = append(b, 0, 0)
	return append(b, p.Data...), nil
}

func decodeKE(body []byte) (*KE, error) {
	if len(body) < 4 {
		return nil, errorf(ErrMalformed, PayloadKE, "%d bytes, needs at least 4", len(body))
	}
	return &KE{Group: binary.BigEndian.Uint16(body), Data: clone(body[4:])}, nil
}
