package crypto

import (
	"bytes"
	"errors"
	"testing"
)

// TestAEADVectors runs the AES-GCM (GCM spec test cases with RFC 4106's salt
// split) and ChaCha20-Poly1305 (RFC 7539, RFC 7634) vectors through the AEAD
// core, and the RFC 7634 ESP example through the ESP transform.
func TestAEADVectors(t *testing.T) {
	for i, v := range aeadVectors {
		key, iv, aad, plain, sealed := unhex(t, v.key), unhex(t, v.iv), unhex(t, v.aad), unhex(t, v.plain), unhex(t, v.sealed)
		keyBits := v.keyBits
		if v.alg == EncrChaCha20Poly1305 {
			keyBits = 0 // the IKEv2 transform carries no key length
		}
		c, err := newAEADCore(v.alg, keyBits, key)
		if err != nil {
			t.Fatalf("#%d %s: %v", i, v.source, err)
		}
		got, err := c.seal(nil, iv, plain, aad)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, v.source+" seal", got, sealed)
		opened, err := c.open(nil, iv, sealed, aad)
		if err != nil {
			t.Fatalf("#%d %s open: %v", i, v.source, err)
		}
		mustEqual(t, v.source+" open", opened, plain)
		for _, pos := range []int{0, len(sealed) - 1} {
			bad := bytes.Clone(sealed)
			bad[pos] ^= 0x01
			if _, err := c.open(nil, iv, bad, aad); !errors.Is(err, ErrAuthentication) {
				t.Errorf("#%d %s: flipped byte %d accepted (%v)", i, v.source, pos, err)
			}
		}
		if len(aad) == 8 { // SPI || sequence number: an ESP packet
			esp, err := NewESPTransform(ESPConfig{Encryption: v.alg, KeyBits: keyBits, EncryptionKey: key})
			if err != nil {
				t.Fatal(err)
			}
			got, err := esp.Seal(nil, aad, 0, iv, plain)
			if err == nil {
				mustEqual(t, v.source+" ESP seal", got, sealed)
			} else if len(plain)%esp.BlockSize() == 0 {
				t.Fatalf("%s ESP: %v", v.source, err)
			}
		}
	}
}

// TestCipherVectors runs the AES-CBC (RFC 3602, SP 800-38A), AES-CTR
// (RFC 3686), Camellia (RFC 3713, NESSIE) and Camellia-CTR (RFC 5528)
// vectors through the classic engine.
func TestCipherVectors(t *testing.T) {
	for i, v := range cipherVectors {
		key, iv, plain, want := unhex(t, v.key), unhex(t, v.iv), unhex(t, v.plain), unhex(t, v.cipher)
		c, err := newClassic(v.alg, v.keyBits, AuthHMACSHA2_256_128, key, make([]byte, 32))
		if err != nil {
			t.Fatalf("#%d %s: %v", i, v.source, err)
		}
		got := make([]byte, len(plain))
		if err := c.crypt(got, iv, plain, true); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, v.source, got, want)
		if err := c.crypt(got, iv, got, false); err != nil { // in place
			t.Fatal(err)
		}
		mustEqual(t, v.source+" decrypt", got, plain)
	}
}

type skCase struct {
	encr    EncryptionAlgorithm
	keyBits int
	integ   IntegrityAlgorithm
}

var skCases = []skCase{
	{EncrAESCBC, 128, AuthHMACSHA2_256_128},
	{EncrAESCBC, 192, AuthHMACSHA2_384_192},
	{EncrAESCBC, 256, AuthHMACSHA2_512_256},
	{EncrAESCBC, 128, AuthHMACSHA1_96},
	{EncrAESCBC, 128, AuthAESXCBC96},
	{EncrAESCBC, 256, AuthAESCMAC96},
	{EncrAESCTR, 128, AuthHMACSHA2_256_128},
	{Encr3DES, 0, AuthHMACSHA1_96},
	{EncrAESGCM8, 128, AuthNone},
	{EncrAESGCM12, 192, AuthNone},
	{EncrAESGCM16, 256, AuthNone},
	{EncrChaCha20Poly1305, 0, AuthNone},
	{EncrAESCCM8, 128, AuthNone},
	{EncrAESCCM12, 192, AuthNone},
	{EncrAESCCM16, 256, AuthNone},
	{EncrCamelliaCBC, 128, AuthHMACSHA2_256_128},
	{EncrCamelliaCBC, 256, AuthCamelliaXCBC96},
	{EncrCamelliaCTR, 192, AuthHMACSHA2_384_192},
	{EncrCamelliaCCM8, 128, AuthNone},
	{EncrCamelliaCCM16, 256, AuthNone},
}

func newTestSK(t testing.TB, c skCase) SKCipher {
	t.Helper()
	n, err := c.encr.KeyMaterialSize(c.keyBits)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := NewSKCipher(c.encr, c.keyBits, c.integ, bytes.Repeat([]byte{0x11}, n),
		bytes.Repeat([]byte{0x22}, c.integ.KeySize()), &countingReader{})
	if err != nil {
		t.Fatalf("%v/%v: %v", c.encr, c.integ, err)
	}
	return sk
}

func TestSKCipherRoundTrip(t *testing.T) {
	assoc := []byte("IKE header and SK payload header")
	for _, c := range skCases {
		sk := newTestSK(t, c)
		for _, size := range []int{0, 1, 64, 1400} {
			plain := make([]byte, size+sk.BlockSize()-(size%sk.BlockSize()))
			if sk.BlockSize() == 1 {
				plain = plain[:size]
			}
			for i := range plain {
				plain[i] = byte(i)
			}
			iv := make([]byte, sk.IVSize())
			if err := sk.GenerateIV(iv); err != nil {
				t.Fatal(err)
			}
			prefix := []byte("prefix")
			sealed, err := sk.Seal(bytes.Clone(prefix), iv, plain, assoc)
			if err != nil {
				t.Fatalf("%v/%v: %v", c.encr, c.integ, err)
			}
			if len(sealed) != len(prefix)+len(plain)+sk.ICVSize() || !bytes.HasPrefix(sealed, prefix) {
				t.Fatalf("%v/%v: sealed %d bytes", c.encr, c.integ, len(sealed))
			}
			ct := sealed[len(prefix):]
			opened, err := sk.Open(nil, iv, ct, assoc)
			if err != nil {
				t.Fatalf("%v/%v open: %v", c.encr, c.integ, err)
			}
			mustEqual(t, c.encr.String(), opened, plain)
			// Every byte counts: ciphertext, ICV, associated data, IV.
			for _, pos := range []int{0, len(ct) - 1} {
				bad := bytes.Clone(ct)
				bad[pos] ^= 0x80
				if _, err := sk.Open(nil, iv, bad, assoc); !errors.Is(err, ErrAuthentication) {
					t.Errorf("%v/%v: tampered byte %d: %v", c.encr, c.integ, pos, err)
				}
			}
			if _, err := sk.Open(nil, iv, ct, []byte("other header")); !errors.Is(err, ErrAuthentication) {
				t.Errorf("%v/%v: wrong assoc accepted", c.encr, c.integ)
			}
			badIV := bytes.Clone(iv)
			badIV[0] ^= 1
			if _, err := sk.Open(nil, badIV, ct, assoc); !errors.Is(err, ErrAuthentication) {
				t.Errorf("%v/%v: wrong IV accepted", c.encr, c.integ)
			}
			if _, err := sk.Open(nil, iv, ct[:sk.ICVSize()-1], assoc); err == nil {
				t.Errorf("%v/%v: truncated ciphertext accepted", c.encr, c.integ)
			}
		}
	}
}

// In-place operation: Seal into plaintext[:0], Open into ciphertext[:0].
func TestSKCipherInPlace(t *testing.T) {
	for _, c := range skCases {
		sk := newTestSK(t, c)
		plain := bytes.Repeat([]byte{0xab}, 48)
		buf := make([]byte, len(plain), len(plain)+32+16)
		copy(buf, plain)
		iv := make([]byte, sk.IVSize())
		_ = sk.GenerateIV(iv)
		sealed, err := sk.Seal(buf[:0], iv, buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if &sealed[0] != &buf[0] {
			t.Errorf("%v/%v: Seal did not work in place", c.encr, c.integ)
		}
		opened, err := sk.Open(sealed[:0], iv, sealed, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, c.encr.String()+" in place", opened, plain)
	}
}

// The truncated GCM tags are the leading bytes of the full one
// (SP 800-38D §7.1): GCM-8 and GCM-12 agree with GCM-16 on everything but
// the tag length.
func TestGCMTruncatedTags(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 20)
	iv, aad, plain := []byte("8bytesIV"), []byte("aad"), []byte("some plaintext of odd length")
	full, _ := newAEADCore(EncrAESGCM16, 128, key)
	want, _ := full.seal(nil, iv, plain, aad)
	for _, a := range []EncryptionAlgorithm{EncrAESGCM8, EncrAESGCM12} {
		c, err := newAEADCore(a, 128, key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := c.seal(nil, iv, plain, aad)
		mustEqual(t, a.String(), got, want[:len(plain)+a.ICVSize()])
	}
}

func TestSKCipherRejects(t *testing.T) {
	r := &countingReader{}
	if _, err := NewSKCipher(EncrAESGCM16, 128, AuthHMACSHA2_256_128, make([]byte, 20), make([]byte, 32), r); err == nil {
		t.Error("AEAD with integrity accepted")
	}
	if _, err := NewSKCipher(EncrAESCBC, 128, AuthNone, make([]byte, 16), nil, r); err == nil {
		t.Error("CBC without integrity accepted")
	}
	if _, err := NewSKCipher(EncrNull, 0, AuthHMACSHA1_96, nil, make([]byte, 20), r); err == nil {
		t.Error("NULL encryption accepted for IKE")
	}
	if _, err := NewSKCipher(EncrAESCBC, 128, AuthHMACSHA1_96, make([]byte, 15), make([]byte, 20), r); err == nil {
		t.Error("short key accepted")
	}
	if _, err := NewSKCipher(EncrAESCBC, 128, AuthHMACSHA1_96, make([]byte, 16), make([]byte, 20), nil); err == nil {
		t.Error("missing random source accepted")
	}
	sk := newTestSK(t, skCases[0])
	if _, err := sk.Seal(nil, make([]byte, 16), make([]byte, 15), nil); err == nil {
		t.Error("unaligned CBC plaintext accepted")
	}
}

// Counter-style IVs never repeat and are masked by the salt; CBC IVs come
// from the injected source.
func TestIVGeneration(t *testing.T) {
	gcm := newTestSK(t, skCase{EncrAESGCM16, 128, AuthNone})
	seen := map[string]bool{}
	for range 1000 {
		iv := make([]byte, 8)
		if err := gcm.GenerateIV(iv); err != nil {
			t.Fatal(err)
		}
		if seen[string(iv)] {
			t.Fatalf("IV %x repeated", iv)
		}
		seen[string(iv)] = true
	}
	g, _ := newSeqIV(&fixedReader{b: []byte{1, 2, 3, 4, 5, 6, 7, 8}})
	iv := make([]byte, 8)
	_ = g.generate(iv)
	mustEqual(t, "first sequential IV", iv, []byte{1, 2, 3, 4, 5, 6, 7, 9})
	g.counter.Store(^uint64(0) - 1)
	if err := g.generate(iv); err != nil {
		t.Fatal(err)
	}
	if err := g.generate(iv); !errors.Is(err, ErrIVExhausted) {
		t.Errorf("wrapped counter: %v", err)
	}
	if err := g.generate(iv); !errors.Is(err, ErrIVExhausted) {
		t.Errorf("counter recovered after exhaustion: %v", err)
	}

	cbc, _ := NewSKCipher(EncrAESCBC, 128, AuthHMACSHA1_96, make([]byte, 16), make([]byte, 20),
		&fixedReader{b: bytes.Repeat([]byte{0xee}, 16)})
	civ := make([]byte, 16)
	if err := cbc.GenerateIV(civ); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "CBC IV", civ, bytes.Repeat([]byte{0xee}, 16))
	if err := cbc.GenerateIV(civ); err == nil {
		t.Error("CBC IV generated from an exhausted source")
	}
}
