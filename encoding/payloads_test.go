package encoding

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// roundTrip encodes p with its generic header and decodes it again.
func roundTrip(t *testing.T, p Payload) Payload {
	t.Helper()
	b, err := appendPayload(nil, p, PayloadNone)
	if err != nil {
		t.Fatalf("%T: encode: %v", p, err)
	}
	r, end, err := splitPayload(b, 0, p.Type())
	if err != nil || end != len(b) {
		t.Fatalf("%T: split: %v (end %d of %d)", p, err, end, len(b))
	}
	q, err := decodeBody(r)
	if err != nil {
		t.Fatalf("%T: decode: %v", p, err)
	}
	return q
}

func TestPayloadRoundTrip(t *testing.T) {
	spi := []byte{0xc0, 0, 0, 1}
	payloads := []Payload{
		&SA{Proposals: []Proposal{
			{Number: 1, Protocol: ProtocolIKE, Transforms: []Transform{
				{Type: TransformENCR, ID: 12, Attributes: []TransformAttribute{KeyLengthAttribute(256)}},
				{Type: TransformPRF, ID: 5},
				{Type: TransformINTEG, ID: 12},
				{Type: TransformDH, ID: 31},
			}},
			{Number: 2, Protocol: ProtocolIKE, SPI: bytes.Repeat([]byte{7}, 8), Transforms: []Transform{
				{Type: TransformENCR, ID: 20, Attributes: []TransformAttribute{
					KeyLengthAttribute(128), {Type: 99, Data: []byte("tlv")},
				}},
			}},
			{Number: 2, Protocol: ProtocolESP, SPI: spi, Transforms: []Transform{{Type: TransformESN, ID: 0}}},
		}},
		&KE{Group: 31, Data: bytes.Repeat([]byte{1}, 32)},
		&ID{IDType: IDFQDN, Data: []byte("moon.strongswan.org")},
		&ID{Responder: true, IDType: IDIPv6AddrRange, Data: make([]byte, 32)},
		&Cert{Encoding: CertX509Signature, Data: []byte{0x30, 0x82}},
		&CertReq{Encoding: CertX509Signature, Data: make([]byte, 40)},
		&Auth{Method: AuthPSK, Data: make([]byte, 32)},
		&Nonce{Data: make([]byte, 32)},
		&Notify{NotifyType: NotifyNATDetectionSourceIP, Data: make([]byte, 20)},
		&Notify{Protocol: ProtocolESP, SPI: spi, NotifyType: NotifyRekeySA},
		&Delete{Protocol: ProtocolIKE},
		&Delete{Protocol: ProtocolESP, SPIs: []uint32{0xc1234567, 0xc7654321}},
		&VendorID{Data: []byte("strongSwan")},
		&TS{Selectors: []TrafficSelector{
			AddressRange(0, 0, 65535, netip.MustParseAddr("10.1.0.0"), netip.MustParseAddr("10.1.255.255")),
			AddressRange(6, 80, 80, netip.MustParseAddr("fd01::"), netip.MustParseAddr("fd01::ffff:ffff:ffff:ffff")),
			{TSType: TSSecLabel, Data: []byte("system_u:object_r:ipsec_spd_t:s0")},
			{TSType: 99, Protocol: 3, Data: []byte{1, 2}},
		}},
		&TS{Responder: true, Selectors: []TrafficSelector{
			AddressRange(17, 0xffff, 0, netip.MustParseAddr("10.2.0.1"), netip.MustParseAddr("10.2.0.1")),
		}},
		&CP{CPType: CPRequest, Attributes: []CPAttribute{{Type: AttrInternalIP4Address}, {Type: AttrInternalIP6DNS}}},
		&CP{CPType: CPReply, Attributes: []CPAttribute{{Type: AttrInternalIP4Address, Value: []byte{10, 3, 0, 1}}, {Type: 12345, Value: []byte("x")}}},
		&EAP{Data: []byte{1, 7, 0, 5, 1}},
		&Unknown{PayloadType: 99, Critical: true, Data: []byte{1}},
		&Unknown{PayloadType: PayloadGSPM, Data: []byte{2}},
	}
	for _, p := range payloads {
		q := roundTrip(t, p)
		if !reflect.DeepEqual(p, q) {
			t.Errorf("%T changed:\n got %+v\nwant %+v", p, q, p)
		}
	}
}

func TestPayloadWireForm(t *testing.T) {
	// a transform with a key length and the "more" markers (RFC 7296 §3.3)
	sa := &SA{Proposals: []Proposal{{Number: 1, Protocol: ProtocolIKE, Transforms: []Transform{
		{Type: TransformENCR, ID: 12, Attributes: []TransformAttribute{KeyLengthAttribute(128)}},
		{Type: TransformDH, ID: 31},
	}}}}
	b, err := appendPayload(nil, sa, PayloadKE)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		34, 0, 0, 32, // generic header: next KE, length 32
		0, 0, 0, 28, 1, 1, 0, 2, // last proposal, length 28, #1 IKE, no SPI, 2 transforms
		3, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 0, 128, // more transforms, ENCR 12, key length 128
		0, 0, 0, 8, 4, 0, 0, 31, // last transform, DH 31
	}
	if !bytes.Equal(b, want) {
		t.Errorf("SA\n got %x\nwant %x", b, want)
	}
	if kl, ok := sa.Proposals[0].Transforms[0].KeyLength(); !ok || kl != 128 {
		t.Errorf("KeyLength = %d, %v", kl, ok)
	}
	if _, ok := sa.Proposals[0].Transforms[1].KeyLength(); ok {
		t.Error("KeyLength of a transform without one")
	}

	ts := &TS{Selectors: []TrafficSelector{AddressRange(0, 0, 65535,
		netip.MustParseAddr("10.1.0.0"), netip.MustParseAddr("10.1.255.255"))}}
	b, _ = appendPayload(nil, ts, PayloadNone)
	want = []byte{0, 0, 0, 24, 1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 1, 0, 0, 10, 1, 255, 255}
	if !bytes.Equal(b, want) {
		t.Errorf("TS\n got %x\nwant %x", b, want)
	}

	u := &Unknown{PayloadType: 99, Critical: true, Data: []byte{0xaa}}
	b, _ = appendPayload(nil, u, PayloadNone)
	if !bytes.Equal(b, []byte{0, 0x80, 0, 5, 0xaa}) {
		t.Errorf("critical unknown payload %x", b)
	}
}

// decodeErr decodes a single payload body of type t.
func decodeErr(t PayloadType, body []byte) error {
	b := append([]byte{0, 0, 0, byte(4 + len(body))}, body...)
	r, _, err := splitPayload(b, 0, t)
	if err != nil {
		return err
	}
	_, err = decodeBody(r)
	return err
}

func TestPayloadVerification(t *testing.T) {
	ipv4 := []byte{10, 0, 0, 1}
	tests := []struct {
		name string
		typ  PayloadType
		body []byte
		kind error
	}{
		{"short KE", PayloadKE, []byte{0, 31, 0}, ErrMalformed},
		{"short ID", PayloadIDi, []byte{2, 0}, ErrMalformed},
		{"ID range length", PayloadIDi, append([]byte{byte(IDIPv4AddrRange), 0, 0, 0}, ipv4...), ErrInvalid},
		{"short AUTH", PayloadAUTH, []byte{2}, ErrMalformed},
		{"empty CERT", PayloadCERT, nil, ErrMalformed},
		{"CERTREQ hash length", PayloadCERTREQ, append([]byte{4}, make([]byte, 19)...), ErrInvalid},
		{"nonce too short", PayloadNonce, make([]byte, 15), ErrInvalid},
		{"nonce too long", PayloadNonce, make([]byte, 257), ErrInvalid},
		{"notify SPI overrun", PayloadNotify, []byte{3, 4, 0x40, 0x09, 1}, ErrMalformed},
		{"notify protocol", PayloadNotify, []byte{9, 0, 0x40, 0x00}, ErrInvalid},
		{"NATD length", PayloadNotify, append([]byte{0, 0, 0x40, 0x04}, make([]byte, 19)...), ErrInvalid},
		{"INVALID_KE data", PayloadNotify, []byte{0, 0, 0, 17, 0}, ErrInvalid},
		{"COOKIE empty", PayloadNotify, []byte{0, 0, 0x40, 0x06}, ErrInvalid},
		{"COOKIE too long", PayloadNotify, append([]byte{0, 0, 0x40, 0x06}, make([]byte, 65)...), ErrInvalid},
		{"NO_PROP with data", PayloadNotify, []byte{0, 0, 0, 14, 1}, ErrInvalid},
		{"delete ESP size", PayloadDelete, []byte{3, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8}, ErrInvalid},
		{"delete IKE SPI", PayloadDelete, []byte{1, 4, 0, 1, 1, 2, 3, 4}, ErrInvalid},
		{"delete count", PayloadDelete, []byte{3, 4, 0, 2, 1, 2, 3, 4}, ErrInvalid},
		{"delete protocol", PayloadDelete, []byte{4, 4, 0, 0}, ErrInvalid},
		{"TS count", PayloadTSi, []byte{2, 0, 0, 0, 7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 1, 0, 0, 10, 1, 255, 255}, ErrInvalid},
		{"TS v4 length", PayloadTSi, []byte{1, 0, 0, 0, 7, 0, 0, 12, 0, 0, 0xff, 0xff, 10, 1, 0, 0}, ErrInvalid},
		{"TS overrun", PayloadTSr, []byte{1, 0, 0, 0, 7, 0, 0, 20, 0, 0, 0xff, 0xff}, ErrMalformed},
		{"TS ports", PayloadTSr, []byte{1, 0, 0, 0, 7, 0, 0, 16, 0, 80, 0, 79, 10, 1, 0, 0, 10, 1, 255, 255}, ErrInvalid},
		{"TS empty label", PayloadTSr, []byte{1, 0, 0, 0, 10, 0, 0, 4}, ErrInvalid},
		{"CP attr overrun", PayloadCP, []byte{1, 0, 0, 0, 0, 1, 0, 4, 10}, ErrMalformed},
		{"CP addr length", PayloadCP, []byte{1, 0, 0, 0, 0, 1, 0, 3, 10, 0, 0}, ErrInvalid},
		{"CP addr6 length", PayloadCP, append([]byte{1, 0, 0, 0, 0, 8, 0, 16}, make([]byte, 16)...), ErrInvalid},
		{"EAP short", PayloadEAP, []byte{1, 0, 0}, ErrInvalid},
		{"EAP length", PayloadEAP, []byte{1, 0, 0, 6, 1}, ErrInvalid},
		{"EAP success data", PayloadEAP, []byte{3, 0, 0, 5, 1}, ErrInvalid},
		{"EAP code", PayloadEAP, []byte{5, 0, 0, 4}, ErrInvalid},
		{"SKF number 0", PayloadSKF, []byte{0, 0, 0, 1}, ErrInvalid},
		{"SKF number > total", PayloadSKF, []byte{0, 3, 0, 2}, ErrInvalid},
		{"SKF short", PayloadSKF, []byte{0, 1}, ErrMalformed},
		{"SA proposal number 0", PayloadSA, []byte{0, 0, 0, 8, 0, 1, 0, 0}, ErrInvalid},
		{"SA proposal numbers decrease", PayloadSA, []byte{2, 0, 0, 8, 2, 1, 0, 0, 0, 0, 0, 8, 1, 1, 0, 0}, ErrInvalid},
		{"SA transform count", PayloadSA, []byte{0, 0, 0, 8, 1, 1, 0, 1}, ErrInvalid},
		{"SA ESP SPI size", PayloadSA, []byte{0, 0, 0, 10, 1, 3, 2, 0, 1, 2}, ErrInvalid},
		{"SA IKE SPI size", PayloadSA, []byte{0, 0, 0, 12, 1, 1, 4, 0, 1, 2, 3, 4}, ErrInvalid},
		{"SA last marker", PayloadSA, []byte{5, 0, 0, 8, 1, 1, 0, 0}, ErrInvalid},
		{"SA proposal overrun", PayloadSA, []byte{0, 0, 0, 9, 1, 1, 0, 0}, ErrMalformed},
		{"SA SPI overrun", PayloadSA, []byte{0, 0, 0, 8, 1, 3, 4, 0}, ErrMalformed},
		{"SA transform short", PayloadSA, []byte{0, 0, 0, 12, 1, 1, 0, 1, 0, 0, 0, 4}, ErrMalformed},
		{"SA transform last marker", PayloadSA, []byte{0, 0, 0, 16, 1, 1, 0, 1, 1, 0, 0, 8, 1, 0, 0, 12}, ErrInvalid},
		{"SA attribute overrun", PayloadSA, []byte{0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 12, 0, 14, 0, 9}, ErrMalformed},
		{"SA attribute short", PayloadSA, []byte{0, 0, 0, 18, 1, 1, 0, 1, 0, 0, 0, 10, 1, 0, 0, 12, 0x80, 14}, ErrMalformed},
	}
	for _, tc := range tests {
		err := decodeErr(tc.typ, tc.body)
		var e *Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &e) || e.Payload != tc.typ {
			t.Errorf("%s: got %v, want %v in %v", tc.name, err, tc.kind, tc.typ)
		}
	}
	// accepted corner cases: OPAQUE ports and charon's lenient variant
	for _, ports := range [][4]byte{{0xff, 0xff, 0, 0}, {0, 5, 0, 0}, {0xff, 0xff, 0, 80}} {
		body := append([]byte{1, 0, 0, 0, 7, 0, 0, 16}, ports[:]...)
		body = append(body, 10, 1, 0, 0, 10, 1, 255, 255)
		if err := decodeErr(PayloadTSi, body); err != nil {
			t.Errorf("ports %x: %v", ports, err)
		}
	}
	if err := decodeErr(PayloadNotify, append([]byte{0, 0, 0x40, 0x2f}, 0, 1, 0, 2)); err != nil {
		t.Errorf("HASH_ALG: %v", err)
	}
}

func TestPayloadEncodeErrors(t *testing.T) {
	bad := []Payload{
		&Notify{SPI: make([]byte, 256)},
		&Delete{Protocol: ProtocolIKE, SPIs: []uint32{1}},
		&Delete{Protocol: ProtocolIPComp},
		&TS{Selectors: []TrafficSelector{{TSType: TSIPv4AddrRange, Start: netip.MustParseAddr("::1"), End: netip.MustParseAddr("::1")}}},
		&TS{Selectors: []TrafficSelector{{TSType: TSIPv6AddrRange}}},
		&CP{Attributes: []CPAttribute{{Type: 0x8000}}},
		&SA{Proposals: []Proposal{{SPI: make([]byte, 256)}}},
		&SA{Proposals: []Proposal{{Transforms: []Transform{{Attributes: []TransformAttribute{{Type: 0x8000, TV: true}}}}}}},
		&VendorID{Data: make([]byte, 65532)},
	}
	for _, p := range bad {
		if _, err := appendPayload(nil, p, PayloadNone); !errors.Is(err, ErrEncode) {
			t.Errorf("%T %+v: %v", p, p, err)
		}
	}
}

func TestEAPSummary(t *testing.T) {
	tests := []struct {
		data []byte
		want string
	}{
		{[]byte{1, 1, 0, 5, 1}, "EAP/REQ/ID"},
		{[]byte{2, 1, 0, 10, 1, 'm', 'o', 'o', 'n', 0}, "EAP/RES/ID"},
		{[]byte{1, 2, 0, 6, 4, 0}, "EAP/REQ/MD5"},
		{[]byte{3, 3, 0, 4}, "EAP/SUCC"},
		{[]byte{4, 3, 0, 4}, "EAP/FAIL"},
		{[]byte{1, 1, 0, 4}, "EAP/REQ"},
		{[]byte{1, 1, 0, 5, 200}, "EAP/REQ/(200)"},
		{[]byte{2, 1, 0, 12, 254, 0, 0x01, 0x37, 0, 0, 0, 26}, "EAP/RES/26-MS"},
		{[]byte{2, 1, 0, 12, 254, 0x12, 0x34, 0x56, 0, 0, 0, 1}, "EAP/RES/1-(1193046)"},
		{[]byte{2, 1, 0, 12, 254, 0, 0, 0, 0, 0, 0, 4}, "EAP/RES/MD5"},
		{[]byte{2, 1, 0, 9, 254, 0, 0, 0, 0}, "EAP/RES"},
	}
	for _, tc := range tests {
		if got := payloadSummary(&EAP{Data: tc.data}); got != tc.want {
			t.Errorf("%x: %q, want %q", tc.data, got, tc.want)
		}
	}
}

func TestMessageString(t *testing.T) {
	m := NewMessage(ExchangeInformational, 6)
	m.Add(&Delete{Protocol: ProtocolIKE})
	if got := m.String(); got != "INFORMATIONAL request 6 [ D ]" {
		t.Errorf("got %q", got)
	}
	m = NewMessage(ExchangeIKEAuth, 4294967295)
	m.Response = true
	m.Add(&CP{CPType: CPReply, Attributes: []CPAttribute{{Type: AttrInternalIP4Address}, {Type: AttrInternalIP4DNS}, {Type: 999}}},
		&CP{CPType: CPSet}, &CP{CPType: 7, Attributes: []CPAttribute{{Type: AttrInternalIP6Address}}},
		&CP{CPType: CPAck, Attributes: []CPAttribute{{Type: AttrSupportedAttributes}}},
		&Notify{NotifyType: NotifyMSNotifyStatus, Data: []byte{0xff, 0xff, 0xff, 0xfe}},
		&Notify{NotifyType: NotifyMSNotifyStatus, Data: []byte{1}},
		&Notify{NotifyType: 40000},
		&Unknown{PayloadType: 99},
		&EncryptedFragment{Number: 2, Total: 3},
		&Encrypted{})
	want := "IKE_AUTH response 4294967295 [ CPRP(ADDR DNS (999)) CP CP(ADDR6) CPA(SUP) N(MS_STATUS(-2)) N(MS_STATUS) N((40000)) UNKN(99) EF(2/3) E ]"
	if got := m.String(); got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	m = &Message{Exchange: 99}
	if got := m.String(); got != "(99) request 0 [ ]" {
		t.Errorf("got %q", got)
	}
}

// charon formats the summary into 512 bytes and cuts what does not fit.
func TestMessageStringTruncated(t *testing.T) {
	m := NewMessage(ExchangeIKEAuth, 1)
	for range 40 {
		m.AddNotify(NotifyHTTPCertLookupSupported, nil)
	}
	s := m.String()
	if len(s) != summaryLen-2 {
		t.Fatalf("length %d", len(s))
	}
	if !strings.HasPrefix(s, "IKE_AUTH request 1 [ N(HTTP_CERT_LOOK) N(") || strings.HasSuffix(s, " ]") {
		t.Errorf("got %q", s)
	}
	// 20 bytes of head + 27 notifies of 18 bytes + " ]" still fit
	m.Payloads = m.Payloads[:27]
	s = m.String()
	if len(s) != 20+27*18+2 || !strings.HasSuffix(s, " ]") {
		t.Errorf("got %d bytes: %q", len(s), s[len(s)-10:])
	}
}

func TestNames(t *testing.T) {
	checks := []struct{ got, want string }{
		{ExchangeCreateChildSA.String(), "CREATE_CHILD_SA"},
		{ExchangeType(2).String(), "ID_PROT"},
		{ExchangeType(100).String(), "(100)"},
		{PayloadSK.String(), "ENCRYPTED"},
		{PayloadSKF.ShortName(), "EF"},
		{PayloadNonce.ShortName(), "No"},
		{PayloadType(60).ShortName(), "(60)"},
		{NotifyNATDetectionSourceIP.ShortName(), "NATD_S_IP"},
		{NotifyAuthenticationFailed.String(), "AUTHENTICATION_FAILED"},
		{NotifyAuthenticationFailed.ShortName(), "AUTH_FAILED"},
		{NotifyType(16424).String(), "SECURE PASSWORD_METHOD"},
		{NotifyType(24578).ShortName(), "INITIAL_CONTACT"},
		{NotifyType(50000).String(), "(50000)"},
		{ProtocolESP.String(), "ESP"},
		{TransformDH.String(), "KEY_EXCHANGE_METHOD"},
		{IDFQDN.String(), "ID_FQDN"},
		{AuthPSK.String(), "pre-shared key"},
		{CertEncoding(12).String(), "ENC_X509_HASH_AND_URL"},
		{TSIPv6AddrRange.String(), "TS_IPV6_ADDR_RANGE"},
		{CPRequest.String(), "CFG_REQUEST"},
		{AttrInternalIP4DNS.String(), "INTERNAL_IP4_DNS"},
		{ConfigAttribute(28682).ShortName(), "U_DDNSHOST"},
		{EAPSuccess.String(), "SUCC"},
		{EAPType(257).String(), "DYN"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if !NotifyNoProposalChosen.IsError() || NotifyRekeySA.IsError() {
		t.Error("IsError")
	}
}
