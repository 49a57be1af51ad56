// Package udploss measures what a path does to a stream of numbered UDP
// packets: how many are lost, duplicated and reordered, and when each gap
// happened. Two endpoints each send a paced stream to the other and
// analyse the stream they receive, so one run measures both directions of
// a tunnel, across whatever the daemons do meanwhile (rekeys).
//
// A run has three phases: a handshake (HELLO packets until the peer's first
// packet arrives, so that neither stream starts before the other end
// listens and the tunnel is up), the stream (DATA packets numbered from 0,
// each carrying its send time), and the end (END packets carrying the
// number of DATA packets sent, repeated, so that losses at the very end
// count too).
package udploss

import (
	"encoding/binary"
	"errors"
	"time"
)

// Kind is a packet's role.
type Kind uint8

const (
	// Hello packets open a run; they are not counted.
	Hello Kind = 1
	// Data packets are the measured stream.
	Data Kind = 2
	// End packets carry the number of Data packets sent.
	End Kind = 3
)

var magic = [4]byte{'G', 'S', 'N', 'U'}

// headerLen is the size of the header; packets are padded to Config.Size.
const headerLen = 4 + 1 + 1 + 2 + 8 + 8 + 8

// Packet is one packet's header.
type Packet struct {
	Kind Kind
	// Stream identifies the sender's run, so that packets of an earlier
	// run to the same port are ignored.
	Stream uint64
	// Seq numbers Data packets from 0; for End it is the number of Data
	// packets sent.
	Seq uint64
	// Sent is the sender's clock when the packet left.
	Sent time.Time
}

// Marshal writes p into a packet of size bytes (at least headerLen).
func (p Packet) Marshal(size int) []byte {
	if size < headerLen {
		size = headerLen
	}
	b := make([]byte, size)
	copy(b, magic[:])
	b[4] = 1 // version
	b[5] = byte(p.Kind)
	binary.BigEndian.PutUint64(b[8:], p.Stream)
	binary.BigEndian.PutUint64(b[16:], p.Seq)
	binary.BigEndian.PutUint64(b[24:], uint64(p.Sent.UnixNano()))
	return b
}

// errNotOurs marks datagrams that are not udploss packets.
var errNotOurs = errors.New("not a udploss packet")

// Unmarshal reads a packet; anything else (a stray datagram) is an error.
func Unmarshal(b []byte) (Packet, error) {
	if len(b) < headerLen || [4]byte(b[:4]) != magic || b[4] != 1 {
		return Packet{}, errNotOurs
	}
	k := Kind(b[5])
	if k != Hello && k != Data && k != End {
		return Packet{}, errNotOurs
	}
	return Packet{
		Kind:   k,
		Stream: binary.BigEndian.Uint64(b[8:]),
		Seq:    binary.BigEndian.Uint64(b[16:]),
		Sent:   time.Unix(0, int64(binary.BigEndian.Uint64(b[24:]))),
	}, nil
}
