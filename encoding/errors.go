package encoding

import (
	"errors"
	"fmt"
)

// Error kinds. Every error the codec returns for bad input wraps exactly one
// of them, so a caller can tell with errors.Is how charon would react: the
// kinds follow the status codes message.c hands to the task manager.
var (
	// ErrMalformed: the bytes cannot be parsed (truncated data, a length
	// field that disagrees with the data, bad padding). charon's
	// PARSE_ERROR; a request is answered with INVALID_SYNTAX.
	ErrMalformed = errors.New("malformed")
	// ErrInvalid: the message parses but breaks a rule (a payload's own
	// verification, per-exchange minimum/maximum occurrences, SK not last).
	// charon's VERIFY_ERROR; a request is answered with INVALID_SYNTAX.
	ErrInvalid = errors.New("invalid")
	// ErrNotEncrypted: a payload that must be inside SK came unprotected.
	// charon returns FAILED and ignores the message.
	ErrNotEncrypted = errors.New("payload not encrypted")
	// ErrIntegrity: the ICV does not verify or the protected data has an
	// impossible length. charon returns FAILED ("integrity check failed")
	// and ignores the message.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrNoCipher: an SK or SKF payload arrived but there are no keys to
	// open it, or a message that must be protected is encoded without a
	// cipher. charon's INVALID_ARG/INVALID_STATE.
	ErrNoCipher = errors.New("no cipher")
	// ErrHeader: the IKE header is unusable (too short, zero initiator SPI,
	// an exchange type that does not exist for the version). charon logs
	// "received invalid IKE header" and drops the packet.
	ErrHeader = errors.New("invalid IKE header")
	// ErrUnsupportedVersion: the major version is not 2. The header is still
	// returned so the receiver can answer with INVALID_MAJOR_VERSION.
	ErrUnsupportedVersion = errors.New("unsupported IKE version")
	// ErrUnsupportedExchange: charon has no payload rules for the exchange
	// (e.g. IKE_SESSION_RESUME) and rejects it with NOT_SUPPORTED.
	ErrUnsupportedExchange = errors.New("unsupported exchange")
	// ErrEncode: a Message cannot be encoded (a field too long for its
	// length field, a payload the wire form cannot express).
	ErrEncode = errors.New("cannot encode")
)

// Error describes bad input: its Kind is one of the Err* kinds above, Payload
// the payload type in which the problem was found (PayloadNone for the header
// or the message as a whole), and Reason what was wrong, worded like charon's
// log line where there is one.
type Error struct {
	Kind    error
	Payload PayloadType
	Reason  string
}

func (e *Error) Error() string {
	if e.Payload == PayloadNone {
		return fmt.Sprintf("%v: %s", e.Kind, e.Reason)
	}
	return fmt.Sprintf("%v: %v payload: %s", e.Kind, e.Payload, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMalformed) and friends work.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, pt PayloadType, format string, args ...any) *Error {
	return &Error{Kind: kind, Payload: pt, Reason: fmt.Sprintf(format, args...)}
}

// UnsupportedCriticalPayloadError reports an unknown payload with the
// critical bit set (RFC 7296 §2.5). The message itself decoded and passed
// the rules, so the caller can answer a request with an
// UNSUPPORTED_CRITICAL_PAYLOAD notify whose data is the one-byte Type.
type UnsupportedCriticalPayloadError struct {
	Type PayloadType
}

func (e *UnsupportedCriticalPayloadError) Error() string {
	return fmt.Sprintf("payload type %v is not supported, but payload is critical", e.Type)
}
