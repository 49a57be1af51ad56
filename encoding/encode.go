package encoding

import (
	"encoding/binary"
	"io"
	"math"
)

// Encode returns the message on the wire (without a non-ESP marker).
//
// Unless KeepOrder is set, Payloads are first put in charon's order for the
// exchange, in place, so that String() afterwards is charon's "generating"
// line. A protected exchange's payloads are wrapped in an SK payload sealed
// with c; its padding comes from rand (the pad length octet excepted). An
// IKE_SA_INIT message is plaintext whatever c is, and an INFORMATIONAL
// without cipher is sent in clear as charon does before keys exist. A
// message whose last payload is an already encrypted SK or SKF (a decoded
// message that was not decrypted) is copied as it is.
func (m *Message) Encode(c Cipher, rand io.Reader) ([]byte, error) {
	rule, err := m.prepare()
	if err != nil {
		return nil, err
	}
	if m.rawProtected() || !rule.encrypted || c == nil && m.Exchange == ExchangeInformational {
		b, err := m.encodePlain()
		m.size = len(b)
		return b, err
	}
	if c == nil {
		return nil, errorf(ErrNoCipher, PayloadNone, "unable to encrypt payloads without AEAD transform")
	}
	inner, err := encodeChain(nil, m.Payloads)
	if err != nil {
		return nil, err
	}
	b, err := m.seal(c, rand, m.firstType(), inner, 0, 0)
	m.size = len(b)
	return b, err
}

// EncodeFragments is Encode with IKE fragmentation (RFC 7383): if the
// protected message would exceed maxSize bytes (the largest IKE message,
// see FragmentSize), its SK contents are split into SKF fragments, each
// sealed on its own, the way charon splits them. Otherwise, and for
// messages that cannot be fragmented (unprotected ones), it returns the
// single Encode result.
func (m *Message) EncodeFragments(c Cipher, rand io.Reader, maxSize int) ([][]byte, error) {
	rule, err := m.prepare()
	if err != nil {
		return nil, err
	}
	if m.rawProtected() || !rule.encrypted || c == nil {
		b, err := m.Encode(c, rand)
		if err != nil {
			return nil, err
		}
		return [][]byte{b}, nil
	}
	inner, err := encodeChain(nil, m.Payloads)
	if err != nil {
		return nil, err
	}
	s := sizesOf(c)
	total := HeaderLen + genericHeaderLen + len(inner) + s.overhead(len(inner))
	if total <= maxSize {
		b, err := m.seal(c, rand, m.firstType(), inner, 0, 0)
		m.size = len(b)
		if err != nil {
			return nil, err
		}
		return [][]byte{b}, nil
	}
	// the share of plaintext per fragment (message.c fragment()): what is
	// left of maxSize after the IKE header, IV, ICV and SKF header, cut to
	// whole blocks, minus the pad length octet; never below one byte
	per := maxSize
	for _, n := range []int{HeaderLen, s.iv, s.icv, genericHeaderLen + 4} {
		per = max(1, per-n)
	}
	per = max(1, per/s.block*s.block-1)
	count := (len(inner) + per - 1) / per
	if count > MaxFragments {
		return nil, errorf(ErrEncode, PayloadSKF, "%d fragments of %d bytes exceed the %d a peer accepts", count, per, MaxFragments)
	}
	frags := make([][]byte, 0, count)
	for n := 1; n <= count; n++ {
		chunk := inner[(n-1)*per : min(n*per, len(inner))]
		first := PayloadNone
		if n == 1 {
			first = m.firstType()
		}
		b, err := m.seal(c, rand, first, chunk, uint16(n), uint16(count))
		if err != nil {
			return nil, err
		}
		frags = append(frags, b)
	}
	m.size = total
	return frags, nil
}

// FragmentSize turns charon.fragment_size, the largest IP datagram (0 for
// charon's default of 576 bytes over IPv4 and 1280 over IPv6), into the
// largest IKE message EncodeFragments may produce: without the IP header,
// the UDP header and, when neither port is 500, the non-ESP marker.
func FragmentSize(datagram int, ipv6, nonESPMarker bool) int {
	ipHeader := 20
	if ipv6 {
		ipHeader = 40
	}
	if datagram <= 0 {
		datagram = 576
		if ipv6 {
			datagram = 1280
		}
	}
	n := max(1, datagram-ipHeader)
	n = max(1, n-8)
	if nonESPMarker {
		n = max(1, n-4)
	}
	return n
}

// FragmentSummary is charon's summary of fragment num of total of m, as in
// "generating IKE_AUTH request 1 [ EF(1/3) ]".
func (m *Message) FragmentSummary(num, total int) string {
	f := &Message{Exchange: m.Exchange, Response: m.Response, MessageID: m.MessageID,
		Payloads: []Payload{&EncryptedFragment{Number: uint16(num), Total: uint16(total)}}}
	return f.String()
}

// prepare finds the exchange's rules and sorts the payloads.
func (m *Message) prepare() (*messageRule, error) {
	rule := ruleFor(m.Exchange, m.Request())
	if rule == nil {
		return nil, errorf(ErrUnsupportedExchange, PayloadNone, "no message rules specified for a %v %s", m.Exchange, m.kind())
	}
	if !m.KeepOrder {
		m.Payloads = rule.sort(m.Payloads)
	}
	for i, p := range m.Payloads {
		switch p.(type) {
		case *Encrypted, *EncryptedFragment:
			if i != len(m.Payloads)-1 {
				return nil, errorf(ErrEncode, p.Type(), "encrypted payload is not last payload")
			}
		}
	}
	return rule, nil
}

// rawProtected reports a message whose protected part is already in wire
// form (a decoded message that was not decrypted).
func (m *Message) rawProtected() bool { return endsEncrypted(m.Payloads) }

func (m *Message) firstType() PayloadType {
	if len(m.Payloads) == 0 {
		return PayloadNone
	}
	return m.Payloads[0].Type()
}

// encodeChain appends the payloads, each with its generic header.
func encodeChain(b []byte, ps []Payload) ([]byte, error) {
	for i, p := range ps {
		next := PayloadNone
		if i+1 < len(ps) {
			next = ps[i+1].Type()
		}
		var err error
		if b, err = appendPayload(b, p, next); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (m *Message) encodePlain() ([]byte, error) {
	b := appendHeader(make([]byte, 0, 512), m, m.firstType(), 0)
	b, err := encodeChain(b, m.Payloads)
	if err != nil {
		return nil, err
	}
	if len(b) > math.MaxUint32 {
		return nil, errorf(ErrEncode, PayloadNone, "message too long")
	}
	binary.BigEndian.PutUint32(b[24:], uint32(len(b)))
	return b, nil
}

// seal builds a protected message: the header, an SK payload (or, with a
// fragment number, an SKF payload) whose Next Payload is first, and plain
// sealed inside.
func (m *Message) seal(c Cipher, rand io.Reader, first PayloadType, plain []byte, num, total uint16) ([]byte, error) {
	s := sizesOf(c)
	typ, hl := PayloadSK, genericHeaderLen
	if num != 0 {
		typ, hl = PayloadSKF, genericHeaderLen+4
	}
	plen := hl + len(plain) + s.overhead(len(plain))
	if plen > math.MaxUint16 {
		return nil, errorf(ErrEncode, typ, "%d bytes exceed the 16-bit payload length", plen)
	}
	size := HeaderLen + plen
	b := appendHeader(make([]byte, 0, size), m, typ, size)
	b = append(b, byte(first), 0)
	b = appendUint16(b, uint16(plen))
	if num != 0 {
		b = appendUint16(b, num)
		b = appendUint16(b, total)
	}
	b, err := seal(b, c, rand, plain, b)
	if err != nil {
		return nil, err
	}
	if len(b) != size {
		return nil, errorf(ErrEncode, typ, "cipher produced %d bytes instead of %d", len(b), size)
	}
	return b, nil
}
