package kernel_netlink

import "strconv"

// IKEv2 transform identifiers (IANA, plus strongSwan's private range above
// 1024) of the algorithms the Linux crypto API implements for ESP and AH.
const (
	encrDES              = 2
	encr3DES             = 3
	encrCAST             = 6
	encrBlowfish         = 7
	encrNull             = 11
	encrAESCBC           = 12
	encrAESCTR           = 13
	encrAESCCM8          = 14
	encrAESCCM12         = 15
	encrAESCCM16         = 16
	encrAESGCM8          = 18
	encrAESGCM12         = 19
	encrAESGCM16         = 20
	encrNullAuthAESGMAC  = 21
	encrCamelliaCBC      = 23
	encrCamelliaCCM8     = 25
	encrCamelliaCCM12    = 26
	encrCamelliaCCM16    = 27
	encrChaCha20Poly1305 = 28
	encrUndefined        = 1024
	encrSerpentCBC       = 1026
	encrTwofishCBC       = 1027

	authHMACMD596     = 1
	authHMACSHA196    = 2
	authAESXCBC96     = 5
	authHMACMD5128    = 6
	authHMACSHA1160   = 7
	authAESCMAC96     = 8
	authHMACSHA256128 = 12
	authHMACSHA384192 = 13
	authHMACSHA512256 = 14
	authUndefined     = 1024
	authHMACSHA256_96 = 1026
	authHMACSHA256256 = 1027
	authHMACSHA384384 = 1028
	authHMACSHA512512 = 1029
	ipcompDeflate     = 2
	ipcompLZS         = 3
	ipcompLZJH        = 4
)

// Kernel (crypto API) names, the table of kernel_netlink_ipsec.c. The kernel
// stores the canonical name: "aes" is listed by `ip xfrm state` as
// "cbc(aes)", "sha256" as "hmac(sha256)".
var encrKernelNames = map[uint16]string{
	encrDES:              "des",
	encr3DES:             "des3_ede",
	encrCAST:             "cast5",
	encrBlowfish:         "blowfish",
	encrNull:             "cipher_null",
	encrAESCBC:           "aes",
	encrAESCTR:           "rfc3686(ctr(aes))",
	encrAESCCM8:          "rfc4309(ccm(aes))",
	encrAESCCM12:         "rfc4309(ccm(aes))",
	encrAESCCM16:         "rfc4309(ccm(aes))",
	encrAESGCM8:          "rfc4106(gcm(aes))",
	encrAESGCM12:         "rfc4106(gcm(aes))",
	encrAESGCM16:         "rfc4106(gcm(aes))",
	encrNullAuthAESGMAC:  "rfc4543(gcm(aes))",
	encrCamelliaCBC:      "cbc(camellia)",
	encrSerpentCBC:       "serpent",
	encrTwofishCBC:       "twofish",
	encrChaCha20Poly1305: "rfc7539esp(chacha20,poly1305)",
}

var integKernelNames = map[uint16]string{
	authHMACMD596:     "md5",
	authHMACMD5128:    "hmac(md5)",
	authHMACSHA196:    "sha1",
	authHMACSHA1160:   "hmac(sha1)",
	authHMACSHA256_96: "sha256",
	authHMACSHA256128: "hmac(sha256)",
	authHMACSHA256256: "hmac(sha256)",
	authHMACSHA384192: "hmac(sha384)",
	authHMACSHA384384: "hmac(sha384)",
	authHMACSHA512256: "hmac(sha512)",
	authHMACSHA512512: "hmac(sha512)",
	authAESXCBC96:     "xcbc(aes)",
	authAESCMAC96:     "cmac(aes)",
}

var compKernelNames = map[uint16]string{
	ipcompDeflate: "deflate",
	ipcompLZS:     "lzs",
	ipcompLZJH:    "lzjh",
}

// aeadICVBits is the ICV length of the AEAD transforms; other encryption
// algorithms are not AEADs.
func aeadICVBits(alg uint16) (uint32, bool) {
	switch alg {
	case encrAESCCM16, encrAESGCM16, encrNullAuthAESGMAC, encrCamelliaCCM16, encrChaCha20Poly1305:
		return 128, true
	case encrAESCCM12, encrAESGCM12, encrCamelliaCCM12:
		return 96, true
	case encrAESCCM8, encrAESGCM8, encrCamelliaCCM8:
		return 64, true
	}
	return 0, false
}

// truncBits is the truncation strongSwan passes with XFRMA_ALG_AUTH_TRUNC;
// 0 means the plain XFRMA_ALG_AUTH with the kernel's default truncation.
func truncBits(alg uint16) uint32 {
	switch alg {
	case authHMACMD5128, authHMACSHA256128:
		return 128
	case authHMACSHA1160:
		return 160
	case authHMACSHA256256:
		return 256
	case authHMACSHA384384:
		return 384
	case authHMACSHA512512:
		return 512
	}
	return 0
}

// Names as charon prints them (%N of encryption_algorithm_names and
// integrity_algorithm_names).
var encrNames = map[uint16]string{
	1: "DES_IV64", 2: "DES_CBC", 3: "3DES_CBC", 4: "RC5_CBC", 5: "IDEA_CBC", 6: "CAST_CBC",
	7: "BLOWFISH_CBC", 8: "3IDEA", 9: "DES_IV32", 11: "NULL", 12: "AES_CBC", 13: "AES_CTR",
	14: "AES_CCM_8", 15: "AES_CCM_12", 16: "AES_CCM_16", 18: "AES_GCM_8", 19: "AES_GCM_12",
	20: "AES_GCM_16", 21: "NULL_AES_GMAC", 23: "CAMELLIA_CBC", 24: "CAMELLIA_CTR",
	25: "CAMELLIA_CCM_8", 26: "CAMELLIA_CCM_12", 27: "CAMELLIA_CCM_16", 28: "CHACHA20_POLY1305",
	1024: "UNDEFINED", 1025: "DES_ECB", 1026: "SERPENT_CBC", 1027: "TWOFISH_CBC",
	1028: "RC2_CBC", 1029: "AES_ECB", 1030: "AES_CFB",
}

var integNames = map[uint16]string{
	1: "HMAC_MD5_96", 2: "HMAC_SHA1_96", 3: "DES_MAC", 4: "KPDK_MD5", 5: "AES_XCBC_96",
	6: "HMAC_MD5_128", 7: "HMAC_SHA1_160", 8: "AES_CMAC_96", 9: "AES_128_GMAC",
	10: "AES_192_GMAC", 11: "AES_256_GMAC", 12: "HMAC_SHA2_256_128", 13: "HMAC_SHA2_384_192",
	14: "HMAC_SHA2_512_256", 1024: "UNDEFINED", 1025: "HMAC_SHA1_128", 1026: "HMAC_SHA2_256_96",
	1027: "HMAC_SHA2_256_256", 1028: "HMAC_SHA2_384_384", 1029: "HMAC_SHA2_512_512",
	1030: "CAMELLIA_XCBC_96",
}

var ipcompNames = []string{"IPCOMP_NONE", "IPCOMP_OUI", "IPCOMP_DEFLATE", "IPCOMP_LZS", "IPCOMP_LZJH"}

func enumName(m map[uint16]string, v uint16) string {
	if n, ok := m[v]; ok {
		return n
	}
	return "(" + strconv.Itoa(int(v)) + ")"
}

func ipcompName(v uint16) string {
	if int(v) < len(ipcompNames) {
		return ipcompNames[v]
	}
	return "(" + strconv.Itoa(int(v)) + ")"
}
