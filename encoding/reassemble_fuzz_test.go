package encoding

import (
	"bytes"
	"errors"
	"testing"
)

// sealedFragment is sealedPacket for an SKF payload: fragment num of total
// whose plaintext (padding included) is padded.
func sealedFragment(c testCipher, num, total uint16, first PayloadType, padded []byte) []byte {
	m := &Message{SPIi: 1, SPIr: 2, MajorVersion: 2, Exchange: ExchangeIKEAuth, MessageID: 1, Initiator: true}
	size := HeaderLen + genericHeaderLen + 4 + c.IVSize() + len(padded) + c.ICVSize()
	b := appendHeader(nil, m, PayloadSKF, size)
	b = append(b, byte(first), 0, byte((size-HeaderLen)>>8), byte(size-HeaderLen))
	b = appendUint16(b, num)
	b = appendUint16(b, total)
	assoc := bytes.Clone(b)
	iv := make([]byte, c.IVSize())
	b = append(b, iv...)
	b, _ = c.Seal(b, iv, padded, assoc)
	return b
}

// FuzzReassemble feeds authentic SKF fragments, with numbers, totals and
// contents from the fuzzer, to a Reassembler bounded like charon.max_packet:
// every outcome is a typed error or a message that encodes again, and what
// it holds never exceeds the bound (a peer's fragment bomb costs at most
// max_packet per IKE_SA).
func FuzzReassemble(f *testing.F) {
	f.Add([]byte{1, 2, 4, 41, 0, 0, 0, 3, 2, 2, 4, 0, 0, 0, 0, 3}, uint16(600))
	f.Add(bytes.Repeat([]byte{7, 255, 40, 41}, 50), uint16(300))
	f.Fuzz(func(t *testing.T, script []byte, max uint16) {
		c := newGCM16(fuzzKey)
		c.rand = zeroReader{}
		r := NewReassembler(int(max))
		for len(script) >= 4 {
			num, total, n, first := uint16(script[0]), uint16(script[1]), int(script[2]), PayloadType(script[3])
			script = script[4:]
			n = min(n, len(script))
			data := script[:n]
			script = script[n:]
			m, err := Decode(sealedFragment(c, num, total, first, data))
			if err != nil {
				continue // SKF header rules (number 0, beyond the total)
			}
			if err := m.Decrypt(c); err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			full, err := r.Add(m)
			if r.size > r.maxSize {
				t.Fatalf("reassembler holds %d bytes, bound %d", r.size, r.maxSize)
			}
			if err != nil || full == nil {
				continue
			}
			if _, err := full.Encode(c, zeroReader{}); err != nil {
				t.Fatalf("reassembled message does not encode: %v\n%s", err, full)
			}
		}
	})
}
