package eap

import (
	"crypto/md5"
	"crypto/subtle"
	"io"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// md5Method is eap-md5 (RFC 3748 §5.4): the server sends a random
// challenge, the peer answers MD5(identifier | secret | challenge). It
// authenticates the peer only and derives no MSK.
type md5Method struct {
	ctx       *Context
	server    bool
	id        uint8
	challenge []byte
}

const md5ChallengeLen = 16

// NewMD5Server creates the server side, with a non-zero identifier.
func NewMD5Server(ctx *Context) Method {
	return &md5Method{ctx: ctx, server: true, id: randomID(ctx.Env.Rand)}
}

// NewMD5Peer creates the peer side.
func NewMD5Peer(ctx *Context) Method { return &md5Method{ctx: ctx} }

// hash computes the response with the EAP secret shared by me and other.
func (m *md5Method) hash(me, other *credentials.Identity) ([]byte, Status) {
	key, ok := m.ctx.Env.Creds.Shared(credentials.SharedEAP, me, other)
	if !ok {
		m.ctx.logf(bus.IKE, bus.Control, "no EAP key found for hosts '%s' - '%s'", me, other)
		return nil, NotFound
	}
	defer key.Wipe()
	h := md5.New()
	h.Write([]byte{m.id})
	h.Write(key.Secret)
	h.Write(m.challenge)
	return h.Sum(nil), Success
}

func (m *md5Method) Initiate() ([]byte, Status) {
	if !m.server {
		return nil, Failed
	}
	m.challenge = make([]byte, md5ChallengeLen)
	if _, err := io.ReadFull(m.ctx.Env.Rand, m.challenge); err != nil {
		return nil, Failed
	}
	return build(encoding.EAPRequest, m.id, TypeMD5, []byte{md5ChallengeLen}, m.challenge), NeedMore
}

// value returns the Value field of a request or response, or false for
// a packet too short for the Value-Size it announces.
func md5Value(in []byte) ([]byte, bool) {
	if len(in) < 6 || int(in[5])+6 > len(in) {
		return nil, false
	}
	return in[6 : 6+int(in[5])], true
}

func (m *md5Method) Process(in []byte) ([]byte, Status) {
	if m.server {
		return m.processServer(in)
	}
	m.id = Identifier(in)
	v, ok := md5Value(in)
	if !ok {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MD5 message")
		return nil, Failed
	}
	m.challenge = slices.Clone(v)
	resp, st := m.hash(m.ctx.Peer, m.ctx.Server)
	if st != Success {
		return nil, Failed
	}
	return build(encoding.EAPResponse, m.id, TypeMD5, []byte{byte(len(resp))}, resp), NeedMore
}

func (m *md5Method) processServer(in []byte) ([]byte, Status) {
	v, ok := md5Value(in)
	if !ok || Identifier(in) != m.id {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MD5 message")
		return nil, Failed
	}
	want, st := m.hash(m.ctx.Server, m.ctx.Peer)
	if st != Success {
		return nil, Failed
	}
	if len(v) < len(want) || subtle.ConstantTimeCompare(v[:len(want)], want) != 1 {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MD5 verification failed")
		return nil, Failed
	}
	return nil, Success
}

func (m *md5Method) Type() (uint32, uint32) { return TypeMD5, 0 }
func (m *md5Method) MSK() ([]byte, Status)  { return nil, NotSupported }
func (m *md5Method) Identifier() uint8      { return m.id }
func (m *md5Method) SetIdentifier(id uint8) { m.id = id }
func (m *md5Method) IsMutual() bool         { return false }
func (m *md5Method) Destroy()               {}
