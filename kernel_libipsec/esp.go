package kernel_libipsec

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/goswan/goswan/kernel"
)

// ESP packet construction and parsing (RFC 4303 §2), in place in the data
// plane's buffers. Every function here works on one packet and allocates
// nothing; the pipeline in datapath.go runs them on many cores.

// Next-header values ESP carries.
const (
	protoIPIP    = 4
	protoIPv6    = 41
	protoNoNext  = 59 // a dummy (TFC) packet, RFC 4303 §2.6
	espHeaderLen = 8
)

// Errors of the ESP layer; the data plane counts each kind separately.
var (
	errTruncated  = errors.New("ESP packet truncated")
	errPadding    = errors.New("ESP padding invalid")
	errNextHeader = errors.New("ESP next header does not match the SA's mode")
	errInner      = errors.New("ESP payload is not a valid IP packet")
	errRoom       = errors.New("no room for the ESP header or trailer")
	errDummy      = errors.New("ESP dummy packet")
)

// headroom is how many bytes the data plane leaves in front of a plaintext
// packet read from the TUN device: SPI, sequence number and the largest IV
// (16 bytes, AES-CBC), rounded up. Transport mode needs less, as the IP
// header moves out of the way.
const headroom = 32

// tailroom is enough for the largest padding (block 16 - 1 + 2 bytes, plus
// TFC-free 4-byte alignment) and ICV (32 bytes, HMAC-SHA2-512-256), plus the
// spare 8 bytes AES-GCM-8 sealing writes beyond the ICV.
const tailroom = 64

// padLen is the number of padding bytes so that payload||pad||2 fills whole
// blocks of the transform's block size (at least 4, RFC 4303 §2.4).
func padLen(payload, block int) int {
	if block < 4 {
		block = 4
	}
	return (block - (payload+2)%block) % block
}

// ipHeaderLen returns the length of the IP header of an inner packet and its
// protocol (the next header of an IPv6 packet), for transport mode.
func ipHeaderLen(pkt []byte) (int, uint8, error) {
	if len(pkt) < 20 {
		return 0, 0, errInner
	}
	switch pkt[0] >> 4 {
	case 4:
		h := int(pkt[0]&0x0f) * 4
		if h < 20 || h > len(pkt) {
			return 0, 0, errInner
		}
		return h, pkt[9], nil
	case 6:
		if len(pkt) < 40 {
			return 0, 0, errInner
		}
		return 40, pkt[6], nil
	}
	return 0, 0, errInner
}

// seal turns the inner packet buf[off:off+n] into an ESP packet in place and
// returns it (SPI through ICV). In tunnel mode the whole inner packet is the
// payload; in transport mode its IP header is dropped (the outer header the
// kernel builds for the UDP socket replaces it) and its protocol becomes the
// next header.
func (s *sa) seal(buf []byte, off, n int, seq uint64) ([]byte, error) {
	inner := buf[off : off+n]
	var next uint8
	start := off
	switch s.mode {
	case kernel.ModeTransport:
		h, proto, err := ipHeaderLen(inner)
		if err != nil {
			return nil, err
		}
		next = proto
		start += h
	default:
		if len(inner) == 0 {
			return nil, errInner
		}
		switch inner[0] >> 4 {
		case 4:
			next = protoIPIP
		case 6:
			next = protoIPv6
		default:
			return nil, errInner
		}
	}
	payload := off + n - start
	pad := padLen(payload, s.block)
	start -= espHeaderLen + s.ivLen
	end := off + n + pad + 2 + s.icvLen
	if start < 0 || end+tailroomGCM8 > cap(buf) {
		return nil, errRoom
	}
	esp := buf[start:end]
	binary.BigEndian.PutUint32(esp[0:4], s.id.SPI)
	binary.BigEndian.PutUint32(esp[4:8], uint32(seq))
	t := off + n
	for i := 0; i < pad; i++ {
		buf[t+i] = byte(i + 1)
	}
	buf[t+pad] = byte(pad)
	buf[t+pad+1] = next
	if err := s.xf.Seal(esp, seq, s.esn); err != nil {
		return nil, err
	}
	return esp, nil
}

// tailroomGCM8 is the room AES-GCM with an 8-byte ICV needs beyond the ICV
// to seal in place (see aeadTransform.Seal).
const tailroomGCM8 = 8

// parseSPI reads the SPI of an ESP packet.
func parseSPI(esp []byte) (uint32, bool) {
	if len(esp) < espHeaderLen {
		return 0, false
	}
	return binary.BigEndian.Uint32(esp), true
}

// open authenticates and decrypts the ESP packet esp, which sits in a buffer
// with room in front of it for a rebuilt IP header (transport mode), and
// returns the inner packet. seq is the full sequence number the caller
// inferred. src and dst are the outer addresses (transport mode builds the
// inner header from them).
func (s *sa) open(esp []byte, seq uint64, src, dst netip.Addr, front []byte) ([]byte, error) {
	if len(esp) < espHeaderLen+s.ivLen+2+s.icvLen {
		return nil, errTruncated
	}
	ct := len(esp) - espHeaderLen - s.ivLen - s.icvLen
	if b := max(s.block, 4); ct%b != 0 && s.block > 1 {
		return nil, errTruncated
	}
	if err := s.xf.Open(esp, seq, s.esn); err != nil {
		return nil, err
	}
	tail := len(esp) - s.icvLen
	next := esp[tail-1]
	pad := int(esp[tail-2])
	begin := espHeaderLen + s.ivLen
	end := tail - 2 - pad
	if end < begin {
		return nil, errPadding
	}
	for i := 0; i < pad; i++ {
		if esp[end+i] != byte(i+1) {
			return nil, errPadding
		}
	}
	payload := esp[begin:end]
	if next == protoNoNext {
		return nil, errDummy
	}
	if s.mode == kernel.ModeTransport {
		return rebuildTransport(front, payload, next, src, dst)
	}
	return trimInner(payload, next)
}

// trimInner checks the inner packet of a tunnel-mode SA and cuts TFC padding
// after it (RFC 4303 §2.4: the IP header's length field is authoritative).
func trimInner(p []byte, next uint8) ([]byte, error) {
	switch next {
	case protoIPIP:
		if len(p) < 20 || p[0]>>4 != 4 {
			return nil, errInner
		}
		l := int(binary.BigEndian.Uint16(p[2:4]))
		if l < 20 || l > len(p) {
			return nil, errInner
		}
		return p[:l], nil
	case protoIPv6:
		if len(p) < 40 || p[0]>>4 != 6 {
			return nil, errInner
		}
		l := 40 + int(binary.BigEndian.Uint16(p[4:6]))
		if l > len(p) {
			return nil, errInner
		}
		return p[:l], nil
	}
	return nil, errNextHeader
}

// rebuildTransport writes an IP header for a transport-mode payload into the
// bytes right in front of it (front is the buffer up to the payload) and
// returns header and payload as one packet. Without NAT the peer's
// transport checksums cover exactly these addresses, so they stay valid.
func rebuildTransport(front, payload []byte, next uint8, src, dst netip.Addr) ([]byte, error) {
	if next == protoIPIP || next == protoIPv6 {
		return nil, errNextHeader
	}
	if src.Is4() {
		if len(front) < 20 || len(payload) > 0xffff-20 {
			return nil, errRoom
		}
		h := front[len(front)-20:]
		total := 20 + len(payload)
		h[0], h[1] = 0x45, 0
		binary.BigEndian.PutUint16(h[2:], uint16(total))
		h[4], h[5], h[6], h[7] = 0, 0, 0x40, 0 // DF: path MTU discovery stays on
		h[8], h[9] = 64, next
		h[10], h[11] = 0, 0
		s4, d4 := src.As4(), dst.As4()
		copy(h[12:16], s4[:])
		copy(h[16:20], d4[:])
		binary.BigEndian.PutUint16(h[10:], ipv4Checksum(h))
		return h[:total:total], nil
	}
	if len(front) < 40 || len(payload) > 0xffff {
		return nil, errRoom
	}
	h := front[len(front)-40:]
	h[0], h[1], h[2], h[3] = 0x60, 0, 0, 0
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = next, 64
	s16, d16 := src.As16(), dst.As16()
	copy(h[8:24], s16[:])
	copy(h[24:40], d16[:])
	total := 40 + len(payload)
	return h[:total:total], nil
}

func ipv4Checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
