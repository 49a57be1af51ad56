package crypto

import "testing"

// The names are strongSwan's enum names: the proposal printer, the log lines
// and `ipsec statusall` all show them.
func TestTransformNames(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{EncrAESCBC.String(), "AES_CBC"},
		{EncrAESGCM16.String(), "AES_GCM_16"},
		{EncrAESGCM8.String(), "AES_GCM_8"},
		{EncrChaCha20Poly1305.String(), "CHACHA20_POLY1305"},
		{Encr3DES.String(), "3DES_CBC"},
		{EncrNull.String(), "NULL"},
		{EncrAESECB.String(), "AES_ECB"},
		{EncryptionAlgorithm(17).String(), "(17)"},
		{AuthHMACSHA2_256_128.String(), "HMAC_SHA2_256_128"},
		{AuthHMACSHA1_96.String(), "HMAC_SHA1_96"},
		{AuthAESXCBC96.String(), "AES_XCBC_96"},
		{AuthAESCMAC96.String(), "AES_CMAC_96"},
		{AuthNone.String(), "(0)"},
		{PRFHMACSHA2_256.String(), "PRF_HMAC_SHA2_256"},
		{PRFAES128XCBC.String(), "PRF_AES128_XCBC"},
		{PRFAES128CMAC.String(), "PRF_AES128_CMAC"},
		{MODP2048.String(), "MODP_2048"},
		{MODP1024S160.String(), "MODP_1024_160"},
		{ECP256.String(), "ECP_256"},
		{ECP512BP.String(), "ECP_512_BP"},
		{Curve25519.String(), "CURVE_25519"},
		{Curve448.String(), "CURVE_448"},
		{KENone.String(), "KE_NONE"},
		{NoExtSeq.String(), "NO_EXT_SEQ"},
		{ExtSeq.String(), "EXT_SEQ"},
		{TransformIntegrity.String(), "INTEGRITY_ALGORITHM"},
		{TransformKeyExchange.String(), "KEY_EXCHANGE_METHOD"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if n, ok := TransformName(TransformPRF, uint16(PRFHMACSHA2_384)); !ok || n != "PRF_HMAC_SHA2_384" {
		t.Errorf("TransformName(PRF, 6) = %q, %v", n, ok)
	}
	if _, ok := TransformName(TransformType(9), 1); ok {
		t.Error("TransformName knows transform type 9")
	}
}

func TestAlgorithmProperties(t *testing.T) {
	for _, c := range []struct {
		a                         EncryptionAlgorithm
		keyBits, material, iv, ic int
		aead                      bool
	}{
		{EncrAESCBC, 128, 16, 16, 0, false},
		{EncrAESCBC, 256, 32, 16, 0, false},
		{EncrAESCTR, 192, 28, 8, 0, false},
		{EncrAESGCM8, 128, 20, 8, 8, true},
		{EncrAESGCM12, 192, 28, 8, 12, true},
		{EncrAESGCM16, 256, 36, 8, 16, true},
		{EncrChaCha20Poly1305, 0, 36, 8, 16, true},
		{EncrChaCha20Poly1305, 256, 36, 8, 16, true},
		{Encr3DES, 0, 24, 8, 0, false},
	} {
		m, err := c.a.KeyMaterialSize(c.keyBits)
		if err != nil || m != c.material || c.a.IVSize() != c.iv || c.a.ICVSize() != c.ic || c.a.IsAEAD() != c.aead {
			t.Errorf("%v/%d: material %d (%v), iv %d, icv %d, aead %v", c.a, c.keyBits, m, err, c.a.IVSize(), c.a.ICVSize(), c.a.IsAEAD())
		}
	}
	for _, c := range []struct {
		a       EncryptionAlgorithm
		keyBits int
	}{{EncrAESCBC, 0}, {EncrAESCBC, 100}, {EncrAESGCM16, 0}, {EncrChaCha20Poly1305, 128}, {EncrSerpentCBC, 128}} {
		if _, err := c.a.KeyMaterialSize(c.keyBits); err == nil {
			t.Errorf("%v with %d-bit key accepted", c.a, c.keyBits)
		}
	}
	for a, want := range map[IntegrityAlgorithm][2]int{
		AuthHMACSHA1_96: {20, 12}, AuthHMACSHA2_256_128: {32, 16}, AuthHMACSHA2_384_192: {48, 24},
		AuthHMACSHA2_512_256: {64, 32}, AuthAESXCBC96: {16, 12}, AuthAESCMAC96: {16, 12},
	} {
		if a.KeySize() != want[0] || a.ICVSize() != want[1] {
			t.Errorf("%v: key %d icv %d, want %v", a, a.KeySize(), a.ICVSize(), want)
		}
	}
	for a, want := range map[PRFAlgorithm]int{
		PRFHMACSHA1: 20, PRFHMACSHA2_256: 32, PRFHMACSHA2_384: 48, PRFHMACSHA2_512: 64,
		PRFAES128XCBC: 16, PRFAES128CMAC: 16,
	} {
		if a.KeySize() != want || a.Size() != want {
			t.Errorf("%v: key %d size %d, want %d", a, a.KeySize(), a.Size(), want)
		}
	}
}
