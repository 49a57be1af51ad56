package vici

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// readmeExample is the encoding example of the vici README, byte for byte.
var readmeExample = []byte{
	3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
	1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
	1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
	3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
	2,
	4, 5, 'l', 'i', 's', 't', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '2',
	6,
	2,
}

func TestBuilderReadmeExample(t *testing.T) {
	b := NewBuilder()
	b.KV("key1", "value1")
	b.BeginSection("section1")
	b.BeginSection("sub-section")
	b.KV("key2", "value2")
	b.EndSection()
	b.BeginList("list1")
	b.Item("item1")
	b.Item("item2")
	b.EndList()
	b.EndSection()
	got, err := b.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, readmeExample) {
		t.Fatalf("encoding differs from the README:\n got %v\nwant %v", got, readmeExample)
	}
}

func TestDecodeReadmeExample(t *testing.T) {
	m, err := Decode(readmeExample)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Str("key1"); !ok || v != "value1" {
		t.Errorf("key1 = %q, %v", v, ok)
	}
	if v, ok := m.Str("section1.sub-section.key2"); !ok || v != "value2" {
		t.Errorf("section1.sub-section.key2 = %q, %v", v, ok)
	}
	l := m.Find("section1").Sub.Find("list1")
	if l == nil || l.Kind != List || len(l.Items) != 2 || string(l.Items[1]) != "item2" {
		t.Errorf("list1 = %+v", l)
	}
	again, err := m.Encode()
	if err != nil || !bytes.Equal(again, readmeExample) {
		t.Errorf("re-encoding: %v\n got %v", err, again)
	}
}

func TestDecodeRejectsWhatCharonRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"section end at root", []byte{2}, "'section-end' outside of section"},
		{"item outside list", []byte{5, 0, 1, 'x'}, "'list-item' outside list"},
		{"list end outside list", []byte{6}, "'list-end' outside list"},
		{"kv in list", []byte{4, 1, 'l', 3, 1, 'k', 0, 0}, "'key-value' within list"},
		{"nested list", []byte{4, 1, 'l', 4, 1, 'm'}, "'list-start' within list"},
		{"end in section", []byte{1, 1, 's', 7}, "'end' within section"},
		{"unknown type", []byte{9}, "unknown encoding type: 9"},
		{"start type", []byte{0}, "unknown encoding type: 0"},
		{"truncated name", []byte{3, 5, 'a'}, "invalid 'key-value' encoding"},
		{"truncated value", []byte{3, 1, 'a', 0, 5, 'x'}, "invalid 'key-value' encoding"},
		{"unprintable name", []byte{1, 1, '\n'}, "invalid 'section-start' encoding"},
		{"truncated item", []byte{4, 1, 'l', 5, 0}, "invalid 'list-item' encoding"},
	} {
		_, err := Decode(c.data)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestDecodeKeepsWhatPrecedesAFault(t *testing.T) {
	// charon's lazy parser finds the keys before a fault.
	m, err := Decode([]byte{3, 1, 'a', 0, 1, '1', 2})
	if err == nil {
		t.Fatal("no error")
	}
	if v, ok := m.Str("a"); !ok || v != "1" {
		t.Errorf("a = %q, %v", v, ok)
	}
}

func TestDecodeClosesOpenSectionsAtTheEnd(t *testing.T) {
	m, err := Decode([]byte{1, 1, 's', 3, 1, 'k', 0, 1, 'v'})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Str("s.k"); v != "v" {
		t.Errorf("s.k = %q", v)
	}
}

func TestGetters(t *testing.T) {
	m := Msg("int", "0x10", "neg", "-3", "bad", "12x", "empty", "", "big", "4294967297",
		"yes", "Enabled", "no", "FALSE", "other", "maybe", "nl", "a\nb")
	for _, c := range []struct {
		key  string
		def  int
		want int
	}{
		{"int", 0, 16}, {"neg", 0, -3}, {"bad", 7, 7}, {"empty", 9, 9}, {"missing", 5, 5},
		{"big", 0, 1}, // C's (int) of a long keeps the low 32 bits
	} {
		if got := m.Int(c.key, c.def); got != c.want {
			t.Errorf("Int(%s) = %d, want %d", c.key, got, c.want)
		}
	}
	if !m.Bool("yes", false) || m.Bool("no", true) || !m.Bool("other", true) || m.Bool("missing", false) {
		t.Error("Bool")
	}
	if _, ok := m.Str("nl"); ok {
		t.Error("Str of an unprintable value must fail")
	}
}

func TestBuilderChecks(t *testing.T) {
	b := NewBuilder()
	b.EndSection()
	if _, err := b.Finalize(); err == nil || !strings.Contains(err.Error(), "1 errors") {
		t.Errorf("section end at root: %v", err)
	}
	b = NewBuilder()
	b.BeginSection("open")
	if _, err := b.Finalize(); err == nil || !strings.Contains(err.Error(), "section: 1") {
		t.Errorf("open section: %v", err)
	}
	b = NewBuilder()
	b.KVBytes("big", make([]byte, 0x10000))
	if _, err := b.Finalize(); err == nil || !strings.Contains(err.Error(), "size limit") {
		t.Errorf("value too long: %v", err)
	}
	b = NewBuilder()
	if out, err := b.Finalize(); err != nil || out == nil || len(out) != 0 {
		t.Errorf("empty message: %v %v", out, err)
	}
}

func TestPacketRoundTrip(t *testing.T) {
	for _, p := range []Packet{
		{Type: CmdRequest, Name: "list-sas", Message: readmeExample},
		{Type: CmdResponse, Message: []byte{3, 1, 'a', 0, 0}},
		{Type: EventRegister, Name: "ike-updown"},
		{Type: EventConfirm},
		{Type: EventPacket, Name: "log", Message: []byte{}},
	} {
		var buf bytes.Buffer
		buf.Write(Frame(p.Encode()))
		seg, err := ReadSegment(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParsePacket(seg)
		if err != nil || got.Type != p.Type || got.Name != p.Name || !bytes.Equal(got.Message, p.Message) {
			t.Errorf("%+v -> %+v, %v", p, got, err)
		}
	}
}

func TestSegmentLimit(t *testing.T) {
	_, err := ReadSegment(bytes.NewReader([]byte{0, 8, 0, 1}))
	if !errors.Is(err, ErrSegmentTooLong) ||
		!strings.Contains(err.Error(), "vici message length 524289 exceeds 524288 bytes limit, ignored") {
		t.Errorf("got %v", err)
	}
}

func TestParsePacketRejects(t *testing.T) {
	for _, seg := range [][]byte{{}, {CmdRequest}, {CmdRequest, 5, 'a'}, {EventRegister, 1, 0x01}} {
		if _, err := ParsePacket(seg); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: got %v", seg, err)
		}
	}
}
