package config

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/goswan/goswan/crypto"
)

func mustParse(t testing.TB, proto Protocol, s string) *Proposal {
	t.Helper()
	p, err := ParseProposal(proto, s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return p
}

// Each string is printed the way charon logs the parsed proposal.
func TestParseProposal(t *testing.T) {
	for _, c := range []struct {
		proto Protocol
		in    string
		want  string
	}{
		{ProtoIKE, "aes128-sha256-modp3072", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072"},
		{ProtoIKE, "aes256gcm16-prfsha384-ecp384", "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384"},
		{ProtoESP, "aes128gcm16-x25519", "ESP:AES_GCM_16_128/CURVE_25519/NO_EXT_SEQ"},
		{ProtoIKE, "aes128gcm128-prfsha256-curve25519", "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519"},
		{ProtoIKE, "aes128-sha2_256-modp2048", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"},
		{ProtoIKE, "aes128-aes256-sha1-sha256-modp2048-x25519", "IKE:AES_CBC_128/AES_CBC_256/HMAC_SHA1_96/HMAC_SHA2_256_128/PRF_HMAC_SHA1/PRF_HMAC_SHA2_256/MODP_2048/CURVE_25519"},
		{ProtoIKE, "aes128-aesxcbc-modp2048", "IKE:AES_CBC_128/AES_XCBC_96/PRF_AES128_XCBC/MODP_2048"},
		{ProtoIKE, "aes-sha-modpnone-modp1024", "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"},
		{ProtoIKE, "chacha20poly1305-prfsha256-x448", "IKE:CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_448"},
		{ProtoIKE, "chacha20poly1305compat-prfsha256-x448", "IKE:CHACHA20_POLY1305_256/PRF_HMAC_SHA2_256/CURVE_448"},
		{ProtoIKE, "aes128gcm16-sha256-prfsha256-ecp256", "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256"}, // integrity dropped for AEAD
		{ProtoIKE, " aes128 - -sha256--ecp256 ", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"},
		{ProtoIKE, `"aes128"-'sha256'-ecp256`, "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"},
		{ProtoESP, "aes128-sha256", "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-modp3072", "ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_3072/NO_EXT_SEQ"},
		{ProtoESP, "aes128gcm16", "ESP:AES_GCM_16_128/NO_EXT_SEQ"},
		{ProtoESP, "aes256gcm16-ecp384-esn-noesn", "ESP:AES_GCM_16_256/ECP_384/EXT_SEQ/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-prfsha256", "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"}, // PRF removed
		{ProtoESP, "aes128", "ESP:AES_CBC_128/NO_EXT_SEQ"},                                    // ESP may lack integrity
		{ProtoESP, "null-sha256", "ESP:NULL/HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-none", "ESP:AES_CBC_128/HMAC_SHA2_256_128/KE_NONE/NO_EXT_SEQ"},
		{ProtoAH, "sha256", "AH:HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoAH, "aes128gmac-sha1", "AH:AES_128_GMAC/HMAC_SHA1_96/NO_EXT_SEQ"},
		{ProtoAH, "aes128-sha256", "AH:HMAC_SHA2_256_128/NO_EXT_SEQ"},
	} {
		if got := mustParse(t, c.proto, c.in).String(); got != c.want {
			t.Errorf("%v %q:\n got %s\nwant %s", c.proto, c.in, got, c.want)
		}
	}
}

// TestParseProposalErrors: each refused string and charon's message for it.
// Its table has TestParseProposal's row shape (protocol, string, expected
// text) but other cases and another check, so the two stay apart.
func TestParseProposalErrors(t *testing.T) {
	for _, c := range []struct {
		proto Protocol
		in    string
		msg   string
	}{
		{ProtoIKE, "aes128-sha256-modp3072x", "algorithm 'modp3072x' not recognized"},
		{ProtoIKE, "AES128-sha256-modp3072", "algorithm 'AES128' not recognized"},
		{ProtoIKE, "aes128-sha256", "a DH group is mandatory in IKE proposals"},
		{ProtoIKE, "aes128-sha256-none", "a DH group is mandatory in IKE proposals"},
		{ProtoIKE, "aes128-modp2048", "a PRF algorithm is mandatory in IKE proposals"},
		// An AEAD has no integrity algorithm to derive the PRF from.
		{ProtoIKE, "aes128gcm16-x25519", "a PRF algorithm is mandatory in IKE proposals"},
		{ProtoIKE, "aes128-prfsha256-modp2048", "an integrity algorithm is mandatory in IKE proposals with classic (non-AEAD) encryption algorithms"},
		{ProtoIKE, "sha256-modp2048", "an encryption algorithm is mandatory in IKE proposals"},
		{ProtoIKE, "aes128-aes128gcm16-sha256-modp2048", "classic and combined-mode (AEAD) encryption algorithms can't be contained in the same IKE proposal"},
		{ProtoESP, "aes128gcm16-aes128-sha256", "classic and combined-mode (AEAD) encryption algorithms can't be contained in the same ESP proposal"},
		{ProtoESP, "sha256", "an encryption algorithm is mandatory in ESP proposals"},
		{ProtoAH, "aes128", "an integrity algorithm is mandatory in AH proposals"},
		{ProtoIKE, "", "empty proposal"},
		{ProtoIKE, " - ", "empty proposal"},
	} {
		_, err := ParseProposal(c.proto, c.in)
		var pe *ProposalError
		if !errors.As(err, &pe) || pe.Msg != c.msg {
			t.Errorf("%v %q: got %v, want %q", c.proto, c.in, err, c.msg)
		}
	}
}

func TestParseProposals(t *testing.T) {
	ps, err := ParseProposals(ProtoIKE, "aes128-sha256-modp3072,aes256gcm16-prfsha384-ecp384!")
	if err != nil || len(ps) != 2 || ps[1].String() != "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384" {
		t.Fatalf("strict list: %v %v", FormatProposals(ps), err)
	}
	ps, err = ParseProposals(ProtoESP, "aes128gcm16")
	if err != nil || len(ps) != 3 || !ps[1].Equal(DefaultProposals(ProtoESP)[0]) {
		t.Fatalf("non-strict list does not end in the defaults: %v %v", FormatProposals(ps), err)
	}
	ps, err = ParseProposals(ProtoIKE, "")
	if err != nil || len(ps) != 2 {
		t.Fatalf("empty value: %v %v", ps, err)
	}
	for _, bad := range []string{"aes128-sha256-modp3072,", "aes128-sha256!,aes256-sha256-modp2048", "aes128-sha256-modp2048,,x25519-aes128-sha1", "!"} {
		if _, err := ParseProposals(ProtoIKE, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The default proposals must be what Debian's charon 5.9.8 configured in the
// captured run (crypto/testdata/strongswan/default, cfg level 2).
func TestDefaultProposalsMatchCharon(t *testing.T) {
	log, err := os.ReadFile("../crypto/testdata/strongswan/default/moon.log")
	if err != nil {
		t.Fatal(err)
	}
	configured := regexp.MustCompile(`configured proposals: ((?:IKE|ESP):[^\n]*)`)
	var ike, esp string
	for _, m := range configured.FindAllStringSubmatch(string(log), -1) {
		if strings.HasPrefix(m[1], "IKE:") && ike == "" {
			ike = m[1]
		}
		if strings.HasPrefix(m[1], "ESP:") && esp == "" {
			esp = m[1]
		}
	}
	if ike == "" || esp == "" {
		t.Fatal("capture lacks the configured proposals")
	}
	if got := FormatProposals(DefaultProposals(ProtoIKE)); got != ike {
		t.Errorf("IKE defaults:\n got %s\nwant %s", got, ike)
	}
	if got := FormatProposals(DefaultProposals(ProtoESP)); got != esp {
		t.Errorf("ESP defaults:\n got %s\nwant %s", got, esp)
	}
	if got := FormatProposals(DefaultProposals(ProtoAH)); got != "AH:HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ" {
		t.Errorf("AH defaults: %s", got)
	}
	// goswan implements every algorithm of the defaults: nothing is dropped
	// from what it proposes.
	for _, proto := range []Protocol{ProtoIKE, ProtoESP, ProtoAH} {
		all := FormatProposals(DefaultProposals(proto))
		if sup := FormatProposals(SupportedOnly(DefaultProposals(proto))); sup != all {
			t.Errorf("%v defaults goswan implements:\n got %s\nwant %s", proto, sup, all)
		}
	}
}

func TestSelectProposal(t *testing.T) {
	parse := func(proto Protocol, ss ...string) []*Proposal {
		var out []*Proposal
		for i, s := range ss {
			p := mustParse(t, proto, s)
			p.Number = uint8(i + 1)
			p.SPI = uint64(0x100 + i)
			out = append(out, p)
		}
		return out
	}
	for _, c := range []struct {
		name                string
		proto               Protocol
		configured, offered []string
		flags               SelectFlags
		want                string
		number              uint8
	}{
		{"our order wins", ProtoIKE, []string{"aes256-aes128-sha256-modp2048-ecp256"}, []string{"aes128-aes256-sha256-ecp256-modp2048"}, 0,
			"IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048", 1},
		{"peer order wins", ProtoIKE, []string{"aes256-aes128-sha256-modp2048-ecp256"}, []string{"aes128-aes256-sha256-ecp256-modp2048"}, SelectPreferSupplied,
			"IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256", 1},
		{"first configured proposal first", ProtoIKE, []string{"aes256gcm16-prfsha384-ecp384", "aes128-sha256-modp3072"},
			[]string{"aes128-sha256-modp3072", "aes256gcm16-prfsha384-ecp384"}, 0, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384", 2},
		{"key length must match", ProtoIKE, []string{"aes256-sha256-modp2048"}, []string{"aes128-sha256-modp2048"}, 0, "", 0},
		{"no common group", ProtoIKE, []string{"aes128-sha256-modp2048"}, []string{"aes128-sha256-ecp256"}, 0, "", 0},
		{"AEAD skips integrity", ProtoESP, []string{"aes128gcm16"}, []string{"aes128gcm16"}, 0, "ESP:AES_GCM_16_128/NO_EXT_SEQ", 1},
		{"PFS required by us", ProtoESP, []string{"aes128-sha256-modp2048"}, []string{"aes128-sha256"}, 0, "", 0},
		{"PFS optional with none", ProtoESP, []string{"aes128-sha256-modp2048-none"}, []string{"aes128-sha256"}, 0, "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ", 1},
		{"peer declines PFS with none", ProtoESP, []string{"aes128-sha256"}, []string{"aes128-sha256-none"}, 0, "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ", 1},
		{"peer wants PFS we don't", ProtoESP, []string{"aes128-sha256"}, []string{"aes128-sha256-modp2048"}, 0, "", 0},
		{"KE skipped in IKE_AUTH", ProtoESP, []string{"aes128-sha256-modp2048"}, []string{"aes128-sha256"}, SelectSkipKE, "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ", 1},
		{"PFS group chosen", ProtoESP, []string{"aes128-sha256-ecp256-modp2048"}, []string{"aes128-sha256-modp2048-ecp256"}, 0, "ESP:AES_CBC_128/HMAC_SHA2_256_128/ECP_256/NO_EXT_SEQ", 1},
		{"ESN must match", ProtoESP, []string{"aes128-sha256-esn"}, []string{"aes128-sha256-noesn"}, 0, "", 0},
		{"private algorithm skipped", ProtoESP, []string{"aes128-sha256_96-sha256"}, []string{"aes128-sha256_96-sha256"}, SelectSkipPrivate, "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ", 1},
		{"private algorithm allowed", ProtoESP, []string{"aes128-sha256_96-sha256"}, []string{"aes128-sha256_96-sha256"}, 0, "ESP:AES_CBC_128/HMAC_SHA2_256_96/NO_EXT_SEQ", 1},
	} {
		sel := SelectProposal(parse(c.proto, c.configured...), parse(c.proto, c.offered...), c.flags)
		switch {
		case c.want == "" && sel != nil:
			t.Errorf("%s: selected %v", c.name, sel)
		case c.want != "" && (sel == nil || sel.String() != c.want):
			t.Errorf("%s: selected %v, want %s", c.name, sel, c.want)
		case sel != nil && c.flags&SelectPreferSupplied == 0 && (sel.Number != c.number || sel.SPI != uint64(0xff+int(c.number))):
			t.Errorf("%s: number %d SPI %#x, want the supplied proposal's", c.name, sel.Number, sel.SPI)
		}
	}
	if SelectProposal(parse(ProtoIKE, "aes128-sha256-modp2048"), parse(ProtoESP, "aes128-sha256"), 0) != nil {
		t.Error("protocol mismatch selected")
	}
}

func TestProposalHelpers(t *testing.T) {
	p := mustParse(t, ProtoESP, "aes128-sha256-modp2048-ecp256-x25519")
	if !p.HasKE() || p.WithoutKE().HasKE() || len(p.Algorithms(crypto.TransformKeyExchange)) != 3 {
		t.Error("KE helpers")
	}
	if !p.PromoteKE(crypto.Curve25519) || p.String() != "ESP:AES_CBC_128/HMAC_SHA2_256_128/CURVE_25519/MODP_2048/ECP_256/NO_EXT_SEQ" {
		t.Errorf("PromoteKE: %v", p)
	}
	if p.PromoteKE(crypto.MODP8192) {
		t.Error("promoted a missing group")
	}
	u := &Proposal{Protocol: ProtoESP}
	u.Add(crypto.TransformType(9), 7, 0)
	u.Add(crypto.TransformEncryption, 17, 0)
	if got := u.String(); got != "ESP:(17)/UNKNOWN_9_7" {
		t.Errorf("unknown transforms print as %q", got)
	}
	var nilp *Proposal
	if nilp.String() != "(null)" {
		t.Error("nil proposal")
	}
}
