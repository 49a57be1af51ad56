package vici

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds the message decoder arbitrary bytes: it must never
// panic, and whatever it accepts must encode back to the same bytes (a
// message that is accepted whole is exactly what a builder would write,
// once the sections left open at its end are closed).
func FuzzDecode(f *testing.F) {
	f.Add(readmeExample)
	f.Add([]byte{})
	f.Add([]byte{1, 1, 's', 4, 1, 'l', 5, 0, 0, 6, 2})
	f.Add([]byte{3, 1, 'a', 0, 1, '1', 2})
	f.Add([]byte{1, 1, 's', 3, 1, 'k', 0, 1, 'v'})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if m == nil {
			t.Fatal("nil message")
		}
		_ = m.Int("a.b", 0)
		_ = m.Bool("a", false)
		_, _ = m.Str("s.k")
		enc, eerr := m.Encode()
		if eerr != nil {
			t.Fatalf("re-encoding a decoded message: %v", eerr)
		}
		if err != nil {
			return
		}
		// Sections and lists left open at the end get closed on
		// re-encoding; a message that closed them itself comes back as is.
		if len(enc) == len(data) && !bytes.Equal(enc, data) {
			t.Fatalf("round trip:\n in %v\nout %v", data, enc)
		}
	})
}

// FuzzPacket feeds the packet parser, then the server's inbound handling,
// arbitrary segments.
func FuzzPacket(f *testing.F) {
	f.Add(Packet{Type: CmdRequest, Name: "version"}.Encode())
	f.Add(Packet{Type: EventRegister, Name: "log"}.Encode())
	f.Add([]byte{CmdRequest, 200})
	f.Fuzz(func(t *testing.T, seg []byte) {
		p, err := ParsePacket(seg)
		if err == nil && named(p.Type) && !bytes.Equal(p.Encode(), seg) {
			t.Fatalf("round trip: %v -> %v", seg, p.Encode())
		}
	})
}
