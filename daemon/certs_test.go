package daemon

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/credentials"
)

// TestCertParser: the first of x509 and openssl in load order parses
// certificates (strongSwan's test configurations load openssl first).
func TestCertParser(t *testing.T) {
	for _, tc := range []struct {
		load    string
		enforce bool
		want    credentials.CertParser
	}{
		{"aes sha2 x509 revocation pem openssl", true, credentials.ParserX509},
		{"random nonce aes sha1 sha2 pem pkcs1 gmp openssl x509 curl revocation", true, credentials.ParserOpenSSL},
		{"random nonce pem pkcs1 openssl curl revocation", true, credentials.ParserOpenSSLOnly},
		{"pem openssl x509", false, credentials.ParserX509},
		{"pem pkcs1", true, credentials.ParserX509},
	} {
		if got := certParser(strings.Fields(tc.load), tc.enforce); got != tc.want {
			t.Errorf("%q enforce_critical=%v: parser %d, want %d", tc.load, tc.enforce, got, tc.want)
		}
	}
}
