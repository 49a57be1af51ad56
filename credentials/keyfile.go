package credentials

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Passphrases hands out the passphrases to try on an encrypted key, one
// per call, as charon's credential manager enumerates the
// PRIVATE_KEY_PASS secrets (ipsec.secrets' passphrase, or the answers to a
// %prompt). It returns false when there are no more.
type Passphrases func() ([]byte, bool)

// StaticPassphrases tries the given passphrases in order.
func StaticPassphrases(p ...[]byte) Passphrases {
	i := 0
	return func() ([]byte, bool) {
		if i >= len(p) {
			return nil, false
		}
		i++
		return p[i-1], true
	}
}

// ErrEncrypted says that a key is encrypted and no passphrase opened it.
var ErrEncrypted = errors.New("encrypted key and no valid passphrase")

// isBERIndefinite reports a SEQUENCE or SET with BER indefinite length
// (PKCS#12 files made by some tools).
func isBERIndefinite(b []byte) bool {
	return len(b) >= 4 && (b[0] == 0x30 || b[0] == 0x31) && b[1] == 0x80 && b[len(b)-2] == 0 && b[len(b)-1] == 0
}

// Unarmor turns the content of a credential file into DER as charon's pem
// plugin does: binary ASN.1 is taken as it is; otherwise the first PEM
// block is decoded, and decrypted (legacy Proc-Type/DEK-Info encryption)
// with the passphrases. The block type is returned for PEM input.
func Unarmor(data []byte, pass Passphrases) (der []byte, blockType string, err error) {
	if isBERIndefinite(data) || isASN1(string(data)) {
		return data, "", nil
	}
	block, _ := pem.Decode(data)
	if block == nil || len(block.Bytes) == 0 {
		return nil, "", errors.New("file coded in unknown format, discarded")
	}
	if block.Headers["Proc-Type"] != "4,ENCRYPTED" {
		return block.Bytes, block.Type, nil
	}
	der, err = decryptPEM(block, pass)
	return der, block.Type, err
}

// legacyPEMCiphers are the DEK-Info algorithms charon's pem plugin knows,
// with their key sizes.
var legacyPEMCiphers = map[string]int{
	"DES-CBC": 8, "DES-EDE3-CBC": 24, "AES-128-CBC": 16, "AES-192-CBC": 24, "AES-256-CBC": 32,
}

func decryptPEM(block *pem.Block, pass Passphrases) ([]byte, error) {
	alg, ivHex, ok := strings.Cut(block.Headers["DEK-Info"], ",")
	keyLen, known := legacyPEMCiphers[strings.ToUpper(strings.TrimSpace(alg))]
	if !ok || !known {
		return nil, fmt.Errorf("encryption algorithm '%s' not supported", alg)
	}
	iv, err := hex.DecodeString(strings.TrimSpace(ivHex))
	if err != nil || len(iv) < 8 {
		return nil, errors.New("invalid DEK-Info IV")
	}
	for pass != nil {
		p, more := pass()
		if !more {
			break
		}
		out, err := legacyDecrypt(strings.ToUpper(alg), keyLen, iv, p, block.Bytes)
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, errBadPadding) {
			return nil, err
		}
	}
	return nil, ErrEncrypted
}

var errBadPadding = errors.New("invalid passphrase")

// evpBytesToKey is OpenSSL's legacy key derivation with MD5 and one
// iteration, salted with the first 8 bytes of the IV.
func evpBytesToKey(pass, salt []byte, keyLen int) []byte {
	var key, prev []byte
	for len(key) < keyLen {
		h := md5.New()
		h.Write(prev)
		h.Write(pass)
		h.Write(salt)
		prev = h.Sum(nil)
		key = append(key, prev...)
	}
	return key[:keyLen]
}

func legacyDecrypt(alg string, keyLen int, iv, pass, data []byte) ([]byte, error) {
	key := evpBytesToKey(pass, iv[:8], keyLen)
	var b cipher.Block
	var err error
	switch alg {
	case "DES-CBC":
		b, err = des.NewCipher(key)
	case "DES-EDE3-CBC":
		b, err = des.NewTripleDESCipher(key)
	default:
		b, err = aes.NewCipher(key)
	}
	if err != nil {
		return nil, err
	}
	return cbcDecrypt(b, iv, data)
}

// cbcDecrypt decrypts and removes PKCS#5 padding; a padding mismatch is
// errBadPadding, the sign of a wrong passphrase.
func cbcDecrypt(b cipher.Block, iv, data []byte) ([]byte, error) {
	bs := b.BlockSize()
	if len(iv) != bs || len(data) == 0 || len(data)%bs != 0 {
		return nil, errors.New("data size is not multiple of block size")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > bs || pad > len(out) {
		return nil, errBadPadding
	}
	for _, c := range out[len(out)-pad:] {
		if int(c) != pad {
			return nil, errBadPadding
		}
	}
	return out[:len(out)-pad], nil
}

// ParsePrivateKey reads a private key file's content: PEM or DER, PKCS#1
// (RSA), SEC1 (ECDSA) or PKCS#8 (any, encrypted or not). want restricts
// the type as ipsec.secrets' RSA and ECDSA keywords do (KeyAny for PKCS8).
// pass supplies passphrases for encrypted keys.
func ParsePrivateKey(data []byte, want KeyType, pass Passphrases) (*PrivateKey, error) {
	der, _, err := Unarmor(data, pass)
	if err != nil {
		return nil, err
	}
	k, err := parsePrivateDER(der, pass)
	if err != nil {
		return nil, err
	}
	if want != KeyAny && k.Type() != want {
		return nil, fmt.Errorf("%s key where %s expected", k.Type(), want)
	}
	return k, nil
}

func parsePrivateDER(der []byte, pass Passphrases) (*PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return newPrivateKey(k)
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return newPrivateKey(k)
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return newPrivateKey(k)
	}
	if isEncryptedPKCS8(der) {
		for pass != nil {
			p, more := pass()
			if !more {
				break
			}
			plain, err := decryptPKCS8(der, p)
			if err != nil {
				if errors.Is(err, errBadPadding) {
					continue
				}
				return nil, err
			}
			k, err := x509.ParsePKCS8PrivateKey(plain)
			clear(plain)
			if err != nil {
				// A wrong passphrase can pass the padding check by chance.
				continue
			}
			return newPrivateKey(k)
		}
		return nil, ErrEncrypted
	}
	return nil, errors.New("unsupported private key format")
}

// WipeBytes overwrites a buffer that held key material.
func WipeBytes(b []byte) { clear(b) }

// equalBytes is bytes.Equal, named for the places that compare key IDs.
func equalBytes(a, b []byte) bool { return bytes.Equal(a, b) }
