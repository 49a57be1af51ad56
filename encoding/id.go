package encoding

// ID is an Identification payload, IDi or IDr (RFC 7296 §3.5). Data is the
// identity in the encoding of Type (an address, an FQDN, a DER DN, ...);
// package credentials interprets it.
type ID struct {
	// Responder selects IDr; an ID with Responder false is IDi.
	Responder bool
	IDType    IDType
	Data      []byte
}

func (p *ID) Type() PayloadType {
	if p.Responder {
		return PayloadIDr
	}
	return PayloadIDi
}

func (p *ID) AppendBody(b []byte) ([]byte, error) {
	b = append(b, byte(p.IDType), 0, 0, 0)
	return append(b, p.Data...), nil
}

func decodeID(body []byte, responder bool) (*ID, error) {
	pt := PayloadIDi
	if responder {
		pt = PayloadIDr
	}
	if len(body) < 4 {
		return nil, errorf(ErrMalformed, pt, "%d bytes, needs at least 4", len(body))
	}
	p := &ID{Responder: responder, IDType: IDType(body[0]), Data: clone(body[4:])}
	// charon's id_payload verify(): ranges and subnets are two addresses
	want := 0
	switch p.IDType {
	case IDIPv4AddrRange, IDIPv4AddrSubnet:
		want = 8
	case IDIPv6AddrRange, IDIPv6AddrSubnet:
		want = 32
	}
	if want != 0 && len(p.Data) != want {
		return nil, errorf(ErrInvalid, pt, "invalid %v length (%d bytes)", p.IDType, len(p.Data))
	}
	return p, nil
}
