// Package eap holds the EAP methods of charon's eap-* plugins, one file
// per method (identity.go, md5.go, mschapv2.go, tls.go), and the manager
// that creates them by type and role (sa/eap/eap_manager.c). The EAP
// authenticator in sa/authenticators drives a method through one IKE_AUTH
// exchange after the other; eap/radius adds eap-radius, a server method
// that hands the conversation to a RADIUS server.
//
// A method works on whole EAP packets (RFC 3748 §4), from the Code octet
// on, as an EAP payload carries them.
package eap

import (
	"encoding/binary"
	"io"
	"net/netip"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// EAP method types (eap_type_t) the package names.
const (
	TypeIdentity     uint32 = 1
	TypeNotification uint32 = 2
	TypeNak          uint32 = 3
	TypeMD5          uint32 = 4
	TypeTLS          uint32 = 13
	TypeMSCHAPv2     uint32 = 26
	TypeExpanded     uint32 = 254
	TypeExperimental uint32 = 255
	// TypeRadius is strongSwan's virtual method that stands for whatever
	// the RADIUS server selects.
	TypeRadius uint32 = 256
)

// Role says which end of a conversation a method plays.
type Role uint8

const (
	// Server authenticates the peer (EAP_SERVER).
	Server Role = iota
	// Peer is authenticated (EAP_PEER).
	Peer
)

// Status is a method's answer, status_t as eap_method.h uses it.
type Status uint8

const (
	// Success: the method completed (a server's final answer).
	Success Status = iota
	// NeedMore: send the packet returned and wait for the next.
	NeedMore
	// Failed: the conversation failed.
	Failed
	// NotSupported: the method has no MSK.
	NotSupported
	// NotFound: a credential is missing.
	NotFound
)

func (s Status) String() string {
	return [...]string{"SUCCESS", "NEED_MORE", "FAILED", "NOT_SUPPORTED", "NOT_FOUND"}[s]
}

// Method is one EAP method instance for one conversation, eap_method_t.
type Method interface {
	// Initiate builds a server's first request; a peer never initiates.
	Initiate() ([]byte, Status)
	// Process handles a received packet and returns the one to send
	// (with NeedMore).
	Process(in []byte) ([]byte, Status)
	// Type is the method's type and vendor; a virtual method (eap-radius)
	// reports the type the backend selected.
	Type() (uint32, uint32)
	// MSK is the Master Session Key: Success with the key, NotSupported
	// for methods that derive none, Failed if one should exist but does
	// not.
	MSK() ([]byte, Status)
	// Identifier is the EAP identifier of the current exchange.
	Identifier() uint8
	// SetIdentifier sets it.
	SetIdentifier(id uint8)
	// IsMutual reports whether the method authenticates the server too.
	IsMutual() bool
	// Destroy releases what the method holds; it is called once, when
	// the conversation ends either way.
	Destroy()
}

// AuthProvider is implemented by methods that learn something about the
// peer that belongs to its authentication round (get_auth): the EAP
// identity MSCHAPv2 verified, the certificate chain EAP-TLS verified.
type AuthProvider interface {
	Auth() *Auth
}

// Auth is what a method adds to the peer's completed round.
type Auth struct {
	// EAPIdentity is the identity the method authenticated.
	EAPIdentity *credentials.Identity
	// Rules are the certificate rules of a verified chain.
	Rules credentials.AuthRules
	// Groups the peer is a member of (a RADIUS server's Class).
	Groups []*credentials.Identity
	// SessionTimeout, if set, limits the authentication's lifetime to
	// that many seconds (a RADIUS server's Session-Timeout; charon takes 0
	// too, as a lifetime that is over).
	SessionTimeout *uint32
}

// Env is what the methods take from the daemon, one for all instances.
type Env struct {
	Rand  io.Reader
	Creds *credentials.Store
	// Certs holds certificates and private keys (EAP-TLS); nil without.
	Certs *credentials.Manager
	// Now is the wall clock, for certificate validity.
	Now func() time.Time
	// Delay pauses a server before it answers a failed MSCHAPv2 attempt,
	// to slow down guessing; nil does not pause (tests).
	Delay func(time.Duration)
	// TLS are the eap-tls and charon.tls settings.
	TLS TLSSettings
}

// Context is what one method instance gets: the identities of the
// conversation and where it logs.
type Context struct {
	Env *Env
	// Server is the authenticating side's identity (the IKE identity of
	// the gateway or the configured AAA identity); Peer the peer's EAP
	// identity (or its IKE identity).
	Server, Peer *credentials.Identity
	// Log logs into the IKE_SA's context.
	Log bus.Logger
	// CredLog logs the credential layer's lines into the same context.
	CredLog credentials.LogFunc
	// SA describes the IKE_SA, for methods that report it to a backend.
	SA SAInfo
}

// SAInfo is what eap-radius tells the RADIUS server about the IKE_SA.
type SAInfo struct {
	UniqueID          uint32
	Name              string
	MyHost, OtherHost netip.AddrPort
}

func (c *Context) logf(g bus.Group, l bus.Level, format string, args ...any) {
	if c.Log != nil {
		c.Log.Logf(g, l, format, args...)
	}
}

// header is the length of an EAP header with its type octet.
const header = 5

// Code is a packet's EAP code (0 for an empty one).
func Code(p []byte) encoding.EAPCode { return (&encoding.EAP{Data: p}).Code() }

// Identifier is a packet's EAP identifier.
func Identifier(p []byte) uint8 { return (&encoding.EAP{Data: p}).Identifier() }

// PacketType is the method type and vendor of a request or response
// (eap_payload get_type): 0 for a packet without one, an expanded type
// (RFC 3748 §5.7) with its vendor.
func PacketType(p []byte) (uint32, uint32) {
	t, vendor := (&encoding.EAP{Data: p}).Method()
	return uint32(t), vendor
}

// IsExpanded reports whether a packet uses the expanded type format.
func IsExpanded(p []byte) bool { return len(p) > 4 && p[4] == byte(TypeExpanded) }

// NewCode builds a Success or Failure packet.
func NewCode(code encoding.EAPCode, id uint8) []byte {
	return []byte{byte(code), id, 0, 4}
}

// build makes a packet of code, identifier, type and data, with its length.
func build(code encoding.EAPCode, id uint8, t uint32, data ...[]byte) []byte {
	n := header
	for _, d := range data {
		n += len(d)
	}
	p := make([]byte, header, n)
	p[0], p[1], p[4] = byte(code), id, byte(t)
	binary.BigEndian.PutUint16(p[2:], uint16(n))
	for _, d := range data {
		p = append(p, d...)
	}
	return p
}

// TypeName is eap_type_names' name of a method.
func TypeName(t uint32) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "(" + itoa(t) + ")"
}

var typeNames = map[uint32]string{
	1: "EAP_IDENTITY", 2: "EAP_NOTIFICATION", 3: "EAP_NAK", 4: "EAP_MD5", 5: "EAP_OTP",
	6: "EAP_GTC", 13: "EAP_TLS", 18: "EAP_SIM", 21: "EAP_TTLS", 23: "EAP_AKA",
	25: "EAP_PEAP", 26: "EAP_MSCHAPV2", 33: "EAP_MSTLV", 38: "EAP_TNC", 54: "EAP_PT_EAP",
	254: "EAP_EXPANDED", 255: "EAP_EXPERIMENTAL", 256: "EAP_RADIUS", 257: "EAP_DYNAMIC",
}

// CodeName is eap_code_names' name of a code.
func CodeName(c encoding.EAPCode) string {
	switch c {
	case encoding.EAPRequest:
		return "EAP_REQUEST"
	case encoding.EAPResponse:
		return "EAP_RESPONSE"
	case encoding.EAPSuccess:
		return "EAP_SUCCESS"
	case encoding.EAPFailure:
		return "EAP_FAILURE"
	}
	return "(" + itoa(uint32(c)) + ")"
}

func itoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// randomID returns a non-zero identifier for a server's first request, as
// the methods draw theirs from random().
func randomID(r io.Reader) uint8 {
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 1
		}
		if b[0] != 0 {
			return b[0]
		}
	}
}
