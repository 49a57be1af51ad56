package vici

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Packet types (vici_operation_t).
const (
	CmdRequest      = 0 // a named request
	CmdResponse     = 1 // the response to a request
	CmdUnknown      = 2 // the requested command is unknown
	EventRegister   = 3 // register for a named event
	EventUnregister = 4 // unregister from a named event
	EventConfirm    = 5 // (un)registration succeeded
	EventUnknown    = 6 // (un)registration failed
	EventPacket     = 7 // a named event
)

// MaxSegment is VICI_MESSAGE_SIZE_MAX: the longest byte sequence of the
// transport layer.
const MaxSegment = 512 * 1024

// ErrSegmentTooLong is returned for a length header above MaxSegment.
var ErrSegmentTooLong = errors.New("vici segment too long")

// ReadSegment reads one length-prefixed byte sequence.
func ReadSegment(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxSegment {
		return nil, fmt.Errorf("%w: vici message length %d exceeds %d bytes limit, ignored", ErrSegmentTooLong, n, MaxSegment)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// Frame prefixes a packet with its length header.
func Frame(packet []byte) []byte {
	out := make([]byte, 4, 4+len(packet))
	binary.BigEndian.PutUint32(out, uint32(len(packet)))
	return append(out, packet...)
}

// named reports whether a packet type carries a name.
func named(t byte) bool {
	return t == CmdRequest || t == EventRegister || t == EventUnregister || t == EventPacket
}

// Packet is one packet of the packet layer.
type Packet struct {
	Type byte
	// Name is the command or event name of named types.
	Name string
	// Message is the encoded message that follows (requests, responses,
	// events).
	Message []byte
}

// ParsePacket splits a segment into type, name and message. A named
// packet's name must be printable (vici_stringify).
func ParsePacket(seg []byte) (Packet, error) {
	if len(seg) < 1 {
		return Packet{}, fmt.Errorf("%w: empty packet", ErrMalformed)
	}
	p := Packet{Type: seg[0]}
	rest := seg[1:]
	if named(p.Type) {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return p, fmt.Errorf("%w: truncated name", ErrMalformed)
		}
		name := rest[1 : 1+int(rest[0])]
		if !printable(name) {
			return p, fmt.Errorf("%w: name not printable", ErrMalformed)
		}
		p.Name = string(name)
		rest = rest[1+int(rest[0]):]
	}
	p.Message = rest
	return p, nil
}

// Encode builds the packet's bytes (without the length header).
func (p Packet) Encode() []byte {
	n := 1 + len(p.Message)
	if named(p.Type) {
		n += 1 + len(p.Name)
	}
	out := make([]byte, 0, n)
	out = append(out, p.Type)
	if named(p.Type) {
		out = append(out, byte(len(p.Name)))
		out = append(out, p.Name...)
	}
	return append(out, p.Message...)
}
