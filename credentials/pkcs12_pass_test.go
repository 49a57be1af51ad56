package credentials

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"encoding/binary"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TestPKCS12MACPassphraseFirst: a container whose encrypted part a wrong
// passphrase, tried before the right one, decrypts with valid padding. The
// passphrase that verified the MAC decrypts it (make test-loaded found
// TestEncryptedKeysFromOpenSSL failing on such a legacy.p12 now and then).
func TestPKCS12MACPassphraseFirst(t *testing.T) {
	wrong, right := []byte("wrong"), []byte("right")
	plain := []byte{0x30, 0x00} // SafeContents without bags
	var salt, enc []byte
	for n := uint64(0); ; n++ {
		if n == 1<<16 {
			t.Fatal("no salt found on which the wrong passphrase gives valid padding")
		}
		salt = binary.BigEndian.AppendUint64(nil, n)
		enc = pbe3DESEncrypt(right, salt, plain)
		garbage, err := pbeDecrypt(oidPBEWithSHAAnd3DES, pbeParams(salt), wrong, enc)
		if err == nil && new(PKCS12).parseSafeContents(garbage, nil, 0) != nil {
			break
		}
	}
	p12 := buildPFX(right, salt, enc)
	got, err := ParsePKCS12(p12, StaticPassphrases(wrong, right))
	if err != nil {
		t.Fatalf("wrong passphrase first: %v", err)
	}
	if len(got.Keys)+len(got.Certs) != 0 {
		t.Errorf("%d keys, %d certs from an empty SafeContents", len(got.Keys), len(got.Certs))
	}
	if _, err := ParsePKCS12(p12, StaticPassphrases(wrong)); err != ErrPKCS12MAC {
		t.Errorf("wrong passphrase alone: %v, want %v", err, ErrPKCS12MAC)
	}
}

func pbeParams(salt []byte) cryptobyte.String {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1OctetString(salt)
		b.AddASN1Int64(1)
	})
	return cryptobyte.String(b.BytesOrPanic())
}

// pbe3DESEncrypt is pbeWithSHAAnd3-KeyTripleDES-CBC with one iteration.
func pbe3DESEncrypt(pass, salt, plain []byte) []byte {
	bmp := bmpPassword(pass)
	key := pkcs12KDF(sha1.New, 64, bmp, salt, 1, 1, 24)
	iv := pkcs12KDF(sha1.New, 64, bmp, salt, 1, 2, 8)
	pad := 8 - len(plain)%8
	in := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, _ := des.NewTripleDESCipher(key)
	out := make([]byte, len(in))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, in)
	return out
}

// buildPFX is a PKCS#12 PFX whose AuthenticatedSafe holds one
// encryptedData ContentInfo, with a SHA-1 MAC under pass.
func buildPFX(pass, salt, enc []byte) []byte {
	var safes cryptobyte.Builder
	safes.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidPKCS7EncryptedData)
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1Int64(0)
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidPKCS7Data)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1ObjectIdentifier(oidPBEWithSHAAnd3DES)
							b.AddBytes(pbeParams(salt))
						})
						b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(enc)
						})
					})
				})
			})
		})
	})
	content := safes.BytesOrPanic()
	macSalt := []byte("macsalt!")
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(3)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidPKCS7Data)
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(content)
			})
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidSHA1)
					b.AddASN1NULL()
				})
				b.AddASN1OctetString(pkcs12MAC(sha1.New, 64, pass, macSalt, 1, content))
			})
			b.AddASN1OctetString(macSalt)
			b.AddASN1Int64(1)
		})
	})
	return b.BytesOrPanic()
}
