package kernel_libipsec

import (
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
)

// fuzzSAs builds a matching outbound/inbound SA pair of every algorithm in
// both modes, outside any data path: the fuzz targets call seal and open
// directly.
func fuzzSAs(f *testing.F) (out, in []*sa) {
	moon, sun := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.2")
	for _, mode := range []kernel.Mode{kernel.ModeTunnel, kernel.ModeTransport} {
		for _, a := range algos {
			d := kernel.AddSA{ReqID: 1, Mode: mode, EncAlg: a.enc, EncKey: keyOf(a.encLen, 1),
				IntAlg: a.integ, IntKey: keyOf(a.intLen, 101), ReplayWindow: 32, Encap: true,
				EncapSrcPort: 4500, EncapDstPort: 4500}
			o, err := newSA(kernel.SAID{Src: moon, Dst: sun, SPI: 0xc0000001, Proto: kernel.ProtoESP}, d, time.Now())
			if err != nil {
				f.Fatal(err)
			}
			d.Inbound = true
			i, err := newSA(kernel.SAID{Src: moon, Dst: sun, SPI: 0xc0000001, Proto: kernel.ProtoESP}, d, time.Now())
			if err != nil {
				f.Fatal(err)
			}
			out, in = append(out, o), append(in, i)
		}
	}
	return out, in
}

// FuzzOpen feeds arbitrary bytes to the inbound ESP path as a peer could
// send them: parseSPI and open must reject garbage without panicking.
func FuzzOpen(f *testing.F) {
	out, in := fuzzSAs(f)
	moon, sun := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.2")
	// Seeds: one valid packet per SA, plus truncations.
	for i, s := range out {
		buf := make([]byte, 2048)
		p := udpPacket(netip.MustParseAddr("10.1.0.10"), netip.MustParseAddr("10.2.0.10"), 1, 2, []byte("seed"))
		if s.mode == kernel.ModeTransport {
			p = udpPacket(moon, sun, 1, 2, []byte("seed"))
		}
		copy(buf[outOffset:], p)
		esp, err := s.seal(buf, outOffset, len(p), 1)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), append([]byte(nil), esp...))
		f.Add(uint8(i), append([]byte(nil), esp[:len(esp)/2]...))
	}
	f.Add(uint8(0), []byte{})
	f.Fuzz(func(t *testing.T, which uint8, esp []byte) {
		s := in[int(which)%len(in)]
		if _, ok := parseSPI(esp); !ok {
			return
		}
		buf := make([]byte, inOffset+len(esp))
		copy(buf[inOffset:], esp)
		_, _ = s.open(buf[inOffset:], 1, moon, sun, buf[:inOffset])
	})
}

// FuzzSealedInner seals arbitrary inner bytes (what a peer controls after
// decryption: padding, next header, the inner IP header, TFC padding) and
// opens them again: open must either return a well-formed packet or an
// error, never panic.
func FuzzSealedInner(f *testing.F) {
	out, in := fuzzSAs(f)
	moon, sun := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.2")
	f.Add(uint8(0), udpPacket(netip.MustParseAddr("10.1.0.10"), netip.MustParseAddr("10.2.0.10"), 1, 2, []byte("x")), uint8(0), uint8(4))
	f.Add(uint8(len(algos)), udpPacket(moon, sun, 1, 2, []byte("x")), uint8(3), uint8(17))
	f.Fuzz(func(t *testing.T, which uint8, body []byte, pad, next uint8) {
		k := int(which) % len(out)
		s, r := out[k], in[k]
		if len(body) > 1500 {
			return
		}
		// Build the ESP trailer by hand so that padding and next header
		// are the fuzzer's, then let the transform encrypt and sign it.
		blk := max(s.block, 4)
		plain := append(append([]byte(nil), body...), make([]byte, int(pad))...)
		plain = append(plain, pad, next)
		if len(plain)%blk != 0 {
			return
		}
		buf := make([]byte, inOffset+espHeaderLen+s.ivLen+len(plain)+s.icvLen+tailroomGCM8)
		esp := buf[inOffset : inOffset+espHeaderLen+s.ivLen+len(plain)+s.icvLen]
		esp[0], esp[1], esp[2], esp[3] = 0xc0, 0, 0, 1
		esp[7] = 1
		copy(esp[espHeaderLen+s.ivLen:], plain)
		if err := s.xf.Seal(esp, 1, s.esn); err != nil {
			return
		}
		pkt, err := r.open(esp, 1, moon, sun, buf[:inOffset])
		if err != nil {
			return
		}
		if len(pkt) == 0 || (pkt[0]>>4 != 4 && pkt[0]>>4 != 6) {
			t.Fatalf("open returned a packet that is not IP: %x", pkt)
		}
	})
}
