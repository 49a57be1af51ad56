package pcap

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// file builds a little-endian microsecond pcap of Ethernet frames.
func file(frames ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, magicMicro)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint32(b, 262144)
	b = binary.LittleEndian.AppendUint32(b, linkEther)
	for _, f := range frames {
		b = append(b, make([]byte, 8)...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// udp4 and udp6 build an Ethernet frame holding one UDP datagram.
func udp4(src, dst string, sport, dport uint16, payload []byte) []byte {
	u := udp(sport, dport, payload)
	ip := binary.BigEndian.AppendUint16([]byte{0x45, 0}, uint16(20+len(u)))
	ip = append(ip, 0, 0, 0x40, 0, 64, protoUDP, 0, 0) // id, DF, TTL, protocol, checksum
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	ip = append(append(ip, s[:]...), d[:]...)
	return append(append(append(make([]byte, 12), 0x08, 0x00), ip...), u...)
}

func udp6(src, dst string, sport, dport uint16, payload []byte) []byte {
	u := udp(sport, dport, payload)
	ip := binary.BigEndian.AppendUint16([]byte{0x60, 0, 0, 0}, uint16(len(u)))
	ip = append(ip, protoUDP, 64)
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	ip = append(append(ip, s[:]...), d[:]...)
	return append(append(append(make([]byte, 12), 0x86, 0xdd), ip...), u...)
}

func udp(sport, dport uint16, payload []byte) []byte {
	u := binary.BigEndian.AppendUint16(nil, sport)
	u = binary.BigEndian.AppendUint16(u, dport)
	u = binary.BigEndian.AppendUint16(u, uint16(8+len(payload)))
	return append(append(u, 0, 0), payload...)
}

func TestUDPAndIKE(t *testing.T) {
	ike := bytes.Repeat([]byte{0x11}, 28)
	marked := append([]byte{0, 0, 0, 0}, ike...)
	esp := append([]byte{0, 0, 0x10, 0x01}, ike...)
	tcp := udp4("192.168.0.1", "192.168.0.2", 1, 2, nil)
	tcp[14+9] = 6
	frames := [][]byte{
		udp4("192.168.0.1", "192.168.0.2", 500, 500, ike),
		tcp,
		udp4("192.168.0.2", "192.168.0.1", 4500, 4500, marked),
		udp4("192.168.0.2", "192.168.0.1", 4500, 4500, esp),
		udp4("192.168.0.2", "192.168.0.1", 4500, 4500, []byte{0xff}),
		udp6("fd00::1", "fd00::2", 500, 500, ike),
		udp4("192.168.0.1", "192.168.0.2", 500, 500, ike[:20]),
	}
	ds, err := UDP(file(frames...))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		m, ok := IKE(d)
		got = append(got, strings.Join([]string{d.Src.String(), d.Dst.String(), map[bool]string{true: "ike", false: "-"}[ok && bytes.Equal(m, ike)]}, " "))
	}
	want := []string{
		"192.168.0.1:500 192.168.0.2:500 ike",
		"192.168.0.2:4500 192.168.0.1:4500 ike",
		"192.168.0.2:4500 192.168.0.1:4500 -",
		"192.168.0.2:4500 192.168.0.1:4500 -",
		"[fd00::1]:500 [fd00::2]:500 ike",
		"192.168.0.1:500 192.168.0.2:500 -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ds[1].Frame != 3 {
		t.Errorf("second datagram is frame %d, want 3 (the TCP frame counts)", ds[1].Frame)
	}
}

func TestUDPRefuses(t *testing.T) {
	good := udp4("192.168.0.1", "192.168.0.2", 500, 500, make([]byte, 28))
	frag := bytes.Clone(good)
	frag[14+6] = 0x20 // more fragments
	full := file(good)
	cut := bytes.Clone(full)
	binary.LittleEndian.PutUint32(cut[24+12:], uint32(len(good)+100)) // orig_len > incl_len
	sll := bytes.Clone(full)
	binary.LittleEndian.PutUint32(sll[20:], 113)
	for name, b := range map[string][]byte{
		"empty":          nil,
		"pcapng":         append([]byte{0x0a, 0x0d, 0x0d, 0x0a}, make([]byte, 24)...),
		"cooked":         sll,
		"fragment":       file(frag),
		"snapped":        cut,
		"short record":   full[:len(full)-1],
		"short rec hdr":  append(bytes.Clone(full), 1, 2, 3),
		"bad ip length":  file(append(bytes.Clone(good)[:16], 0xff, 0xff)),
		"bad udp length": file(func() []byte { g := bytes.Clone(good); g[14+20+4] = 0xff; return g }()),
	} {
		if _, err := UDP(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestCommittedCapture reads a capture tcpdump wrote (encoding's golden
// IKE traffic) and finds one IKE message for each packet file the capture
// tool extracted from it with tshark.
func TestCommittedCapture(t *testing.T) {
	for _, run := range []string{"default", "frag", "gcm", "eapcp"} {
		dir := filepath.Join("..", "..", "encoding", "testdata", "capture", run)
		b, err := os.ReadFile(filepath.Join(dir, "ike.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		ds, err := UDP(b)
		if err != nil {
			t.Fatalf("%s: %v", run, err)
		}
		var msgs [][]byte
		for _, d := range ds {
			if m, ok := IKE(d); ok {
				msgs = append(msgs, m)
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "packets", "*.bin"))
		if len(files) == 0 || len(msgs) != len(files) {
			t.Fatalf("%s: %d IKE messages, %d packet files", run, len(msgs), len(files))
		}
		for i, f := range files {
			want, _ := os.ReadFile(f)
			if !bytes.Equal(msgs[i], want) {
				t.Errorf("%s: message %d differs from %s", run, i+1, filepath.Base(f))
			}
		}
	}
}

func FuzzUDP(f *testing.F) {
	f.Add(file(udp4("192.168.0.1", "192.168.0.2", 500, 500, make([]byte, 28))))
	f.Add(file(udp6("fd00::1", "fd00::2", 4500, 4500, make([]byte, 32))))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := UDP(b)
		if err != nil {
			return
		}
		for _, d := range ds {
			if m, ok := IKE(d); ok && len(m) < 28 {
				t.Fatalf("IKE message of %d bytes", len(m))
			}
		}
	})
}
