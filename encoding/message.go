package encoding

import (
	"encoding/binary"
	"strconv"
)

// Message is one IKEv2 message.
//
// Payloads are the payloads in order. For a protected exchange they are the
// payloads that go inside SK (Encode wraps them); a message straight from
// Decode instead ends with the *Encrypted or *EncryptedFragment payload
// until Decrypt opens it.
type Message struct {
	SPIi, SPIr uint64
	// MajorVersion is 2 (0 encodes as 2); MinorVersion is 0 for RFC 7296.
	MajorVersion uint8
	MinorVersion uint8
	Exchange     ExchangeType
	// Initiator is the I flag: the sender is the original initiator of
	// the IKE_SA.
	Initiator bool
	// Response is the R flag.
	Response bool
	// HigherVersion is the V flag.
	HigherVersion bool
	MessageID     uint32
	Payloads      []Payload
	// KeepOrder makes Encode keep Payloads in the given order. Without it
	// Encode first puts them in charon's order for the exchange (message.c
	// order_payloads), in place. Decode sets it, so that a decoded message
	// re-encodes as received.
	KeepOrder bool

	// size is the length of the message on the wire as last decoded or
	// encoded; for fragmented messages the unfragmented length.
	size int
	// done is set once the body is decrypted (if protected) and verified.
	done bool
	// sizes of the cipher that opened the message (for reassembly).
	sizes cipherSizes
}

// NewMessage returns an IKEv2 (2.0) message for exchange with the given
// message ID; the caller sets SPIs, flags and payloads.
func NewMessage(exchange ExchangeType, messageID uint32) *Message {
	return &Message{MajorVersion: 2, Exchange: exchange, MessageID: messageID}
}

// Request reports whether the message is a request (R flag clear).
func (m *Message) Request() bool { return !m.Response }

// Size is the length of the message on the wire as last decoded or encoded.
// For a message split into fragments, or reassembled from them, it is the
// length of the whole message as charon reports it ("splitting IKE message
// (N bytes)", "reassembled fragmented IKE message (N bytes)").
func (m *Message) Size() int { return m.size }

// Get returns the payloads of type t, in order. Unknown payloads are never
// returned for a known type.
func (m *Message) Get(t PayloadType) []Payload {
	var ps []Payload
	for _, p := range m.Payloads {
		if _, unknown := p.(*Unknown); !unknown && p.Type() == t {
			ps = append(ps, p)
		}
	}
	return ps
}

// First returns the first payload of type t, or nil.
func (m *Message) First(t PayloadType) Payload {
	for _, p := range m.Payloads {
		if _, unknown := p.(*Unknown); !unknown && p.Type() == t {
			return p
		}
	}
	return nil
}

// Notify returns the first notify of type t, or nil.
func (m *Message) Notify(t NotifyType) *Notify {
	for _, p := range m.Payloads {
		if n, ok := p.(*Notify); ok && n.NotifyType == t {
			return n
		}
	}
	return nil
}

// Notifies returns all notify payloads in order.
func (m *Message) Notifies() []*Notify {
	var ns []*Notify
	for _, p := range m.Payloads {
		if n, ok := p.(*Notify); ok {
			ns = append(ns, n)
		}
	}
	return ns
}

// Add appends payloads; it returns m for chaining.
func (m *Message) Add(ps ...Payload) *Message {
	m.Payloads = append(m.Payloads, ps...)
	return m
}

// AddNotify appends a notify without SPI.
func (m *Message) AddNotify(t NotifyType, data []byte) *Message {
	return m.Add(&Notify{NotifyType: t, Data: data})
}

// Encrypted reports whether the message still holds an SK or SKF payload
// that Decrypt must open.
func (m *Message) Encrypted() bool { return !m.done && endsEncrypted(m.Payloads) }

// endsEncrypted reports whether the last payload is an SK or SKF payload.
func endsEncrypted(ps []Payload) bool {
	if len(ps) == 0 {
		return false
	}
	switch ps[len(ps)-1].(type) {
	case *Encrypted, *EncryptedFragment:
		return true
	}
	return false
}

// Fragment returns the SKF payload of a fragment message, or nil.
func (m *Message) Fragment() *EncryptedFragment {
	if len(m.Payloads) == 0 {
		return nil
	}
	f, _ := m.Payloads[len(m.Payloads)-1].(*EncryptedFragment)
	return f
}

// Decode parses a datagram's IKE message (without the non-ESP marker): the
// header and the payload chain up to and including an SK or SKF payload,
// which stays encrypted. An IKE_SA_INIT message, which has none, is
// complete afterwards: its payloads are verified against charon's rules
// for the exchange. A protected message needs Decrypt.
//
// Errors wrap one of the Err* kinds (errors.Is). If the header is fine, the
// message with its header fields is returned with the error, so the caller
// can answer the request; an *UnsupportedCriticalPayloadError comes with
// the complete message.
func Decode(b []byte) (*Message, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return nil, err
	}
	m := &Message{
		SPIi: h.SPIi, SPIr: h.SPIr,
		MajorVersion: h.MajorVersion, MinorVersion: h.MinorVersion,
		Exchange:      h.Exchange,
		Initiator:     h.Initiator(),
		Response:      h.Response(),
		HigherVersion: h.HigherVersion(),
		MessageID:     h.MessageID,
		KeepOrder:     true,
		size:          len(b),
	}
	if h.MajorVersion != 2 {
		return m, errorf(ErrUnsupportedVersion, PayloadNone, "IKE version %d.%d", h.MajorVersion, h.MinorVersion)
	}
	if int64(h.Length) != int64(len(b)) {
		return m, errorf(ErrMalformed, PayloadNone, "length in header (%d) does not match the %d bytes received", h.Length, len(b))
	}
	rule := ruleFor(m.Exchange, m.Request())
	if rule == nil {
		return m, errorf(ErrUnsupportedExchange, PayloadNone, "no message rules specified for a %v %s", m.Exchange, m.kind())
	}
	raw := append([]byte(nil), b...)
	ps, err := parseChain(raw, HeaderLen, h.NextPayload, true)
	if err != nil {
		return m, err
	}
	if !rule.encrypted || !endsEncrypted(ps) {
		// nothing to decrypt: this is the whole message (in a protected
		// exchange, whatever is not an unknown payload fails the check)
		return m, m.finish(ps, nil, rule)
	}
	m.Payloads = ps
	return m, nil
}

// Decrypt opens the SK payload of a decoded message with c (verifying the
// ICV before anything is decrypted), parses the payloads inside, and checks
// the whole message against charon's rules for the exchange. For a fragment
// (SKF) it opens the fragment, which then goes to a Reassembler. It does
// nothing for a message already complete (IKE_SA_INIT, or decrypted).
//
// On error Payloads are left as they were, except for an
// *UnsupportedCriticalPayloadError, which leaves the message complete.
func (m *Message) Decrypt(c Cipher) error {
	if m.done {
		return nil
	}
	rule := ruleFor(m.Exchange, m.Request())
	if rule == nil {
		return errorf(ErrUnsupportedExchange, PayloadNone, "no message rules specified for a %v %s", m.Exchange, m.kind())
	}
	return m.finish(m.Payloads, c, rule)
}

// finish is charon's decrypt_payloads and verify: payloads before SK must
// be ones the exchange allows unprotected, SK must be last and is replaced
// by its contents, then the occurrence rules and the critical bits are
// checked.
func (m *Message) finish(ps []Payload, c Cipher, rule *messageRule) error {
	out := make([]Payload, 0, len(ps))
	protected := false
	var sizes cipherSizes
	for i, p := range ps {
		switch q := p.(type) {
		case *Encrypted, *EncryptedFragment:
			if protected {
				return errorf(ErrInvalid, p.Type(), "encrypted payload can't contain other payloads of type %v", p.Type())
			}
			if i != len(ps)-1 {
				return errorf(ErrInvalid, p.Type(), "encrypted payload is not last payload")
			}
			if c == nil {
				return errorf(ErrNoCipher, p.Type(), "found encrypted payload, but no transform set")
			}
			sizes = sizesOf(c)
			protected = true
			if sk, ok := q.(*Encrypted); ok {
				inner, err := sk.open(c)
				if err != nil {
					return err
				}
				for _, ip := range inner {
					switch ip.(type) {
					case *Encrypted, *EncryptedFragment:
						return errorf(ErrInvalid, ip.Type(), "encrypted payload can't contain other payloads of type %v", ip.Type())
					}
				}
				out = append(out, inner...)
				continue
			}
			if err := q.(*EncryptedFragment).open(c); err != nil {
				return err
			}
		default:
			if _, unknown := p.(*Unknown); !unknown {
				if r := rule.payload(p.Type()); r == nil || r.encrypted {
					return errorf(ErrNotEncrypted, p.Type(), "payload type %v was not encrypted", p.Type())
				}
			}
		}
		out = append(out, p)
	}
	if err := rule.verifyCounts(out); err != nil {
		return err
	}
	m.Payloads = out
	m.done = true
	m.sizes = sizes
	return criticalCheck(out)
}

// criticalCheck reports the first unknown payload with the critical bit.
func criticalCheck(ps []Payload) error {
	for _, p := range ps {
		if u, ok := p.(*Unknown); ok && u.Critical {
			return &UnsupportedCriticalPayloadError{Type: u.PayloadType}
		}
	}
	return nil
}

// parseChain decodes the chain of payloads starting at b[off:] with type
// first. In an outer chain (outer) an SK or SKF payload ends the chain and
// must end the message; anywhere, the chain must use up b exactly.
func parseChain(b []byte, off int, first PayloadType, outer bool) ([]Payload, error) {
	var ps []Payload
	for t := first; t != PayloadNone; {
		r, end, err := splitPayload(b, off, t)
		if err != nil {
			return nil, err
		}
		p, err := decodeBody(r)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
		off = end
		if outer && (t == PayloadSK || t == PayloadSKF) {
			// the ICV covers everything up to this payload's body
			hl := genericHeaderLen
			if t == PayloadSKF {
				hl += 4
			}
			assoc := b[:r.off+hl]
			switch q := p.(type) {
			case *Encrypted:
				q.assoc = assoc
			case *EncryptedFragment:
				q.assoc = assoc
			}
			break
		}
		t = r.next
	}
	if off != len(b) {
		return nil, errorf(ErrMalformed, PayloadNone, "%d bytes after the last payload", len(b)-off)
	}
	return ps, nil
}

// open decrypts an SK payload and parses the payloads inside.
func (p *Encrypted) open(c Cipher) ([]Payload, error) {
	if p.assoc == nil {
		return nil, errorf(ErrNoCipher, PayloadSK, "payload was not decoded from a message")
	}
	plain, err := open(c, p.Data, p.assoc, PayloadSK)
	if err != nil {
		return nil, err
	}
	return parseChain(plain, 0, p.Next, false)
}

func (m *Message) kind() string {
	if m.Response {
		return "response"
	}
	return "request"
}

// summaryLen is the buffer charon formats the summary into (BUF_LEN); a
// longer summary is cut, exactly as snprintf cuts it.
const summaryLen = 512

// String is charon's one-line summary of the message, as in its "parsed"
// and "generating" log lines:
//
//	IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]
//	IKE_AUTH response 1 [ IDr AUTH EAP/REQ/ID ]
//	IKE_AUTH request 1 [ EF(1/3) ]
func (m *Message) String() string {
	w := summaryWriter{room: summaryLen - 1}
	head := m.Exchange.String() + " " + m.kind() + " " + strconv.FormatUint(uint64(m.MessageID), 10) + " ["
	if len(head) >= w.room {
		return ""
	}
	w.write(head)
	for _, p := range m.Payloads {
		if !w.write(" " + payloadSummary(p)) {
			return string(w.buf)
		}
	}
	w.write(" ]")
	return string(w.buf)
}

// payloadSummary is one payload's entry in the summary.
func payloadSummary(p Payload) string {
	switch q := p.(type) {
	case *Unknown:
		return "UNKN(" + strconv.Itoa(int(q.PayloadType)) + ")"
	case *Notify:
		if q.NotifyType == NotifyMSNotifyStatus && len(q.Data) == 4 {
			return "N(" + q.NotifyType.ShortName() + "(" + strconv.Itoa(int(int32(binary.BigEndian.Uint32(q.Data)))) + "))"
		}
		return "N(" + q.NotifyType.ShortName() + ")"
	case *EAP:
		return "EAP" + q.summary()
	case *CP:
		return "CP" + q.summary()
	case *EncryptedFragment:
		return "EF(" + strconv.Itoa(int(q.Number)) + "/" + strconv.Itoa(int(q.Total)) + ")"
	}
	return p.Type().ShortName()
}

// summaryWriter appends to a bounded buffer the way charon's get_string
// does with snprintf: a piece that does not fit is cut and ends the summary.
type summaryWriter struct {
	buf  []byte
	room int
}

func (w *summaryWriter) write(s string) bool {
	if len(s) >= w.room {
		if w.room > 1 {
			w.buf = append(w.buf, s[:w.room-1]...)
		}
		w.room = 0
		return false
	}
	w.buf = append(w.buf, s...)
	w.room -= len(s)
	return true
}
