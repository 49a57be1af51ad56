package encoding

// Cert is a Certificate payload (RFC 7296 §3.6).
type Cert struct {
	Encoding CertEncoding
	Data     []byte
}

func (*Cert) Type() PayloadType { return PayloadCERT }

func (p *Cert) AppendBody(b []byte) ([]byte, error) {
	b = append(b, byte(p.Encoding))
	return append(b, p.Data...), nil
}

// HashAndURLValid reports whether a Hash and URL encoded certificate has a
// 20-byte hash followed by a printable URL, the coarse check charon makes
// before it ignores such a payload (the payload is not rejected either way).
func (p *Cert) HashAndURLValid() bool {
	if p.Encoding != CertX509HashAndURL && p.Encoding != CertX509HashAndURLBundle {
		return false
	}
	if len(p.Data) <= 20 {
		return false
	}
	for _, c := range p.Data[20:] {
		if c == 0 {
			return true
		}
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func decodeCert(body []byte) (*Cert, error) {
	if len(body) < 1 {
		return nil, errorf(ErrMalformed, PayloadCERT, "empty payload, needs the encoding")
	}
	return &Cert{Encoding: CertEncoding(body[0]), Data: clone(body[1:])}, nil
}
