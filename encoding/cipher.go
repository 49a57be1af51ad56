package encoding

// Cipher protects the contents of an SK or SKF payload (RFC 7296 §3.14,
// RFC 7383 §2.5). It covers both layouts IKEv2 uses:
//
//   - encrypt-then-MAC (a block cipher plus an integrity algorithm): the ICV is
//     a MAC over assoc || iv || ciphertext;
//   - AEAD (RFC 5282, RFC 7634): assoc is the additional authenticated data and
//     the ICV is the AEAD tag.
//
// In both cases assoc is the message from the first byte of the IKE header up
// to and including the SK (or SKF) payload's own header, exactly as it goes on
// the wire. The implementations live in package crypto; the codec only knows
// this interface so that encoding never imports crypto.
type Cipher interface {
	// BlockSize is the alignment that plaintext || padding || pad length must
	// meet (1 when the cipher needs no alignment).
	BlockSize() int
	// IVSize is the length of the IV that precedes the ciphertext on the wire.
	IVSize() int
	// ICVSize is the length of the integrity check value that follows it.
	ICVSize() int
	// GenerateIV fills iv, of length IVSize, with a fresh IV. Implementations
	// take their randomness or counter from an injected source.
	GenerateIV(iv []byte) error
	// Seal encrypts plaintext (already padded to BlockSize) and appends
	// ciphertext || ICV to dst.
	Seal(dst, iv, plaintext, assoc []byte) ([]byte, error)
	// Open verifies the ICV at the end of ciphertext before decrypting anything
	// and appends the plaintext (padding included) to dst. A failed check is an
	// error and leaves dst unchanged.
	Open(dst, iv, ciphertext, assoc []byte) ([]byte, error)
}
