package credentials

import (
	"crypto"
	"encoding/asn1"
	"strconv"

	// Registered for crypto.Hash.New, which the signature code calls.
	_ "crypto/md5"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
)

// HashAlgorithm is libstrongswan's hash_algorithm_t. The first five values
// are the IKEv2 hash algorithm numbers of RFC 7427 (the
// SIGNATURE_HASH_ALGORITHMS notify carries them); the others are private
// and never go on the wire.
type HashAlgorithm uint16

const (
	HashSHA1     HashAlgorithm = 1
	HashSHA256   HashAlgorithm = 2
	HashSHA384   HashAlgorithm = 3
	HashSHA512   HashAlgorithm = 4
	HashIdentity HashAlgorithm = 5 // no hash: the signature scheme signs the data itself (EdDSA)
	HashUnknown  HashAlgorithm = 1024
	HashMD2      HashAlgorithm = 1025
	HashMD4      HashAlgorithm = 1026
	HashMD5      HashAlgorithm = 1027
	HashSHA224   HashAlgorithm = 1028
	HashSHA3_224 HashAlgorithm = 1029
	HashSHA3_256 HashAlgorithm = 1030
	HashSHA3_384 HashAlgorithm = 1031
	HashSHA3_512 HashAlgorithm = 1032
)

type hashInfo struct {
	name, short, upper string
	h                  crypto.Hash
	oid                asn1.ObjectIdentifier
}

var hashInfos = map[HashAlgorithm]hashInfo{
	HashSHA1:     {"HASH_SHA1", "sha1", "SHA1", crypto.SHA1, oidSHA1},
	HashSHA256:   {"HASH_SHA2_256", "sha256", "SHA2_256", crypto.SHA256, oidSHA256},
	HashSHA384:   {"HASH_SHA2_384", "sha384", "SHA2_384", crypto.SHA384, oidSHA384},
	HashSHA512:   {"HASH_SHA2_512", "sha512", "SHA2_512", crypto.SHA512, oidSHA512},
	HashIdentity: {"HASH_IDENTITY", "identity", "IDENTITY", 0, nil},
	HashUnknown:  {"HASH_UNKNOWN", "unknown", "UNKNOWN", 0, nil},
	HashMD2:      {"HASH_MD2", "md2", "MD2", 0, nil},
	HashMD4:      {"HASH_MD4", "md4", "MD4", 0, nil},
	HashMD5:      {"HASH_MD5", "md5", "MD5", crypto.MD5, oidMD5},
	HashSHA224:   {"HASH_SHA2_224", "sha224", "SHA2_224", crypto.SHA224, oidSHA224},
	HashSHA3_224: {"HASH_SHA3_224", "sha3_224", "SHA3_224", crypto.SHA3_224, oidSHA3_224},
	HashSHA3_256: {"HASH_SHA3_256", "sha3_256", "SHA3_256", crypto.SHA3_256, oidSHA3_256},
	HashSHA3_384: {"HASH_SHA3_384", "sha3_384", "SHA3_384", crypto.SHA3_384, oidSHA3_384},
	HashSHA3_512: {"HASH_SHA3_512", "sha3_512", "SHA3_512", crypto.SHA3_512, oidSHA3_512},
}

// String is charon's hash_algorithm_names ("HASH_SHA2_256").
func (h HashAlgorithm) String() string {
	if i, ok := hashInfos[h]; ok {
		return i.name
	}
	return "(" + strconv.Itoa(int(h)) + ")"
}

// ShortName is hash_algorithm_short_names ("sha256"), used in the
// "supported signature hash algorithms" log lines and in auth constraints.
func (h HashAlgorithm) ShortName() string {
	if i, ok := hashInfos[h]; ok {
		return i.short
	}
	return "(" + strconv.Itoa(int(h)) + ")"
}

// UpperName is hash_algorithm_short_names_upper ("SHA2_256"), used in the
// names of RSASSA-PSS signature schemes.
func (h HashAlgorithm) UpperName() string {
	if i, ok := hashInfos[h]; ok {
		return i.upper
	}
	return "(" + strconv.Itoa(int(h)) + ")"
}

// HashFromShortName is the reverse of ShortName (enum_from_name over the
// short names, case-insensitive as charon's).
func HashFromShortName(s string) (HashAlgorithm, bool) {
	for h, i := range hashInfos {
		if equalFoldASCII(i.short, s) {
			return h, true
		}
	}
	return 0, false
}

// ForIKEv2 reports whether the algorithm may be used for RFC 7427
// signature authentication (hasher_algorithm_for_ikev2): SHA-1 and the
// private algorithms are excluded.
func (h HashAlgorithm) ForIKEv2() bool {
	switch h {
	case HashIdentity, HashSHA256, HashSHA384, HashSHA512:
		return true
	}
	return false
}

// Size is the output length in bytes, 0 for identity and unknown.
func (h HashAlgorithm) Size() int {
	if i, ok := hashInfos[h]; ok && i.h != 0 {
		return i.h.Size()
	}
	return 0
}

// crypto returns the standard library's hash, 0 if there is none.
func (h HashAlgorithm) crypto() crypto.Hash {
	if i, ok := hashInfos[h]; ok && i.h.Available() {
		return i.h
	}
	return 0
}

// digest hashes data; ok is false for algorithms without an
// implementation (identity included: the caller handles it).
func (h HashAlgorithm) digest(data []byte) ([]byte, bool) {
	c := h.crypto()
	if c == 0 {
		return nil, false
	}
	w := c.New()
	w.Write(data)
	return w.Sum(nil), true
}

func hashFromOID(oid asn1.ObjectIdentifier) HashAlgorithm {
	for h, i := range hashInfos {
		if i.oid != nil && i.oid.Equal(oid) {
			return h
		}
	}
	if oid.Equal(oidEd25519) || oid.Equal(oidEd448) {
		return HashIdentity
	}
	return HashUnknown
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
