package stroke

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// captures returns the real messages of Debian's stroke, ipsec and starter
// (testdata/captures/README.md), keyed by file name.
func captures(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/captures/*.bin")
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func sortedNames(m map[string][]byte) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestCapturesRoundTrip(t *testing.T) {
	caps := captures(t)
	if len(caps) != 53 {
		t.Errorf("%d captures, the reference has 53", len(caps))
	}
	for _, name := range sortedNames(caps) {
		raw := caps[name]
		m, err := Decode(raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// The file name carries the type charon's fake daemon saw.
		if want := strings.TrimSuffix(name[strings.Index(name, "_STR_")+1:], ".bin"); m.Type.String() != want {
			t.Errorf("%s: type %s", name, m.Type)
		}
		again, err := m.Encode()
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		if !bytes.Equal(again, raw) {
			t.Errorf("%s: re-encoded bytes differ\n got %x\nwant %x", name, again, raw)
		}
	}
}

// dumper prints a message in the format of the reference's decode.py
// (DECODED.txt), whose offsets were checked against the compiled C header.
// Comparing with it checks every name, offset and width in the walk tables.
type dumper struct {
	raw []byte
	out *strings.Builder
}

func (d dumper) line(name string, off int, v uint64, signed int64, isSigned bool) {
	if v == 0 {
		return
	}
	name = strings.TrimPrefix(name, "add_conn.")
	if isSigned {
		fmt.Fprintf(d.out, "  %-28s @%-3d = %d (0x%x)\n", name, off, signed, v)
	} else {
		fmt.Fprintf(d.out, "  %-28s @%-3d = %d (0x%x)\n", name, off, v, v)
	}
}

func (d dumper) str(off int, name string, p *Str) {
	ptr := binary.LittleEndian.Uint64(d.raw[off:])
	if ptr == 0 {
		if p.Valid {
			fmt.Fprintf(d.out, "  decoded %s although NULL\n", name)
		}
		return
	}
	fmt.Fprintf(d.out, "  %-28s @%-3d = off %d -> '%s'\n", strings.TrimPrefix(name, "add_conn."), off, ptr, p.Value)
}
func (d dumper) boolean(off int, name string, p *bool) {
	v := uint64(0)
	if *p {
		v = 1
	}
	d.line(name, off, v, 0, false)
}
func (d dumper) u8(off int, name string, p *uint8)   { d.line(name, off, uint64(*p), 0, false) }
func (d dumper) u16(off int, name string, p *uint16) { d.line(name, off, uint64(*p), 0, false) }
func (d dumper) i32(off int, name string, p *int32) {
	d.line(name, off, uint64(int64(*p)), int64(*p), true)
}
func (d dumper) u32(off int, name string, p *uint32) { d.line(name, off, uint64(*p), 0, false) }
func (d dumper) i64(off int, name string, p *int64)  { d.line(name, off, uint64(*p), *p, true) }
func (d dumper) u64(off int, name string, p *uint64) { d.line(name, off, *p, 0, false) }

func TestCapturesMatchReferenceDump(t *testing.T) {
	ref, err := os.ReadFile("testdata/captures/DECODED.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, block := range strings.Split(string(ref), "\n\n") {
		block = strings.TrimSpace(block)
		if !strings.HasPrefix(block, "== ") {
			continue
		}
		head, rest, _ := strings.Cut(block, "\n")
		want[strings.TrimPrefix(head, "== ")] = rest + "\n"
	}
	caps := captures(t)
	if len(want) != len(caps) {
		t.Errorf("DECODED.txt has %d messages, testdata %d", len(want), len(caps))
	}
	for _, name := range sortedNames(caps) {
		raw := caps[name]
		m, err := Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "length=%d (actual %d) type=%d %s output_verbosity=%d buflen=%d\n",
			binary.LittleEndian.Uint16(raw), len(raw), m.Type, m.Type, m.Verbosity,
			binary.LittleEndian.Uint16(raw[offBuflen:]))
		m.Body.walk(dumper{raw: raw, out: &b})
		if got := b.String(); got != want[name] {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", name, got, want[name])
		}
	}
}

// Starter's add_conn for "conn net-net-psk" (captures/ipsec.full.conf), built
// from scratch: authby=secret makes starter push the auth strings last.
func TestEncodeStarterAuthby(t *testing.T) {
	m := &Msg{Type: TypeAddConn, Verbosity: VerbositySilent, Body: &AddConn{
		Name: S("net-net-psk"), Version: 2, Mode: ModeTunnel, ForceEncap: 128,
		Fragmentation: FragmentationForce, IPComp: 2, Inactivity: 300, InstallPolicy: 1,
		CloseAction: ActionHold, Reqid: 5, TFC: 0xffffffff, IKEDSCP: 46,
		CRLPolicy: CRLStrictIfURI, Unique: UniqueNever,
		Algorithms: Algorithms{IKE: S("aes128-sha256-modp3072!"), ESP: S("aes128gcm16-modp3072!")},
		Rekey: RekeyConfig{Reauth: 1, IPsecLifetime: 1200, IKELifetime: 3600, Margin: 180,
			LifeBytes: 1000000, MarginBytes: 10000, LifePackets: 5000, MarginPackets: 100,
			Tries: 1, Fuzz: 50},
		DPD:     DPD{Delay: 10, Timeout: 120, Action: ActionRestart},
		MarkIn:  Mark{42, 0xff},
		MarkOut: Mark{42, 0xff},
		Me: End{Auth: S("psk"), ID: S("moon"), Address: S("192.168.0.1"), IKEPort: 500,
			Subnets: S("10.1.0.0/16"), SendCert: SendCertIfAsked, Protocol: 6, FromPort: 80, ToPort: 80},
		Other: End{Auth: S("psk"), ID: S("sun"), Address: S("192.168.0.2"), IKEPort: 500,
			Subnets: S("10.2.0.0/16,10.3.0.0/16"), SendCert: SendCertIfAsked, ToPort: 65535},
		ReplayWindow: 64,
	}}
	if err := m.PushLast("add_conn.me.auth", "add_conn.other.auth"); err != nil {
		t.Fatal(err)
	}
	got, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("testdata/captures/starter_full_03_STR_ADD_CONN.bin")
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	if err := m.PushLast("add_conn.me.nosuch"); err == nil {
		t.Error("PushLast accepted an unknown field")
	}
}

// buflen: 0 while the strings fit the 6 spare bytes of sizeof(stroke_msg_t),
// then the next multiple of 1024 (captures: "ike" -> 0, "net-net" -> 1024).
func TestEncodeBuflen(t *testing.T) {
	for _, tc := range []struct {
		name   string
		buflen uint16
	}{{"", 0}, {"abcde", 0}, {"abcdef", 1024}, {strings.Repeat("x", 1029), 1024},
		{strings.Repeat("x", 1030), 2048}} {
		b, err := (&Msg{Type: TypeInitiate, Body: &Initiate{S(tc.name)}}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.LittleEndian.Uint16(b[offBuflen:]); got != tc.buflen {
			t.Errorf("name of %d bytes: buflen %d, want %d", len(tc.name), got, tc.buflen)
		}
		if int(binary.LittleEndian.Uint16(b)) != len(b) || len(b) != HeaderLen+len(tc.name)+1 {
			t.Errorf("name of %d bytes: length %d, %d bytes", len(tc.name), binary.LittleEndian.Uint16(b), len(b))
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	long := strings.Repeat("x", MaxLen-HeaderLen-1) // with its NUL it reaches 65535
	for _, tc := range []struct {
		name string
		m    *Msg
		want error
	}{
		{"too long", &Msg{Type: TypeInitiate, Body: &Initiate{S(long)}}, ErrTooLong},
		{"too long in sum", &Msg{Type: TypeLeases, Body: &Leases{S(long[:40000]), S(long[:30000])}}, ErrTooLong},
		{"NUL", &Msg{Type: TypeInitiate, Body: &Initiate{S("a\x00b")}}, ErrNUL},
		{"unknown type", &Msg{Type: 23}, ErrUnknownType},
	} {
		if _, err := tc.m.Encode(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if b, err := (&Msg{Type: TypeInitiate, Body: &Initiate{S(long[1:])}}).Encode(); err != nil || len(b) != MaxLen-1 {
		t.Errorf("longest message: %d bytes, %v", len(b), err)
	}
	if _, err := (&Msg{Type: TypeStatus, Body: &Initiate{}}).Encode(); err == nil {
		t.Error("a body of the wrong type was accepted")
	}
	if _, err := (&Msg{Type: TypeStatus, Order: []string{"initiate.name"}}).Encode(); err == nil {
		t.Error("an Order naming another type's field was accepted")
	}
	if b, err := (&Msg{Type: TypeMemUsage}).Encode(); err != nil || len(b) != HeaderLen {
		t.Errorf("nil body: %d bytes, %v", len(b), err)
	}
}

// mustEncode builds a valid message to corrupt.
func mustEncode(t *testing.T, m *Msg) []byte {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeMalformed(t *testing.T) {
	valid := mustEncode(t, &Msg{Type: TypeTerminateSrcIP, Body: &TerminateSrcIP{S("10.3.0.1"), S("10.3.0.9")}})
	patch := func(off int, v uint64, size int) []byte {
		b := append([]byte(nil), valid...)
		switch size {
		case 2:
			binary.LittleEndian.PutUint16(b[off:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(b[off:], uint32(v))
		case 8:
			binary.LittleEndian.PutUint64(b[off:], v)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"one byte", []byte{0x92}, ErrTruncated},
		{"length below header", patch(0, 657, 2), ErrLength},
		{"length zero", patch(0, 0, 2), ErrLength},
		{"truncated", valid[:len(valid)-1], ErrTruncated},
		{"header only of longer message", valid[:HeaderLen], ErrTruncated},
		{"trailing", append(append([]byte(nil), valid...), 0), ErrTrailing},
		{"type 23", patch(offType, 23, 4), ErrUnknownType},
		{"type -1", patch(offType, 0xffffffff, 4), ErrUnknownType},
		{"pointer into header", patch(16, 657, 8), ErrBadPointer},
		{"pointer past end", patch(24, uint64(len(valid)+1), 8), ErrBadPointer},
		{"pointer huge", patch(24, 1<<63, 8), ErrBadPointer},
	} {
		m, err := Decode(tc.b)
		if !errors.Is(err, tc.want) || m != nil {
			t.Errorf("%s: %v, %v; want %v", tc.name, m, err, tc.want)
		}
	}

	// An offset equal to the length points at the NUL charon appends: an
	// empty string, as charon reads it.
	m, err := Decode(patch(24, uint64(len(valid)), 8))
	if err != nil || m.Body.(*TerminateSrcIP).End != S("") {
		t.Errorf("pointer at end: %+v, %v", m, err)
	}
	// A string without NUL runs to the end of the message.
	b := append([]byte(nil), valid[:len(valid)-1]...)
	binary.LittleEndian.PutUint16(b, uint16(len(b)))
	m, err = Decode(b)
	if err != nil || m.Body.(*TerminateSrcIP).End != S("10.3.0.9") {
		t.Errorf("unterminated: %+v, %v", m, err)
	}
	// Strings may overlap; both read from their offset to the next NUL.
	m, err = Decode(patch(24, HeaderLen+3, 8))
	if err != nil || m.Body.(*TerminateSrcIP).End != S("3.0.1") {
		t.Errorf("overlapping: %+v, %v", m, err)
	}
}

func TestDecodeAllTypesRoundTrip(t *testing.T) {
	for ty := Type(0); ty < numTypes; ty++ {
		body := BodyFor(ty)
		// Set every string so each offset and order entry is exercised.
		i := 0
		body.walk(setAll(func(p *Str) { i++; *p = S(fmt.Sprintf("%s-%d", ty, i)) }))
		m := &Msg{Type: ty, Verbosity: -1, Body: body}
		b := mustEncode(t, m)
		d, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", ty, err)
		}
		m.Order = Fields(ty)
		if !reflect.DeepEqual(d, m) {
			t.Errorf("%s:\n got %+v\nwant %+v", ty, d, m)
		}
	}
}

// setAll is a walker that assigns every string field.
type setAll func(p *Str)

func (f setAll) str(_ int, _ string, p *Str) { f(p) }
func (setAll) boolean(int, string, *bool)    {}
func (setAll) u8(int, string, *uint8)        {}
func (setAll) u16(int, string, *uint16)      {}
func (setAll) i32(int, string, *int32)       {}
func (setAll) u32(int, string, *uint32)      {}
func (setAll) i64(int, string, *int64)       {}
func (setAll) u64(int, string, *uint64)      {}

// FuzzDecode feeds arbitrary bytes to Decode: it must not panic, and what it
// accepts must re-encode into a message that decodes to the same value and
// encodes to the same bytes again.
func FuzzDecode(f *testing.F) {
	for _, name := range sortedNames(captures(f)) {
		f.Add(captures(f)[name])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if m != nil {
				t.Fatal("message with error")
			}
			return
		}
		enc, err := m.Encode()
		if errors.Is(err, ErrTooLong) {
			return // overlapping strings can grow beyond 64k when unpacked
		}
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, m2)
		}
		enc2, err := m2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}
