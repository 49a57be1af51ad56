package config

import (
	"os"
	"strings"
	"testing"
)

// README names the algorithms goswan lacks and says it refuses conns that
// name them: true as long as this passes.
func TestUnsupportedAlgorithms(t *testing.T) {
	got := UnsupportedAlgorithms("aes128-sha256-modp3072,blowfish128-sha256-ecp192, cast128-md5-modp1024s160,serpent128-twofish128-des-aes128gmac-ntru128-newhope128!")
	if strings.Join(got, " ") != "blowfish128 ecp192 cast128 md5 modp1024s160 serpent128 twofish128 des aes128gmac ntru128 newhope128" {
		t.Errorf("got %q", got)
	}
	if got := UnsupportedAlgorithms("aes128gcm16-aes256-sha256-prfsha384-x25519-modp3072-camellia128-aes128ccm16-ecp256bp-esn!"); got != nil {
		t.Errorf("implemented algorithms reported: %q", got)
	}
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(b)), " "),
		"(Blowfish, CAST, Serpent, Twofish, DES, HMAC-MD5, AES-GMAC, the small ECP and MODP subgroups, NTRU and NewHope are missing") {
		t.Error("README no longer names the algorithms goswan lacks: update this test with it")
	}
}
