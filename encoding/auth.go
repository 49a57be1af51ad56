package encoding

// Auth is an Authentication payload (RFC 7296 §3.8).
type Auth struct {
	Method AuthMethod
	Data   []byte
}

func (*Auth) Type() PayloadType { return PayloadAUTH }

func (p *Auth) AppendBody(b []byte) ([]byte, error) {
	b = append(b, byte(p.Method), 0, 0, 0)
	return append(b, p.Data...), nil
}

func decodeAuth(body []byte) (*Auth, error) {
	if len(body) < 4 {
		return nil, errorf(ErrMalformed, PayloadAUTH, "%d bytes, needs at least 4", len(body))
	}
	return &Auth{Method: AuthMethod(body[0]), Data: clone(body[4:])}, nil
}
