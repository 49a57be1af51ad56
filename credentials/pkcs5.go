package credentials

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Password-based encryption of PKCS#8 keys and PKCS#12 contents, as
// libstrongswan's pkcs5 helper: PBES2 (PBKDF2 with AES or DES), PBES1 and
// the PKCS#12 schemes. The standard library decrypts none of them.
//
// The OIDs are RFC 8018's and RFC 7292's, transcribed from the RFCs (they
// share the PKCS arc with pkcs12.go's by the registry's design).

var (
	oidPBES2                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBEWithMD5AndDES     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 3}
	oidPBEWithSHA1AndDES    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 10}
	oidPBEWithSHAAnd3DES    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHAAnd128RC2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}
	oidPBEWithSHAAnd40RC2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}
	oidHMACWithSHA1         = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA224       = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACWithSHA256       = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA384       = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACWithSHA512       = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidDESCBC               = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 7}
	oidDESEDE3CBC           = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
	oidAES128CBC            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	maxPBEIterations        = 10_000_000
	errUnsupportedPBE       = errors.New("unsupported password-based encryption")
	errMalformedPBEParams   = errors.New("malformed password-based encryption parameters")
	errMalformedEncryptedPK = errors.New("malformed EncryptedPrivateKeyInfo")
)

// isEncryptedPKCS8 reports whether der looks like an EncryptedPrivateKeyInfo:
// SEQUENCE { AlgorithmIdentifier, OCTET STRING }.
func isEncryptedPKCS8(der []byte) bool {
	_, _, _, err := splitEncryptedPKCS8(der)
	return err == nil
}

func splitEncryptedPKCS8(der []byte) (asn1.ObjectIdentifier, cryptobyte.String, []byte, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var data []byte
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, nil, nil, errMalformedEncryptedPK
	}
	oid, params, ok := readAlgorithmID(&seq)
	if !ok || !seq.ReadASN1Bytes(&data, cbasn1.OCTET_STRING) || !seq.Empty() {
		return nil, nil, nil, errMalformedEncryptedPK
	}
	return oid, params, data, nil
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo to the PrivateKeyInfo.
func decryptPKCS8(der, pass []byte) ([]byte, error) {
	oid, params, data, err := splitEncryptedPKCS8(der)
	if err != nil {
		return nil, err
	}
	return pbeDecrypt(oid, params, pass, data)
}

// pbeDecrypt decrypts data encrypted with the password-based scheme oid
// with its parameters.
func pbeDecrypt(oid asn1.ObjectIdentifier, params cryptobyte.String, pass, data []byte) ([]byte, error) {
	switch {
	case oid.Equal(oidPBES2):
		return pbes2Decrypt(params, pass, data)
	case oid.Equal(oidPBEWithMD5AndDES), oid.Equal(oidPBEWithSHA1AndDES):
		salt, iter, err := readPBEParams(params)
		if err != nil {
			return nil, err
		}
		newHash := md5.New
		if oid.Equal(oidPBEWithSHA1AndDES) {
			newHash = sha1.New
		}
		dk := pbkdf1(newHash, pass, salt, iter, 16)
		b, _ := des.NewCipher(dk[:8])
		return cbcDecrypt(b, dk[8:16], data)
	case oid.Equal(oidPBEWithSHAAnd3DES), oid.Equal(oidPBEWithSHAAnd128RC2), oid.Equal(oidPBEWithSHAAnd40RC2):
		salt, iter, err := readPBEParams(params)
		if err != nil {
			return nil, err
		}
		bmp := bmpPassword(pass)
		var b cipher.Block
		var iv []byte
		switch {
		case oid.Equal(oidPBEWithSHAAnd3DES):
			key := pkcs12KDF(sha1.New, 64, bmp, salt, iter, 1, 24)
			iv = pkcs12KDF(sha1.New, 64, bmp, salt, iter, 2, 8)
			b, _ = des.NewTripleDESCipher(key)
		default:
			n := 5
			if oid.Equal(oidPBEWithSHAAnd128RC2) {
				n = 16
			}
			key := pkcs12KDF(sha1.New, 64, bmp, salt, iter, 1, n)
			iv = pkcs12KDF(sha1.New, 64, bmp, salt, iter, 2, 8)
			b = newRC2(key, n*8)
		}
		return cbcDecrypt(b, iv, data)
	}
	return nil, fmt.Errorf("%w %s", errUnsupportedPBE, oid)
}

// readPBEParams reads PBEParameter / pkcs-12PbeParams: salt and iterations.
func readPBEParams(params cryptobyte.String) ([]byte, int, error) {
	var seq cryptobyte.String
	var salt []byte
	var iter int64
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Bytes(&salt, cbasn1.OCTET_STRING) ||
		!seq.ReadASN1Integer(&iter) || iter < 1 || iter > int64(maxPBEIterations) {
		return nil, 0, errMalformedPBEParams
	}
	return salt, int(iter), nil
}

func pbkdf1(newHash func() hash.Hash, pass, salt []byte, iter, n int) []byte {
	h := newHash()
	h.Write(pass)
	h.Write(salt)
	dk := h.Sum(nil)
	for i := 1; i < iter; i++ {
		h.Reset()
		h.Write(dk)
		dk = h.Sum(dk[:0])
	}
	return dk[:n]
}

// pbes2Ciphers are the encryption schemes of PBES2: key length and block
// cipher.
type pbes2Cipher struct {
	oid      asn1.ObjectIdentifier
	keyLen   int
	newBlock func([]byte) (cipher.Block, error)
}

var pbes2Ciphers = []pbes2Cipher{
	{oidAES128CBC, 16, aes.NewCipher},
	{oidAES192CBC, 24, aes.NewCipher},
	{oidAES256CBC, 32, aes.NewCipher},
	{oidDESEDE3CBC, 24, des.NewTripleDESCipher},
	{oidDESCBC, 8, des.NewCipher},
}

// pbkdf2PRFs are the PRFs of PBKDF2 (HMAC-SHA-1 when none is given).
var pbkdf2PRFs = []struct {
	oid     asn1.ObjectIdentifier
	newHash func() hash.Hash
}{
	{oidHMACWithSHA1, sha1.New},
	{oidHMACWithSHA224, sha256.New224},
	{oidHMACWithSHA256, sha256.New},
	{oidHMACWithSHA384, sha512.New384},
	{oidHMACWithSHA512, sha512.New},
}

func pbes2Decrypt(params cryptobyte.String, pass, data []byte) ([]byte, error) {
	var seq cryptobyte.String
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errMalformedPBEParams
	}
	kdfOID, kdfParams, ok1 := readAlgorithmID(&seq)
	encOID, encParams, ok2 := readAlgorithmID(&seq)
	if !ok1 || !ok2 || !kdfOID.Equal(oidPBKDF2) {
		return nil, errUnsupportedPBE
	}
	i := slices.IndexFunc(pbes2Ciphers, func(c pbes2Cipher) bool { return c.oid.Equal(encOID) })
	if i < 0 {
		return nil, fmt.Errorf("%w %s", errUnsupportedPBE, encOID)
	}
	enc := pbes2Ciphers[i]
	var iv []byte
	if !encParams.ReadASN1Bytes(&iv, cbasn1.OCTET_STRING) {
		return nil, errMalformedPBEParams
	}
	salt, iter, prf, err := readPBKDF2Params(kdfParams, enc.keyLen)
	if err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(prf, string(pass), salt, iter, enc.keyLen)
	if err != nil {
		return nil, err
	}
	b, err := enc.newBlock(key)
	if err != nil {
		return nil, err
	}
	return cbcDecrypt(b, iv, data)
}

// readPBKDF2Params reads PBKDF2-params: salt, iterations, the optional
// key length (which must be the cipher's) and PRF.
func readPBKDF2Params(params cryptobyte.String, keyLen int) ([]byte, int, func() hash.Hash, error) {
	var kp cryptobyte.String
	var salt []byte
	var iter int64
	if !params.ReadASN1(&kp, cbasn1.SEQUENCE) || !kp.ReadASN1Bytes(&salt, cbasn1.OCTET_STRING) ||
		!kp.ReadASN1Integer(&iter) || iter < 1 || iter > int64(maxPBEIterations) {
		return nil, 0, nil, errMalformedPBEParams
	}
	if kp.PeekASN1Tag(cbasn1.INTEGER) {
		var n int64
		if !kp.ReadASN1Integer(&n) || n != int64(keyLen) {
			return nil, 0, nil, errMalformedPBEParams
		}
	}
	prf := sha1.New
	if !kp.Empty() {
		oid, _, ok := readAlgorithmID(&kp)
		if !ok {
			return nil, 0, nil, errMalformedPBEParams
		}
		found := false
		for _, p := range pbkdf2PRFs {
			if p.oid.Equal(oid) {
				prf, found = p.newHash, true
			}
		}
		if !found {
			return nil, 0, nil, fmt.Errorf("%w PRF %s", errUnsupportedPBE, oid)
		}
	}
	return salt, int(iter), prf, nil
}

// bmpPassword is a password as PKCS#12 feeds it to its KDF: each byte
// widened to a 16-bit big-endian character (charon reads the bytes as
// Latin-1, not as UTF-8), and two zero bytes at the end; nothing at all
// for the empty password.
func bmpPassword(pass []byte) []byte {
	if len(pass) == 0 {
		return nil
	}
	out := make([]byte, 0, 2*len(pass)+2)
	for _, c := range pass {
		out = append(out, 0, c)
	}
	return append(out, 0, 0)
}

// pkcs12KDF is the key derivation of RFC 7292 appendix B; id is 1 for
// keys, 2 for IVs and 3 for MAC keys, v the hash's block size.
func pkcs12KDF(newHash func() hash.Hash, v int, pass, salt []byte, iter, id, n int) []byte {
	repeat := func(s []byte) []byte {
		if len(s) == 0 {
			return nil
		}
		l := v * ((len(s) + v - 1) / v)
		out := make([]byte, l)
		for i := range out {
			out[i] = s[i%len(s)]
		}
		return out
	}
	D := make([]byte, v)
	for i := range D {
		D[i] = byte(id)
	}
	I := append(repeat(salt), repeat(pass)...)
	var out []byte
	for len(out) < n {
		h := newHash()
		h.Write(D)
		h.Write(I)
		A := h.Sum(nil)
		for j := 1; j < iter; j++ {
			h.Reset()
			h.Write(A)
			A = h.Sum(A[:0])
		}
		out = append(out, A...)
		if len(I) == 0 {
			// Without salt and password every block is the same.
			continue
		}
		// I_j = I_j + B + 1 for each v-byte block of I.
		B := repeat(A)[:v]
		for j := 0; j < len(I); j += v {
			carry := 1
			for k := v - 1; k >= 0; k-- {
				s := int(I[j+k]) + int(B[k]) + carry
				I[j+k] = byte(s)
				carry = s >> 8
			}
		}
	}
	return out[:n]
}

// pkcs12MAC computes the HMAC of a PKCS#12 MacData with the key derived by
// pkcs12KDF from the password.
func pkcs12MAC(newHash func() hash.Hash, v int, pass, salt []byte, iter int, data []byte) []byte {
	size := newHash().Size()
	key := pkcs12KDF(newHash, v, bmpPassword(pass), salt, iter, 3, size)
	m := hmac.New(newHash, key)
	m.Write(data)
	return m.Sum(nil)
}
