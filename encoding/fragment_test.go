package encoding

import (
	"errors"
	"reflect"
	"testing"
)

// fragments encodes authRequest in fragments of at most maxSize bytes and
// decodes and decrypts each one.
func fragments(t *testing.T, c testCipher, maxSize int) (*Message, []*Message, [][]byte) {
	t.Helper()
	m := authRequest()
	bs, err := m.EncodeFragments(c, zeroReader{}, maxSize)
	if err != nil {
		t.Fatal(err)
	}
	var ms []*Message
	for i, b := range bs {
		if len(b) > maxSize {
			t.Errorf("fragment %d has %d bytes, more than %d", i+1, len(b), maxSize)
		}
		d, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Decrypt(c); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, d)
	}
	return m, ms, bs
}

func TestFragmentRoundTrip(t *testing.T) {
	for _, c := range testCiphers() {
		m, frags, bs := fragments(t, c, 120)
		if len(frags) < 3 {
			t.Fatalf("%T: %d fragments", c, len(frags))
		}
		for i, f := range frags {
			want := m.FragmentSummary(i+1, len(frags))
			if f.String() != want || f.Fragment().Number != uint16(i+1) {
				t.Errorf("fragment %d: %s, want %s", i+1, f, want)
			}
			if next := f.Fragment().Next; (i == 0) != (next == PayloadIDi) || i > 0 && next != PayloadNone {
				t.Errorf("fragment %d: next payload %v", i+1, next)
			}
		}
		// fragments may arrive in any order
		r := NewReassembler(0)
		order := []int{2, 0, len(frags) - 1, 1}
		for i := 3; i < len(frags)-1; i++ {
			order = append(order, i)
		}
		var full *Message
		for k, i := range order {
			got, err := r.Add(frags[i])
			if err != nil {
				t.Fatalf("fragment %d: %v", i+1, err)
			}
			if have, total := r.Received(); k < len(order)-1 && (got != nil || have != k+1 || total != len(frags)) {
				t.Fatalf("after %d fragments: %v, %d/%d", k+1, got, have, total)
			}
			full = got
		}
		if full == nil || !reflect.DeepEqual(full.Payloads, m.Payloads) || full.String() != m.String() {
			t.Fatalf("%T: reassembled %v, want %s", c, full, m)
		}
		if full.Size() != m.Size() {
			t.Errorf("%T: reassembled size %d, unfragmented %d", c, full.Size(), m.Size())
		}
		if whole, _ := m.Encode(c, zeroReader{}); len(whole) != m.Size() {
			t.Errorf("%T: Size %d, Encode %d", c, m.Size(), len(whole))
		}
		// a fragment re-encodes as received
		if b, err := frags[1].Encode(nil, nil); err != nil || string(b) != string(bs[1]) {
			t.Errorf("raw fragment re-encode: %v", err)
		}
		if have, total := r.Received(); have != 0 || total != 0 {
			t.Errorf("reassembler not reset: %d/%d", have, total)
		}
	}
}

func TestFragmentNotNeeded(t *testing.T) {
	c := testCiphers()[1]
	m := authRequest()
	whole, err := m.Encode(c, zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := authRequest().EncodeFragments(c, zeroReader{}, len(whole))
	if err != nil || len(bs) != 1 || len(bs[0]) != len(whole) {
		t.Errorf("fits: %d fragments, %v", len(bs), err)
	}
	// IKE_SA_INIT is never fragmented
	bs, err = initSA().EncodeFragments(c, zeroReader{}, 100)
	if err != nil || len(bs) != 1 || len(bs[0]) <= 100 {
		t.Errorf("IKE_SA_INIT: %d fragments, %v", len(bs), err)
	}
	// more fragments than a peer accepts
	big := authRequest()
	big.Add(&VendorID{Data: make([]byte, 4000)})
	if _, err := big.EncodeFragments(c, zeroReader{}, 40); !errors.Is(err, ErrEncode) {
		t.Errorf("too many fragments: %v", err)
	}
}

func TestFragmentSize(t *testing.T) {
	tests := []struct {
		datagram   int
		ipv6, natt bool
		maxIKE     int
	}{
		{0, false, false, 548},
		{0, true, false, 1232},
		{1280, false, true, 1248},
		{256, false, true, 224},
		{10, true, true, 1},
	}
	for _, tc := range tests {
		if got := FragmentSize(tc.datagram, tc.ipv6, tc.natt); got != tc.maxIKE {
			t.Errorf("%+v: %d", tc, got)
		}
	}
}

func TestReassemblerRules(t *testing.T) {
	c := testCiphers()[0]
	_, frags3, _ := fragments(t, c, 200)
	_, frags5, _ := fragments(t, c, 120)
	if len(frags3) >= len(frags5) {
		t.Fatalf("%d and %d fragments", len(frags3), len(frags5))
	}

	r := NewReassembler(0)
	if _, err := r.Add(frags3[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Add(frags3[0]); !errors.Is(err, ErrFragmentDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
	// a larger total starts over (RFC 7383 §2.6) ...
	if _, err := r.Add(frags5[1]); err != nil {
		t.Fatal(err)
	}
	if have, total := r.Received(); have != 1 || total != len(frags5) {
		t.Errorf("after restart: %d/%d", have, total)
	}
	// ... and a smaller one is discarded
	if _, err := r.Add(frags3[1]); !errors.Is(err, ErrFragmentStale) {
		t.Errorf("stale: %v", err)
	}
	// another message
	other := *frags5[0]
	other.MessageID++
	if _, err := r.Add(&other); !errors.Is(err, ErrFragmentMismatch) {
		t.Errorf("other message: %v", err)
	}
	// not decrypted
	raw, _ := Decode(mustEncode(t, frags5[0]))
	if _, err := r.Add(raw); !errors.Is(err, ErrFragmentMismatch) {
		t.Errorf("undecrypted: %v", err)
	}
	// no SKF at all
	if _, err := r.Add(initSA()); !errors.Is(err, ErrFragmentMismatch) {
		t.Errorf("no fragment: %v", err)
	}
	var full *Message
	for _, f := range frags5 {
		got, err := r.Add(f)
		if err != nil && !errors.Is(err, ErrFragmentDuplicate) {
			t.Fatal(err)
		}
		if got != nil {
			full = got
		}
	}
	if full == nil {
		t.Fatal("not reassembled")
	}

	// size limit
	small := NewReassembler(len(frags5[0].Fragment().Plain) + 1)
	if _, err := small.Add(frags5[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := small.Add(frags5[1]); !errors.Is(err, ErrFragmentTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if have, _ := small.Received(); have != 0 {
		t.Error("not reset after too large")
	}
	// fragment count limit
	many := *frags5[0]
	f := *many.Fragment()
	f.Total = MaxFragments + 1
	many.Payloads = []Payload{&f}
	if _, err := NewReassembler(0).Add(&many); !errors.Is(err, ErrFragmentTooMany) {
		t.Errorf("too many: %v", err)
	}
}

func mustEncode(t *testing.T, m *Message) []byte {
	t.Helper()
	b, err := m.Encode(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
