package encoding

import "fmt"

// Gateway identity types of REDIRECT, REDIRECTED_FROM notifies (RFC 5685
// §10).
const (
	GatewayIPv4 uint8 = 1
	GatewayIPv6 uint8 = 2
	GatewayFQDN uint8 = 3
)

// RedirectData is the data of a REDIRECT or REDIRECTED_FROM notify: the
// new gateway's identity and, in IKE_SA_INIT, the initiator's nonce
// (redirect_manager.c's redirect_data_create and _parse).
type RedirectData struct {
	GatewayType uint8
	Gateway     []byte
	Nonce       []byte
}

// Encode returns the notify data.
func (r RedirectData) Encode() ([]byte, error) {
	if len(r.Gateway) > 255 {
		return nil, fmt.Errorf("gateway identity of %d bytes", len(r.Gateway))
	}
	b := make([]byte, 0, 2+len(r.Gateway)+len(r.Nonce))
	b = append(b, r.GatewayType, byte(len(r.Gateway)))
	b = append(b, r.Gateway...)
	return append(b, r.Nonce...), nil
}

// ParseRedirectData reads notify data; the error says what charon logs
// ("invalid REDIRECT notify data", "invalid gateway ID type (N) in
// REDIRECT notify"). Whatever follows the identity is the nonce.
func ParseRedirectData(b []byte) (RedirectData, error) {
	if len(b) < 2 || len(b) < 2+int(b[1]) {
		return RedirectData{}, fmt.Errorf("invalid REDIRECT notify data")
	}
	r := RedirectData{GatewayType: b[0], Gateway: clone(b[2 : 2+int(b[1])]), Nonce: clone(b[2+int(b[1]):])}
	switch r.GatewayType {
	case GatewayIPv4, GatewayIPv6, GatewayFQDN:
	default:
		return RedirectData{}, fmt.Errorf("invalid gateway ID type (%d) in REDIRECT notify", r.GatewayType)
	}
	return r, nil
}
