package sa

import (
	"crypto/subtle"
	"fmt"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// Authenticator builds or verifies the AUTH payload of one authentication
// round, authenticator_t.
type Authenticator interface {
	// Build adds our AUTH payload.
	Build(m *encoding.Message) Status
	// Process verifies the peer's AUTH payload.
	Process(m *encoding.Message) Status
}

// AuthInputs are what an AUTH payload signs (RFC 7296 §2.15): the
// IKE_SA_INIT messages and nonces of both sides.
type AuthInputs struct {
	MyInit, OtherInit   []byte
	MyNonce, OtherNonce []byte
}

// NewAuthBuilder returns the authenticator that builds our AUTH for a
// round configured as cfg.
func NewAuthBuilder(ike *IKESA, cfg *config.AuthCfg, in AuthInputs) (Authenticator, error) {
	switch cfg.Class {
	case config.AuthClassPSK:
		return &pskAuth{ike: ike, init: in.MyInit, nonce: in.OtherNonce}, nil
	case config.AuthClassAny, config.AuthClassPubkey:
		return nil, fmt.Errorf("public key authentication is not supported yet")
	case config.AuthClassEAP:
		return nil, fmt.Errorf("EAP authentication is not supported yet")
	}
	return nil, fmt.Errorf("authentication class %s not supported", cfg.Class)
}

// NewAuthVerifier returns the authenticator that verifies the peer's AUTH
// payload in m.
func NewAuthVerifier(ike *IKESA, m *encoding.Message, in AuthInputs) (Authenticator, error) {
	a, _ := m.First(encoding.PayloadAUTH).(*encoding.Auth)
	if a == nil {
		return nil, fmt.Errorf("EAP authentication is not supported yet")
	}
	switch a.Method {
	case encoding.AuthPSK:
		return &pskAuth{ike: ike, init: in.OtherInit, nonce: in.MyNonce}, nil
	}
	return nil, fmt.Errorf("%s authentication is not supported yet", a.Method)
}

// pskAuth is psk_authenticator.c: the AUTH data is a MAC with the shared
// secret over the signed octets.
type pskAuth struct {
	ike   *IKESA
	init  []byte // the IKE_SA_INIT message of the side that signs
	nonce []byte // the other side's nonce
}

// IDPayload rebuilds the ID payload of an identity, for AUTH computation
// and sending.
func IDPayload(id *credentials.Identity, responder bool) *encoding.ID {
	return &encoding.ID{Responder: responder, IDType: encoding.IDType(id.Type()), Data: id.Encoding()}
}

func (p *pskAuth) Build(m *encoding.Message) Status {
	ike := p.ike
	me, other := ike.MyID(), ike.OtherID()
	ike.Log(bus.IKE, bus.Control, "authentication of '%s' (myself) with %s", me, encoding.AuthPSK)
	key, ok := ike.env.Creds.Shared(credentials.SharedIKE, me, other)
	if !ok {
		ike.Log(bus.IKE, bus.Control, "no shared key found for '%s' - '%s'", me, other)
		return NotFound
	}
	defer key.Wipe()
	auth, err := ike.keymat.PSKAuth(ike.Logger(), false, p.init, p.nonce, key.Secret, IDPayload(me, !ike.id.Initiator))
	if err != nil {
		ike.Log(bus.IKE, bus.Control, "building shared key MAC failed: %v", err)
		return Failed
	}
	ike.Log(bus.IKE, bus.Diag, "successfully created shared key MAC")
	m.Add(&encoding.Auth{Method: encoding.AuthPSK, Data: auth})
	return Success
}

func (p *pskAuth) Process(m *encoding.Message) Status {
	ike := p.ike
	a, _ := m.First(encoding.PayloadAUTH).(*encoding.Auth)
	if a == nil {
		return Failed
	}
	me, other := ike.MyID(), ike.OtherID()
	matches := ike.env.Creds.SharedKeys(credentials.SharedIKE, me, other)
	authenticated := false
	for _, km := range matches {
		want, err := ike.keymat.PSKAuth(ike.Logger(), true, p.init, p.nonce, km.Key.Secret, IDPayload(other, ike.id.Initiator))
		km.Key.Wipe()
		if err == nil && len(want) > 0 && subtle.ConstantTimeCompare(want, a.Data) == 1 {
			authenticated = true
		}
		if authenticated {
			break
		}
	}
	if !authenticated {
		if len(matches) == 0 {
			ike.Log(bus.IKE, bus.Control, "no shared key found for '%s' - '%s'", me, other)
			return NotFound
		}
		plural := "s"
		if len(matches) == 1 {
			plural = ""
		}
		ike.Log(bus.IKE, bus.Control, "tried %d shared key%s for '%s' - '%s', but MAC mismatched", len(matches), plural, me, other)
		return Failed
	}
	ike.Log(bus.IKE, bus.Control, "authentication of '%s' with %s successful", other, encoding.AuthPSK)
	return Success
}
