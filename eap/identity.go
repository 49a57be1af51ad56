package eap

import (
	"slices"

	"github.com/goswan/goswan/encoding"
)

// identity is eap-identity: the server asks for the peer's EAP identity,
// the peer answers with its own. It is no method of its own; the
// authenticator reads the answer as the "MSK" and moves on to the real
// method.
type identity struct {
	ctx      *Context
	server   bool
	id       uint8
	received []byte
}

// NewIdentityServer creates the server side.
func NewIdentityServer(ctx *Context) Method { return &identity{ctx: ctx, server: true} }

// NewIdentityPeer creates the peer side.
func NewIdentityPeer(ctx *Context) Method { return &identity{ctx: ctx} }

func (m *identity) Initiate() ([]byte, Status) {
	if !m.server {
		return nil, Failed
	}
	return build(encoding.EAPRequest, m.id, TypeIdentity), NeedMore
}

func (m *identity) Process(in []byte) ([]byte, Status) {
	if m.server {
		if len(in) > header {
			m.received = slices.Clone(in[header:])
		}
		return nil, Success
	}
	m.id = Identifier(in)
	return build(encoding.EAPResponse, m.id, TypeIdentity, m.ctx.Peer.Encoding()), Success
}

func (m *identity) Type() (uint32, uint32) { return TypeIdentity, 0 }

// MSK is the identity received, which the authenticator asks for this way.
func (m *identity) MSK() ([]byte, Status) {
	if m.received != nil {
		return m.received, Success
	}
	return nil, Failed
}

func (m *identity) Identifier() uint8      { return m.id }
func (m *identity) SetIdentifier(id uint8) { m.id = id }
func (m *identity) IsMutual() bool         { return false }
func (m *identity) Destroy()               {}
