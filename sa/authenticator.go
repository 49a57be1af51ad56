package sa

import (
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// Authenticator builds or verifies the AUTH payload of one authentication
// round, authenticator_t. The implementations are in sa/authenticators.
type Authenticator interface {
	// Build adds our AUTH payload (or, for EAP, the next EAP payload).
	Build(m *encoding.Message) Status
	// Process verifies the peer's AUTH payload (or takes its EAP payload).
	Process(m *encoding.Message) Status
	// IsMutual reports whether the method authenticates both sides at
	// once, as EAP-only authentication (RFC 5998) requires.
	IsMutual() bool
	// Destroy releases what the authenticator holds (an EAP method in
	// progress); it is called once, when the round ends either way.
	Destroy()
}

// AuthInputs are what an AUTH payload signs (RFC 7296 §2.15): the
// IKE_SA_INIT messages and nonces of both sides.
type AuthInputs struct {
	MyInit, OtherInit   []byte
	MyNonce, OtherNonce []byte
}

// IDPayload rebuilds the ID payload of an identity, for AUTH computation
// and sending.
func IDPayload(id *credentials.Identity, responder bool) *encoding.ID {
	return &encoding.ID{Responder: responder, IDType: encoding.IDType(id.Type()), Data: id.Encoding()}
}
