package stroke

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Errors of Encode and Decode; the returned errors wrap one of them.
var (
	// ErrLength: the length field is below HeaderLen (charon: "invalid
	// stroke message length").
	ErrLength = errors.New("invalid stroke message length")
	// ErrTruncated: fewer bytes than the length field announces.
	ErrTruncated = errors.New("truncated stroke message")
	// ErrTrailing: more bytes than the length field announces.
	ErrTrailing = errors.New("trailing bytes after stroke message")
	// ErrUnknownType: a type strongSwan does not define (charon: "received
	// unknown stroke").
	ErrUnknownType = errors.New("unknown stroke message type")
	// ErrBadPointer: a string offset outside HeaderLen..length, which charon
	// would replace by "(invalid pointer in stroke msg)".
	ErrBadPointer = errors.New("invalid pointer in stroke msg")
	// ErrTooLong: the strings do not fit into MaxLen bytes (stroke: "stroke
	// message exceeds maximum buffer size").
	ErrTooLong = errors.New("stroke message exceeds maximum buffer size")
	// ErrNUL: a string contains a NUL byte, which a C string cannot hold.
	ErrNUL = errors.New("string contains a NUL byte")
)

var le = binary.LittleEndian

// Encode returns the bytes starter or stroke would send for m: the fixed
// part with every unused byte zero, then the strings in m.Order (default:
// the senders' push order), with length and buflen as their allocator
// leaves them.
func (m *Msg) Encode() ([]byte, error) {
	body, err := m.checkBody()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, HeaderLen, HeaderLen+64)
	le.PutUint32(buf[offType:], uint32(m.Type))
	le.PutUint32(buf[offVerbosity:], uint32(m.Verbosity))
	enc := &encoder{buf: buf}
	body.walk(enc)
	order, err := packOrder(body, m.Order, enc.set)
	if err != nil {
		return nil, err
	}
	length, buflen := HeaderLen, 0
	for _, name := range order {
		s := enc.set[name]
		if strings.IndexByte(s.val, 0) >= 0 {
			return nil, fmt.Errorf("stroke: %s: %w", name, ErrNUL)
		}
		n := len(s.val) + 1
		if length+n >= MaxLen {
			return nil, ErrTooLong
		}
		// The senders realloc in steps and count the steps in buflen, a
		// field that then goes over the wire; reproduce it exactly.
		for length+n > structSize+buflen {
			buflen += bufLenInc
		}
		le.PutUint64(buf[s.off:], uint64(length))
		buf = append(buf, s.val...)
		buf = append(buf, 0)
		length += n
	}
	le.PutUint16(buf[offLength:], uint16(length))
	le.PutUint16(buf[offBuflen:], uint16(buflen))
	return buf, nil
}

// setString is a non-NULL string field met by the encoder.
type setString struct {
	off int
	val string
}

type encoder struct {
	buf []byte
	set map[string]setString
}

func (e *encoder) str(off int, name string, p *Str) {
	if !p.Valid {
		return
	}
	if e.set == nil {
		e.set = make(map[string]setString)
	}
	e.set[name] = setString{off, p.Value}
}

func (e *encoder) boolean(off int, _ string, p *bool) {
	if *p {
		e.buf[off] = 1
	}
}
func (e *encoder) u8(off int, _ string, p *uint8)   { e.buf[off] = *p }
func (e *encoder) u16(off int, _ string, p *uint16) { le.PutUint16(e.buf[off:], *p) }
func (e *encoder) i32(off int, _ string, p *int32)  { le.PutUint32(e.buf[off:], uint32(*p)) }
func (e *encoder) u32(off int, _ string, p *uint32) { le.PutUint32(e.buf[off:], *p) }
func (e *encoder) i64(off int, _ string, p *int64)  { le.PutUint64(e.buf[off:], uint64(*p)) }
func (e *encoder) u64(off int, _ string, p *uint64) { le.PutUint64(e.buf[off:], *p) }

// defaultOrder lists every string field of body in the order the senders
// push them.
func defaultOrder(body Body) []string {
	if _, ok := body.(*AddConn); ok {
		return addConnPushOrder
	}
	var names []string
	body.walk(nameCollector(func(n string) { names = append(names, n) }))
	return names
}

// packOrder returns the set strings in packing order: those named in order
// first, then the others in the default order.
func packOrder(body Body, order []string, set map[string]setString) ([]string, error) {
	def := defaultOrder(body)
	known := make(map[string]bool, len(def))
	for _, n := range def {
		known[n] = true
	}
	out := make([]string, 0, len(set))
	done := make(map[string]bool, len(set))
	for _, n := range order {
		if !known[n] {
			return nil, fmt.Errorf("stroke: Order names %q, not a string field of %s", n, body.member())
		}
		if _, ok := set[n]; ok && !done[n] {
			out = append(out, n)
			done[n] = true
		}
	}
	for _, n := range def {
		if _, ok := set[n]; ok && !done[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// nameCollector is a walker that reports the names of string fields.
type nameCollector func(name string)

func (f nameCollector) str(_ int, name string, _ *Str) { f(name) }
func (nameCollector) boolean(int, string, *bool)       {}
func (nameCollector) u8(int, string, *uint8)           {}
func (nameCollector) u16(int, string, *uint16)         {}
func (nameCollector) i32(int, string, *int32)          {}
func (nameCollector) u32(int, string, *uint32)         {}
func (nameCollector) i64(int, string, *int64)          {}
func (nameCollector) u64(int, string, *uint64)         {}

// Fields lists the names of the string fields of a message type in the
// order starter and stroke push them (nil for an unknown type). These are
// the names Msg.Order and PushLast take, e.g. "add_conn.me.auth".
func Fields(t Type) []string {
	b := BodyFor(t)
	if b == nil {
		return nil
	}
	return append([]string(nil), defaultOrder(b)...)
}

// Decode parses one complete message, which must be exactly as long as its
// length field says. It applies charon's checks (length at least
// HeaderLen, a defined type) and rejects string offsets outside the message.
// A string runs to its NUL or to the end of the message, as charon forces a
// NUL after the last byte.
func Decode(b []byte) (*Msg, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTruncated, len(b))
	}
	length := int(le.Uint16(b[offLength:]))
	if length < HeaderLen {
		return nil, fmt.Errorf("%w %d", ErrLength, length)
	}
	if len(b) < length {
		return nil, fmt.Errorf("%w: %d of %d bytes", ErrTruncated, len(b), length)
	}
	if len(b) > length {
		return nil, fmt.Errorf("%w: %d bytes, length field %d", ErrTrailing, len(b), length)
	}
	m := &Msg{
		Type:      Type(int32(le.Uint32(b[offType:]))),
		Verbosity: int32(le.Uint32(b[offVerbosity:])),
	}
	body := BodyFor(m.Type)
	if body == nil {
		return nil, fmt.Errorf("%w %d", ErrUnknownType, int32(m.Type))
	}
	d := &decoder{msg: b}
	body.walk(d)
	if d.err != nil {
		return nil, d.err
	}
	m.Body = body
	// Record where the strings were, so Encode packs them the same way.
	sort.SliceStable(d.strs, func(i, j int) bool { return d.strs[i].off < d.strs[j].off })
	for _, s := range d.strs {
		m.Order = append(m.Order, s.name)
	}
	return m, nil
}

type decodedString struct {
	name string
	off  uint64
}

type decoder struct {
	msg  []byte
	strs []decodedString
	err  error
}

func (d *decoder) str(off int, name string, p *Str) {
	ptr := le.Uint64(d.msg[off:])
	if ptr == 0 || d.err != nil {
		return
	}
	if ptr < HeaderLen || ptr > uint64(len(d.msg)) {
		d.err = fmt.Errorf("%w: %s at offset %d, outside %d..%d", ErrBadPointer, name, ptr,
			HeaderLen, len(d.msg))
		return
	}
	s := d.msg[ptr:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	*p = S(string(s))
	d.strs = append(d.strs, decodedString{name, ptr})
}

func (d *decoder) boolean(off int, _ string, p *bool) { *p = d.msg[off] != 0 }
func (d *decoder) u8(off int, _ string, p *uint8)     { *p = d.msg[off] }
func (d *decoder) u16(off int, _ string, p *uint16)   { *p = le.Uint16(d.msg[off:]) }
func (d *decoder) i32(off int, _ string, p *int32)    { *p = int32(le.Uint32(d.msg[off:])) }
func (d *decoder) u32(off int, _ string, p *uint32)   { *p = le.Uint32(d.msg[off:]) }
func (d *decoder) i64(off int, _ string, p *int64)    { *p = int64(le.Uint64(d.msg[off:])) }
func (d *decoder) u64(off int, _ string, p *uint64)   { *p = le.Uint64(d.msg[off:]) }
