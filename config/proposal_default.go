package config

import "github.com/goswan/goswan/crypto"

// strongSwan builds its default IKE proposals from the algorithms its loaded
// plugins register, in rounds of decreasing strength (proposal.c
// proposal_add_supported_ike). The lists below are what Debian's charon
// 5.9.8 with its default plugin set (libstrongswan and
// libstrongswan-standard-plugins, which Debian installs by default) produces,
// as logged in crypto/testdata/strongswan/default/moon.log ("configured
// proposals: ..."), so that a goswan initiator without ike= sends the same SA
// payload (tasks.TestDefaultIKEProposalsOnTheWire). With
// libstrongswan-extra-plugins installed too, its ccm plugin adds Camellia-CCM
// to the AEAD proposal; goswan follows the default install.

type tr = Transform

func encr(a crypto.EncryptionAlgorithm, bits uint16) tr {
	return tr{Type: crypto.TransformEncryption, ID: uint16(a), KeyLength: bits}
}
func integ(a crypto.IntegrityAlgorithm) tr {
	return tr{Type: crypto.TransformIntegrity, ID: uint16(a)}
}
func prf(a crypto.PRFAlgorithm) tr { return tr{Type: crypto.TransformPRF, ID: uint16(a)} }
func ke(m crypto.KeyExchangeMethod) tr {
	return tr{Type: crypto.TransformKeyExchange, ID: uint16(m)}
}
func esn(e crypto.ExtendedSequenceNumbers) tr {
	return tr{Type: crypto.TransformExtendedSeqs, ID: uint16(e)}
}

func aesSizes(a crypto.EncryptionAlgorithm) []tr {
	return []tr{encr(a, 128), encr(a, 192), encr(a, 256)}
}

func concat(parts ...[]tr) []tr {
	var out []tr
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var defaultIKEPRFs = []tr{
	prf(crypto.PRFHMACSHA2_256), prf(crypto.PRFHMACSHA2_384), prf(crypto.PRFHMACSHA2_512),
	prf(crypto.PRFAES128XCBC), prf(crypto.PRFAES128CMAC), prf(crypto.PRFHMACSHA1),
}

var defaultIKEKEs = []tr{
	ke(crypto.Curve25519), ke(crypto.Curve448), ke(crypto.ECP256), ke(crypto.ECP384), ke(crypto.ECP521),
	ke(crypto.ECP256BP), ke(crypto.ECP384BP), ke(crypto.ECP512BP),
	ke(crypto.MODP3072), ke(crypto.MODP4096), ke(crypto.MODP6144), ke(crypto.MODP8192), ke(crypto.MODP2048),
}

// defaultIKEClassic is proposal_create_default(PROTO_IKE).
var defaultIKEClassic = concat(
	aesSizes(crypto.EncrAESCBC), aesSizes(crypto.EncrAESCTR),
	aesSizes(crypto.EncrCamelliaCBC), aesSizes(crypto.EncrCamelliaCTR),
	[]tr{encr(crypto.Encr3DES, 0)},
	[]tr{
		integ(crypto.AuthHMACSHA2_256_128), integ(crypto.AuthHMACSHA2_384_192), integ(crypto.AuthHMACSHA2_512_256),
		integ(crypto.AuthAESXCBC96), integ(crypto.AuthAESCMAC96), integ(crypto.AuthHMACSHA1_96),
	},
	defaultIKEPRFs, defaultIKEKEs,
)

// defaultIKEAEAD is proposal_create_default_aead(PROTO_IKE).
var defaultIKEAEAD = concat(
	aesSizes(crypto.EncrAESCCM16), aesSizes(crypto.EncrAESGCM16),
	[]tr{encr(crypto.EncrChaCha20Poly1305, 0)},
	aesSizes(crypto.EncrAESCCM8), aesSizes(crypto.EncrAESCCM12),
	aesSizes(crypto.EncrAESGCM8), aesSizes(crypto.EncrAESGCM12),
	defaultIKEPRFs, defaultIKEKEs,
)

// The ESP and AH defaults are fixed lists in proposal.c, independent of the
// plugins.
var defaultESPClassic = concat(aesSizes(crypto.EncrAESCBC), []tr{
	integ(crypto.AuthHMACSHA2_256_128), integ(crypto.AuthHMACSHA2_384_192), integ(crypto.AuthHMACSHA2_512_256),
	integ(crypto.AuthHMACSHA1_96), integ(crypto.AuthAESXCBC96), esn(crypto.NoExtSeq),
})

var defaultESPAEAD = concat(aesSizes(crypto.EncrAESGCM16), []tr{esn(crypto.NoExtSeq)})

var defaultAH = []tr{
	integ(crypto.AuthHMACSHA2_256_128), integ(crypto.AuthHMACSHA2_384_192), integ(crypto.AuthHMACSHA2_512_256),
	integ(crypto.AuthHMACSHA1_96), integ(crypto.AuthAESXCBC96), esn(crypto.NoExtSeq),
}

// DefaultProposals returns strongSwan 5.9.8's default proposals for proto,
// the classic one followed by the AEAD one (AH has no AEAD default), exactly
// as Debian's charon sends them when ike=/esp=/ah= is absent or not strict.
// goswan implements every algorithm in them, so SupportedOnly leaves them
// whole.
func DefaultProposals(proto Protocol) []*Proposal {
	mk := func(ts []tr) *Proposal {
		return &Proposal{Protocol: proto, Transforms: append([]tr(nil), ts...)}
	}
	switch proto {
	case ProtoIKE:
		return []*Proposal{mk(defaultIKEClassic), mk(defaultIKEAEAD)}
	case ProtoESP:
		return []*Proposal{mk(defaultESPClassic), mk(defaultESPAEAD)}
	case ProtoAH:
		return []*Proposal{mk(defaultAH)}
	}
	return nil
}

// Supported reports whether goswan's crypto package implements transform t
// (with its key length).
func Supported(t Transform) bool {
	switch t.Type {
	case crypto.TransformEncryption:
		a := crypto.EncryptionAlgorithm(t.ID)
		_, err := a.KeyBits(int(t.KeyLength))
		return err == nil
	case crypto.TransformIntegrity:
		return crypto.IntegrityAlgorithm(t.ID).Supported()
	case crypto.TransformPRF:
		return crypto.PRFAlgorithm(t.ID).Supported()
	case crypto.TransformKeyExchange:
		return t.ID == uint16(crypto.KENone) || crypto.KeyExchangeMethod(t.ID).Supported()
	case crypto.TransformExtendedSeqs:
		return t.ID <= uint16(crypto.ExtSeq)
	}
	return false
}

// SupportedOnly returns copies of ps without the transforms goswan cannot
// run, dropping proposals left without a transform of a type they had (the
// way strongSwan only proposes what its plugins provide).
func SupportedOnly(ps []*Proposal) []*Proposal {
	var out []*Proposal
	for _, p := range ps {
		c := p.Clone()
		c.Transforms = c.Transforms[:0]
		for _, t := range p.Transforms {
			if Supported(t) {
				c.Transforms = append(c.Transforms, t)
			}
		}
		if len(c.types()) == len(p.types()) {
			out = append(out, c)
		}
	}
	return out
}
