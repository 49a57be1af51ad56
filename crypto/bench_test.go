package crypto

import (
	"bytes"
	"testing"
)

// BenchmarkKeyExchange measures one side of a key exchange: generating the
// key pair and computing the shared secret from the peer's value.
func BenchmarkKeyExchange(b *testing.B) {
	for _, m := range keMethods {
		b.Run(m.String(), func(b *testing.B) {
			r := seededReader(1)
			peer, err := NewKeyExchange(m, r)
			if err != nil {
				b.Fatal(err)
			}
			pub := peer.PublicValue()
			b.ResetTimer()
			for b.Loop() {
				k, err := NewKeyExchange(m, r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := k.SharedSecret(pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSKCipher seals and opens an SK payload of 64 and 1400 bytes.
func BenchmarkSKCipher(b *testing.B) {
	assoc := make([]byte, 32)
	for _, c := range skCases {
		for _, size := range []int{64, 1400} {
			b.Run(benchName(c)+"/"+itoa(size), func(b *testing.B) {
				sk := newTestSK(b, c)
				plain := make([]byte, size-size%sk.BlockSize())
				iv := make([]byte, sk.IVSize())
				buf := make([]byte, 0, size+64)
				b.SetBytes(int64(len(plain)))
				for b.Loop() {
					if err := sk.GenerateIV(iv); err != nil {
						b.Fatal(err)
					}
					sealed, err := sk.Seal(buf[:0], iv, plain, assoc)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := sk.Open(sealed[:0], iv, sealed, assoc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkESP seals and opens 1400-byte ESP packets in place, as the
// userspace data plane does (one Seal and one Open per iteration).
func BenchmarkESP(b *testing.B) {
	for _, c := range []skCase{
		{EncrAESGCM16, 128, AuthNone}, {EncrAESGCM16, 256, AuthNone}, {EncrAESGCM12, 128, AuthNone},
		{EncrAESGCM8, 128, AuthNone}, {EncrChaCha20Poly1305, 0, AuthNone},
		{EncrAESCBC, 128, AuthHMACSHA1_96}, {EncrAESCBC, 128, AuthHMACSHA2_256_128}, {EncrAESCBC, 256, AuthHMACSHA2_512_256},
	} {
		b.Run(benchName(c)+"/1400", func(b *testing.B) {
			e := newTestESP(b, c, false)
			hdr := []byte{1, 2, 3, 4, 0, 0, 0, 1}
			// 1400 bytes of payload, padded to the cipher's block.
			size := (1400 + e.BlockSize() - 1) / e.BlockSize() * e.BlockSize()
			buf := make([]byte, size, size+64)
			iv := make([]byte, e.IVSize())
			b.SetBytes(int64(size))
			b.ReportAllocs()
			seq := uint64(0)
			for b.Loop() {
				seq++
				e.GenerateIV(iv, seq)
				sealed, err := e.Seal(buf[:0], hdr, 0, iv, buf)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.Open(sealed[:0], hdr, 0, iv, sealed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeriveIKEKeys is the IKE_SA_INIT key derivation (prf, prf+).
func BenchmarkDeriveIKEKeys(b *testing.B) {
	alg := IKEAlgorithms{PRF: PRFHMACSHA2_256, Encryption: EncrAESCBC, KeyBits: 128, Integrity: AuthHMACSHA2_256_128}
	secret, n := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	for b.Loop() {
		if _, err := DeriveIKEKeys(alg, secret, n, n, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func benchName(c skCase) string {
	n := c.encr.String()
	if c.keyBits != 0 {
		n += "_" + itoa(c.keyBits)
	}
	if c.integ != AuthNone {
		n += "+" + c.integ.String()
	}
	return n
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
