package config

import (
	"os"
	"strings"
	"testing"
)

// README says goswan lacks Camellia, AES-CCM and Brainpool and refuses
// conns that name them: true as long as this passes.
func TestUnsupportedAlgorithms(t *testing.T) {
	got := UnsupportedAlgorithms("aes128-sha256-modp3072,camellia128-sha256-ecp256bp, aes128ccm16-ecp256bp-x25519!")
	if strings.Join(got, " ") != "camellia128 ecp256bp aes128ccm16" {
		t.Errorf("got %q", got)
	}
	if got := UnsupportedAlgorithms("aes128gcm16-aes256-sha256-prfsha384-x25519-modp3072-esn!"); got != nil {
		t.Errorf("implemented algorithms reported: %q", got)
	}
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Camellia, AES-CCM and Brainpool") {
		t.Error("README no longer names the algorithms goswan lacks: update this test with it")
	}
}
