package eap

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// EAP-TLS flags (RFC 5216 §3.1).
const (
	tlsFlagLength = 0x80
	tlsFlagMore   = 0x40
	tlsFlagStart  = 0x20
	// tlsHeader is an EAP-TLS packet's header with its flags.
	tlsHeader = 6
	// tlsMaxMessage bounds the TLS message length a peer announces
	// (tls_eap.c's TLS_MAX_MESSAGE_LEN).
	tlsMaxMessage = 4 * (16384 + 2048)
)

// tlsMethod is eap-tls (RFC 5216) over tls_eap.c's framing: the TLS
// handshake in EAP-TLS packets of at most fragment_size octets, each
// fragment acknowledged by an empty packet, the first with the message
// length (and every unfragmented one too with include_length). TLS is
// crypto/tls, fed through a tlsPipe; certificates and their trust come
// from the credential manager, so that the peer's chain is checked (and
// logged) as for IKE. The MSK is RFC 5216's (TLS 1.2 and before) or RFC
// 9190's (TLS 1.3) exporter output.
type tlsMethod struct {
	ctx    *Context
	server bool
	id     uint8
	set    TLSSettings

	pipe *tlsPipe
	conn *tls.Conn
	// pending is the engine's output not yet sent; first says the next
	// packet starts a message.
	pending   []byte
	first     bool
	processed int
	auth      *Auth
}

// NewTLSServer creates the server side, with a non-zero identifier.
func NewTLSServer(ctx *Context) Method {
	return &tlsMethod{ctx: ctx, server: true, id: randomID(ctx.Env.Rand), set: ctx.Env.TLS, first: true}
}

// NewTLSPeer creates the peer side.
func NewTLSPeer(ctx *Context) Method { return &tlsMethod{ctx: ctx, set: ctx.Env.TLS, first: true} }

func (m *tlsMethod) Initiate() ([]byte, Status) {
	if !m.server {
		return nil, Failed
	}
	m.ctx.logf(bus.TLS, bus.Diag, "sending EAP_TLS start packet (%d bytes)", tlsHeader)
	return []byte{byte(encoding.EAPRequest), m.id, 0, tlsHeader, byte(TypeTLS), tlsFlagStart}, NeedMore
}

// start runs the handshake and returns the engine's first output (the
// client's ClientHello; nothing from a server).
func (m *tlsMethod) start() []byte {
	m.pipe = newTLSPipe()
	cfg := &tls.Config{
		Rand:                   m.ctx.Env.Rand,
		Time:                   m.ctx.Env.Now,
		MinVersion:             m.set.MinVersion,
		MaxVersion:             m.set.MaxVersion,
		SessionTicketsDisabled: true,
		// The peer's chain is checked in verify, by the credential
		// manager, against the identity the conversation expects.
		InsecureSkipVerify:    true,
		VerifyPeerCertificate: m.verify,
		VerifyConnection: func(cs tls.ConnectionState) error {
			m.ctx.logf(bus.TLS, bus.Control, "negotiated %s using suite %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
			return nil
		},
	}
	if m.server {
		cfg.ClientAuth = tls.RequireAnyClientCert
		// The certificate request names our trusted CAs, as charon's
		// does; verify checks the chain.
		if certs := m.ctx.Env.Certs; certs != nil {
			cfg.ClientCAs = x509.NewCertPool()
			for _, ca := range certs.TrustedCACerts() {
				cfg.ClientCAs.AddCert(ca.X509())
			}
		}
		cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return m.ownCert() }
		m.conn = tls.Server(m.pipe, cfg)
	} else {
		cfg.GetClientCertificate = func(r *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			m.logCertRequest(r.AcceptableCAs)
			return m.ownCert()
		}
		m.conn = tls.Client(m.pipe, cfg)
	}
	go func() { m.pipe.finish(m.conn.Handshake()) }()
	return m.pipe.feed(nil)
}

// side names our end of the TLS connection, and the other's.
func (m *tlsMethod) side() (me, other string) {
	if m.server {
		return "server", "peer"
	}
	return "client", "server"
}

var errNoCert = errors.New("no certificate")

// ownCert is our certificate (with its chain) and key for our identity;
// a client without one sends none.
func (m *tlsMethod) ownCert() (*tls.Certificate, error) {
	me, _ := m.side()
	id := m.ctx.Peer
	if m.server {
		id = m.ctx.Server
	}
	certs := m.ctx.Env.Certs
	var rules credentials.AuthRules
	var key *credentials.PrivateKey
	if certs != nil {
		key = certs.GetPrivate(credentials.KeyAny, id, &rules, m.ctx.CredLog)
	}
	if key == nil || len(rules.SubjectCerts) == 0 {
		if m.server {
			m.ctx.logf(bus.TLS, bus.Control, "no usable TLS server certificate found for '%s'", id)
			return nil, errNoCert
		}
		m.ctx.logf(bus.TLS, bus.Control, "no usable TLS client certificate found for '%s'", id)
		return &tls.Certificate{}, nil
	}
	c := rules.SubjectCerts[0]
	if m.server {
		m.ctx.logf(bus.TLS, bus.Control, "using key of type %s", key.Type())
	}
	m.ctx.logf(bus.TLS, bus.Control, "sending TLS %s certificate '%s'", me, c.Subject())
	out := &tls.Certificate{Certificate: [][]byte{c.Raw()}, PrivateKey: &loggingSigner{Signer: key.Signer(), ctx: m.ctx}}
	for _, im := range rules.IMCerts {
		m.ctx.logf(bus.TLS, bus.Control, "sending TLS intermediate certificate '%s'", im.Subject())
		out.Certificate = append(out.Certificate, im.Raw())
	}
	if m.server && certs != nil {
		// The certificate request that follows names our trusted CAs.
		for _, ca := range certs.TrustedCACerts() {
			m.ctx.logf(bus.TLS, bus.Control, "sending TLS cert request for '%s'", ca.Subject())
		}
	}
	return out, nil
}

// logCertRequest logs the CAs a server asks the client certificate to
// come from, as charon's peer does (the missing quote is charon's).
func (m *tlsMethod) logCertRequest(cas [][]byte) {
	certs := m.ctx.Env.Certs
	for _, der := range cas {
		id := credentials.FromEncoding(credentials.IDDerASN1DN, der)
		if certs != nil && certs.GetCert(credentials.KeyAny, id, true) != nil {
			m.ctx.logf(bus.TLS, bus.Control, "received TLS cert request for '%s", id)
		} else {
			m.ctx.logf(bus.TLS, bus.Control, "received TLS cert request for unknown CA '%s'", id)
		}
	}
}

// loggingSigner logs the signature scheme of each signature it makes, as
// charon's TLS stack logs "created signature with".
type loggingSigner struct {
	crypto.Signer
	ctx *Context
}

func (s *loggingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := s.Signer.Sign(rand, digest, opts)
	if err == nil {
		s.ctx.logf(bus.TLS, bus.Control, "created signature with %s", signatureScheme(s.Signer.Public(), opts))
	}
	return sig, err
}

// signatureScheme is tls_signature_scheme_names' name of a signature.
func signatureScheme(pub crypto.PublicKey, opts crypto.SignerOpts) string {
	bits := map[crypto.Hash]string{crypto.SHA1: "SHA1", crypto.SHA256: "SHA256", crypto.SHA384: "SHA384", crypto.SHA512: "SHA512"}
	h := bits[opts.HashFunc()]
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if _, ok := opts.(*rsa.PSSOptions); ok {
			return "RSA_PSS_RSAE_" + h
		}
		return "RSA_PKCS1_" + h
	case *ecdsa.PublicKey:
		return fmt.Sprintf("ECDSA_SECP%dR1_%s", k.Curve.Params().BitSize, h)
	case ed25519.PublicKey:
		return "ED25519"
	}
	return "(unknown)"
}

var errUntrusted = errors.New("certificate not trusted")

// verify checks the other end's chain as charon's TLS stack does: its
// end entity certificate must be one the credential manager trusts for
// the identity expected (the peer's, or the AAA server's), with the
// intermediates received as helpers.
func (m *tlsMethod) verify(raw [][]byte, _ [][]*x509.Certificate) error {
	_, other := m.side()
	certs := m.ctx.Env.Certs
	if certs == nil || len(raw) == 0 {
		m.ctx.logf(bus.TLS, bus.Control, "no trusted certificate found for '%s' to verify TLS %s", m.otherID(), other)
		return errUntrusted
	}
	h := &credentials.Helpers{}
	for i, der := range raw {
		c, err := certs.ParseCertificate(der, 0, m.ctx.CredLog)
		if err != nil {
			m.ctx.logf(bus.TLS, bus.Control, "parsing TLS certificate failed")
			return err
		}
		if i == 0 {
			h.Subject = c
			m.ctx.logf(bus.TLS, bus.Control, "received TLS %s certificate '%s'", other, c.Subject())
			continue
		}
		h.IM = append(h.IM, c)
		m.ctx.logf(bus.TLS, bus.Control, "received TLS intermediate certificate '%s'", c.Subject())
	}
	var found *credentials.TrustedCert
	certs.Trusted(credentials.KeyAny, m.otherID(), true, h, m.ctx.CredLog, func(tc credentials.TrustedCert) bool {
		if tc.Cert.Equal(h.Subject) {
			found = &tc
			return false
		}
		return true
	})
	if found == nil {
		m.ctx.logf(bus.TLS, bus.Control, "no trusted certificate found for '%s' to verify TLS %s", m.otherID(), other)
		m.ctx.logf(bus.TLS, bus.Control, "sending fatal TLS alert 'bad certificate'")
		return errUntrusted
	}
	m.auth = &Auth{Rules: found.Rules}
	return nil
}

// otherID is the identity the other end's certificate must have.
func (m *tlsMethod) otherID() *credentials.Identity {
	if m.server {
		return m.ctx.Peer
	}
	return m.ctx.Server
}

func (m *tlsMethod) Process(in []byte) ([]byte, Status) {
	if m.set.MaxMessageCount > 0 {
		if m.processed++; m.processed > m.set.MaxMessageCount {
			m.ctx.logf(bus.TLS, bus.Control, "EAP_TLS packet count exceeded (%d > %d)", m.processed, m.set.MaxMessageCount)
			return nil, Failed
		}
	}
	if len(in) < tlsHeader || int(binary.BigEndian.Uint16(in[2:])) != len(in) {
		m.ctx.logf(bus.TLS, bus.Control, "invalid EAP_TLS packet length")
		return nil, Failed
	}
	if !m.server {
		m.id = in[1]
	}
	flags := in[5]
	switch {
	case flags&tlsFlagStart != 0:
		if m.server || m.pipe != nil {
			return nil, Failed
		}
		m.pending = m.start()
	case len(in) == tlsHeader:
		m.ctx.logf(bus.TLS, bus.Diag, "received EAP_TLS acknowledgment packet")
		if len(m.pending) == 0 {
			if done, err := m.result(); m.server && done && err == nil {
				return nil, Success
			}
			return nil, Failed
		}
	default:
		data, ok := m.payload(in, flags)
		if !ok {
			return nil, Failed
		}
		if m.pipe == nil {
			if !m.server {
				return nil, Failed
			}
			m.start()
		}
		m.pending = append(m.pending, m.pipe.feed(data)...)
		if done, err := m.result(); done && err != nil && m.server && len(m.pending) == 0 {
			return nil, Failed
		}
	}
	if len(m.pending) == 0 {
		if done, err := m.result(); m.server && done && err == nil {
			return nil, Success
		}
		return m.ack(), NeedMore
	}
	return m.buildPacket(), NeedMore
}

// payload is a packet's TLS data, after the message length if present.
func (m *tlsMethod) payload(in []byte, flags byte) ([]byte, bool) {
	data := in[tlsHeader:]
	if flags&tlsFlagLength == 0 {
		return data, true
	}
	if len(data) < 4 {
		m.ctx.logf(bus.TLS, bus.Control, "EAP_TLS packet too short")
		return nil, false
	}
	if n := binary.BigEndian.Uint32(data); n < uint32(len(data)-4) || n > tlsMaxMessage {
		m.ctx.logf(bus.TLS, bus.Control, "invalid EAP_TLS packet length (%d bytes)", n)
		return nil, false
	}
	return data[4:], true
}

// result is the handshake's outcome so far.
func (m *tlsMethod) result() (bool, error) {
	if m.pipe == nil {
		return false, nil
	}
	return m.pipe.result()
}

func (m *tlsMethod) code() encoding.EAPCode {
	if m.server {
		m.id++
		return encoding.EAPRequest
	}
	return encoding.EAPResponse
}

// ack is an empty packet, asking for the next fragment.
func (m *tlsMethod) ack() []byte {
	code := m.code()
	m.ctx.logf(bus.TLS, bus.Diag, "sending EAP_TLS acknowledgment packet")
	return []byte{byte(code), m.id, 0, tlsHeader, byte(TypeTLS), 0}
}

// buildPacket sends the next part of the pending output: all of it in a
// packet if it fits, else a first fragment with the message length and
// further ones, each as large as fragment_size allows.
func (m *tlsMethod) buildPacket() []byte {
	code := m.code()
	size := m.set.FragmentSize
	if size <= tlsHeader+4 {
		size = DefaultTLSSettings().FragmentSize
	}
	room := size - tlsHeader
	var flags byte
	var length []byte
	kind := "packet"
	if m.first {
		room -= 4
		if len(m.pending) > room || m.set.IncludeLength {
			flags |= tlsFlagLength
			length = binary.BigEndian.AppendUint32(nil, uint32(len(m.pending)))
		}
	}
	n := min(room, len(m.pending))
	switch {
	case n < len(m.pending):
		flags |= tlsFlagMore
		kind = "further fragment"
		if m.first {
			kind = "first fragment"
		}
		m.first = false
	case !m.first:
		kind = "final fragment"
		m.first = true
	}
	p := build(code, m.id, TypeTLS, []byte{flags}, length, m.pending[:n])
	m.pending = m.pending[n:]
	m.ctx.logf(bus.TLS, bus.Diag, "sending EAP_TLS %s (%d bytes)", kind, len(p))
	return p
}

func (m *tlsMethod) Type() (uint32, uint32) { return TypeTLS, 0 }

// MSK is RFC 5216's Key_Material (TLS 1.2 and before: the PRF over the
// master secret with "client EAP encryption") or RFC 9190's (TLS 1.3),
// its first 64 octets.
func (m *tlsMethod) MSK() ([]byte, Status) {
	if done, err := m.result(); !done || err != nil {
		return nil, Failed
	}
	cs := m.conn.ConnectionState()
	label, context, n := "client EAP encryption", []byte(nil), 64
	if cs.Version == tls.VersionTLS13 {
		label, context, n = "EXPORTER_EAP_TLS_Key_Material", []byte{byte(TypeTLS)}, 128
	}
	k, err := cs.ExportKeyingMaterial(label, context, n)
	if err != nil {
		m.ctx.logf(bus.TLS, bus.Control, "deriving EAP-TLS MSK failed: %v", err)
		return nil, Failed
	}
	return k[:64], Success
}

// Auth is the verified chain of the peer's certificate (server side).
func (m *tlsMethod) Auth() *Auth {
	if !m.server {
		return nil
	}
	return m.auth
}

func (m *tlsMethod) Identifier() uint8      { return m.id }
func (m *tlsMethod) SetIdentifier(id uint8) { m.id = id }

// IsMutual: EAP-TLS authenticates the server too.
func (m *tlsMethod) IsMutual() bool { return true }

func (m *tlsMethod) Destroy() {
	if m.pipe != nil {
		_ = m.pipe.Close()
	}
}
