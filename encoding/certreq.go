package encoding

// CertReq is a Certificate Request payload (RFC 7296 §3.7). For X.509
// signature encoding, Data is a concatenation of 20-byte SHA-1 hashes of
// trusted CAs' public keys.
type CertReq struct {
	Encoding CertEncoding
	Data     []byte
}

func (*CertReq) Type() PayloadType { return PayloadCERTREQ }

func (p *CertReq) AppendBody(b []byte) ([]byte, error) {
	b = append(b, byte(p.Encoding))
	return append(b, p.Data...), nil
}

// KeyIDs splits the data of an X.509 signature request into its hashes.
func (p *CertReq) KeyIDs() [][]byte {
	var ids [][]byte
	for d := p.Data; len(d) >= 20; d = d[20:] {
		ids = append(ids, d[:20])
	}
	return ids
}

func decodeCertReq(body []byte) (*CertReq, error) {
	if len(body) < 1 {
		return nil, errorf(ErrMalformed, PayloadCERTREQ, "empty payload, needs the encoding")
	}
	p := &CertReq{Encoding: CertEncoding(body[0]), Data: clone(body[1:])}
	if p.Encoding == CertX509Signature && len(p.Data)%20 != 0 {
		return nil, errorf(ErrInvalid, PayloadCERTREQ, "invalid X509 hash length (%d) in certreq", len(p.Data))
	}
	return p, nil
}
