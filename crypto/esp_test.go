package crypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

func newTestESP(t testing.TB, c skCase, esn bool) *ESPTransform {
	t.Helper()
	n, err := c.encr.KeyMaterialSize(c.keyBits)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewESPTransform(ESPConfig{
		Encryption: c.encr, KeyBits: c.keyBits, Integrity: c.integ,
		EncryptionKey: bytes.Repeat([]byte{0x33}, n), IntegrityKey: bytes.Repeat([]byte{0x44}, c.integ.KeySize()),
		ESN: esn, Rand: seededReader(9),
	})
	if err != nil {
		t.Fatalf("%v/%v: %v", c.encr, c.integ, err)
	}
	return e
}

var espCases = append(append([]skCase{}, skCases...), skCase{EncrNull, 0, AuthHMACSHA2_256_128})

func TestESPRoundTrip(t *testing.T) {
	for _, esn := range []bool{false, true} {
		for _, c := range espCases {
			e := newTestESP(t, c, esn)
			hdr := []byte{0xc0, 0, 0, 1, 0, 0, 0, 7}
			plain := bytes.Repeat([]byte{0x5c}, 1400)
			plain = plain[:len(plain)-len(plain)%e.BlockSize()]
			iv := make([]byte, e.IVSize())
			e.GenerateIV(iv, 7)
			sealed, err := e.Seal(nil, hdr, 1, iv, plain)
			if err != nil {
				t.Fatalf("%v/%v: %v", c.encr, c.integ, err)
			}
			if len(sealed) != len(plain)+e.ICVSize() {
				t.Fatalf("%v: sealed %d bytes", c.encr, len(sealed))
			}
			got, err := e.Open(nil, hdr, 1, iv, sealed)
			if err != nil {
				t.Fatalf("%v/%v open: %v", c.encr, c.integ, err)
			}
			mustEqual(t, c.encr.String(), got, plain)
			// The header and (with ESN) the implicit high sequence bits are
			// authenticated.
			badHdr := bytes.Clone(hdr)
			badHdr[7]++
			if _, err := e.Open(nil, badHdr, 1, iv, sealed); !errors.Is(err, ErrAuthentication) {
				t.Errorf("%v: changed sequence number accepted", c.encr)
			}
			_, err = e.Open(nil, hdr, 2, iv, sealed)
			if esn && !errors.Is(err, ErrAuthentication) {
				t.Errorf("%v ESN: wrong high sequence bits accepted", c.encr)
			}
			if !esn && err != nil {
				t.Errorf("%v: high bits used without ESN: %v", c.encr, err)
			}
		}
	}
}

// GenerateIV is the sequence number for counter modes and AEADs, and an
// encryption of it for CBC: distinct for distinct packets, never repeated.
func TestESPIV(t *testing.T) {
	gcm := newTestESP(t, skCase{EncrAESGCM16, 128, AuthNone}, false)
	iv := make([]byte, 8)
	gcm.GenerateIV(iv, 0x0102030405060708)
	mustEqual(t, "GCM IV", iv, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	cbc := newTestESP(t, skCase{EncrAESCBC, 128, AuthHMACSHA1_96}, false)
	seen := map[[16]byte]bool{}
	for seq := range uint64(1000) {
		var b [16]byte
		cbc.GenerateIV(b[:], seq)
		if seen[b] || binary.BigEndian.Uint64(b[8:]) == seq {
			t.Fatalf("CBC IV for %d repeated or predictable: %x", seq, b)
		}
		seen[b] = true
	}
}

// The data plane seals and opens in place without allocating (AES-GCM-16,
// ChaCha20-Poly1305, AES-CBC with HMAC-SHA1/SHA2).
func TestESPAllocationFree(t *testing.T) {
	if raceEnabled {
		// `make test` runs this test a second time without -race.
		testenv.OtherLane(t, "make test's run without -race", "the race detector allocates")
	}
	for _, c := range []skCase{
		{EncrAESGCM16, 128, AuthNone}, {EncrAESGCM12, 256, AuthNone}, {EncrChaCha20Poly1305, 0, AuthNone},
		{EncrAESCBC, 128, AuthHMACSHA2_256_128}, {EncrAESCBC, 256, AuthHMACSHA1_96}, {EncrAESCBC, 256, AuthHMACSHA2_512_256},
	} {
		for _, esn := range []bool{false, true} {
			e := newTestESP(t, c, esn)
			hdr := []byte{1, 2, 3, 4, 0, 0, 0, 1}
			buf := make([]byte, 1408, 1408+64)
			iv := make([]byte, e.IVSize())
			allocs := testing.AllocsPerRun(100, func() {
				e.GenerateIV(iv, 1)
				sealed, err := e.Seal(buf[:0], hdr, 0, iv, buf)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.Open(sealed[:0], hdr, 0, iv, sealed); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v/%v esn=%v: %.1f allocations per packet", c.encr, c.integ, esn, allocs)
			}
		}
	}
}

func TestESPRejects(t *testing.T) {
	if _, err := NewESPTransform(ESPConfig{Encryption: EncrAESGCM16, KeyBits: 128, Integrity: AuthHMACSHA1_96, EncryptionKey: make([]byte, 20)}); err == nil {
		t.Error("AEAD with integrity accepted")
	}
	if _, err := NewESPTransform(ESPConfig{Encryption: EncrAESCBC, KeyBits: 128, Integrity: AuthHMACSHA1_96, EncryptionKey: make([]byte, 16), IntegrityKey: make([]byte, 20)}); err == nil {
		t.Error("CBC without an IV key source accepted")
	}
	e := newTestESP(t, skCase{EncrAESCBC, 128, AuthHMACSHA2_256_128}, false)
	if _, err := e.Seal(nil, make([]byte, 8), 0, make([]byte, 16), make([]byte, 17)); err == nil {
		t.Error("unaligned plaintext accepted")
	}
	if _, err := e.Open(nil, make([]byte, 7), 0, make([]byte, 16), make([]byte, 48)); err == nil {
		t.Error("short header accepted")
	}
	if _, err := e.Open(nil, make([]byte, 8), 0, make([]byte, 16), make([]byte, 10)); err == nil {
		t.Error("packet shorter than the ICV accepted")
	}
}
