// Package authenticators builds and verifies AUTH payloads, one type per
// method as charon's sa/ikev2/authenticators: pre-shared keys (psk.go),
// public key signatures, RFC 7427 digital signatures and the classic RSA
// and ECDSA methods (pubkey.go), and EAP (eap.go).
package authenticators

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// NewBuilder returns the authenticator that builds our AUTH payload for a
// round configured as cfg (authenticator_create_builder): public key for
// the pubkey class and for "any", PSK for psk, an EAP client for eap. It
// returns nil, with the reason logged, for classes goswan cannot build.
func NewBuilder(ike *sa.IKESA, cfg *config.AuthCfg, in sa.AuthInputs) sa.Authenticator {
	switch cfg.Class {
	case config.AuthClassPSK:
		return &psk{ike: ike, init: in.MyInit, nonce: in.OtherNonce}
	case config.AuthClassAny, config.AuthClassPubkey:
		return &pubkey{ike: ike, init: in.MyInit, nonce: in.OtherNonce}
	case config.AuthClassEAP:
		return &eapAuth{ike: ike, in: in}
	}
	ike.Log(bus.IKE, bus.Control, "authentication class %s not supported", cfg.Class)
	return nil
}

// NewVerifier returns the authenticator that verifies the peer's AUTH
// payload in m, chosen by its method (authenticator_create_verifier): a
// message without AUTH starts EAP, with us as the server; nil for methods
// charon does not verify.
func NewVerifier(ike *sa.IKESA, m *encoding.Message, in sa.AuthInputs) sa.Authenticator {
	a, _ := m.First(encoding.PayloadAUTH).(*encoding.Auth)
	if a == nil {
		return &eapAuth{ike: ike, in: in, server: true}
	}
	switch a.Method {
	case encoding.AuthPSK:
		return &psk{ike: ike, init: in.OtherInit, nonce: in.MyNonce}
	case encoding.AuthRSA, encoding.AuthECDSA256, encoding.AuthECDSA384, encoding.AuthECDSA521, encoding.AuthDS:
		return &pubkey{ike: ike, init: in.OtherInit, nonce: in.MyNonce}
	}
	ike.Log(bus.IKE, bus.Control, "%s authentication is not supported", a.Method)
	return nil
}
