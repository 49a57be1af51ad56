package encoding

// Nonce is a Nonce payload, Ni or Nr (RFC 7296 §3.9).
type Nonce struct {
	Data []byte
}

// Nonce lengths charon accepts: RFC 7296 §3.9 asks for 16 to 256 octets.
const (
	MinNonceLen = 16
	MaxNonceLen = 256
)

func (*Nonce) Type() PayloadType { return PayloadNonce }

func (p *Nonce) AppendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

func decodeNonce(body []byte) (*Nonce, error) {
	if len(body) < MinNonceLen || len(body) > MaxNonceLen {
		return nil, errorf(ErrInvalid, PayloadNonce, "NONCE payload has invalid length (%d bytes)", len(body))
	}
	return &Nonce{Data: clone(body)}, nil
}
