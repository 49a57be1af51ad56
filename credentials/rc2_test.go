package credentials

import (
	"encoding/hex"
	"testing"
)

// The test vectors of RFC 2268 section 5.
func TestRC2Vectors(t *testing.T) {
	for _, v := range []struct {
		key        string
		bits       int
		plain, enc string
	}{
		{"0000000000000000", 63, "0000000000000000", "ebb773f993278eff"},
		{"ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"},
		{"3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"},
		{"88", 64, "0000000000000000", "61a8a244adacccf0"},
		{"88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"},
		{"88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"},
		{"88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"},
	} {
		key, _ := hex.DecodeString(v.key)
		plain, _ := hex.DecodeString(v.plain)
		c := newRC2(key, v.bits)
		out := make([]byte, 8)
		c.Encrypt(out, plain)
		if got := hex.EncodeToString(out); got != v.enc {
			t.Errorf("key %s/%d: encrypt = %s, want %s", v.key, v.bits, got, v.enc)
		}
		back := make([]byte, 8)
		c.Decrypt(back, out)
		if got := hex.EncodeToString(back); got != v.plain {
			t.Errorf("key %s/%d: decrypt = %s, want %s", v.key, v.bits, got, v.plain)
		}
	}
}
