package credentials

import (
	"encoding/hex"
	"testing"
)

// AlgorithmIdentifiers of RFC 7427 signature authentication as charon
// encodes them (the encodings of RFC 7427 appendix A, and RSASSA-PSS with
// the parameters charon sends for SHA-256).
func TestSignatureParamsEncoding(t *testing.T) {
	for _, c := range []struct {
		p    SignatureParams
		name string
		hex  string
	}{
		{SignatureParams{Scheme: SignRSAPKCS1SHA256}, "RSA_EMSA_PKCS1_SHA2_256", "300d06092a864886f70d01010b0500"},
		{SignatureParams{Scheme: SignRSAPKCS1SHA1}, "RSA_EMSA_PKCS1_SHA1", "300d06092a864886f70d0101050500"},
		{SignatureParams{Scheme: SignECDSAWithSHA256DER}, "ECDSA_WITH_SHA256_DER", "300a06082a8648ce3d040302"},
		{SignatureParams{Scheme: SignECDSAWithSHA512DER}, "ECDSA_WITH_SHA512_DER", "300a06082a8648ce3d040304"},
		{SignatureParams{Scheme: SignED25519}, "ED25519", "300506032b6570"},
		{SignatureParams{Scheme: SignRSAPSS, PSS: pssDefault(HashSHA256)}, "RSA_EMSA_PSS_SHA2_256_SALT_32",
			"304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120"},
	} {
		b, err := c.p.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := hex.EncodeToString(b); got != c.hex {
			t.Errorf("%s: %s, want %s", c.name, got, c.hex)
		}
		if c.p.String() != c.name {
			t.Errorf("name %s, want %s", c.p, c.name)
		}
		back, err := ParseSignatureParams(b)
		if err != nil || !back.Equal(c.p) {
			t.Errorf("%s: parsed back as %v (%v)", c.name, back, err)
		}
	}
	// RSA PKCS#1 without NULL parameters is accepted, other parameters not.
	if p, err := ParseSignatureParams(mustDecodeHex("300b06092a864886f70d01010b")); err != nil || p.Scheme != SignRSAPKCS1SHA256 {
		t.Errorf("no parameters: %v %v", p, err)
	}
	if _, err := ParseSignatureParams(mustDecodeHex("300e06092a864886f70d01010b020100")); err == nil {
		t.Error("INTEGER parameters accepted")
	}
}

func TestSchemesForKey(t *testing.T) {
	names := func(l []SignatureParams) (out []string) {
		for _, p := range l {
			out = append(out, p.String())
		}
		return out
	}
	for _, c := range []struct {
		t    KeyType
		bits int
		want string
	}{
		{KeyRSA, 2048, "[RSA_EMSA_PSS_SHA2_256_SALT_32 RSA_EMSA_PSS_SHA2_384_SALT_48 RSA_EMSA_PSS_SHA2_512_SALT_64 RSA_EMSA_PKCS1_SHA2_256 RSA_EMSA_PKCS1_SHA2_384 RSA_EMSA_PKCS1_SHA2_512]"},
		{KeyRSA, 4096, "[RSA_EMSA_PSS_SHA2_384_SALT_48 RSA_EMSA_PSS_SHA2_512_SALT_64 RSA_EMSA_PKCS1_SHA2_384 RSA_EMSA_PKCS1_SHA2_512]"},
		{KeyECDSA, 256, "[ECDSA_WITH_SHA256_DER ECDSA_WITH_SHA384_DER ECDSA_WITH_SHA512_DER]"},
		{KeyECDSA, 384, "[ECDSA_WITH_SHA384_DER ECDSA_WITH_SHA512_DER]"},
		{KeyED25519, 256, "[ED25519]"},
	} {
		if got := fmtList(names(SchemesForKey(c.t, c.bits))); got != c.want {
			t.Errorf("%s-%d: %s, want %s", c.t, c.bits, got, c.want)
		}
	}
}

func fmtList(l []string) string {
	s := "["
	for i, x := range l {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s + "]"
}

func mustDecodeHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestPubkeyConstraints(t *testing.T) {
	for _, c := range []struct {
		in                 string
		rsa, ecdsa         []int
		schemes, ikeSchems int
		invalid            bool
	}{
		{in: "pubkey", schemes: 0},
		{in: "rsa-2048-sha256", rsa: []int{2048}, schemes: 1, ikeSchems: 1},
		{in: "ecdsa-256", ecdsa: []int{256}},
		{in: "ecdsa-sha256", schemes: 2, ikeSchems: 2},
		{in: "pubkey-sha384", schemes: 3, ikeSchems: 3},
		{in: "ed25519", schemes: 0},
		{in: "rsa-sha256-ike:rsa/pss-sha256", schemes: 1, ikeSchems: 1},
		{in: "rsa-foo", invalid: true},
	} {
		var r AuthRules
		l := &logRec{}
		r.AddPubkeyConstraints(c.in, true, ConstraintOptions{SignatureAuthConstraints: true}, l.fn)
		if len(r.SignatureSchemes) != c.schemes || len(r.IKESignatureSchemes) != c.ikeSchems ||
			fmtInts(r.RSAStrength) != fmtInts(c.rsa) || fmtInts(r.ECDSAStrength) != fmtInts(c.ecdsa) {
			t.Errorf("%s: %+v", c.in, r)
		}
		if c.invalid != l.has("ignoring invalid auth token: 'foo'") {
			t.Errorf("%s: log %s", c.in, l)
		}
	}
}

func fmtInts(l []int) string {
	s := ""
	for _, x := range l {
		s += hex.EncodeToString([]byte{byte(x >> 8), byte(x)})
	}
	return s
}
