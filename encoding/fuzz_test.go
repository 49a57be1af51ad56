package encoding

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// equalMessages compares two decoded messages field by field; the SK/SKF
// payloads are compared by their exported fields (their associated data
// is the message they came in, which may legitimately differ in bits the
// codec does not keep, such as reserved header bits).
func equalMessages(a, b *Message) bool {
	if a.SPIi != b.SPIi || a.SPIr != b.SPIr || a.MajorVersion != b.MajorVersion ||
		a.MinorVersion != b.MinorVersion || a.Exchange != b.Exchange || a.Initiator != b.Initiator ||
		a.Response != b.Response || a.HigherVersion != b.HigherVersion || a.MessageID != b.MessageID ||
		len(a.Payloads) != len(b.Payloads) {
		return false
	}
	for i := range a.Payloads {
		if !equalPayloads(a.Payloads[i], b.Payloads[i]) {
			return false
		}
	}
	return true
}

// equalPayloads is equalMessages for one payload.
func equalPayloads(a, b Payload) bool {
	switch p := a.(type) {
	case *Encrypted:
		q, ok := b.(*Encrypted)
		return ok && p.Next == q.Next && p.Flags == q.Flags && bytes.Equal(p.Data, q.Data)
	case *EncryptedFragment:
		q, ok := b.(*EncryptedFragment)
		return ok && p.Number == q.Number && p.Total == q.Total && p.Next == q.Next &&
			p.Flags == q.Flags && bytes.Equal(p.Data, q.Data) && bytes.Equal(p.Plain, q.Plain)
	}
	return reflect.DeepEqual(a, b)
}

// decodeOK decodes b and says whether the message is complete enough to be
// re-encoded (decoded, or decoded with only a critical unknown payload).
func decodeOK(b []byte) (*Message, bool) {
	m, err := Decode(b)
	var crit *UnsupportedCriticalPayloadError
	return m, err == nil || errors.As(err, &crit)
}

func addCaptureSeeds(f *testing.F) {
	for _, run := range captureRuns {
		for _, pk := range loadCapture(f, run).packets {
			f.Add(pk.data)
		}
	}
}

// FuzzMessage: no input panics; whatever decodes, encodes (without cipher:
// plaintext messages in clear, protected ones with their SK as received),
// and decodes again to an equal message whose encoding is stable.
func FuzzMessage(f *testing.F) {
	addCaptureSeeds(f)
	for _, m := range []*Message{initSA(), func() *Message {
		m := NewMessage(ExchangeInformational, 3)
		m.SPIi = 5
		return m.AddNotify(NotifyInvalidSyntax, nil)
	}()} {
		b, err := m.Encode(nil, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := decodeOK(b)
		if !ok {
			return
		}
		if m.String() == "" {
			t.Fatal("empty summary")
		}
		b2, err := m.Encode(nil, nil)
		if errors.Is(err, ErrNoCipher) && !m.Encrypted() {
			// a protected exchange holding only unknown payloads in
			// clear: charon accepts it, but it cannot be sent so
			return
		}
		if err != nil {
			t.Fatalf("decoded message does not encode: %v\n%s", err, m)
		}
		m2, ok := decodeOK(b2)
		if !ok {
			_, err := Decode(b2)
			t.Fatalf("re-encoded message does not decode: %v\n%s\n%x", err, m, b2)
		}
		if !equalMessages(m, m2) {
			t.Fatalf("round trip changed the message\n%s\n%s", m, m2)
		}
		b3, err := m2.Encode(nil, nil)
		if err != nil || !bytes.Equal(b2, b3) {
			t.Fatalf("encoding not stable: %v", err)
		}
	})
}

// saSeeds are the bodies of the SA payloads of the captures, the protected
// ones decrypted with the logged keys.
func saSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, run := range captureRuns {
		c := loadCapture(tb, run)
		for _, pk := range c.packets {
			m, err := Decode(pk.data)
			if err != nil {
				tb.Fatal(err)
			}
			if m.Encrypted() {
				c.decrypt(tb, pk.name, m)
			}
			for _, p := range m.Get(PayloadSA) {
				b, err := p.AppendBody(nil)
				if err != nil {
					tb.Fatal(err)
				}
				seeds = append(seeds, b)
			}
		}
	}
	return seeds
}

// FuzzSA: SA payload parsing (proposals, transforms, attributes) never
// panics, and what parses re-encodes to a stable form that parses equal.
func FuzzSA(f *testing.F) {
	for _, s := range saSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sa, err := decodeSA(body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Payload != PayloadSA {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b, err := sa.AppendBody(nil)
		if err != nil {
			t.Fatal(err)
		}
		sa2, err := decodeSA(b)
		if err != nil {
			t.Fatalf("re-encoded SA does not parse: %v", err)
		}
		if !reflect.DeepEqual(sa, sa2) {
			t.Fatalf("round trip changed the SA\n%+v\n%+v", sa, sa2)
		}
		if b2, _ := sa2.AppendBody(nil); !bytes.Equal(b, b2) {
			t.Fatal("encoding not stable")
		}
	})
}

// fuzzKey is the fixed AES-GCM-16 key FuzzDecrypt seals with.
var fuzzKey = bytes.Repeat([]byte{0x5a}, 36)

// sealedPacket builds a protected message whose SK payload holds padded
// (plaintext, padding and pad length octet) sealed with c, without any of
// Encode's checks.
func sealedPacket(c testCipher, exchange ExchangeType, response bool, first PayloadType, padded []byte) []byte {
	m := &Message{SPIi: 1, SPIr: 2, MajorVersion: 2, Exchange: exchange, Response: response, Initiator: !response}
	size := HeaderLen + genericHeaderLen + c.IVSize() + len(padded) + c.ICVSize()
	b := appendHeader(nil, m, PayloadSK, size)
	b = append(b, byte(first), 0, byte((size-HeaderLen)>>8), byte(size-HeaderLen))
	assoc := bytes.Clone(b)
	iv := make([]byte, c.IVSize())
	b = append(b, iv...)
	b, _ = c.Seal(b, iv, padded, assoc)
	return b
}

var fuzzExchanges = []ExchangeType{ExchangeIKEAuth, ExchangeCreateChildSA, ExchangeInformational}

// FuzzDecrypt feeds arbitrary plaintext through a genuine SK payload: the
// ICV verifies, so the padding check, the inner payload parser and the
// exchange rules see the input. What decrypts re-encrypts and decrypts to
// the same payloads. Seeds are the real plaintexts of the captures.
func FuzzDecrypt(f *testing.F) {
	for _, run := range captureRuns {
		c := loadCapture(f, run)
		for _, pk := range c.packets {
			m, err := Decode(pk.data)
			if err != nil {
				f.Fatal(err)
			}
			if !m.Encrypted() || m.Fragment() != nil {
				continue
			}
			first := m.Payloads[len(m.Payloads)-1].(*Encrypted).Next
			ci := c.decrypt(f, pk.name, m)
			for i, e := range fuzzExchanges {
				if e == m.Exchange {
					f.Add(bytes.Clone(ci.src().opened), byte(first), byte(i), m.Response)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, padded []byte, first, exchange byte, response bool) {
		if len(padded) > 60000 {
			return
		}
		c := newGCM16(fuzzKey)
		c.rand = zeroReader{}
		ex := fuzzExchanges[int(exchange)%len(fuzzExchanges)]
		m, err := Decode(sealedPacket(c, ex, response, PayloadType(first), padded))
		if err != nil {
			t.Fatalf("sealed packet does not decode: %v", err)
		}
		err = m.Decrypt(c)
		var crit *UnsupportedCriticalPayloadError
		if err != nil && !errors.As(err, &crit) {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			if errors.Is(err, ErrIntegrity) && len(padded) > 0 {
				t.Fatalf("genuine ICV rejected: %v", err)
			}
			return
		}
		b, err := m.Encode(c, zeroReader{})
		if err != nil {
			t.Fatalf("decrypted message does not encode: %v\n%s", err, m)
		}
		m2, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := m2.Decrypt(c); err != nil && !errors.As(err, &crit) {
			t.Fatalf("re-encrypted message does not decrypt: %v", err)
		}
		if !equalMessages(m, m2) {
			t.Fatalf("round trip changed the message\n%s\n%s", m, m2)
		}
	})
}

// FuzzRedirectData: REDIRECT data a peer sends parses or is refused, and
// what parses encodes back to the same bytes.
func FuzzRedirectData(f *testing.F) {
	f.Add([]byte{1, 4, 192, 168, 0, 1})
	f.Add([]byte{3, 19, 'm', 'o', 'o', 'n', '.', 's', 't', 'r', 'o', 'n', 'g', 's', 'w', 'a', 'n', '.', 'o', 'r', 'g', 1, 2, 3})
	f.Add([]byte{2, 0})
	f.Add([]byte{9, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRedirectData(b)
		if err != nil {
			return
		}
		out, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(b) {
			t.Fatalf("round trip %x -> %x", b, out)
		}
	})
}
