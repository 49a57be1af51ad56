package authenticators

import (
	"bytes"
	"testing"

	"github.com/goswan/goswan/credentials"
)

// RFC 7427 authentication data: length, AlgorithmIdentifier, signature.
func TestParseDS(t *testing.T) {
	alg, _ := credentials.SignatureParams{Scheme: credentials.SignRSAPKCS1SHA256}.Marshal()
	data := append(append([]byte{byte(len(alg))}, alg...), 1, 2, 3)
	p, sig, ok := parseDS(data)
	if !ok || p.Scheme != credentials.SignRSAPKCS1SHA256 || !bytes.Equal(sig, []byte{1, 2, 3}) {
		t.Errorf("parsed %v %x %v", p, sig, ok)
	}
	for _, bad := range [][]byte{nil, {0}, {5, 0x30, 0x03, 0x06, 0x01, 0x00}, append([]byte{200}, alg...)} {
		if p, sig, ok := parseDS(bad); ok && len(sig) != 0 {
			t.Errorf("%x: parsed %v %x", bad, p, sig)
		}
	}
}

func FuzzParseDS(f *testing.F) {
	for _, s := range []credentials.SignatureScheme{credentials.SignRSAPKCS1SHA256, credentials.SignED25519,
		credentials.SignECDSAWithSHA384DER} {
		alg, _ := credentials.SignatureParams{Scheme: s}.Marshal()
		f.Add(append(append([]byte{byte(len(alg))}, alg...), make([]byte, 64)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, sig, ok := parseDS(data)
		if !ok {
			return
		}
		_ = p.String()
		if len(sig) > len(data) {
			t.Fatalf("signature longer than the data")
		}
	})
}
