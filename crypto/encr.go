package crypto

import "fmt"

// The size and property methods of the transform ids read the algorithm
// table (algorithms.go); an id goswan does not implement reports zero sizes.

func (a EncryptionAlgorithm) row() *Algorithm { return row(TransformEncryption, uint16(a)) }

// Supported reports whether goswan implements a.
func (a EncryptionAlgorithm) Supported() bool { return a.row().Supported() }

// IVSize is the length of the explicit IV a puts on the wire.
func (a EncryptionAlgorithm) IVSize() int { return a.row().IVSize }

// ICVSize is the AEAD tag length (0 for classic ciphers).
func (a EncryptionAlgorithm) ICVSize() int { return a.row().ICVSize }

// SaltSize is the number of key-material bytes beyond the cipher key that a
// consumes as nonce salt.
func (a EncryptionAlgorithm) SaltSize() int { return a.row().SaltSize }

// BlockSize is the alignment the padded plaintext must meet.
func (a EncryptionAlgorithm) BlockSize() int { return a.row().BlockSize }

// ESPOnly reports whether a may be negotiated for ESP only (NULL encryption).
func (a EncryptionAlgorithm) ESPOnly() bool { return a.row().ESPOnly }

// KernelName is the name XFRM knows a by, "" if charon installs it in no
// kernel.
func (a EncryptionAlgorithm) KernelName() string { return a.row().Kernel }

// KeyBits resolves the key length of a for a proposal that carries keyBits
// (0 when the transform has no Key Length attribute): algorithms with a single
// key length (3DES, ChaCha20-Poly1305) accept 0 for it, the others must name
// one of theirs. Mirrors keymat_get_keylen_encr.
func (a EncryptionAlgorithm) KeyBits(keyBits int) (int, error) {
	r := a.row()
	if !r.Supported() {
		return 0, fmt.Errorf("encryption algorithm %v: %w", a, ErrUnsupported)
	}
	if keyBits == 0 && r.DefaultKeyBits != 0 {
		return r.DefaultKeyBits, nil
	}
	for _, k := range r.KeyBits {
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
	return k/8 + a.SaltSize(), nil
}
