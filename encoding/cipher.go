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
// this interface, so that tests and fuzz targets can hand it any cipher.
//
// The codec does the framing around the cipher, as charon's
// encrypted_payload.c does: it writes the IV that GenerateIV produced in front
// of the ciphertext, pads the plaintext (charon's rule: as many octets as
// reach the next multiple of BlockSize, at least one, the last one being the
// pad length and the others taken from the io.Reader given to Encode), checks
// that a received payload has room for IV and ICV and a whole number of
// blocks, and strips the padding after Open. One Cipher protects one
// direction of one IKE_SA; it need not be safe for concurrent use.
type Cipher interface {
	// BlockSize is the alignment that plaintext || padding || pad length must
	// meet (1 when the cipher needs no alignment, e.g. AES-GCM).
	BlockSize() int
	// IVSize is the length of the IV that precedes the ciphertext on the wire.
	IVSize() int
	// ICVSize is the length of the integrity check value that follows it.
	ICVSize() int
	// GenerateIV fills iv, of length IVSize, with a fresh IV. Implementations
	// take their randomness or counter from an injected source. It is called
	// once per SK or SKF payload. An AEAD must never repeat an IV under one
	// key; charon uses a counter there (iv_gen_seq, seeded from the message
	// ID and fragment number), a block cipher mode a random IV.
	GenerateIV(iv []byte) error
	// Seal encrypts plaintext (already padded to BlockSize) and appends
	// ciphertext || ICV to dst. assoc does not overlap dst.
	Seal(dst, iv, plaintext, assoc []byte) ([]byte, error)
	// Open verifies the ICV at the end of ciphertext (which is
	// ciphertext || ICV as received) before decrypting anything and appends
	// the plaintext (padding included) to dst. A failed check is an error
	// and leaves dst unchanged.
	Open(dst, iv, ciphertext, assoc []byte) ([]byte, error)
}
