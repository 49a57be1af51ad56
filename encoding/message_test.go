package encoding

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

var (
	testKeyCBC = bytes.Repeat([]byte{0x11}, 16)
	testKeyMAC = bytes.Repeat([]byte{0x22}, 32)
	testKeyGCM = bytes.Repeat([]byte{0x33}, 36)
)

// testCiphers returns a fresh encrypt-then-MAC and a fresh AEAD test
// cipher whose IVs come from a counter-like reader.
func testCiphers() []testCipher {
	cbc := newCBCHMAC(testKeyCBC, testKeyMAC)
	cbc.rand = zeroReader{}
	gcm := newGCM16(testKeyGCM)
	gcm.rand = zeroReader{}
	return []testCipher{cbc, gcm}
}

func initSA() *Message {
	m := NewMessage(ExchangeIKESAInit, 0)
	m.SPIi, m.Initiator = 0x0102030405060708, true
	m.Add(
		&Notify{NotifyType: NotifyFragmentationSupported},
		&Nonce{Data: make([]byte, 32)},
		&KE{Group: 31, Data: make([]byte, 32)},
		&SA{Proposals: []Proposal{{Number: 1, Protocol: ProtocolIKE, Transforms: []Transform{{Type: TransformENCR, ID: 12, Attributes: []TransformAttribute{KeyLengthAttribute(128)}}}}}},
		&Notify{NotifyType: NotifyNATDetectionDestinationIP, Data: make([]byte, 20)},
		&Notify{NotifyType: NotifyNATDetectionSourceIP, Data: make([]byte, 20)},
	)
	return m
}

func authRequest() *Message {
	m := NewMessage(ExchangeIKEAuth, 1)
	m.SPIi, m.SPIr, m.Initiator = 1, 2, true
	m.Add(
		&TS{Responder: true, Selectors: []TrafficSelector{AddressRange(0, 0, 65535, netip.MustParseAddr("fd02::"), netip.MustParseAddr("fd02::ffff"))}},
		&Auth{Method: AuthPSK, Data: make([]byte, 32)},
		&Notify{NotifyType: NotifyMultipleAuthSupported},
		&SA{Proposals: []Proposal{{Number: 1, Protocol: ProtocolESP, SPI: []byte{0xc0, 0, 0, 1}, Transforms: []Transform{{Type: TransformENCR, ID: 20, Attributes: []TransformAttribute{KeyLengthAttribute(256)}}}}}},
		&ID{IDType: IDFQDN, Data: []byte("moon")},
		&TS{Selectors: []TrafficSelector{AddressRange(0, 0, 65535, netip.MustParseAddr("fd01::"), netip.MustParseAddr("fd01::ffff"))}},
		&Notify{NotifyType: NotifyInitialContact},
		&ID{Responder: true, IDType: IDFQDN, Data: []byte("sun")},
		&CP{CPType: CPRequest, Attributes: []CPAttribute{{Type: AttrInternalIP6Address}}},
	)
	return m
}

func TestEncodeSortsLikeCharon(t *testing.T) {
	m := initSA()
	b, err := m.Encode(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]"
	if m.String() != want {
		t.Errorf("sorted:\n got %s\nwant %s", m, want)
	}
	d, err := Decode(b)
	if err != nil || d.String() != want || d.Size() != len(b) {
		t.Fatalf("decode: %v %s", err, d)
	}
	// charon's "generating" line for an IKE_AUTH request with a CP
	m = authRequest()
	for _, c := range testCiphers() {
		if _, err := m.Encode(c, zeroReader{}); err != nil {
			t.Fatal(err)
		}
	}
	want = "IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH CPRQ(ADDR6) SA TSi TSr N(MULT_AUTH) ]"
	if m.String() != want {
		t.Errorf("sorted:\n got %s\nwant %s", m, want)
	}
}

// Payloads without an order rule end up last, in reverse order, as
// charon's order_payloads moves them.
func TestSortLeftoversReversed(t *testing.T) {
	m := NewMessage(ExchangeCreateChildSA, 2)
	m.Add(&Delete{Protocol: ProtocolIKE}, &VendorID{Data: []byte("a")}, &Nonce{Data: make([]byte, 16)},
		&Unknown{PayloadType: 200}, &SA{})
	m.Payloads = ruleFor(m.Exchange, true).sort(m.Payloads)
	if got, want := m.String(), "CREATE_CHILD_SA request 2 [ SA No UNKN(200) V D ]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestProtectedRoundTrip(t *testing.T) {
	for _, c := range testCiphers() {
		m := authRequest()
		b, err := m.Encode(c, zeroReader{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Size() != len(b) || binary.BigEndian.Uint32(b[24:]) != uint32(len(b)) {
			t.Errorf("%T: size %d, header %d, len %d", c, m.Size(), binary.BigEndian.Uint32(b[24:]), len(b))
		}
		d, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Encrypted() || d.String() != "IKE_AUTH request 1 [ E ]" {
			t.Errorf("before Decrypt: %s", d)
		}
		// a raw message re-encodes verbatim, without a cipher
		if raw, err := d.Encode(nil, nil); err != nil || !bytes.Equal(raw, b) {
			t.Errorf("%T: raw re-encode: %v", c, err)
		}
		if err := d.Decrypt(c); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
		if d.Encrypted() || !reflect.DeepEqual(d.Payloads, m.Payloads) {
			t.Errorf("%T: payloads differ:\n got %s\nwant %s", c, d, m)
		}
		if d.Decrypt(nil) != nil {
			t.Error("second Decrypt should be a no-op")
		}
		if d.Notify(NotifyInitialContact) == nil || d.Notify(NotifyCookie) != nil ||
			len(d.Get(PayloadTSi)) != 1 || d.First(PayloadIDr).(*ID).Data[0] != 's' || len(d.Notifies()) != 2 {
			t.Error("accessors")
		}
		// flipping any protected byte breaks the ICV
		for _, i := range []int{20, HeaderLen + 1, HeaderLen + 10, len(b) - 20, len(b) - 1} {
			bad := bytes.Clone(b)
			bad[i] ^= 1
			dm, err := Decode(bad)
			if err != nil {
				t.Fatalf("byte %d: %v", i, err)
			}
			if err := dm.Decrypt(c); !errors.Is(err, ErrIntegrity) {
				t.Errorf("%T: byte %d flipped: %v", c, i, err)
			}
		}
	}
}

func TestEmptyProtectedMessage(t *testing.T) {
	for _, c := range testCiphers() {
		m := NewMessage(ExchangeInformational, 7)
		m.SPIi, m.Response = 9, true
		b, err := m.Encode(c, zeroReader{})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := Decode(b)
		if err := d.Decrypt(c); err != nil || d.String() != "INFORMATIONAL response 7 [ ]" {
			t.Errorf("%T: %v %s", c, err, d)
		}
	}
}

// packet builds a plaintext message from raw payload bytes.
func packet(exchange ExchangeType, flags byte, first PayloadType, body []byte) []byte {
	b := make([]byte, HeaderLen, HeaderLen+len(body))
	b[7] = 1 // SPIi
	b[16], b[17], b[18], b[19] = byte(first), 0x20, byte(exchange), flags
	binary.BigEndian.PutUint32(b[24:], uint32(HeaderLen+len(body)))
	return append(b, body...)
}

func TestDecodeErrors(t *testing.T) {
	nonce := append([]byte{0, 0, 0, 20}, make([]byte, 16)...)
	notify := func(next PayloadType) []byte { return []byte{byte(next), 0, 0, 8, 0, 0, 0x40, 0x2e} }
	tests := []struct {
		name string
		b    []byte
		kind error
	}{
		{"short", make([]byte, 27), ErrHeader},
		{"zero SPI", make([]byte, 28), ErrHeader},
		{"IKEv1 exchange in v2", packet(2, 0, 0, nil), ErrHeader},
		{"unknown exchange", packet(99, 0, 0, nil), ErrHeader},
		{"version 3", func() []byte { b := packet(34, 0, 0, nil); b[17] = 0x30; return b }(), ErrUnsupportedVersion},
		{"IKEv1", func() []byte { b := packet(2, 0, 0, nil); b[17] = 0x10; return b }(), ErrUnsupportedVersion},
		{"session resume", packet(38, 0, 0, nil), ErrUnsupportedExchange},
		{"length mismatch", func() []byte { b := packet(34, 0, 0, nil); b[27]++; return b }(), ErrMalformed},
		{"trailing data", packet(37, 0, 0, []byte{1}), ErrMalformed},
		{"payload overrun", packet(34, 0, 40, []byte{0, 0, 0, 30, 1}), ErrMalformed},
		{"payload length < 4", packet(34, 0, 40, []byte{0, 0, 0, 3}), ErrMalformed},
		{"truncated header", packet(34, 0, 40, []byte{0, 0}), ErrMalformed},
		{"missing SA", packet(34, 0, 40, nonce), ErrInvalid},
		{"IDi in IKE_SA_INIT", packet(34, 0, 35, []byte{0, 0, 0, 8, 2, 0, 0, 0}), ErrNotEncrypted},
		{"notify in clear in IKE_AUTH", packet(35, 0, 41, notify(0)), ErrNotEncrypted},
		{"SK in IKE_SA_INIT", packet(34, 0, 46, []byte{0, 0, 0, 4}), ErrNoCipher},
		{"21 notifies", packet(34, 0x20, 41, bytes.Repeat(notify(41), 21)[:21*8-8]), ErrInvalid},
	}
	// fix the last notify's next payload of the 21-notify chain
	b21 := tests[len(tests)-1].b
	b21 = append(b21, notify(0)...)
	binary.BigEndian.PutUint32(b21[24:], uint32(len(b21)))
	tests[len(tests)-1].b = b21
	for _, tc := range tests {
		m, err := Decode(tc.b)
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.kind)
		}
		if tc.kind == ErrHeader && m != nil {
			t.Errorf("%s: message with a bad header", tc.name)
		}
		if tc.kind != ErrHeader && (m == nil || m.Payloads != nil || m.Encrypted()) {
			t.Errorf("%s: want the header only, got %v", tc.name, m)
		}
	}
}

// An IKE_SA_INIT response with an error notify needs nothing else (the
// notify rule is "sufficient"); a request does not get that exemption.
func TestSufficientRule(t *testing.T) {
	body := []byte{0, 0, 0, 10, 0, 0, 0, 17, 0, 19}
	m, err := Decode(packet(34, 0x20, 41, body))
	if err != nil || m.String() != "IKE_SA_INIT response 0 [ N(INVAL_KE) ]" {
		t.Errorf("response: %v %v", err, m)
	}
	if _, err := Decode(packet(34, 0x08, 41, body)); !errors.Is(err, ErrInvalid) {
		t.Errorf("request: %v", err)
	}
}

func TestUnknownPayloads(t *testing.T) {
	m := initSA()
	m.Add(&Unknown{PayloadType: 150, Data: []byte("x")})
	b, err := m.Encode(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(b)
	if err != nil || d.String() != "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) UNKN(150) ]" {
		t.Fatalf("non-critical unknown: %v %s", err, d)
	}
	if d.First(150) != nil || len(d.Get(150)) != 0 {
		t.Error("Get returned an unknown payload")
	}
	m.Payloads[len(m.Payloads)-1].(*Unknown).Critical = true
	b, _ = m.Encode(nil, nil)
	d, err = Decode(b)
	var crit *UnsupportedCriticalPayloadError
	if !errors.As(err, &crit) || crit.Type != 150 || d == nil || len(d.Payloads) != 7 {
		t.Fatalf("critical unknown: %v %v", err, d)
	}
	// inside SK too, after the rules
	for _, c := range testCiphers() {
		m := authRequest()
		m.Add(&Unknown{PayloadType: 49, Critical: true})
		b, err := m.Encode(c, zeroReader{})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := Decode(b)
		err = d.Decrypt(c)
		if !errors.As(err, &crit) || crit.Type != PayloadGSPM || d.Encrypted() {
			t.Errorf("%T: %v", c, err)
		}
	}
}

func TestProtectedStructureErrors(t *testing.T) {
	c := testCiphers()[1]
	// an SK inside an SK
	m := NewMessage(ExchangeInformational, 1)
	m.SPIi = 1
	inner, _ := encodeChain(nil, []Payload{&Encrypted{Next: 0, Data: make([]byte, 24)}})
	b, err := m.seal(c, zeroReader{}, PayloadSK, inner, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := Decode(b)
	if err := d.Decrypt(c); !errors.Is(err, ErrInvalid) {
		t.Errorf("nested SK: %v", err)
	}
	// garbage after the last inner payload
	inner, _ = encodeChain(nil, []Payload{&Delete{Protocol: ProtocolIKE}})
	b, _ = m.seal(c, zeroReader{}, PayloadDelete, append(inner, 0), 0, 0)
	d, _ = Decode(b)
	if err := d.Decrypt(c); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing inner data: %v", err)
	}
	// a pad length longer than the plaintext
	cbc := testCiphers()[0]
	raw := make([]byte, 0, 100)
	raw = appendHeader(raw, m, PayloadSK, HeaderLen+4+16+16+16)
	raw = append(raw, 0, 0, 0, 4+16+16+16)
	raw = append(raw, make([]byte, 16)...)
	padded := bytes.Repeat([]byte{0xff}, 16)
	raw, _ = cbc.Seal(raw, make([]byte, 16), padded, bytes.Clone(raw[:HeaderLen+4]))
	d, err = Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Decrypt(cbc); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad padding: %v", err)
	}
	// lengths that cannot be a CBC payload
	for _, n := range []int{0, 31, 33, 47} {
		raw := appendHeader(nil, m, PayloadSK, HeaderLen+4+n)
		raw = append(raw, 0, 0, byte((4+n)>>8), byte(4+n))
		raw = append(raw, make([]byte, n)...)
		d, _ := Decode(raw)
		if err := d.Decrypt(cbc); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	if err := d.Decrypt(nil); !errors.Is(err, ErrNoCipher) {
		t.Errorf("no cipher: %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	m := authRequest()
	if _, err := m.Encode(nil, nil); !errors.Is(err, ErrNoCipher) {
		t.Errorf("IKE_AUTH without cipher: %v", err)
	}
	// an INFORMATIONAL can go in clear, as charon sends it before keys exist
	inf := NewMessage(ExchangeInformational, 0)
	inf.SPIi = 1
	inf.AddNotify(NotifyInvalidSyntax, nil)
	if b, err := inf.Encode(nil, nil); err != nil || len(b) != HeaderLen+8 {
		t.Errorf("plaintext INFORMATIONAL: %v", err)
	}
	if _, err := NewMessage(38, 0).Encode(nil, nil); !errors.Is(err, ErrUnsupportedExchange) {
		t.Errorf("IKE_SESSION_RESUME: %v", err)
	}
	bad := NewMessage(ExchangeInformational, 0)
	bad.KeepOrder = true
	bad.Add(&Encrypted{}, &Delete{Protocol: ProtocolIKE})
	if _, err := bad.Encode(nil, nil); !errors.Is(err, ErrEncode) {
		t.Errorf("SK not last: %v", err)
	}
	// the padding must come from somewhere for a block cipher
	cbc := testCiphers()[0]
	if _, err := authRequest().Encode(cbc, nil); err == nil {
		t.Error("CBC without padding source")
	}
	if _, err := authRequest().Encode(cbc, &fixedReader{}); err == nil {
		t.Error("CBC with an exhausted padding source")
	}
}

func TestPaddingFollowsCharon(t *testing.T) {
	cbc := testCiphers()[0]
	for n := range 40 {
		m := NewMessage(ExchangeInformational, 1)
		m.SPIi = 1
		m.Add(&VendorID{Data: make([]byte, n)})
		b, err := m.Encode(cbc, zeroReader{})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := Decode(b)
		if err := d.Decrypt(cbc); err != nil {
			t.Fatal(err)
		}
		plain := 4 + n
		pad := int(cbc.src().opened[len(cbc.src().opened)-1]) + 1
		if pad != 16-plain%16 || len(cbc.src().opened) != plain+pad {
			t.Errorf("%d bytes: %d of padding", plain, pad)
		}
	}
}
