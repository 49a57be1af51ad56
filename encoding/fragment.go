package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EncryptedFragment is an SKF payload (RFC 7383 §2.5): one fragment of a
// protected message, encrypted on its own. Next names the first payload
// inside the original SK and is only meaningful in fragment 1.
type EncryptedFragment struct {
	Number, Total uint16
	Next          PayloadType
	Flags         uint8
	// Data is IV || ciphertext || ICV as on the wire.
	Data []byte
	// Plain is this fragment's share of the protected payloads once
	// Decrypt has opened it.
	Plain []byte
	assoc []byte
}

func (*EncryptedFragment) Type() PayloadType { return PayloadSKF }

func (p *EncryptedFragment) AppendBody(b []byte) ([]byte, error) {
	b = appendUint16(b, p.Number)
	b = appendUint16(b, p.Total)
	return append(b, p.Data...), nil
}

func (p *EncryptedFragment) headerFlags() uint8     { return p.Flags }
func (p *EncryptedFragment) innerNext() PayloadType { return p.Next }

// decodeEncryptedFragment makes the checks of charon's frag_verify.
func decodeEncryptedFragment(r rawPayload) (*EncryptedFragment, error) {
	if len(r.body) < 4 {
		return nil, errorf(ErrMalformed, PayloadSKF, "%d bytes, needs at least 4", len(r.body))
	}
	p := &EncryptedFragment{
		Number: binary.BigEndian.Uint16(r.body),
		Total:  binary.BigEndian.Uint16(r.body[2:]),
		Next:   r.next,
		Flags:  r.flags,
		Data:   clone(r.body[4:]),
	}
	if p.Number == 0 || p.Total == 0 || p.Number > p.Total {
		return nil, errorf(ErrInvalid, PayloadSKF, "invalid fragment number (%d) or total fragments (%d)", p.Number, p.Total)
	}
	return p, nil
}

func (p *EncryptedFragment) open(c Cipher) error {
	if p.assoc == nil {
		return errorf(ErrNoCipher, PayloadSKF, "payload was not decoded from a message")
	}
	plain, err := open(c, p.Data, p.assoc, PayloadSKF)
	if err != nil {
		return err
	}
	p.Plain = plain
	return nil
}

// Limits of reassembly: charon handles at most 255 fragments, and a
// reassembled message may not exceed charon.max_packet (default 10000).
const (
	MaxFragments     = 255
	DefaultMaxPacket = 10000
)

// Reassembly outcomes a caller logs as charon does; they are not problems
// with the message as a whole.
var (
	// ErrFragmentDuplicate: the fragment number was already received;
	// the fragment is ignored ("received duplicate fragment #N").
	ErrFragmentDuplicate = errors.New("duplicate fragment")
	// ErrFragmentStale: the fragment announces fewer fragments than those
	// received before; RFC 7383 §2.6 says to discard it.
	ErrFragmentStale = errors.New("fragment of an older fragmentation")
	// ErrFragmentTooMany: more than MaxFragments; reassembly starts over.
	ErrFragmentTooMany = errors.New("maximum fragment count exceeded")
	// ErrFragmentTooLarge: the fragments exceed the maximum message size;
	// reassembly starts over ("fragmented IKE message is too large").
	ErrFragmentTooLarge = errors.New("fragmented IKE message is too large")
	// ErrFragmentMismatch: the message is not a decrypted fragment of the
	// message being reassembled (another message ID, SPI or exchange).
	ErrFragmentMismatch = errors.New("not a fragment of this message")
)

// Reassembler collects the fragments of one message (RFC 7383 §2.6). Feed
// it fragment messages that Decrypt has opened, so that only authentic
// fragments are kept. It is not safe for concurrent use.
type Reassembler struct {
	maxSize int
	hdr     *Message // header of the first fragment received
	total   uint16
	frags   map[uint16][]byte
	size    int
	// fragment 1 carries the first inner payload type and any
	// unprotected payloads
	first       PayloadType
	unprotected []Payload
	sizes       cipherSizes
}

// NewReassembler returns a reassembler for messages up to maxSize bytes of
// protected payloads (DefaultMaxPacket if maxSize <= 0).
func NewReassembler(maxSize int) *Reassembler {
	if maxSize <= 0 {
		maxSize = DefaultMaxPacket
	}
	return &Reassembler{maxSize: maxSize}
}

func (r *Reassembler) reset() {
	r.hdr, r.total, r.frags, r.size, r.first, r.unprotected = nil, 0, nil, 0, PayloadNone, nil
}

// Received returns how many fragments are held and how many are expected.
func (r *Reassembler) Received() (have, total int) { return len(r.frags), int(r.total) }

// Add takes one decrypted fragment message. While fragments are missing it
// returns nil, nil; with the last one it returns the reassembled message,
// decoded and checked against the exchange's rules like any other (an
// *UnsupportedCriticalPayloadError comes with the message, as from
// Decrypt), and the reassembler is empty again. The other errors are the
// ErrFragment* outcomes, or an *Error if the reassembled payloads are bad.
func (r *Reassembler) Add(m *Message) (*Message, error) {
	f := m.Fragment()
	if f == nil || !m.done {
		return nil, fmt.Errorf("%w: no decrypted SKF payload", ErrFragmentMismatch)
	}
	if r.hdr != nil && (m.MessageID != r.hdr.MessageID || m.SPIi != r.hdr.SPIi ||
		m.SPIr != r.hdr.SPIr || m.Exchange != r.hdr.Exchange || m.Response != r.hdr.Response) {
		return nil, fmt.Errorf("%w: %v %s %d", ErrFragmentMismatch, m.Exchange, m.kind(), m.MessageID)
	}
	if f.Total > MaxFragments {
		r.reset()
		return nil, ErrFragmentTooMany
	}
	switch {
	case r.frags == nil || f.Total > r.total:
		// RFC 7383 §2.6: a larger total starts the reassembly over
		r.reset()
		r.total = f.Total
		r.frags = make(map[uint16][]byte, f.Total)
	case f.Total < r.total:
		return nil, ErrFragmentStale
	}
	if _, dup := r.frags[f.Number]; dup {
		return nil, ErrFragmentDuplicate
	}
	r.size += len(f.Plain)
	if r.size > r.maxSize {
		r.reset()
		return nil, ErrFragmentTooLarge
	}
	if r.hdr == nil {
		r.hdr = m
	}
	r.frags[f.Number] = f.Plain
	r.sizes = m.sizes
	if f.Number == 1 {
		r.first = f.Next
		r.unprotected = m.Payloads[:len(m.Payloads)-1]
	}
	if len(r.frags) < int(r.total) {
		return nil, nil
	}
	return r.assemble()
}

func (r *Reassembler) assemble() (*Message, error) {
	plain := make([]byte, 0, r.size)
	for n := uint16(1); n <= r.total; n++ {
		plain = append(plain, r.frags[n]...)
	}
	h := r.hdr
	out := &Message{
		SPIi: h.SPIi, SPIr: h.SPIr, MajorVersion: h.MajorVersion, MinorVersion: h.MinorVersion,
		Exchange: h.Exchange, Initiator: h.Initiator, Response: h.Response,
		HigherVersion: h.HigherVersion, MessageID: h.MessageID, KeepOrder: true,
	}
	unprotected, first, sizes := r.unprotected, r.first, r.sizes
	r.reset()

	inner, err := parseChain(plain, 0, first, false)
	if err != nil {
		return nil, err
	}
	ps := append(append([]Payload(nil), unprotected...), inner...)
	rule := ruleFor(out.Exchange, out.Request())
	for _, p := range ps {
		switch p.(type) {
		case *Encrypted, *EncryptedFragment:
			return nil, errorf(ErrInvalid, p.Type(), "encrypted payload can't contain other payloads of type %v", p.Type())
		}
	}
	if err := rule.verifyCounts(ps); err != nil {
		return nil, err
	}
	// charon reports the length of the whole message: header, unprotected
	// payloads and an SK payload holding the reassembled plaintext
	size := HeaderLen + genericHeaderLen + len(plain) + sizes.overhead(len(plain))
	for _, p := range unprotected {
		b, _ := appendPayload(nil, p, PayloadNone)
		size += len(b)
	}
	out.Payloads, out.done, out.size, out.sizes = ps, true, size, sizes
	return out, criticalCheck(ps)
}
