package vici

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/goswan/goswan/internal/clib"
)

// Element types of the message encoding (vici_type_t).
const (
	typeStart        = 0 // VICI_START: never on the wire
	typeSectionStart = 1
	typeSectionEnd   = 2
	typeKeyValue     = 3
	typeListStart    = 4
	typeListItem     = 5
	typeListEnd      = 6
	typeEnd          = 7 // VICI_END: never on the wire
)

// typeNames is vici_type_names, for charon's parse error messages.
var typeNames = [...]string{"start", "section-start", "section-end", "key-value", "list-start", "list-item",
	"list-end", "end"}

func typeName(t byte) string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("(%d)", t)
}

// Kind says what an element of a section is.
type Kind uint8

const (
	// KeyValue is a named value.
	KeyValue Kind = iota
	// List is a named list of values.
	List
	// Section is a named sub-section.
	Section
)

// Element is one entry of a section, in message order.
type Element struct {
	Kind Kind
	Name string
	// Value is a KeyValue's value.
	Value []byte
	// Items are a List's values.
	Items [][]byte
	// Sub is a Section's content.
	Sub *Message
}

// Message is a decoded message: the root section, its elements in the order
// they were encoded. Names may repeat, as charon does not check that they
// are unique; lookups find the first.
type Message struct {
	Elements []Element
}

// ErrMalformed wraps every decoding error.
var ErrMalformed = errors.New("malformed vici message")

// printable is chunk_printable(chunk, NULL, 0): every byte isprint in the C
// locale.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// Decode parses a message as charon's parse enumerator does: each element
// type must be allowed where it stands (vici_verify_type) and names must be
// printable. The end of the data ends the message, closing what is still
// open, as charon's lazy parser does. On an error the elements decoded so
// far are returned with it: charon hands a command the message anyway and
// its lookups find what precedes the fault.
func Decode(data []byte) (*Message, error) {
	root := &Message{}
	stack := []*Message{root}
	var list *Element
	r := reader{b: data}
	for r.remaining() > 0 {
		t := r.u8()
		cur := stack[len(stack)-1]
		if err := verifyType(t, len(stack)-1, list != nil); err != nil {
			return root, err
		}
		switch t {
		case typeSectionStart:
			name, ok := r.name()
			if !ok {
				return root, fmt.Errorf("%w: invalid '%s' encoding", ErrMalformed, typeName(t))
			}
			sub := &Message{}
			cur.Elements = append(cur.Elements, Element{Kind: Section, Name: name, Sub: sub})
			stack = append(stack, sub)
		case typeSectionEnd:
			stack = stack[:len(stack)-1]
		case typeKeyValue:
			name, ok := r.name()
			var v []byte
			if ok {
				v, ok = r.data16()
			}
			if !ok {
				return root, fmt.Errorf("%w: invalid '%s' encoding", ErrMalformed, typeName(t))
			}
			cur.Elements = append(cur.Elements, Element{Kind: KeyValue, Name: name, Value: v})
		case typeListStart:
			name, ok := r.name()
			if !ok {
				return root, fmt.Errorf("%w: invalid '%s' encoding", ErrMalformed, typeName(t))
			}
			cur.Elements = append(cur.Elements, Element{Kind: List, Name: name})
			list = &cur.Elements[len(cur.Elements)-1]
		case typeListItem:
			v, ok := r.data16()
			if !ok {
				return root, fmt.Errorf("%w: invalid '%s' encoding", ErrMalformed, typeName(t))
			}
			list.Items = append(list.Items, v)
		case typeListEnd:
			list = nil
		default:
			return root, fmt.Errorf("%w: unknown encoding type: %d", ErrMalformed, t)
		}
	}
	return root, nil
}

// verifyType is vici_verify_type: what may stand where.
func verifyType(t byte, section int, inList bool) error {
	if inList {
		if t != typeListEnd && t != typeListItem {
			return fmt.Errorf("%w: '%s' within list", ErrMalformed, typeName(t))
		}
	} else if t == typeListItem || t == typeListEnd {
		return fmt.Errorf("%w: '%s' outside list", ErrMalformed, typeName(t))
	}
	if t == typeSectionEnd && section == 0 {
		return fmt.Errorf("%w: '%s' outside of section", ErrMalformed, typeName(t))
	}
	if t == typeEnd && section > 0 {
		return fmt.Errorf("%w: '%s' within section", ErrMalformed, typeName(t))
	}
	return nil
}

type reader struct {
	b   []byte
	off int
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) u8() byte {
	c := r.b[r.off]
	r.off++
	return c
}

// name reads an 8-bit length prefixed, printable name.
func (r *reader) name() (string, bool) {
	if r.remaining() < 1 {
		return "", false
	}
	n := int(r.u8())
	if r.remaining() < n {
		return "", false
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	if !printable(b) {
		return "", false
	}
	return string(b), true
}

// data16 reads a 16-bit length prefixed value, copied out of the buffer.
func (r *reader) data16() ([]byte, bool) {
	if r.remaining() < 2 {
		return nil, false
	}
	n := int(r.b[r.off])<<8 | int(r.b[r.off+1])
	r.off += 2
	if r.remaining() < n {
		return nil, false
	}
	v := bytes.Clone(r.b[r.off : r.off+n])
	r.off += n
	return v, true
}

// Find returns the first element called name in this section.
func (m *Message) Find(name string) *Element {
	if m == nil {
		return nil
	}
	for i := range m.Elements {
		if m.Elements[i].Name == name {
			return &m.Elements[i]
		}
	}
	return nil
}

// Value finds a key's value by a dotted path ("section.sub.key"), as
// charon's find_value: each part but the last names a section, the first
// of that name, and the last part a key in it.
func (m *Message) Value(path string) ([]byte, bool) {
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		var next *Message
		for i := range cur.Elements {
			if e := &cur.Elements[i]; e.Kind == Section && e.Name == p {
				next = e.Sub
				break
			}
		}
		if next == nil {
			return nil, false
		}
		cur = next
	}
	key := parts[len(parts)-1]
	for i := range cur.Elements {
		if e := &cur.Elements[i]; e.Kind == KeyValue && e.Name == key {
			return e.Value, true
		}
	}
	return nil, false
}

// Str is get_str: the value as a string if it is printable, else def.
// ok reports whether a printable value was found (charon's non-NULL
// result when def is NULL).
func (m *Message) Str(path string) (s string, ok bool) {
	v, found := m.Value(path)
	if !found || !printable(v) {
		return "", false
	}
	return string(v), true
}

// StrDefault is Str with a default.
func (m *Message) StrDefault(path, def string) string {
	if s, ok := m.Str(path); ok {
		return s
	}
	return def
}

// Int is get_int: strtol(3) base 0 of the whole value, as C's int (the low
// 32 bits); def when the key is missing, empty, not printable, not a
// number or out of long's range.
func (m *Message) Int(path string, def int) int {
	v, found := m.Value(path)
	if !found || len(v) == 0 || !printable(v) {
		return def
	}
	s := string(v)
	if len(s) > 31 {
		s = s[:31] // charon copies into a 32-byte buffer
	}
	n, rest := clib.Strtol(s, 0)
	if rest != "" || n == math.MaxInt64 || n == math.MinInt64 {
		return def
	}
	return int(int32(n))
}

// Bool is get_bool: settings_value_as_bool of the value, def when the key
// is missing, empty or neither true nor false.
func (m *Message) Bool(path string, def bool) bool {
	v, found := m.Value(path)
	if !found || len(v) == 0 || !printable(v) {
		return def
	}
	s := string(v)
	if len(s) > 15 {
		s = s[:15] // charon copies into a 16-byte buffer
	}
	return BoolValue(s, def)
}

// BoolValue is settings_value_as_bool.
func BoolValue(s string, def bool) bool {
	switch strings.ToLower(s) {
	case "1", "yes", "true", "enabled":
		return true
	case "0", "no", "false", "disabled":
		return false
	}
	return def
}

// Encode encodes the message (for clients and tests; the daemon builds its
// messages with a Builder).
func (m *Message) Encode() ([]byte, error) {
	b := NewBuilder()
	m.encodeInto(b)
	return b.Finalize()
}

func (m *Message) encodeInto(b *Builder) {
	for _, e := range m.Elements {
		switch e.Kind {
		case KeyValue:
			b.add(typeKeyValue, e.Name, e.Value)
		case List:
			b.BeginList(e.Name)
			for _, it := range e.Items {
				b.add(typeListItem, "", it)
			}
			b.EndList()
		case Section:
			b.BeginSection(e.Name)
			e.Sub.encodeInto(b)
			b.EndSection()
		}
	}
}

// Builder encodes a message element by element, checking each as charon's
// vici_builder does; Finalize fails if anything was out of place.
type Builder struct {
	buf     []byte
	section int
	list    bool
	errs    int
	first   error
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder { return &Builder{} }

func (b *Builder) fail(err error) {
	b.errs++
	if b.first == nil {
		b.first = err
	}
}

func (b *Builder) add(t byte, name string, value []byte) {
	if len(value) > 0xffff {
		b.fail(fmt.Errorf("vici value exceeds size limit (%d > %d)", len(value), 0xffff))
		return
	}
	if len(name) > 0xff {
		b.fail(fmt.Errorf("vici name exceeds size limit (%d > %d)", len(name), 0xff))
		return
	}
	if err := verifyType(t, b.section, b.list); err != nil {
		b.fail(err)
		return
	}
	b.buf = append(b.buf, t)
	switch t {
	case typeSectionStart:
		b.buf = append(b.buf, byte(len(name)))
		b.buf = append(b.buf, name...)
		b.section++
	case typeSectionEnd:
		b.section--
	case typeKeyValue:
		b.buf = append(b.buf, byte(len(name)))
		b.buf = append(b.buf, name...)
		b.buf = append(b.buf, byte(len(value)>>8), byte(len(value)))
		b.buf = append(b.buf, value...)
	case typeListStart:
		b.buf = append(b.buf, byte(len(name)))
		b.buf = append(b.buf, name...)
		b.list = true
	case typeListItem:
		b.buf = append(b.buf, byte(len(value)>>8), byte(len(value)))
		b.buf = append(b.buf, value...)
	case typeListEnd:
		b.list = false
	}
}

// KV adds a key/value pair.
func (b *Builder) KV(key, value string) { b.add(typeKeyValue, key, []byte(value)) }

// KVf adds a key/value pair with a formatted value (add_kv).
func (b *Builder) KVf(key, format string, args ...any) { b.KV(key, fmt.Sprintf(format, args...)) }

// KVBytes adds a key with a binary value.
func (b *Builder) KVBytes(key string, value []byte) { b.add(typeKeyValue, key, value) }

// BeginSection opens a sub-section.
func (b *Builder) BeginSection(name string) { b.add(typeSectionStart, name, nil) }

// EndSection closes the innermost section.
func (b *Builder) EndSection() { b.add(typeSectionEnd, "", nil) }

// BeginList opens a list.
func (b *Builder) BeginList(name string) { b.add(typeListStart, name, nil) }

// Item adds a list item.
func (b *Builder) Item(value string) { b.add(typeListItem, "", []byte(value)) }

// Itemf adds a formatted list item (add_li).
func (b *Builder) Itemf(format string, args ...any) { b.Item(fmt.Sprintf(format, args...)) }

// EndList closes the list.
func (b *Builder) EndList() { b.add(typeListEnd, "", nil) }

// Finalize returns the encoding, or an error if an element was out of
// place, too long, or a section or list is still open.
func (b *Builder) Finalize() ([]byte, error) {
	if b.errs > 0 || b.section > 0 || b.list {
		list := 0
		if b.list {
			list = 1
		}
		err := fmt.Errorf("vici builder error: %d errors (section: %d, list %d)", b.errs, b.section, list)
		if b.first != nil {
			err = fmt.Errorf("%w: %v", err, b.first)
		}
		return nil, err
	}
	if b.buf == nil {
		return []byte{}, nil
	}
	return b.buf, nil
}
