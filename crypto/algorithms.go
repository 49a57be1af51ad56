package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"io"
	"sort"
)

// Algorithm is one row of goswan's algorithm table: one transform id with
// every name it goes by, how big its keys, IVs and ICVs are, what implements
// it in Go and what the Linux kernel calls it. It is the one place that
// knows these things; the transform types' String and size methods, the
// proposal parser (package config), both kernel backends and `ipsec
// listalgs` all read it.
//
// strongSwan keeps the same facts in several tables: the enum names in
// libstrongswan/crypto/*/ (crypter.c, signer.c, prf.c, key_exchange.c), the
// proposal keywords in proposal_keywords_static.txt, the kernel names in
// kernel_netlink_ipsec.c, the sizes spread over the plugins. TestAlgorithmTable
// compares every row with those tables.
type Algorithm struct {
	Type TransformType
	ID   uint16
	// Name is strongSwan's enum name, what its %N printf hook prints: proposals
	// ("AES_CBC_128" is Name plus "_" and the key length), `ipsec statusall`,
	// the logs and listalgs.
	Name string
	// Keywords are the ike=/esp=/ah= tokens that stand for this row, each
	// with the key length it implies.
	Keywords []Keyword
	// Kernel is the Linux crypto API name XFRM takes, as charon's
	// kernel-netlink plugin sends it; "" where it sends none (charon then
	// logs "algorithm X not supported by kernel!").
	Kernel string
	// KernelTruncBits is the truncation charon hands XFRM with
	// XFRMA_ALG_AUTH_TRUNC for integrity algorithms whose kernel default
	// differs; 0 means plain XFRMA_ALG_AUTH.
	KernelTruncBits int
	// Provider is the Go package that implements the row, which `ipsec
	// listalgs` prints where charon prints the plugin; "" when goswan has
	// no implementation.
	Provider string

	// KeyBits are the key lengths (in bits) a proposal may name for an
	// encryption algorithm; DefaultKeyBits is the one a proposal without a
	// key length gets (algorithms with a single, implied key length).
	KeyBits        []int
	DefaultKeyBits int
	// BlockSize (alignment of the padded plaintext), IVSize (explicit IV
	// on the wire) and SaltSize (key material beyond the cipher key, the
	// nonce salt of RFC 3686, 4106, 4309 and 7634) of encryption
	// algorithms, in bytes.
	BlockSize, IVSize, SaltSize int
	// ICVSize is the AEAD tag of an encryption algorithm (a nonzero value
	// makes it an AEAD) or the truncated MAC of an integrity algorithm.
	ICVSize int
	// KeySize is the key length of integrity algorithms and PRFs, in bytes.
	KeySize int
	// OutputSize is the output length of a PRF, or the length of a key
	// exchange method's public value, in bytes.
	OutputSize int
	// ESPOnly: an encryption algorithm never allowed in IKE (NULL,
	// RFC 7296 §3.3.2).
	ESPOnly bool
	// FixedKey: a PRF with a fixed key length; SKEYSEED keys it with half
	// of each nonce (RFC 7296 §2.14).
	FixedKey bool
	// PRF is, for an integrity algorithm, the PRF on the same primitive that
	// an IKE proposal naming no PRF gets (proposal.c's integ_prf_map).
	PRF PRFAlgorithm

	// The implementation: for encryption its mode and block cipher, for
	// integrity algorithms and PRFs the MAC, for key exchange methods the
	// constructor and the validation of a peer's value.
	mode  encrMode
	block func(key []byte) (cipher.Block, error)
	mac   func(key []byte) (hash.Hash, error)
	ke    *keImpl
}

// Keyword is a proposal token and the key length it implies (0: none).
type Keyword struct {
	Name    string
	KeyBits uint16
}

// Supported reports whether goswan implements the row.
func (a Algorithm) Supported() bool { return a.Provider != "" }

// IsAEAD reports whether the row is a combined-mode encryption algorithm.
func (a Algorithm) IsAEAD() bool { return a.Type == TransformEncryption && a.ICVSize > 0 }

// encrMode is how an encryption algorithm uses its block cipher.
type encrMode uint8

const (
	modeNone       encrMode = iota // no implementation
	modeNull                       // RFC 2410
	modeCBC                        // RFC 3602, 2451
	modeCTR                        // RFC 3686's counter block
	modeGCM                        // RFC 4106, 5282
	modeCCM                        // RFC 4309, 5282
	modeChaChaPoly                 // RFC 7634
)

// keImpl creates a key exchange and checks a peer's public value.
type keImpl struct {
	create   func(m KeyExchangeMethod, rand io.Reader) (KeyExchange, error)
	validate func(m KeyExchangeMethod, value []byte) error
}

// Transform types of the rows that are not IKEv2 transforms but algorithms
// charon lists too (strongSwan's transform_type_t goes on past 255).
const (
	TransformHash        TransformType = 256
	TransformRNG         TransformType = 257
	TransformCompression TransformType = 259 // IPComp transform ids (RFC 7296 §3.10.1)
	TransformKDF         TransformType = 262
)

// Providers, as listalgs names them. The standard library and x/crypto carry
// most; goswan/crypto is this package's own code.
const (
	provGoswan = "goswan/crypto"
	provRand   = "crypto/rand"
	provHMAC   = "crypto/hmac"
	provAES    = "crypto/aes"
	provDES    = "crypto/des"
	provChaCha = "x/crypto/chacha20poly1305"
	provECDH   = "crypto/ecdh"
	provX448   = "circl/dh/x448"
	provBig    = "math/big"
)

var aesKeys = []int{128, 192, 256}

// sized spells keywords that carry a key length for each of bits: pattern
// "aes%dgcm16" gives aes128gcm16, aes192gcm16, aes256gcm16.
func sized(bits []int, patterns ...string) []Keyword {
	var out []Keyword
	for _, p := range patterns {
		for _, b := range bits {
			out = append(out, Keyword{fmt.Sprintf(p, b), uint16(b)})
		}
	}
	return out
}

// plain spells keywords without a key length.
func plain(names ...string) []Keyword {
	out := make([]Keyword, len(names))
	for i, n := range names {
		out[i] = Keyword{Name: n}
	}
	return out
}

func kws(parts ...[]Keyword) []Keyword {
	var out []Keyword
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Short names for the rows below.
const (
	tEncr  = TransformEncryption
	tPRF   = TransformPRF
	tInteg = TransformIntegrity
	tKE    = TransformKeyExchange
	tESN   = TransformExtendedSeqs
)

func id[T ~uint16](v T) uint16 { return uint16(v) }

// table is the algorithm table, in transform id order per type. Rows without
// Provider name algorithms goswan does not implement; they are here because
// peers and config files may name them, and charon prints their names.
var table = []Algorithm{
	// Encryption (transform type 1): IANA's ids, then strongSwan's private ones.
	{Type: tEncr, ID: id(EncrDESIV64), Name: "DES_IV64"},
	{Type: tEncr, ID: id(EncrDES), Name: "DES_CBC", Kernel: "des", Keywords: plain("des")},
	{Type: tEncr, ID: id(Encr3DES), Name: "3DES_CBC", Kernel: "des3_ede", Keywords: plain("3des"), Provider: provDES, // RFC 2451
		KeyBits: []int{192}, DefaultKeyBits: 192, BlockSize: 8, IVSize: 8, mode: modeCBC, block: des.NewTripleDESCipher},
	{Type: tEncr, ID: id(EncrRC5), Name: "RC5_CBC"},
	{Type: tEncr, ID: id(EncrIDEA), Name: "IDEA_CBC"},
	{Type: tEncr, ID: id(EncrCAST), Name: "CAST_CBC", Kernel: "cast5", Keywords: []Keyword{{"cast128", 128}}},
	{Type: tEncr, ID: id(EncrBlowfish), Name: "BLOWFISH_CBC", Kernel: "blowfish",
		Keywords: kws([]Keyword{{"blowfish", 128}}, sized(aesKeys, "blowfish%d"))},
	{Type: tEncr, ID: id(Encr3IDEA), Name: "3IDEA"},
	{Type: tEncr, ID: id(EncrDESIV32), Name: "DES_IV32"},
	{Type: tEncr, ID: id(EncrNull), Name: "NULL", Kernel: "cipher_null", Keywords: plain("null"), Provider: provGoswan, // RFC 2410
		KeyBits: []int{0}, BlockSize: 1, ESPOnly: true, mode: modeNull},
	{Type: tEncr, ID: id(EncrAESCBC), Name: "AES_CBC", Kernel: "aes", Provider: provAES, // RFC 3602
		Keywords: kws([]Keyword{{"aes", 128}}, sized(aesKeys, "aes%d")),
		KeyBits:  aesKeys, BlockSize: 16, IVSize: 16, mode: modeCBC, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrAESCTR), Name: "AES_CTR", Kernel: "rfc3686(ctr(aes))", Provider: provAES, // RFC 3686, 5930
		Keywords: sized(aesKeys, "aes%dctr"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, SaltSize: 4, mode: modeCTR, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrAESCCM8), Name: "AES_CCM_8", Kernel: "rfc4309(ccm(aes))", Provider: provGoswan, // RFC 4309, 5282
		Keywords: sized(aesKeys, "aes%dccm8", "aes%dccm64"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 8, SaltSize: 3, mode: modeCCM, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrAESCCM12), Name: "AES_CCM_12", Kernel: "rfc4309(ccm(aes))", Provider: provGoswan,
		Keywords: sized(aesKeys, "aes%dccm12", "aes%dccm96"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 12, SaltSize: 3, mode: modeCCM, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrAESCCM16), Name: "AES_CCM_16", Kernel: "rfc4309(ccm(aes))", Provider: provGoswan,
		Keywords: sized(aesKeys, "aes%dccm16", "aes%dccm128", "aes%dccm"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 16, SaltSize: 3, mode: modeCCM, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrAESGCM8), Name: "AES_GCM_8", Kernel: "rfc4106(gcm(aes))", Provider: provAES, // RFC 4106, 5282
		Keywords: sized(aesKeys, "aes%dgcm8", "aes%dgcm64"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 8, SaltSize: 4, mode: modeGCM, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrAESGCM12), Name: "AES_GCM_12", Kernel: "rfc4106(gcm(aes))", Provider: provAES,
		Keywords: sized(aesKeys, "aes%dgcm12", "aes%dgcm96"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 12, SaltSize: 4, mode: modeGCM, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrAESGCM16), Name: "AES_GCM_16", Kernel: "rfc4106(gcm(aes))", Provider: provAES,
		Keywords: sized(aesKeys, "aes%dgcm16", "aes%dgcm128", "aes%dgcm"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 16, SaltSize: 4, mode: modeGCM, block: aes.NewCipher},
	{Type: tEncr, ID: id(EncrNullAuthAESGMAC), Name: "NULL_AES_GMAC", Kernel: "rfc4543(gcm(aes))",
		Keywords: sized(aesKeys, "aes%dgmac"), ICVSize: 16},
	{Type: tEncr, ID: id(EncrCamelliaCBC), Name: "CAMELLIA_CBC", Kernel: "cbc(camellia)", Provider: provGoswan, // RFC 4312, 5529
		Keywords: kws([]Keyword{{"camellia", 128}}, sized(aesKeys, "camellia%d")),
		KeyBits:  aesKeys, BlockSize: 16, IVSize: 16, mode: modeCBC, block: newCamellia},
	{Type: tEncr, ID: id(EncrCamelliaCTR), Name: "CAMELLIA_CTR", Provider: provGoswan, // RFC 5528, 5529
		Keywords: sized(aesKeys, "camellia%dctr"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, SaltSize: 4, mode: modeCTR, block: newCamellia},
	{Type: tEncr, ID: id(EncrCamelliaCCM8), Name: "CAMELLIA_CCM_8", Provider: provGoswan, // RFC 5528, 5529
		Keywords: sized(aesKeys, "camellia%dccm8", "camellia%dccm64"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 8, SaltSize: 3, mode: modeCCM, block: newCamellia},
	{Type: tEncr, ID: id(EncrCamelliaCCM12), Name: "CAMELLIA_CCM_12", Provider: provGoswan,
		Keywords: sized(aesKeys, "camellia%dccm12", "camellia%dccm96"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 12, SaltSize: 3, mode: modeCCM, block: newCamellia},
	{Type: tEncr, ID: id(EncrCamelliaCCM16), Name: "CAMELLIA_CCM_16", Provider: provGoswan,
		Keywords: sized(aesKeys, "camellia%dccm16", "camellia%dccm128"),
		KeyBits:  aesKeys, BlockSize: 1, IVSize: 8, ICVSize: 16, SaltSize: 3, mode: modeCCM, block: newCamellia},
	{Type: tEncr, ID: id(EncrChaCha20Poly1305), Name: "CHACHA20_POLY1305", Kernel: "rfc7539esp(chacha20,poly1305)", // RFC 7634
		Keywords: []Keyword{{"chacha20poly1305", 0}, {"chacha20poly1305compat", 256}}, Provider: provChaCha,
		KeyBits: []int{256}, DefaultKeyBits: 256, BlockSize: 1, IVSize: 8, ICVSize: 16, SaltSize: 4, mode: modeChaChaPoly},
	{Type: tEncr, ID: id(EncrUndefined), Name: "UNDEFINED"},
	{Type: tEncr, ID: id(EncrDESECB), Name: "DES_ECB"},
	{Type: tEncr, ID: id(EncrSerpentCBC), Name: "SERPENT_CBC", Kernel: "serpent",
		Keywords: kws([]Keyword{{"serpent", 128}}, sized(aesKeys, "serpent%d"))},
	{Type: tEncr, ID: id(EncrTwofishCBC), Name: "TWOFISH_CBC", Kernel: "twofish",
		Keywords: kws([]Keyword{{"twofish", 128}}, sized(aesKeys, "twofish%d"))},
	{Type: tEncr, ID: id(EncrRC2CBC), Name: "RC2_CBC"},
	{Type: tEncr, ID: id(EncrAESECB), Name: "AES_ECB"},
	{Type: tEncr, ID: id(EncrAESCFB), Name: "AES_CFB"},

	// Pseudo-random functions (transform type 2).
	{Type: tPRF, ID: id(PRFHMACMD5), Name: "PRF_HMAC_MD5", Keywords: plain("prfmd5")},
	{Type: tPRF, ID: id(PRFHMACSHA1), Name: "PRF_HMAC_SHA1", Keywords: plain("prfsha1"), Provider: provHMAC,
		KeySize: 20, OutputSize: 20, mac: hmacMAC(sha1.New)},
	{Type: tPRF, ID: id(PRFHMACTiger), Name: "PRF_HMAC_TIGER"},
	{Type: tPRF, ID: id(PRFAES128XCBC), Name: "PRF_AES128_XCBC", Keywords: plain("prfaesxcbc"), Provider: provGoswan, // RFC 4434
		KeySize: 16, OutputSize: 16, FixedKey: true, mac: newXCBCPRF},
	// For HMAC the preferred key length is the output length (RFC 7296
	// §2.13, RFC 4868 §2.1.2).
	{Type: tPRF, ID: id(PRFHMACSHA2_256), Name: "PRF_HMAC_SHA2_256", Keywords: plain("prfsha256"), Provider: provHMAC,
		KeySize: 32, OutputSize: 32, mac: hmacMAC(sha256.New)},
	{Type: tPRF, ID: id(PRFHMACSHA2_384), Name: "PRF_HMAC_SHA2_384", Keywords: plain("prfsha384"), Provider: provHMAC,
		KeySize: 48, OutputSize: 48, mac: hmacMAC(sha512.New384)},
	{Type: tPRF, ID: id(PRFHMACSHA2_512), Name: "PRF_HMAC_SHA2_512", Keywords: plain("prfsha512"), Provider: provHMAC,
		KeySize: 64, OutputSize: 64, mac: hmacMAC(sha512.New)},
	{Type: tPRF, ID: id(PRFAES128CMAC), Name: "PRF_AES128_CMAC", Keywords: plain("prfaescmac"), Provider: provGoswan, // RFC 4615
		KeySize: 16, OutputSize: 16, FixedKey: true, mac: newCMACPRF},
	{Type: tPRF, ID: id(PRFUndefined), Name: "PRF_UNDEFINED"},
	{Type: tPRF, ID: id(PRFFIPSSHA1_160), Name: "PRF_FIPS_SHA1_160"},
	{Type: tPRF, ID: id(PRFFIPSDES), Name: "PRF_FIPS_DES"},
	{Type: tPRF, ID: id(PRFKeyedSHA1), Name: "PRF_KEYED_SHA1"},
	{Type: tPRF, ID: id(PRFCamellia128XCBC), Name: "PRF_CAMELLIA128_XCBC", Keywords: plain("prfcamelliaxcbc"),
		Provider: provGoswan, KeySize: 16, OutputSize: 16, FixedKey: true, mac: newCamelliaXCBCPRF},

	// Integrity (transform type 3).
	{Type: tInteg, ID: id(AuthHMACMD5_96), Name: "HMAC_MD5_96", Kernel: "md5", Keywords: plain("md5"), PRF: PRFHMACMD5},
	{Type: tInteg, ID: id(AuthHMACSHA1_96), Name: "HMAC_SHA1_96", Kernel: "sha1", Keywords: plain("sha", "sha1"), // RFC 2404
		PRF: PRFHMACSHA1, Provider: provHMAC, KeySize: 20, ICVSize: 12, mac: hmacMAC(sha1.New)},
	{Type: tInteg, ID: id(AuthDESMAC), Name: "DES_MAC"},
	{Type: tInteg, ID: id(AuthKPDKMD5), Name: "KPDK_MD5"},
	{Type: tInteg, ID: id(AuthAESXCBC96), Name: "AES_XCBC_96", Kernel: "xcbc(aes)", Keywords: plain("aesxcbc"), // RFC 3566
		PRF: PRFAES128XCBC, Provider: provGoswan, KeySize: 16, ICVSize: 12, mac: newXCBCMAC},
	{Type: tInteg, ID: id(AuthHMACMD5_128), Name: "HMAC_MD5_128", Kernel: "hmac(md5)", KernelTruncBits: 128,
		Keywords: plain("md5_128"), PRF: PRFHMACMD5},
	{Type: tInteg, ID: id(AuthHMACSHA1_160), Name: "HMAC_SHA1_160", Kernel: "hmac(sha1)", KernelTruncBits: 160,
		Keywords: plain("sha1_160"), PRF: PRFHMACSHA1},
	{Type: tInteg, ID: id(AuthAESCMAC96), Name: "AES_CMAC_96", Kernel: "cmac(aes)", Keywords: plain("aescmac"), // RFC 4494
		PRF: PRFAES128CMAC, Provider: provGoswan, KeySize: 16, ICVSize: 12, mac: newCMACMAC},
	{Type: tInteg, ID: id(AuthAES128GMAC), Name: "AES_128_GMAC"},
	{Type: tInteg, ID: id(AuthAES192GMAC), Name: "AES_192_GMAC"},
	{Type: tInteg, ID: id(AuthAES256GMAC), Name: "AES_256_GMAC"},
	{Type: tInteg, ID: id(AuthHMACSHA2_256_128), Name: "HMAC_SHA2_256_128", Kernel: "hmac(sha256)", KernelTruncBits: 128, // RFC 4868
		Keywords: plain("sha256", "sha2_256"), PRF: PRFHMACSHA2_256, Provider: provHMAC, KeySize: 32, ICVSize: 16, mac: hmacMAC(sha256.New)},
	{Type: tInteg, ID: id(AuthHMACSHA2_384_192), Name: "HMAC_SHA2_384_192", Kernel: "hmac(sha384)",
		Keywords: plain("sha384", "sha2_384"), PRF: PRFHMACSHA2_384, Provider: provHMAC, KeySize: 48, ICVSize: 24, mac: hmacMAC(sha512.New384)},
	{Type: tInteg, ID: id(AuthHMACSHA2_512_256), Name: "HMAC_SHA2_512_256", Kernel: "hmac(sha512)",
		Keywords: plain("sha512", "sha2_512"), PRF: PRFHMACSHA2_512, Provider: provHMAC, KeySize: 64, ICVSize: 32, mac: hmacMAC(sha512.New)},
	{Type: tInteg, ID: id(AuthUndefined), Name: "UNDEFINED"},
	{Type: tInteg, ID: id(AuthHMACSHA1_128), Name: "HMAC_SHA1_128"},
	// The kernel's "sha256" is HMAC-SHA-256 with the 96-bit truncation of
	// the draft Linux implemented first.
	{Type: tInteg, ID: id(AuthHMACSHA2_256_96), Name: "HMAC_SHA2_256_96", Kernel: "sha256",
		Keywords: plain("sha256_96", "sha2_256_96")},
	{Type: tInteg, ID: id(AuthHMACSHA2_256_256), Name: "HMAC_SHA2_256_256", Kernel: "hmac(sha256)", KernelTruncBits: 256},
	{Type: tInteg, ID: id(AuthHMACSHA2_384_384), Name: "HMAC_SHA2_384_384", Kernel: "hmac(sha384)", KernelTruncBits: 384},
	{Type: tInteg, ID: id(AuthHMACSHA2_512_512), Name: "HMAC_SHA2_512_512", Kernel: "hmac(sha512)", KernelTruncBits: 512},
	{Type: tInteg, ID: id(AuthCamelliaXCBC96), Name: "CAMELLIA_XCBC_96", Keywords: plain("camelliaxcbc"),
		PRF: PRFCamellia128XCBC, Provider: provGoswan, KeySize: 16, ICVSize: 12, mac: newCamelliaXCBCMAC},

	// Key exchange methods (transform type 4). OutputSize is the length of
	// the Key Exchange Data.
	{Type: tKE, ID: id(KENone), Name: "KE_NONE", Keywords: plain("none", "modpnone")},
	{Type: tKE, ID: id(MODP768), Name: "MODP_768", Keywords: plain("modp768"), Provider: provBig, OutputSize: 96, ke: keMODP},
	{Type: tKE, ID: id(MODP1024), Name: "MODP_1024", Keywords: plain("modp1024"), Provider: provBig, OutputSize: 128, ke: keMODP},
	{Type: tKE, ID: id(MODP1536), Name: "MODP_1536", Keywords: plain("modp1536"), Provider: provBig, OutputSize: 192, ke: keMODP},
	{Type: tKE, ID: id(MODP2048), Name: "MODP_2048", Keywords: plain("modp2048"), Provider: provBig, OutputSize: 256, ke: keMODP},
	{Type: tKE, ID: id(MODP3072), Name: "MODP_3072", Keywords: plain("modp3072"), Provider: provBig, OutputSize: 384, ke: keMODP},
	{Type: tKE, ID: id(MODP4096), Name: "MODP_4096", Keywords: plain("modp4096"), Provider: provBig, OutputSize: 512, ke: keMODP},
	{Type: tKE, ID: id(MODP6144), Name: "MODP_6144", Keywords: plain("modp6144"), Provider: provBig, OutputSize: 768, ke: keMODP},
	{Type: tKE, ID: id(MODP8192), Name: "MODP_8192", Keywords: plain("modp8192"), Provider: provBig, OutputSize: 1024, ke: keMODP},
	{Type: tKE, ID: id(ECP256), Name: "ECP_256", Keywords: plain("ecp256"), Provider: provECDH, OutputSize: 64, ke: keNIST},
	{Type: tKE, ID: id(ECP384), Name: "ECP_384", Keywords: plain("ecp384"), Provider: provECDH, OutputSize: 96, ke: keNIST},
	{Type: tKE, ID: id(ECP521), Name: "ECP_521", Keywords: plain("ecp521"), Provider: provECDH, OutputSize: 132, ke: keNIST},
	{Type: tKE, ID: id(MODP1024S160), Name: "MODP_1024_160", Keywords: plain("modp1024s160")},
	{Type: tKE, ID: id(MODP2048S224), Name: "MODP_2048_224", Keywords: plain("modp2048s224")},
	{Type: tKE, ID: id(MODP2048S256), Name: "MODP_2048_256", Keywords: plain("modp2048s256")},
	{Type: tKE, ID: id(ECP192), Name: "ECP_192", Keywords: plain("ecp192")},
	{Type: tKE, ID: id(ECP224), Name: "ECP_224", Keywords: plain("ecp224")},
	{Type: tKE, ID: id(ECP224BP), Name: "ECP_224_BP", Keywords: plain("ecp224bp"), Provider: provGoswan, OutputSize: 56, ke: keBrainpool}, // RFC 5639, 6954
	{Type: tKE, ID: id(ECP256BP), Name: "ECP_256_BP", Keywords: plain("ecp256bp"), Provider: provGoswan, OutputSize: 64, ke: keBrainpool},
	{Type: tKE, ID: id(ECP384BP), Name: "ECP_384_BP", Keywords: plain("ecp384bp"), Provider: provGoswan, OutputSize: 96, ke: keBrainpool},
	{Type: tKE, ID: id(ECP512BP), Name: "ECP_512_BP", Keywords: plain("ecp512bp"), Provider: provGoswan, OutputSize: 128, ke: keBrainpool},
	{Type: tKE, ID: id(Curve25519), Name: "CURVE_25519", Keywords: plain("curve25519", "x25519"), Provider: provECDH, // RFC 8031
		OutputSize: 32, ke: keX25519},
	{Type: tKE, ID: id(Curve448), Name: "CURVE_448", Keywords: plain("curve448", "x448"), Provider: provX448,
		OutputSize: 56, ke: keX448},
	{Type: tKE, ID: id(MODPNull), Name: "MODP_NULL", Keywords: plain("modpnull")},
	{Type: tKE, ID: id(NTRU112), Name: "NTRU_112", Keywords: plain("ntru112")},
	{Type: tKE, ID: id(NTRU128), Name: "NTRU_128", Keywords: plain("ntru128")},
	{Type: tKE, ID: id(NTRU192), Name: "NTRU_192", Keywords: plain("ntru192")},
	{Type: tKE, ID: id(NTRU256), Name: "NTRU_256", Keywords: plain("ntru256")},
	{Type: tKE, ID: id(NewHope128), Name: "NEWHOPE_128", Keywords: plain("newhope128")},

	// Extended sequence numbers (transform type 5).
	{Type: tESN, ID: id(NoExtSeq), Name: "NO_EXT_SEQ", Keywords: plain("noesn")},
	{Type: tESN, ID: id(ExtSeq), Name: "EXT_SEQ", Keywords: plain("esn")},

	// IPComp transforms (the IPCOMP_SUPPORTED notify, RFC 7296 §3.10.1);
	// goswan compresses nothing itself, the kernel does.
	{Type: TransformCompression, ID: id(IPCompNone), Name: "IPCOMP_NONE"},
	{Type: TransformCompression, ID: id(IPCompOUI), Name: "IPCOMP_OUI"},
	{Type: TransformCompression, ID: id(IPCompDeflate), Name: "IPCOMP_DEFLATE", Kernel: "deflate"},
	{Type: TransformCompression, ID: id(IPCompLZS), Name: "IPCOMP_LZS", Kernel: "lzs"},
	{Type: TransformCompression, ID: id(IPCompLZJH), Name: "IPCOMP_LZJH", Kernel: "lzjh"},

	// The hash functions goswan's HMACs and NAT detection run on, the key
	// derivation (SKEYSEED is a plain PRF, the keys come from prf+,
	// RFC 7296 §2.13) and the random sources: not transforms, but charon
	// lists them with the algorithms (hash_algorithm_names, rng_quality_names,
	// key_derivation_function_names).
	{Type: TransformHash, ID: 1, Name: "HASH_SHA1", Provider: "crypto/sha1"},
	{Type: TransformHash, ID: 2, Name: "HASH_SHA2_256", Provider: "crypto/sha256"},
	{Type: TransformHash, ID: 3, Name: "HASH_SHA2_384", Provider: "crypto/sha512"},
	{Type: TransformHash, ID: 4, Name: "HASH_SHA2_512", Provider: "crypto/sha512"},
	// Every random value, keys and nonces alike, comes from the kernel's
	// CSPRNG.
	{Type: TransformRNG, ID: 0, Name: "RNG_WEAK", Provider: provRand},
	{Type: TransformRNG, ID: 1, Name: "RNG_STRONG", Provider: provRand},
	{Type: TransformRNG, ID: 2, Name: "RNG_TRUE", Provider: provRand},
	{Type: TransformKDF, ID: 1, Name: "KDF_PRF", Provider: provGoswan},
	{Type: TransformKDF, ID: 2, Name: "KDF_PRF_PLUS", Provider: provGoswan},
}

var (
	keMODP   = &keImpl{create: newMODP, validate: validateMODP}
	keNIST   = &keImpl{create: newNIST, validate: validateNIST}
	keX25519 = &keImpl{create: newX25519, validate: validateMontgomery}
	keX448   = &keImpl{create: newX448, validate: validateMontgomery}

	keBrainpool = &keImpl{create: newBrainpool, validate: validateBrainpool}
)

type rowKey struct {
	t  TransformType
	id uint16
}

type tableIndex struct {
	rows      map[rowKey]*Algorithm
	byKeyword map[string]*Algorithm
	keyBits   map[string]uint16
}

// index is built from table once, in init: the table refers to the
// implementations, and they look sizes up in it, which a package-level
// initializer cannot express. No other initializer of this package reads it.
var index tableIndex

func init() { index = buildIndex() }

func buildIndex() tableIndex {
	x := tableIndex{rows: map[rowKey]*Algorithm{}, byKeyword: map[string]*Algorithm{}, keyBits: map[string]uint16{}}
	for i := range table {
		a := &table[i]
		k := rowKey{a.Type, a.ID}
		if x.rows[k] != nil {
			panic(fmt.Sprintf("crypto: algorithm %d/%d twice in the table", a.Type, a.ID))
		}
		x.rows[k] = a
		for _, kw := range a.Keywords {
			if x.byKeyword[kw.Name] != nil {
				panic("crypto: proposal keyword " + kw.Name + " twice in the table")
			}
			x.byKeyword[kw.Name], x.keyBits[kw.Name] = a, kw.KeyBits
		}
	}
	return x
}

// Lookup returns the row of transform id of type t. Rows are handed out as
// copies: the table itself cannot be changed from outside.
func Lookup(t TransformType, id uint16) (Algorithm, bool) {
	a, ok := index.rows[rowKey{t, id}]
	if !ok {
		return Algorithm{}, false
	}
	return *a, true
}

// row returns the row of (t, id), or an empty one of that type and id.
func row(t TransformType, id uint16) *Algorithm {
	if a, ok := index.rows[rowKey{t, id}]; ok {
		return a
	}
	return &Algorithm{Type: t, ID: id}
}

// LookupKeyword resolves a proposal token ("aes128", "sha256", "ecp256bp")
// to its row and the key length it implies. Tokens are case-sensitive, as
// in strongSwan.
func LookupKeyword(token string) (a Algorithm, keyLength uint16, ok bool) {
	r, ok := index.byKeyword[token]
	if !ok {
		return Algorithm{}, 0, false
	}
	return *r, index.keyBits[token], true
}

// Algorithms returns (copies of) every row of type t in transform id order.
func Algorithms(t TransformType) []Algorithm {
	var out []Algorithm
	for _, a := range table {
		if a.Type == t {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
