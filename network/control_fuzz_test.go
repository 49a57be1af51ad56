package network

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FuzzParseControl: whatever control messages come with a datagram, the
// receiver reads a destination and a GRO segment size from them or
// nothing, and never reads outside them. The buffer is aligned as the
// kernel's is.
func FuzzParseControl(f *testing.F) {
	pktinfo := make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&pktinfo[0]))
	h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
	f.Add(pktinfo)
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		aligned := make([]uint64, (len(b)+7)/8)
		if len(b) == 0 {
			parseControl(nil)
			return
		}
		oob := unsafe.Slice((*byte)(unsafe.Pointer(&aligned[0])), len(aligned)*8)[:len(b)]
		copy(oob, b)
		if _, seg := parseControl(oob); seg < 0 || seg > 0xffff {
			t.Fatalf("segment size %d", seg)
		}
	})
}
