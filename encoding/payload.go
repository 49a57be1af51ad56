package encoding

import (
	"encoding/binary"
	"math"
)

// Payload is one IKEv2 payload. The implementations are the pointer types
// of this package (*SA, *KE, *ID, *Cert, *CertReq, *Auth, *Nonce, *Notify,
// *Delete, *VendorID, *TS, *CP, *EAP, *Unknown, *Encrypted,
// *EncryptedFragment); a caller type-switches on them.
type Payload interface {
	// Type is the payload's type as it appears in the Next Payload field
	// of the previous payload.
	Type() PayloadType
	// AppendBody appends the payload's wire form without its generic
	// four-byte header (RFC 7296 §3.2), which the message encoder writes.
	// It fails only when a field does not fit its length field.
	AppendBody(b []byte) ([]byte, error)
}

// genericHeaderLen is the length of the generic payload header.
const genericHeaderLen = 4

// flagged is implemented by payloads that carry a critical bit or reserved
// bits of their own (Unknown, Encrypted, EncryptedFragment); every other
// payload is sent with the flags octet zero, as charon does.
type flagged interface {
	headerFlags() uint8
}

// nextOverride is implemented by the SK and SKF payloads, whose Next Payload
// field names the first payload inside them, not the next one outside.
type nextOverride interface {
	innerNext() PayloadType
}

// appendPayload appends p with its generic header; next is the type of the
// payload that follows (PayloadNone for the last one).
func appendPayload(b []byte, p Payload, next PayloadType) ([]byte, error) {
	if o, ok := p.(nextOverride); ok {
		next = o.innerNext()
	}
	var flags uint8
	if f, ok := p.(flagged); ok {
		flags = f.headerFlags()
	}
	start := len(b)
	b = append(b, byte(next), flags, 0, 0)
	b, err := p.AppendBody(b)
	if err != nil {
		return b, err
	}
	n := len(b) - start
	if n > math.MaxUint16 {
		return b, errorf(ErrEncode, p.Type(), "payload of %d bytes exceeds the 16-bit length field", n)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(n))
	return b, nil
}

// rawPayload is one payload cut out of a chain, before its body is decoded.
type rawPayload struct {
	typ   PayloadType
	next  PayloadType
	flags uint8
	body  []byte
	// off is the offset of the generic header within the chain's buffer.
	off int
}

// splitPayload cuts the payload of type t at b[off:]. The length field must
// cover at least the generic header and must not run past the end of b.
func splitPayload(b []byte, off int, t PayloadType) (rawPayload, int, error) {
	rest := b[off:]
	if len(rest) < genericHeaderLen {
		return rawPayload{}, 0, errorf(ErrMalformed, t, "%d bytes left, payload header needs %d", len(rest), genericHeaderLen)
	}
	n := int(binary.BigEndian.Uint16(rest[2:]))
	if n < genericHeaderLen {
		return rawPayload{}, 0, errorf(ErrMalformed, t, "payload length %d is shorter than its header", n)
	}
	if n > len(rest) {
		return rawPayload{}, 0, errorf(ErrMalformed, t, "payload length %d exceeds the %d bytes left", n, len(rest))
	}
	return rawPayload{
		typ:   t,
		next:  PayloadType(rest[0]),
		flags: rest[1],
		body:  rest[genericHeaderLen:n],
		off:   off,
	}, off + n, nil
}

// decodeBody turns a raw payload into its typed form and runs the checks
// charon's payload verify() functions make. Payload types an IKEv2 parser
// does not know become *Unknown.
func decodeBody(r rawPayload) (Payload, error) {
	if !r.typ.known() {
		return &Unknown{PayloadType: r.typ, Critical: r.flags&0x80 != 0, Data: clone(r.body)}, nil
	}
	switch r.typ {
	case PayloadSA:
		return decodeSA(r.body)
	case PayloadKE:
		return decodeKE(r.body)
	case PayloadIDi, PayloadIDr:
		return decodeID(r.body, r.typ == PayloadIDr)
	case PayloadCERT:
		return decodeCert(r.body)
	case PayloadCERTREQ:
		return decodeCertReq(r.body)
	case PayloadAUTH:
		return decodeAuth(r.body)
	case PayloadNonce:
		return decodeNonce(r.body)
	case PayloadNotify:
		return decodeNotify(r.body)
	case PayloadDelete:
		return decodeDelete(r.body)
	case PayloadVendorID:
		return &VendorID{Data: clone(r.body)}, nil
	case PayloadTSi, PayloadTSr:
		return decodeTS(r.body, r.typ == PayloadTSr)
	case PayloadCP:
		return decodeCP(r.body)
	case PayloadEAP:
		return decodeEAP(r.body)
	case PayloadSK:
		return &Encrypted{Next: r.next, Flags: r.flags, Data: clone(r.body)}, nil
	case PayloadSKF:
		return decodeEncryptedFragment(r)
	}
	return nil, errorf(ErrMalformed, r.typ, "no decoder")
}

// clone copies b so that decoded payloads never alias the caller's buffer;
// an empty input stays nil so that decoded and built payloads compare equal.
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// appendUint16 and friends keep the Append* functions short.
func appendUint16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendUint32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
