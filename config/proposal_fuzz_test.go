package config

import "testing"

// FuzzParseProposals feeds ike=/esp=/ah= values (seeded with the strings of
// the captures and the tests) to the parser. Nothing may panic, and a valid
// proposal must select against itself: every transform type it has offers at
// least one algorithm both sides share.
func FuzzParseProposals(f *testing.F) {
	for _, s := range []string{
		"aes128-sha256-modp3072!", "aes128gcm16-ecp256!", "aes256gcm16-prfsha384-ecp384!",
		"chacha20poly1305-prfsha256-x25519!", "aes128-aesxcbc-modp2048!", "aes192-aescmac-ecp521!",
		"aes256-sha512-curve448!", "aes128-sha256-modp3072,aes256gcm16-prfsha384-ecp384",
		"aes128-sha256-none", "aes128gmac-sha1", ` "aes128" -'sha256'--x25519 `, "aes-sha-modp1024-esn-noesn", "",
	} {
		for proto := ProtoIKE; proto <= ProtoESP; proto++ {
			f.Add(uint8(proto), s)
		}
	}
	f.Fuzz(func(t *testing.T, proto uint8, s string) {
		p := Protocol(proto%3 + 1)
		ps, err := ParseProposals(p, s)
		if err != nil {
			return
		}
		for _, prop := range ps {
			_ = prop.String()
			if len(prop.Transforms) == 0 {
				t.Fatalf("%q: empty proposal accepted", s)
			}
			if SelectProposal([]*Proposal{prop}, []*Proposal{prop.Clone()}, 0) == nil {
				t.Fatalf("%q: %v does not select against itself", s, prop)
			}
		}
	})
}
