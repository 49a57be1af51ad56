package kernel_libipsec

import (
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
)

// The seal, open and replay paths must not allocate (run with -benchmem:
// 0 allocs/op). AES-GCM-8 is the exception while it relies on the standard
// library, which cannot open 8-byte tags directly (transform.go).

func benchSA(b *testing.B, a algo, inbound bool) *sa {
	id := kernel.SAID{Src: topo4.moon, Dst: topo4.sun, SPI: 0xc0000001, Proto: kernel.ProtoESP}
	s, err := newSA(id, kernel.AddSA{Mode: kernel.ModeTunnel, EncAlg: a.enc, EncKey: keyOf(a.encLen, 1),
		IntAlg: a.integ, IntKey: keyOf(a.intLen, 2), Encap: true, Inbound: inbound, ReplayWindow: 32}, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkSeal(b *testing.B) {
	for _, a := range algos {
		b.Run(a.name, func(b *testing.B) {
			s := benchSA(b, a, false)
			buf := make([]byte, outOffset+1400+tailroom)
			pkt := udpPacket(topo4.alice, topo4.bob, 1, 2, make([]byte, 1400-28))
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				copy(buf[outOffset:], pkt)
				if _, err := s.seal(buf, outOffset, len(pkt), uint64(i+1)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, a := range algos {
		b.Run(a.name, func(b *testing.B) {
			out, in := benchSA(b, a, false), benchSA(b, a, true)
			buf := make([]byte, outOffset+1400+tailroom)
			pkt := udpPacket(topo4.alice, topo4.bob, 1, 2, make([]byte, 1400-28))
			copy(buf[outOffset:], pkt)
			esp, err := out.seal(buf, outOffset, len(pkt), 1)
			if err != nil {
				b.Fatal(err)
			}
			wire := append([]byte(nil), esp...)
			work := make([]byte, inBufSize)
			from := inOffset - espHeaderLen - in.ivLen
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			for b.Loop() {
				n := copy(work[from:], wire)
				if _, err := in.open(work[from:from+n], 1, topo4.moon, topo4.sun, work[:from+espHeaderLen+in.ivLen]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReplay(b *testing.B) {
	w := newReplayWindow(1024)
	b.ReportAllocs()
	var seq uint64
	for b.Loop() {
		seq++
		// Mostly in order, with some reordering inside the window.
		s := seq
		if seq%7 == 0 {
			s -= 5
		}
		if w.check(s) {
			w.accept(s)
		}
	}
}
