package kernel_libipsec

import "testing"

// FuzzParseFlow: any packet read from the TUN device (what local programs
// send) or decrypted from a peer yields a flow or none, never a read
// outside it.
func FuzzParseFlow(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 0, 10, 10, 2, 0, 10, 0x13, 0x88, 0x13, 0x89, 0, 8, 0, 0})
	f.Add(append([]byte{0x60, 0, 0, 0, 0, 8, 58, 64}, make([]byte, 40)...))
	f.Fuzz(func(t *testing.T, p []byte) {
		fl := parseFlow(p)
		if len(p) >= 20 && p[0]>>4 == 4 && !fl.src.Is4() {
			t.Fatalf("IPv4 packet without addresses: %+v", fl)
		}
	})
}
