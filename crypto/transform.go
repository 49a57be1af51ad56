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

var transformTypeNames = map[TransformType]string{
	TransformEncryption:   "ENCRYPTION_ALGORITHM",
	TransformPRF:          "PSEUDO_RANDOM_FUNCTION",
	TransformIntegrity:    "INTEGRITY_ALGORITHM",
	TransformKeyExchange:  "KEY_EXCHANGE_METHOD",
	TransformExtendedSeqs: "EXTENDED_SEQUENCE_NUMBERS",
}

func (t TransformType) String() string { return enumName(transformTypeNames, t) }

// enumName prints a value the way strongSwan's %N printf hook does: the name,
// or the number in parentheses when the value has none.
func enumName[T ~uint16](names map[T]string, v T) string {
	if n, ok := names[v]; ok {
		return n
	}
	return "(" + strconv.Itoa(int(v)) + ")"
}

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

var encryptionNames = map[EncryptionAlgorithm]string{
	EncrDESIV64: "DES_IV64", EncrDES: "DES_CBC", Encr3DES: "3DES_CBC", EncrRC5: "RC5_CBC",
	EncrIDEA: "IDEA_CBC", EncrCAST: "CAST_CBC", EncrBlowfish: "BLOWFISH_CBC", Encr3IDEA: "3IDEA",
	EncrDESIV32: "DES_IV32", EncrNull: "NULL", EncrAESCBC: "AES_CBC", EncrAESCTR: "AES_CTR",
	EncrAESCCM8: "AES_CCM_8", EncrAESCCM12: "AES_CCM_12", EncrAESCCM16: "AES_CCM_16",
	EncrAESGCM8: "AES_GCM_8", EncrAESGCM12: "AES_GCM_12", EncrAESGCM16: "AES_GCM_16",
	EncrNullAuthAESGMAC: "NULL_AES_GMAC", EncrCamelliaCBC: "CAMELLIA_CBC",
	EncrCamelliaCTR: "CAMELLIA_CTR", EncrCamelliaCCM8: "CAMELLIA_CCM_8",
	EncrCamelliaCCM12: "CAMELLIA_CCM_12", EncrCamelliaCCM16: "CAMELLIA_CCM_16",
	EncrChaCha20Poly1305: "CHACHA20_POLY1305", EncrUndefined: "UNDEFINED", EncrDESECB: "DES_ECB",
	EncrSerpentCBC: "SERPENT_CBC", EncrTwofishCBC: "TWOFISH_CBC", EncrRC2CBC: "RC2_CBC",
	EncrAESECB: "AES_ECB", EncrAESCFB: "AES_CFB",
}

func (a EncryptionAlgorithm) String() string { return enumName(encryptionNames, a) }

// IsAEAD reports whether a is a combined-mode algorithm, which carries its own
// integrity protection and must not be combined with an integrity transform
// (RFC 5282 §8). Mirrors encryption_algorithm_is_aead.
func (a EncryptionAlgorithm) IsAEAD() bool {
	switch a {
	case EncrAESCCM8, EncrAESCCM12, EncrAESCCM16, EncrAESGCM8, EncrAESGCM12, EncrAESGCM16,
		EncrNullAuthAESGMAC, EncrCamelliaCCM8, EncrCamelliaCCM12, EncrCamelliaCCM16,
		EncrChaCha20Poly1305:
		return true
	}
	return false
}

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

var integrityNames = map[IntegrityAlgorithm]string{
	AuthUndefined: "UNDEFINED", AuthHMACSHA1_128: "HMAC_SHA1_128", AuthHMACSHA2_256_96: "HMAC_SHA2_256_96",
	AuthHMACSHA2_256_256: "HMAC_SHA2_256_256", AuthHMACSHA2_384_384: "HMAC_SHA2_384_384",
	AuthHMACSHA2_512_512: "HMAC_SHA2_512_512", AuthCamelliaXCBC96: "CAMELLIA_XCBC_96",
	AuthHMACMD5_96: "HMAC_MD5_96", AuthHMACSHA1_96: "HMAC_SHA1_96", AuthDESMAC: "DES_MAC",
	AuthKPDKMD5: "KPDK_MD5", AuthAESXCBC96: "AES_XCBC_96", AuthHMACMD5_128: "HMAC_MD5_128",
	AuthHMACSHA1_160: "HMAC_SHA1_160", AuthAESCMAC96: "AES_CMAC_96", AuthAES128GMAC: "AES_128_GMAC",
	AuthAES192GMAC: "AES_192_GMAC", AuthAES256GMAC: "AES_256_GMAC",
	AuthHMACSHA2_256_128: "HMAC_SHA2_256_128", AuthHMACSHA2_384_192: "HMAC_SHA2_384_192",
	AuthHMACSHA2_512_256: "HMAC_SHA2_512_256",
}

func (a IntegrityAlgorithm) String() string { return enumName(integrityNames, a) }

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

var prfNames = map[PRFAlgorithm]string{
	PRFUndefined: "PRF_UNDEFINED", PRFFIPSSHA1_160: "PRF_FIPS_SHA1_160", PRFFIPSDES: "PRF_FIPS_DES",
	PRFKeyedSHA1: "PRF_KEYED_SHA1", PRFCamellia128XCBC: "PRF_CAMELLIA128_XCBC",
	PRFHMACMD5: "PRF_HMAC_MD5", PRFHMACSHA1: "PRF_HMAC_SHA1", PRFHMACTiger: "PRF_HMAC_TIGER",
	PRFAES128XCBC: "PRF_AES128_XCBC", PRFHMACSHA2_256: "PRF_HMAC_SHA2_256",
	PRFHMACSHA2_384: "PRF_HMAC_SHA2_384", PRFHMACSHA2_512: "PRF_HMAC_SHA2_512",
	PRFAES128CMAC: "PRF_AES128_CMAC",
}

func (a PRFAlgorithm) String() string { return enumName(prfNames, a) }

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

var keNames = map[KeyExchangeMethod]string{
	KENone: "KE_NONE", MODP768: "MODP_768", MODP1024: "MODP_1024", MODP1536: "MODP_1536",
	MODP2048: "MODP_2048", MODP3072: "MODP_3072", MODP4096: "MODP_4096", MODP6144: "MODP_6144",
	MODP8192: "MODP_8192", ECP256: "ECP_256", ECP384: "ECP_384", ECP521: "ECP_521",
	MODP1024S160: "MODP_1024_160", MODP2048S224: "MODP_2048_224", MODP2048S256: "MODP_2048_256",
	ECP192: "ECP_192", ECP224: "ECP_224", ECP224BP: "ECP_224_BP", ECP256BP: "ECP_256_BP",
	ECP384BP: "ECP_384_BP", ECP512BP: "ECP_512_BP", Curve25519: "CURVE_25519", Curve448: "CURVE_448",
	MODPNull: "MODP_NULL", NTRU112: "NTRU_112", NTRU128: "NTRU_128", NTRU192: "NTRU_192",
	NTRU256: "NTRU_256", NewHope128: "NEWHOPE_128",
}

func (m KeyExchangeMethod) String() string { return enumName(keNames, m) }

// ExtendedSequenceNumbers is the ESN transform (transform type 5).
type ExtendedSequenceNumbers uint16

// ESN transform ids.
const (
	NoExtSeq ExtendedSequenceNumbers = 0
	ExtSeq   ExtendedSequenceNumbers = 1
)

var esnNames = map[ExtendedSequenceNumbers]string{NoExtSeq: "NO_EXT_SEQ", ExtSeq: "EXT_SEQ"}

func (e ExtendedSequenceNumbers) String() string { return enumName(esnNames, e) }

// TransformName is the strongSwan name of transform id of type t, as the
// proposal printer shows it; ok is false for a transform type without a name
// table (charon prints those as UNKNOWN_<type>_<id>).
func TransformName(t TransformType, id uint16) (name string, ok bool) {
	switch t {
	case TransformEncryption:
		return EncryptionAlgorithm(id).String(), true
	case TransformPRF:
		return PRFAlgorithm(id).String(), true
	case TransformIntegrity:
		return IntegrityAlgorithm(id).String(), true
	case TransformKeyExchange:
		return KeyExchangeMethod(id).String(), true
	case TransformExtendedSeqs:
		return ExtendedSequenceNumbers(id).String(), true
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
