package credentials

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// PrivateKey is an RSA, ECDSA or Ed25519 private key.
type PrivateKey struct {
	signer crypto.Signer
	public *PublicKey
}

// newPrivateKey wraps a standard library key.
func newPrivateKey(k crypto.PrivateKey) (*PrivateKey, error) {
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key %T", k)
	}
	switch s.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
	default:
		return nil, fmt.Errorf("unsupported private key %T", k)
	}
	pub, err := newPublicKey(s.Public())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{signer: s, public: pub}, nil
}

// NewPrivateKey wraps a key made with the standard library (tests and
// tools; files are read with ParsePrivateKey).
func NewPrivateKey(k crypto.PrivateKey) (*PrivateKey, error) { return newPrivateKey(k) }

// Public is the key's public half.
func (k *PrivateKey) Public() *PublicKey { return k.public }

// Type is the key type.
func (k *PrivateKey) Type() KeyType { return k.public.typ }

// Bits is the key size (see PublicKey.Bits).
func (k *PrivateKey) Bits() int { return k.public.bits }

// Signer is the standard library view of the key.
func (k *PrivateKey) Signer() crypto.Signer { return k.signer }

// Sign signs data with the scheme. rand feeds RSASSA-PSS salts and ECDSA
// nonces; a copy derived from 32 bytes of it is used, so that the
// standard library's habit of sometimes reading an extra byte does not
// shift the caller's random stream (the in-process simulations replay
// exactly).
func (k *PrivateKey) Sign(rand io.Reader, params SignatureParams, data []byte) ([]byte, error) {
	if params.Scheme.KeyType() != k.Type() {
		return nil, fmt.Errorf("%s key cannot make %s signatures", k.Type(), params.Scheme)
	}
	r, err := derivedReader(rand)
	if err != nil {
		return nil, err
	}
	switch key := k.signer.(type) {
	case ed25519.PrivateKey:
		if params.Scheme != SignED25519 {
			return nil, fmt.Errorf("unsupported scheme %s", params.Scheme)
		}
		return ed25519.Sign(key, data), nil
	case *rsa.PrivateKey:
		h := params.Hash()
		digest, ok := h.digest(data)
		if !ok {
			return nil, fmt.Errorf("unsupported scheme %s", params.Scheme)
		}
		if params.Scheme == SignRSAPSS {
			if params.PSS == nil || params.PSS.MGF1Hash != h {
				return nil, errors.New("unsupported RSASSA-PSS parameters")
			}
			return rsa.SignPSS(r, key, h.crypto(), digest, &rsa.PSSOptions{SaltLength: params.PSS.SaltLen, Hash: h.crypto()})
		}
		return rsa.SignPKCS1v15(nil, key, h.crypto(), digest)
	case *ecdsa.PrivateKey:
		return signECDSA(r, key, params, data)
	}
	return nil, fmt.Errorf("unsupported key %T", k.signer)
}

func signECDSA(r io.Reader, key *ecdsa.PrivateKey, params SignatureParams, data []byte) ([]byte, error) {
	if params.Scheme == SignECDSAWithNull {
		return ecdsa.SignASN1(r, key, data)
	}
	digest, ok := params.Hash().digest(data)
	if !ok {
		return nil, fmt.Errorf("unsupported scheme %s", params.Scheme)
	}
	switch params.Scheme {
	case SignECDSA256, SignECDSA384, SignECDSA521:
		if curveForClassic(params.Scheme) != key.Curve {
			return nil, fmt.Errorf("%s needs another curve", params.Scheme)
		}
		rr, ss, err := ecdsa.Sign(r, key, digest)
		if err != nil {
			return nil, err
		}
		size := (key.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		rr.FillBytes(out[:size])
		ss.FillBytes(out[size:])
		return out, nil
	}
	return ecdsa.SignASN1(r, key, digest)
}

// derivedReader returns an endless stream seeded by 32 bytes of rand
// (SHA-256 in counter mode).
func derivedReader(rand io.Reader) (io.Reader, error) {
	var seed [32]byte
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, err
	}
	return &counterStream{seed: seed}, nil
}

type counterStream struct {
	seed [32]byte
	ctr  uint64
	buf  []byte
}

func (c *counterStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(c.buf) == 0 {
			var block [40]byte
			copy(block[:], c.seed[:])
			new(big.Int).SetUint64(c.ctr).FillBytes(block[32:])
			c.ctr++
			sum := sha256.Sum256(block[:])
			c.buf = sum[:]
		}
		m := copy(p[n:], c.buf)
		c.buf = c.buf[m:]
		n += m
	}
	return n, nil
}
