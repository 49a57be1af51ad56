package crypto

import "strconv"

// TransformType is an IKEv2 transform type (RFC 7296 §3.3.2). Its String form
// is strongSwan's transform_type_names.
type TransformType uint16

// Transform types. The values are IANA's.
const (
	TransformEncryption   TransformType = 1
	TransformPRF          TransformType = 2
	TransformIntegrity    TransformType = 3
	TransformKeyExchange  TransformType = 4
	TransformExtendedSeqs TransformType = 5
)

// transformTypeNames are charon's transform_type_names, kept name for name
// because log lines print them (one of several enum-name tables that mirror
// their strongSwan enum and so share a shape, not logic).
var transformTypeNames = map[TransformType]string{
	TransformEncryption:   "ENCRYPTION_ALGORITHM",
	TransformPRF:          "PSEUDO_RANDOM_FUNCTION",
	TransformIntegrity:    "INTEGRITY_ALGORITHM",
	TransformKeyExchange:  "KEY_EXCHANGE_METHOD",
	TransformExtendedSeqs: "EXTENDED_SEQUENCE_NUMBERS",
	TransformHash:         "HASH_ALGORITHM",
	TransformRNG:          "RANDOM_NUMBER_GENERATOR",
	TransformCompression:  "COMPRESSION_ALGORITHM",
	TransformKDF:          "KEY_DERIVATION_FUNCTION",
}

func (t TransformType) String() string {
	if n, ok := transformTypeNames[t]; ok {
		return n
	}
	return unnamed(uint16(t))
}

// nameOf prints transform id of type t the way strongSwan's %N printf hook
// does: the name from the algorithm table, or the number in parentheses when
// the id has none.
func nameOf(t TransformType, id uint16) string {
	if a, ok := index.rows[rowKey{t, id}]; ok {
		return a.Name
	}
	return unnamed(id)
}

func unnamed(v uint16) string { return "(" + strconv.Itoa(int(v)) + ")" }

// The const blocks below look alike on purpose: each transcribes one IANA
// registry of RFC 7296 §3.3.2 (and strongSwan's private-use numbers after it)
// as its own Go type, so that an integrity id cannot be passed as a PRF id.
// Their values differ; their names and behaviour live once, in the algorithm
// table (algorithms.go) that nameOf and row read.

// EncryptionAlgorithm is an IKEv2 encryption transform id (transform type 1).
type EncryptionAlgorithm uint16

// Encryption algorithms. Values up to 1023 are IANA's; 1024 and above are
// strongSwan's private-use numbers, kept so that ids and names round-trip.
const (
	EncrDESIV64          EncryptionAlgorithm = 1
	EncrDES              EncryptionAlgorithm = 2
	Encr3DES             EncryptionAlgorithm = 3
	EncrRC5              EncryptionAlgorithm = 4
	EncrIDEA             EncryptionAlgorithm = 5
	EncrCAST             EncryptionAlgorithm = 6
	EncrBlowfish         EncryptionAlgorithm = 7
	Encr3IDEA            EncryptionAlgorithm = 8
	EncrDESIV32          EncryptionAlgorithm = 9
	EncrNull             EncryptionAlgorithm = 11
	EncrAESCBC           EncryptionAlgorithm = 12
	EncrAESCTR           EncryptionAlgorithm = 13
	EncrAESCCM8          EncryptionAlgorithm = 14
	EncrAESCCM12         EncryptionAlgorithm = 15
	EncrAESCCM16         EncryptionAlgorithm = 16
	EncrAESGCM8          EncryptionAlgorithm = 18
	EncrAESGCM12         EncryptionAlgorithm = 19
	EncrAESGCM16         EncryptionAlgorithm = 20
	EncrNullAuthAESGMAC  EncryptionAlgorithm = 21
	EncrCamelliaCBC      EncryptionAlgorithm = 23
	EncrCamelliaCTR      EncryptionAlgorithm = 24
	EncrCamelliaCCM8     EncryptionAlgorithm = 25
	EncrCamelliaCCM12    EncryptionAlgorithm = 26
	EncrCamelliaCCM16    EncryptionAlgorithm = 27
	EncrChaCha20Poly1305 EncryptionAlgorithm = 28
	EncrUndefined        EncryptionAlgorithm = 1024
	EncrDESECB           EncryptionAlgorithm = 1025
	EncrSerpentCBC       EncryptionAlgorithm = 1026
	EncrTwofishCBC       EncryptionAlgorithm = 1027
	EncrRC2CBC           EncryptionAlgorithm = 1028
	EncrAESECB           EncryptionAlgorithm = 1029
	EncrAESCFB           EncryptionAlgorithm = 1030
)

func (a EncryptionAlgorithm) String() string { return nameOf(TransformEncryption, uint16(a)) }

// IsAEAD reports whether a is a combined-mode algorithm, which carries its own
// integrity protection and must not be combined with an integrity transform
// (RFC 5282 §8), implemented or not. Mirrors encryption_algorithm_is_aead.
func (a EncryptionAlgorithm) IsAEAD() bool { return a.row().IsAEAD() }

// IntegrityAlgorithm is an IKEv2 integrity transform id (transform type 3).
type IntegrityAlgorithm uint16

// Integrity algorithms (IANA, then strongSwan's private-use numbers).
const (
	AuthNone             IntegrityAlgorithm = 0
	AuthHMACMD5_96       IntegrityAlgorithm = 1
	AuthHMACSHA1_96      IntegrityAlgorithm = 2
	AuthDESMAC           IntegrityAlgorithm = 3
	AuthKPDKMD5          IntegrityAlgorithm = 4
	AuthAESXCBC96        IntegrityAlgorithm = 5
	AuthHMACMD5_128      IntegrityAlgorithm = 6
	AuthHMACSHA1_160     IntegrityAlgorithm = 7
	AuthAESCMAC96        IntegrityAlgorithm = 8
	AuthAES128GMAC       IntegrityAlgorithm = 9
	AuthAES192GMAC       IntegrityAlgorithm = 10
	AuthAES256GMAC       IntegrityAlgorithm = 11
	AuthHMACSHA2_256_128 IntegrityAlgorithm = 12
	AuthHMACSHA2_384_192 IntegrityAlgorithm = 13
	AuthHMACSHA2_512_256 IntegrityAlgorithm = 14
	AuthUndefined        IntegrityAlgorithm = 1024
	AuthHMACSHA1_128     IntegrityAlgorithm = 1025
	AuthHMACSHA2_256_96  IntegrityAlgorithm = 1026
	AuthHMACSHA2_256_256 IntegrityAlgorithm = 1027
	AuthHMACSHA2_384_384 IntegrityAlgorithm = 1028
	AuthHMACSHA2_512_512 IntegrityAlgorithm = 1029
	AuthCamelliaXCBC96   IntegrityAlgorithm = 1030
)

func (a IntegrityAlgorithm) String() string { return nameOf(TransformIntegrity, uint16(a)) }

// PRFAlgorithm is an IKEv2 pseudo-random function id (transform type 2).
type PRFAlgorithm uint16

// PRFs (IANA, then strongSwan's private-use numbers).
const (
	PRFHMACMD5         PRFAlgorithm = 1
	PRFHMACSHA1        PRFAlgorithm = 2
	PRFHMACTiger       PRFAlgorithm = 3
	PRFAES128XCBC      PRFAlgorithm = 4
	PRFHMACSHA2_256    PRFAlgorithm = 5
	PRFHMACSHA2_384    PRFAlgorithm = 6
	PRFHMACSHA2_512    PRFAlgorithm = 7
	PRFAES128CMAC      PRFAlgorithm = 8
	PRFUndefined       PRFAlgorithm = 1024
	PRFFIPSSHA1_160    PRFAlgorithm = 1025
	PRFFIPSDES         PRFAlgorithm = 1026
	PRFKeyedSHA1       PRFAlgorithm = 1027
	PRFCamellia128XCBC PRFAlgorithm = 1028
)

func (a PRFAlgorithm) String() string { return nameOf(TransformPRF, uint16(a)) }

// KeyExchangeMethod is an IKEv2 key exchange method id, formerly the
// Diffie-Hellman group number (transform type 4).
type KeyExchangeMethod uint16

// Key exchange methods (IANA, then strongSwan's private-use numbers).
const (
	KENone       KeyExchangeMethod = 0
	MODP768      KeyExchangeMethod = 1
	MODP1024     KeyExchangeMethod = 2
	MODP1536     KeyExchangeMethod = 5
	MODP2048     KeyExchangeMethod = 14
	MODP3072     KeyExchangeMethod = 15
	MODP4096     KeyExchangeMethod = 16
	MODP6144     KeyExchangeMethod = 17
	MODP8192     KeyExchangeMethod = 18
	ECP256       KeyExchangeMethod = 19
	ECP384       KeyExchangeMethod = 20
	ECP521       KeyExchangeMethod = 21
	MODP1024S160 KeyExchangeMethod = 22
	MODP2048S224 KeyExchangeMethod = 23
	MODP2048S256 KeyExchangeMethod = 24
	ECP192       KeyExchangeMethod = 25
	ECP224       KeyExchangeMethod = 26
	ECP224BP     KeyExchangeMethod = 27
	ECP256BP     KeyExchangeMethod = 28
	ECP384BP     KeyExchangeMethod = 29
	ECP512BP     KeyExchangeMethod = 30
	Curve25519   KeyExchangeMethod = 31
	Curve448     KeyExchangeMethod = 32
	MODPNull     KeyExchangeMethod = 1024
	NTRU112      KeyExchangeMethod = 1030
	NTRU128      KeyExchangeMethod = 1031
	NTRU192      KeyExchangeMethod = 1032
	NTRU256      KeyExchangeMethod = 1033
	NewHope128   KeyExchangeMethod = 1040
)

func (m KeyExchangeMethod) String() string { return nameOf(TransformKeyExchange, uint16(m)) }

// ExtendedSequenceNumbers is the ESN transform (transform type 5).
type ExtendedSequenceNumbers uint16

// ESN transform ids.
const (
	NoExtSeq ExtendedSequenceNumbers = 0
	ExtSeq   ExtendedSequenceNumbers = 1
)

func (e ExtendedSequenceNumbers) String() string { return nameOf(TransformExtendedSeqs, uint16(e)) }

// IPCompTransform is an IPComp transform id, as the IPCOMP_SUPPORTED notify
// carries it (RFC 7296 §3.10.1). Its String form is ipcomp_transform_names.
type IPCompTransform uint16

// IPComp transforms (IANA).
const (
	IPCompNone    IPCompTransform = 0
	IPCompOUI     IPCompTransform = 1
	IPCompDeflate IPCompTransform = 2
	IPCompLZS     IPCompTransform = 3
	IPCompLZJH    IPCompTransform = 4
)

func (c IPCompTransform) String() string { return nameOf(TransformCompression, uint16(c)) }

// KernelName is the name XFRM knows c by, "" if charon installs it in no
// kernel.
func (c IPCompTransform) KernelName() string { return row(TransformCompression, uint16(c)).Kernel }

// TransformName is the strongSwan name of transform id of type t, as the
// proposal printer shows it; ok is false for a transform type without a name
// table (charon prints those as UNKNOWN_<type>_<id>).
func TransformName(t TransformType, id uint16) (name string, ok bool) {
	switch t {
	case TransformEncryption, TransformPRF, TransformIntegrity, TransformKeyExchange, TransformExtendedSeqs:
		return nameOf(t, id), true
	}
	return "", false
}

// IsPrivateUse reports whether id lies in the private-use range of transform
// type t (1024 and above for every type IKEv2 defines, RFC 7296 §3.3.2), where
// a peer's meaning of the number is unknown.
func IsPrivateUse(t TransformType, id uint16) bool {
	switch t {
	case TransformEncryption, TransformPRF, TransformIntegrity, TransformKeyExchange:
		return id >= 1024
	}
	return false
}
