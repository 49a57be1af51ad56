package credentials

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// KeyType is libstrongswan's key_type_t.
type KeyType int

const (
	KeyAny KeyType = iota
	KeyRSA
	KeyECDSA
	KeyDSA
	KeyED25519
	KeyED448
	KeyBLISS
)

var keyTypeNames = [...]string{"ANY", "RSA", "ECDSA", "DSA", "ED25519", "ED448", "BLISS"}

// String is charon's key_type_names ("RSA", "ED25519").
func (t KeyType) String() string {
	if t >= 0 && int(t) < len(keyTypeNames) {
		return keyTypeNames[t]
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}

// PublicKey is a public key with the fingerprints charon identifies keys
// by: the SHA-1 of the key bits (KEYID_PUBKEY_SHA1, the usual
// subjectKeyIdentifier) and of the whole SubjectPublicKeyInfo
// (KEYID_PUBKEY_INFO_SHA1, what IKEv2 CERTREQ payloads carry).
type PublicKey struct {
	typ    KeyType
	bits   int
	key    crypto.PublicKey
	spki   []byte
	keyID  []byte
	infoID []byte
}

// ParsePublicKey reads a DER SubjectPublicKeyInfo.
func ParsePublicKey(spki []byte) (*PublicKey, error) {
	in := cryptobyte.String(spki)
	var seq, alg, bits cryptobyte.String
	var oid asn1.ObjectIdentifier
	var bitString asn1.BitString
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
		return nil, errors.New("invalid SubjectPublicKeyInfo")
	}
	if !seq.ReadASN1(&bits, cbasn1.BIT_STRING) || !seq.Empty() || len(bits) < 1 || bits[0] != 0 {
		return nil, errors.New("invalid subjectPublicKey")
	}
	bitString.Bytes = bits[1:]
	p := &PublicKey{spki: bytes.Clone(spki)}
	switch {
	case oid.Equal(oidRSAEncryption), oid.Equal(oidRSASSAPSS):
		p.typ = KeyRSA
	case oid.Equal(oidECPublicKey):
		p.typ = KeyECDSA
	case oid.Equal(oidEd25519):
		p.typ = KeyED25519
	case oid.Equal(oidEd448):
		return nil, errors.New("ED448 keys are not supported")
	default:
		return nil, fmt.Errorf("unsupported public key algorithm %s", oid)
	}
	var err error
	if p.typ == KeyRSA && oid.Equal(oidRSASSAPSS) {
		// crypto/x509 does not read RSASSA-PSS keys; the key itself is a
		// plain RSAPublicKey.
		p.key, err = x509.ParsePKCS1PublicKey(bitString.Bytes)
	} else {
		p.key, err = x509.ParsePKIXPublicKey(spki)
	}
	if err != nil {
		return nil, err
	}
	switch k := p.key.(type) {
	case *rsa.PublicKey:
		p.bits = k.N.BitLen()
	case *ecdsa.PublicKey:
		p.bits = k.Curve.Params().BitSize
	case ed25519.PublicKey:
		p.bits = 256
	default:
		return nil, fmt.Errorf("unsupported public key %T", p.key)
	}
	id := sha1.Sum(bitString.Bytes)
	p.keyID = id[:]
	info := sha1.Sum(spki)
	p.infoID = info[:]
	return p, nil
}

// newPublicKey wraps a standard library key.
func newPublicKey(k crypto.PublicKey) (*PublicKey, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	return ParsePublicKey(der)
}

// Type is the key type.
func (p *PublicKey) Type() KeyType { return p.typ }

// Bits is the key size as charon reports it: the modulus for RSA, the
// curve for ECDSA, 256 for Ed25519.
func (p *PublicKey) Bits() int { return p.bits }

// KeyID is KEYID_PUBKEY_SHA1: SHA-1 over the subjectPublicKey bits.
func (p *PublicKey) KeyID() []byte { return p.keyID }

// InfoID is KEYID_PUBKEY_INFO_SHA1: SHA-1 over the SubjectPublicKeyInfo,
// the CA key identifier of IKEv2 certificate requests.
func (p *PublicKey) InfoID() []byte { return p.infoID }

// SPKI is the DER SubjectPublicKeyInfo.
func (p *PublicKey) SPKI() []byte { return p.spki }

// HasFingerprint reports whether fp is one of the key's fingerprints
// (public_key_has_fingerprint).
func (p *PublicKey) HasFingerprint(fp []byte) bool {
	return len(fp) > 0 && (bytes.Equal(fp, p.keyID) || bytes.Equal(fp, p.infoID))
}

// Equal compares two keys by their encoding.
func (p *PublicKey) Equal(o *PublicKey) bool {
	return p != nil && o != nil && bytes.Equal(p.spki, o.spki)
}

// Verify checks a signature made with scheme over data. It never panics on
// hostile input: a malformed signature is simply invalid.
func (p *PublicKey) Verify(params SignatureParams, data, sig []byte) bool {
	if params.Scheme.KeyType() != p.typ {
		return false
	}
	switch k := p.key.(type) {
	case *rsa.PublicKey:
		return verifyRSA(k, params, data, sig)
	case *ecdsa.PublicKey:
		return verifyECDSA(k, params, data, sig)
	case ed25519.PublicKey:
		return params.Scheme == SignED25519 && len(sig) == ed25519.SignatureSize && ed25519.Verify(k, data, sig)
	}
	return false
}

func verifyRSA(k *rsa.PublicKey, params SignatureParams, data, sig []byte) bool {
	h := params.Hash()
	digest, ok := h.digest(data)
	if !ok {
		return false
	}
	if params.Scheme == SignRSAPSS {
		pss := params.PSS
		if pss == nil || pss.MGF1Hash != pss.Hash {
			// The standard library uses the message hash for MGF1.
			return false
		}
		return rsa.VerifyPSS(k, h.crypto(), digest, sig, &rsa.PSSOptions{SaltLength: pss.SaltLen, Hash: h.crypto()}) == nil
	}
	return rsa.VerifyPKCS1v15(k, h.crypto(), digest, sig) == nil
}

// curveForClassic is the curve a classic ECDSA scheme requires.
func curveForClassic(s SignatureScheme) elliptic.Curve {
	switch s {
	case SignECDSA256:
		return elliptic.P256()
	case SignECDSA384:
		return elliptic.P384()
	case SignECDSA521:
		return elliptic.P521()
	}
	return nil
}

func verifyECDSA(k *ecdsa.PublicKey, params SignatureParams, data, sig []byte) bool {
	switch params.Scheme {
	case SignECDSAWithNull:
		return ecdsa.VerifyASN1(k, data, sig)
	case SignECDSA256, SignECDSA384, SignECDSA521:
		if curveForClassic(params.Scheme) != k.Curve {
			return false
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		digest, _ := params.Hash().digest(data)
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, digest, r, s)
	}
	digest, ok := params.Hash().digest(data)
	if !ok {
		return false
	}
	return ecdsa.VerifyASN1(k, digest, sig)
}
