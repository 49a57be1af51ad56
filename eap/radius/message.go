// Package radius is charon's eap-radius plugin and the part of libradius
// it uses: RADIUS messages (RFC 2865) with the Message-Authenticator of
// RFC 3579, the client that sends Access-Requests to a configured server
// and retransmits them, the MS-MPPE keys of RFC 2548 that make the MSK,
// and the EAP method that forwards a conversation to the server (EAP
// passthrough, RFC 3579).
package radius

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Code is a RADIUS message code.
type Code uint8

// The codes charon names.
const (
	AccessRequest      Code = 1
	AccessAccept       Code = 2
	AccessReject       Code = 3
	AccountingRequest  Code = 4
	AccountingResponse Code = 5
	AccessChallenge    Code = 11
	DisconnectRequest  Code = 40
	DisconnectACK      Code = 41
	DisconnectNAK      Code = 42
	CoARequest         Code = 43
	CoAACK             Code = 44
	CoANAK             Code = 45
)

var codeNames = map[Code]string{
	1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject", 4: "Accounting-Request",
	5: "Accounting-Response", 11: "Access-Challenge", 40: "Disconnect-Request", 41: "Disconnect-ACK",
	42: "Disconnect-NAK", 43: "CoA-Request", 44: "CoA-ACK", 45: "CoA-NAK",
}

// String is radius_message_code_names' name.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("(%d)", uint8(c))
}

// Attribute types the plugin uses.
const (
	AttrUserName             = 1
	AttrUserPassword         = 2
	AttrNASIPAddress         = 4
	AttrNASPort              = 5
	AttrServiceType          = 6
	AttrFramedIPAddress      = 8
	AttrFramedIPNetmask      = 9
	AttrFilterID             = 11
	AttrClass                = 25
	AttrVendorSpecific       = 26
	AttrSessionTimeout       = 27
	AttrCalledStationID      = 30
	AttrCallingStationID     = 31
	AttrNASIdentifier        = 32
	AttrState                = 24
	AttrAcctSessionID        = 44
	AttrNASPortType          = 61
	AttrTunnelType           = 64
	AttrEAPMessage           = 79
	AttrMessageAuthenticator = 80
	AttrAcctInterimInterval  = 85
	AttrNASPortID            = 87
	AttrFramedIPv6Address    = 168
	AttrNASIPv6Address       = 95
)

const (
	headerLen = 20
	// MaxAttributeSize is the most a value can hold (253 octets).
	MaxAttributeSize = 253
	// MaxMessageSize is what RFC 2865 allows a packet.
	MaxMessageSize = 4096
	authLen        = md5.Size
)

// Attribute is one attribute of a message.
type Attribute struct {
	Type  uint8
	Value []byte
}

// Message is a RADIUS packet.
type Message struct {
	Code          Code
	Identifier    uint8
	Authenticator [authLen]byte
	Attributes    []Attribute
}

// Add appends an attribute; a value longer than an attribute can hold is
// cut, as charon cuts it (long EAP messages are split before).
func (m *Message) Add(t uint8, v []byte) {
	m.Attributes = append(m.Attributes, Attribute{Type: t, Value: slices.Clone(v[:min(len(v), MaxAttributeSize)])})
}

// Get returns the first attribute of a type.
func (m *Message) Get(t uint8) ([]byte, bool) {
	for _, a := range m.Attributes {
		if a.Type == t {
			return a.Value, true
		}
	}
	return nil, false
}

// Encode is the wire form.
func (m *Message) Encode() []byte {
	n := headerLen
	for _, a := range m.Attributes {
		n += 2 + len(a.Value)
	}
	b := make([]byte, headerLen, n)
	b[0], b[1] = byte(m.Code), m.Identifier
	binary.BigEndian.PutUint16(b[2:], uint16(n))
	copy(b[4:], m.Authenticator[:])
	for _, a := range m.Attributes {
		b = append(b, a.Type, byte(2+len(a.Value)))
		b = append(b, a.Value...)
	}
	return b
}

// Errors of Parse.
var (
	ErrLength    = errors.New("RADIUS message has invalid length")
	ErrTruncated = errors.New("RADIUS message truncated")
)

// Parse reads a packet (radius_message_parse and the attribute
// enumerator's checks): the length field must be the packet's length, and
// every attribute must fit and be at least its own header long.
func Parse(b []byte) (*Message, error) {
	if len(b) < headerLen || int(binary.BigEndian.Uint16(b[2:])) != len(b) {
		return nil, ErrLength
	}
	m := &Message{Code: Code(b[0]), Identifier: b[1]}
	copy(m.Authenticator[:], b[4:headerLen])
	for rest := b[headerLen:]; len(rest) > 0; {
		if len(rest) < 2 || int(rest[1]) < 2 || int(rest[1]) > len(rest) {
			return nil, ErrTruncated
		}
		m.Attributes = append(m.Attributes, Attribute{Type: rest[0], Value: slices.Clone(rest[2:rest[1]])})
		rest = rest[rest[1]:]
	}
	return m, nil
}

// VendorAttribute is one sub-attribute of a Vendor-Specific attribute.
type VendorAttribute struct {
	Vendor uint32
	Type   uint8
	Value  []byte
}

// VendorAttributes lists the sub-attributes of every Vendor-Specific
// attribute (create_vendor_enumerator); a malformed one ends its list.
func (m *Message) VendorAttributes() []VendorAttribute {
	var out []VendorAttribute
	for _, a := range m.Attributes {
		if a.Type != AttrVendorSpecific || len(a.Value) < 4 {
			continue
		}
		vendor := binary.BigEndian.Uint32(a.Value)
		for rest := a.Value[4:]; len(rest) >= 2; {
			n := int(rest[1])
			if n < 2 || n > len(rest) {
				break
			}
			out = append(out, VendorAttribute{Vendor: vendor, Type: rest[0], Value: rest[2:n]})
			rest = rest[n:]
		}
	}
	return out
}

// Sign prepares a request for sending: a random Request Authenticator
// and a Message-Authenticator (RFC 3579 §3.2), HMAC-MD5 over the packet
// with the secret.
func (m *Message) Sign(secret []byte, rand io.Reader) error {
	if _, err := io.ReadFull(rand, m.Authenticator[:]); err != nil {
		return err
	}
	m.Add(AttrMessageAuthenticator, make([]byte, authLen))
	mac := hmac.New(md5.New, secret)
	mac.Write(m.Encode())
	copy(m.Attributes[len(m.Attributes)-1].Value, mac.Sum(nil))
	return nil
}

// Verification errors, with charon's wording.
var (
	ErrResponseAuthenticator = errors.New("RADIUS Response-Authenticator verification failed")
	ErrMessageAuthLength     = errors.New("RADIUS Message-Authenticator invalid length")
	ErrMessageAuthenticator  = errors.New("RADIUS Message-Authenticator verification failed")
	ErrMessageAuthMissing    = errors.New("RADIUS Message-Authenticator attribute missing")
)

// Verify checks a response to a request with reqAuth as its Request
// Authenticator: the Response Authenticator MD5(packet with reqAuth |
// secret), the first Message-Authenticator, which a message with an
// EAP-Message must have.
func (m *Message) Verify(reqAuth [authLen]byte, secret []byte) error {
	if m.Code != AccessRequest {
		c := *m
		c.Authenticator = reqAuth
		h := md5.New()
		h.Write(c.Encode())
		h.Write(secret)
		if subtle.ConstantTimeCompare(h.Sum(nil), m.Authenticator[:]) != 1 {
			return ErrResponseAuthenticator
		}
	}
	hasEAP := false
	for i, a := range m.Attributes {
		switch a.Type {
		case AttrMessageAuthenticator:
			if len(a.Value) != authLen {
				return ErrMessageAuthLength
			}
			c := *m
			c.Attributes = slices.Clone(m.Attributes)
			c.Attributes[i].Value = make([]byte, authLen)
			if m.Code != AccessRequest {
				c.Authenticator = reqAuth
			}
			mac := hmac.New(md5.New, secret)
			mac.Write(c.Encode())
			if !hmac.Equal(mac.Sum(nil), a.Value) {
				return ErrMessageAuthenticator
			}
			return nil
		case AttrEAPMessage:
			hasEAP = true
		}
	}
	if hasEAP {
		return ErrMessageAuthMissing
	}
	return nil
}

// decryptMPPE decrypts an MS-MPPE key (RFC 2548 §2.4.2): salt and
// ciphertext in 16-octet blocks, b(1) = MD5(secret | request
// authenticator | salt), b(i) = MD5(secret | c(i-1)); the plaintext
// starts with the key's length. Nil if it does not decrypt.
func decryptMPPE(value []byte, reqAuth [authLen]byte, secret []byte) []byte {
	if len(value) < 2 {
		return nil
	}
	salt, c := value[:2], value[2:]
	if len(c) == 0 || len(c)%authLen != 0 {
		return nil
	}
	p := make([]byte, len(c))
	prev := append(slices.Clone(reqAuth[:]), salt...)
	for i := 0; i < len(c); i += authLen {
		h := md5.New()
		h.Write(secret)
		h.Write(prev)
		b := h.Sum(nil)
		for j := range authLen {
			p[i+j] = c[i+j] ^ b[j]
		}
		prev = c[i : i+authLen]
	}
	if int(p[0]) >= len(p) {
		return nil
	}
	return p[1 : 1+int(p[0])]
}

// Microsoft's vendor attributes with the MPPE keys (RFC 2548).
const (
	penMicrosoft  = 311
	msMPPESendKey = 16
	msMPPERecvKey = 17
)

// MSK takes the MSK from an Access-Accept: the MS-MPPE-Recv-Key, then
// the MS-MPPE-Send-Key, zero padded to 64 octets; nil without both.
func (m *Message) MSK(reqAuth [authLen]byte, secret []byte) []byte {
	var send, recv []byte
	for _, a := range m.Attributes {
		if a.Type != AttrVendorSpecific || len(a.Value) <= 8 {
			continue
		}
		// One MPPE key per Vendor-Specific attribute: vendor, type,
		// length, salt and key.
		if binary.BigEndian.Uint32(a.Value) != penMicrosoft || int(a.Value[5]) != len(a.Value)-4 {
			continue
		}
		switch a.Value[4] {
		case msMPPESendKey:
			send = decryptMPPE(a.Value[6:], reqAuth, secret)
		case msMPPERecvKey:
			recv = decryptMPPE(a.Value[6:], reqAuth, secret)
		}
	}
	if send == nil || recv == nil {
		return nil
	}
	msk := append(slices.Clone(recv), send...)
	if len(msk) < 64 {
		msk = append(msk, make([]byte, 64-len(msk))...)
	}
	return msk
}
