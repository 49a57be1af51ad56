package credentials

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SignatureScheme is libstrongswan's signature_scheme_t, in its order so
// that the names print as charon prints them.
type SignatureScheme int

const (
	SignUnknown SignatureScheme = iota
	SignRSAPKCS1Null
	SignRSAPKCS1MD5
	SignRSAPKCS1SHA1
	SignRSAPKCS1SHA224
	SignRSAPKCS1SHA256
	SignRSAPKCS1SHA384
	SignRSAPKCS1SHA512
	SignRSAPKCS1SHA3_224
	SignRSAPKCS1SHA3_256
	SignRSAPKCS1SHA3_384
	SignRSAPKCS1SHA3_512
	SignRSAPSS
	SignECDSAWithSHA1DER
	SignECDSAWithSHA256DER
	SignECDSAWithSHA384DER
	SignECDSAWithSHA512DER
	SignECDSAWithNull
	// SignECDSA256, 384 and 521 are the classic IKEv2 ECDSA methods (auth
	// methods 9-11): r||s without DER, the hash fixed by the curve.
	SignECDSA256
	SignECDSA384
	SignECDSA521
	SignED25519
	SignED448
)

var signatureSchemeNames = [...]string{
	"UNKNOWN", "RSA_EMSA_PKCS1_NULL", "RSA_EMSA_PKCS1_MD5", "RSA_EMSA_PKCS1_SHA1",
	"RSA_EMSA_PKCS1_SHA2_224", "RSA_EMSA_PKCS1_SHA2_256", "RSA_EMSA_PKCS1_SHA2_384",
	"RSA_EMSA_PKCS1_SHA2_512", "RSA_EMSA_PKCS1_SHA3_224", "RSA_EMSA_PKCS1_SHA3_256",
	"RSA_EMSA_PKCS1_SHA3_384", "RSA_EMSA_PKCS1_SHA3_512", "RSA_EMSA_PSS",
	"ECDSA_WITH_SHA1_DER", "ECDSA_WITH_SHA256_DER", "ECDSA_WITH_SHA384_DER",
	"ECDSA_WITH_SHA512_DER", "ECDSA_WITH_NULL", "ECDSA-256", "ECDSA-384", "ECDSA-521",
	"ED25519", "ED448",
}

// String is charon's signature_scheme_names.
func (s SignatureScheme) String() string {
	if s >= 0 && int(s) < len(signatureSchemeNames) {
		return signatureSchemeNames[s]
	}
	return "(" + strconv.Itoa(int(s)) + ")"
}

// KeyType is the type of key that makes such signatures
// (key_type_from_signature_scheme).
func (s SignatureScheme) KeyType() KeyType {
	switch {
	case s >= SignRSAPKCS1Null && s <= SignRSAPSS:
		return KeyRSA
	case s >= SignECDSAWithSHA1DER && s <= SignECDSA521:
		return KeyECDSA
	case s == SignED25519:
		return KeyED25519
	case s == SignED448:
		return KeyED448
	}
	return KeyAny
}

// schemeOIDs maps the schemes that have an AlgorithmIdentifier to it
// (signature_scheme_to_oid). The classic ECDSA schemes and the null
// schemes have none.
var schemeOIDs = []struct {
	s   SignatureScheme
	oid asn1.ObjectIdentifier
}{
	{SignRSAPKCS1MD5, oidMD5WithRSA},
	{SignRSAPKCS1SHA1, oidSHA1WithRSA},
	{SignRSAPKCS1SHA224, oidSHA224WithRSA},
	{SignRSAPKCS1SHA256, oidSHA256WithRSA},
	{SignRSAPKCS1SHA384, oidSHA384WithRSA},
	{SignRSAPKCS1SHA512, oidSHA512WithRSA},
	{SignRSAPKCS1SHA3_224, oidRSASHA3_224},
	{SignRSAPKCS1SHA3_256, oidRSASHA3_256},
	{SignRSAPKCS1SHA3_384, oidRSASHA3_384},
	{SignRSAPKCS1SHA3_512, oidRSASHA3_512},
	{SignRSAPSS, oidRSASSAPSS},
	{SignECDSAWithSHA1DER, oidECDSAWithSHA1},
	{SignECDSAWithSHA256DER, oidECDSAWithSHA256},
	{SignECDSAWithSHA384DER, oidECDSAWithSHA384},
	{SignECDSAWithSHA512DER, oidECDSAWithSHA512},
	{SignED25519, oidEd25519},
	{SignED448, oidEd448},
}

// schemeFromOID is signature_scheme_from_oid: the signature OIDs, and the
// bare hash and key OIDs charon accepts in their place.
func schemeFromOID(oid asn1.ObjectIdentifier) SignatureScheme {
	for _, e := range schemeOIDs {
		if e.oid.Equal(oid) {
			return e.s
		}
	}
	switch {
	case oid.Equal(oidMD5):
		return SignRSAPKCS1MD5
	case oid.Equal(oidSHA1):
		return SignRSAPKCS1SHA1
	case oid.Equal(oidSHA224):
		return SignRSAPKCS1SHA224
	case oid.Equal(oidSHA256):
		return SignRSAPKCS1SHA256
	case oid.Equal(oidSHA384):
		return SignRSAPKCS1SHA384
	case oid.Equal(oidSHA512):
		return SignRSAPKCS1SHA512
	case oid.Equal(oidECPublicKey):
		return SignECDSAWithSHA1DER
	}
	return SignUnknown
}

func schemeOID(s SignatureScheme) asn1.ObjectIdentifier {
	for _, e := range schemeOIDs {
		if e.s == s {
			return e.oid
		}
	}
	return nil
}

// PSSParams are the RSASSA-PSS parameters (rsa_pss_params_t). SaltLen is
// in bytes.
type PSSParams struct {
	Hash, MGF1Hash HashAlgorithm
	SaltLen        int
}

// SignatureParams is a scheme with its parameters (signature_params_t);
// only RSASSA-PSS has any.
type SignatureParams struct {
	Scheme SignatureScheme
	PSS    *PSSParams
}

// String names the scheme as charon's authentication log lines do:
// "RSA_EMSA_PKCS1_SHA2_256", and for PSS "RSA_EMSA_PSS_SHA2_256_SALT_32".
func (p SignatureParams) String() string {
	if p.Scheme == SignRSAPSS && p.PSS != nil {
		return fmt.Sprintf("%s_%s_SALT_%d", p.Scheme, p.PSS.Hash.UpperName(), p.PSS.SaltLen)
	}
	return p.Scheme.String()
}

// Hash is the hash the scheme signs with (hasher_from_signature_scheme).
func (p SignatureParams) Hash() HashAlgorithm {
	switch p.Scheme {
	case SignRSAPSS:
		if p.PSS != nil {
			return p.PSS.Hash
		}
	case SignED25519, SignED448:
		return HashIdentity
	case SignRSAPKCS1MD5:
		return HashMD5
	case SignRSAPKCS1SHA1, SignECDSAWithSHA1DER:
		return HashSHA1
	case SignRSAPKCS1SHA224:
		return HashSHA224
	case SignRSAPKCS1SHA256, SignECDSAWithSHA256DER, SignECDSA256:
		return HashSHA256
	case SignRSAPKCS1SHA384, SignECDSAWithSHA384DER, SignECDSA384:
		return HashSHA384
	case SignRSAPKCS1SHA512, SignECDSAWithSHA512DER, SignECDSA521:
		return HashSHA512
	case SignRSAPKCS1SHA3_224:
		return HashSHA3_224
	case SignRSAPKCS1SHA3_256:
		return HashSHA3_256
	case SignRSAPKCS1SHA3_384:
		return HashSHA3_384
	case SignRSAPKCS1SHA3_512:
		return HashSHA3_512
	}
	return HashUnknown
}

func compareParams(a, b SignatureParams, strict bool) bool {
	if a.Scheme != b.Scheme {
		return false
	}
	if a.PSS == nil && b.PSS == nil {
		return true
	}
	if a.PSS == nil || b.PSS == nil {
		return false
	}
	return a.PSS.Hash == b.PSS.Hash && a.PSS.MGF1Hash == b.PSS.MGF1Hash &&
		(!strict || a.PSS.SaltLen == b.PSS.SaltLen)
}

// Equal compares schemes and parameters (signature_params_equal).
func (p SignatureParams) Equal(o SignatureParams) bool { return compareParams(p, o, true) }

// Complies reports whether used satisfies the constraint p
// (signature_params_comply): the PSS salt length may differ.
func (p SignatureParams) Complies(used SignatureParams) bool { return compareParams(p, used, false) }

// ParseSignatureParams reads an AlgorithmIdentifier as
// signature_params_parse: the scheme from the OID, PSS parameters if it is
// RSASSA-PSS, and no parameters (or NULL) otherwise. Bytes after the
// AlgorithmIdentifier are ignored, as charon ignores them.
func ParseSignatureParams(der []byte) (SignatureParams, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&oid) {
		return SignatureParams{}, errors.New("invalid AlgorithmIdentifier")
	}
	p := SignatureParams{Scheme: schemeFromOID(oid)}
	switch p.Scheme {
	case SignUnknown:
		return p, fmt.Errorf("unknown signature algorithm %s", oid)
	case SignRSAPSS:
		pss, err := parsePSSParams(seq)
		if err != nil {
			return SignatureParams{}, fmt.Errorf("failed parsing RSASSA-PSS parameters: %w", err)
		}
		p.PSS = pss
	default:
		if len(seq) > 0 && string(seq) != "\x05\x00" {
			return SignatureParams{}, fmt.Errorf("unexpected parameters for %s", p.Scheme)
		}
	}
	return p, nil
}

// parsePSSParams reads RSASSA-PSS-params (RFC 4055) with its SHA-1
// defaults; an absent or empty field keeps the default.
func parsePSSParams(params cryptobyte.String) (*PSSParams, error) {
	pss := &PSSParams{Hash: HashSHA1, MGF1Hash: HashSHA1, SaltLen: 20}
	if len(params) == 0 {
		return pss, nil
	}
	var seq cryptobyte.String
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("not a SEQUENCE")
	}
	for i, field := range []func(cryptobyte.String, *PSSParams) error{pssHash, pssMGF, pssSaltLen, pssTrailer} {
		var v cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(i).Constructed().ContextSpecific()) {
			return nil, fmt.Errorf("bad RSASSA-PSS field %d", i)
		}
		if present && len(v) > 0 {
			if err := field(v, pss); err != nil {
				return nil, err
			}
		}
	}
	return pss, nil
}

func pssHash(v cryptobyte.String, pss *PSSParams) error {
	oid, _, ok := readAlgorithmID(&v)
	if !ok {
		return errors.New("bad hashAlgorithm")
	}
	if pss.Hash = hashFromOID(oid); pss.Hash == HashUnknown {
		return fmt.Errorf("unknown hash %s", oid)
	}
	return nil
}

func pssMGF(v cryptobyte.String, pss *PSSParams) error {
	oid, mgfParams, ok := readAlgorithmID(&v)
	if !ok || !oid.Equal(oidMGF1) || len(mgfParams) == 0 {
		return errors.New("unsupported maskGenAlgorithm")
	}
	hoid, _, ok := readAlgorithmID(&mgfParams)
	if !ok {
		return errors.New("bad MGF1 hash")
	}
	if pss.MGF1Hash = hashFromOID(hoid); pss.MGF1Hash == HashUnknown {
		return fmt.Errorf("unknown MGF1 hash %s", hoid)
	}
	return nil
}

func pssSaltLen(v cryptobyte.String, pss *PSSParams) error {
	var n int64
	if !v.ReadASN1Integer(&n) || n < 0 || n > 1<<16 {
		return errors.New("bad saltLength")
	}
	pss.SaltLen = int(n)
	return nil
}

func pssTrailer(v cryptobyte.String, _ *PSSParams) error {
	var n int64
	if !v.ReadASN1Integer(&n) || n != 1 {
		return errors.New("unsupported trailerField")
	}
	return nil
}

// readAlgorithmID reads an AlgorithmIdentifier, returning the OID and the
// raw parameters.
func readAlgorithmID(s *cryptobyte.String) (asn1.ObjectIdentifier, cryptobyte.String, bool) {
	var seq cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil, nil, false
	}
	return oid, seq, true
}

// Marshal encodes the AlgorithmIdentifier as signature_params_build: NULL
// parameters for RSA PKCS#1, none for ECDSA and EdDSA, and for PSS only the
// fields that differ from the SHA-1 defaults.
func (p SignatureParams) Marshal() ([]byte, error) {
	oid := schemeOID(p.Scheme)
	if oid == nil {
		return nil, fmt.Errorf("%s has no AlgorithmIdentifier", p.Scheme)
	}
	var b cryptobyte.Builder
	var err error
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		switch p.Scheme {
		case SignRSAPSS:
			err = addPSSParams(b, p.PSS)
		case SignECDSAWithSHA1DER, SignECDSAWithSHA256DER, SignECDSAWithSHA384DER,
			SignECDSAWithSHA512DER, SignED25519, SignED448:
		default:
			b.AddASN1NULL()
		}
	})
	if err != nil {
		return nil, err
	}
	return b.Bytes()
}

func addAlgorithmID(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, params func(*cryptobyte.Builder)) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if params != nil {
			params(b)
		}
	})
}

func hashOID(h HashAlgorithm) asn1.ObjectIdentifier {
	if i, ok := hashInfos[h]; ok {
		return i.oid
	}
	return nil
}

func addPSSParams(b *cryptobyte.Builder, pss *PSSParams) error {
	if pss == nil || pss.SaltLen < 0 {
		return errors.New("invalid RSASSA-PSS parameters")
	}
	hash, mgf := hashOID(pss.Hash), hashOID(pss.MGF1Hash)
	if hash == nil || mgf == nil {
		return errors.New("unsupported RSASSA-PSS hash")
	}
	null := func(b *cryptobyte.Builder) { b.AddASN1NULL() }
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if pss.Hash != HashSHA1 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				addAlgorithmID(b, hash, null)
			})
		}
		if pss.MGF1Hash != HashSHA1 {
			b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				addAlgorithmID(b, oidMGF1, func(b *cryptobyte.Builder) { addAlgorithmID(b, mgf, null) })
			})
		}
		if pss.SaltLen != 20 {
			b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1BigInt(big.NewInt(int64(pss.SaltLen)))
			})
		}
	})
	return nil
}

// pssDefault returns the PSS parameters charon uses for a hash: MGF1 with
// the same hash and a salt as long as the hash.
func pssDefault(h HashAlgorithm) *PSSParams {
	return &PSSParams{Hash: h, MGF1Hash: h, SaltLen: h.Size()}
}

// schemeMap lists the schemes charon picks for a key when nothing is
// configured, with the largest key size each is used for (0: any);
// signature_schemes_for_key walks it in order.
var schemeMap = []struct {
	key     KeyType
	maxBits int
	params  SignatureParams
}{
	{KeyRSA, 3072, SignatureParams{SignRSAPSS, pssDefault(HashSHA256)}},
	{KeyRSA, 7680, SignatureParams{SignRSAPSS, pssDefault(HashSHA384)}},
	{KeyRSA, 0, SignatureParams{SignRSAPSS, pssDefault(HashSHA512)}},
	{KeyRSA, 3072, SignatureParams{Scheme: SignRSAPKCS1SHA256}},
	{KeyRSA, 7680, SignatureParams{Scheme: SignRSAPKCS1SHA384}},
	{KeyRSA, 0, SignatureParams{Scheme: SignRSAPKCS1SHA512}},
	{KeyECDSA, 256, SignatureParams{Scheme: SignECDSAWithSHA256DER}},
	{KeyECDSA, 384, SignatureParams{Scheme: SignECDSAWithSHA384DER}},
	{KeyECDSA, 0, SignatureParams{Scheme: SignECDSAWithSHA512DER}},
	{KeyED25519, 0, SignatureParams{Scheme: SignED25519}},
	{KeyED448, 0, SignatureParams{Scheme: SignED448}},
}

// SchemesForKey lists the schemes suitable for a key of this type and size,
// in charon's order of preference (signature_schemes_for_key).
func SchemesForKey(t KeyType, bits int) []SignatureParams {
	var out []SignatureParams
	for _, e := range schemeMap {
		if e.key == t && (e.maxBits == 0 || bits <= e.maxBits) {
			out = append(out, e.params.clone())
		}
	}
	return out
}

func (p SignatureParams) clone() SignatureParams {
	if p.PSS != nil {
		c := *p.PSS
		p.PSS = &c
	}
	return p
}
