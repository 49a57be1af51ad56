package crypto

import "fmt"

// encrSpec describes one encryption algorithm as IKEv2 and ESP use it.
type encrSpec struct {
	keyBits    []int // key lengths a proposal may carry, in bits
	defaultKey int   // key length when the proposal carries none (0: must carry one)
	blockSize  int   // alignment of the padded plaintext
	ivSize     int   // explicit IV on the wire
	icvSize    int   // AEAD tag length (0 for classic ciphers)
	saltSize   int   // key material appended to the key (RFC 4106, 3686, 7634)
	espOnly    bool  // allowed in ESP but never in IKE (NULL, RFC 7296 §3.3.2)
}

var aesKeys = []int{128, 192, 256}

var encrSpecs = map[EncryptionAlgorithm]encrSpec{
	EncrAESCBC:           {keyBits: aesKeys, blockSize: 16, ivSize: 16},                                             // RFC 3602
	EncrAESCTR:           {keyBits: aesKeys, blockSize: 1, ivSize: 8, saltSize: 4},                                  // RFC 3686, 5930
	EncrAESGCM8:          {keyBits: aesKeys, blockSize: 1, ivSize: 8, icvSize: 8, saltSize: 4},                      // RFC 4106, 5282
	EncrAESGCM12:         {keyBits: aesKeys, blockSize: 1, ivSize: 8, icvSize: 12, saltSize: 4},                     // RFC 4106, 5282
	EncrAESGCM16:         {keyBits: aesKeys, blockSize: 1, ivSize: 8, icvSize: 16, saltSize: 4},                     // RFC 4106, 5282
	EncrChaCha20Poly1305: {keyBits: []int{256}, defaultKey: 256, blockSize: 1, ivSize: 8, icvSize: 16, saltSize: 4}, // RFC 7634
	Encr3DES:             {keyBits: []int{192}, defaultKey: 192, blockSize: 8, ivSize: 8},                           // RFC 2451
	EncrNull:             {keyBits: []int{0}, blockSize: 1, espOnly: true},                                          // RFC 2410
}

// Supported reports whether goswan implements a.
func (a EncryptionAlgorithm) Supported() bool { _, ok := encrSpecs[a]; return ok }

// IVSize is the length of the explicit IV a puts on the wire.
func (a EncryptionAlgorithm) IVSize() int { return encrSpecs[a].ivSize }

// ICVSize is the AEAD tag length (0 for classic ciphers).
func (a EncryptionAlgorithm) ICVSize() int { return encrSpecs[a].icvSize }

// SaltSize is the number of key-material bytes beyond the cipher key that a
// consumes as nonce salt.
func (a EncryptionAlgorithm) SaltSize() int { return encrSpecs[a].saltSize }

// BlockSize is the alignment the padded plaintext must meet.
func (a EncryptionAlgorithm) BlockSize() int { return encrSpecs[a].blockSize }

// ESPOnly reports whether a may be negotiated for ESP only (NULL encryption).
func (a EncryptionAlgorithm) ESPOnly() bool { return encrSpecs[a].espOnly }

// KeyBits resolves the key length of a for a proposal that carries keyBits
// (0 when the transform has no Key Length attribute): algorithms with a single
// key length (3DES, ChaCha20-Poly1305) accept 0 for it, the others must name
// one of theirs. Mirrors keymat_get_keylen_encr.
func (a EncryptionAlgorithm) KeyBits(keyBits int) (int, error) {
	spec, ok := encrSpecs[a]
	if !ok {
		return 0, fmt.Errorf("encryption algorithm %v: %w", a, ErrUnsupported)
	}
	if keyBits == 0 && (spec.defaultKey != 0 || a == EncrNull) {
		return spec.defaultKey, nil
	}
	for _, k := range spec.keyBits {
		if k == keyBits {
			return k, nil
		}
	}
	return 0, fmt.Errorf("encryption algorithm %v: no key length %d", a, keyBits)
}

// KeyMaterialSize is how many bytes of prf+ output one direction of a with
// keyBits consumes: the key plus the salt (RFC 7296 §2.14, RFC 4106 §8.1).
func (a EncryptionAlgorithm) KeyMaterialSize(keyBits int) (int, error) {
	k, err := a.KeyBits(keyBits)
	if err != nil {
		return 0, err
	}
	return k/8 + encrSpecs[a].saltSize, nil
}
