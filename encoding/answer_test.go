package encoding

import (
	"bytes"
	"errors"
	"testing"
)

// The receiver's allocation-free answer is byte for byte what the message
// encoder makes of the same message.
func TestAppendNotifyAnswer(t *testing.T) {
	for _, c := range []struct {
		req  Header
		t    NotifyType
		data []byte
	}{
		{Header{SPIi: 0x0102030405060708, Exchange: ExchangeIKESAInit, Flags: FlagInitiator}, NotifyCookie, bytes.Repeat([]byte{7}, 24)},
		{Header{SPIi: 1, SPIr: 2, Exchange: ExchangeIKESAInit, MessageID: 5}, NotifyInvalidMajorVersion, nil},
	} {
		m := NewMessage(c.req.Exchange, c.req.MessageID)
		m.SPIi, m.SPIr, m.Response, m.Initiator = c.req.SPIi, c.req.SPIr, true, !c.req.Initiator()
		m.AddNotify(c.t, c.data)
		want, err := m.Encode(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendNotifyAnswer(nil, c.req, c.t, c.data); !bytes.Equal(got, want) {
			t.Errorf("%v:\n got %x\nwant %x", c.t, got, want)
		}
	}
}

// FuzzReadHeader: the receiver's allocation-free header check agrees with
// DecodeHeader on every input.
func FuzzReadHeader(f *testing.F) {
	f.Add(bytes.Repeat([]byte{1}, 28))
	f.Add(append([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 33, 0x20, 34, 8}, make([]byte, 8)...))
	f.Add(append([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 2, 0, 0, 0, 0, 1}, make([]byte, 4)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h1, ok := ReadHeader(b)
		h2, err := DecodeHeader(b)
		if ok != (err == nil) || (ok && h1 != h2) {
			t.Fatalf("ReadHeader %v %+v, DecodeHeader %v %+v", ok, h1, err, h2)
		}
		if err != nil && !errors.Is(err, ErrHeader) {
			t.Fatalf("error of another kind: %v", err)
		}
	})
}
