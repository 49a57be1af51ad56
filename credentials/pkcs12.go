package credentials

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// PKCS#12 containers (ipsec.secrets' P12 keyword), read as charon's pkcs12
// plugin does: the MAC checked with the passphrases, data and
// encryptedData contents, key, shrouded key and certificate bags.
//
// The OIDs are RFC 7292's and PKCS#9's, transcribed from the RFCs; they share
// the PKCS arc 1.2.840.113549 with pkcs5.go's by the registry's design, not
// as repeated logic.

var (
	oidPKCS7Data          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidPKCS7EncryptedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidKeyBag             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidShroudedKeyBag     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidSafeContentsBag    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 6}
	oidX509CertType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
)

// PKCS12 is the content of a PKCS#12 container.
type PKCS12 struct {
	Certs []*Certificate
	Keys  []*PrivateKey
}

// passCache pulls passphrases from a source on demand and remembers them,
// so that the MAC and every encrypted part can try each one.
type passCache struct {
	src  Passphrases
	list [][]byte
	done bool
}

func (c *passCache) get(i int) ([]byte, bool) {
	for !c.done && i >= len(c.list) {
		if c.src == nil {
			c.done = true
			break
		}
		p, ok := c.src()
		if !ok {
			c.done = true
			break
		}
		c.list = append(c.list, p)
	}
	if i < len(c.list) {
		return c.list[i], true
	}
	return nil, false
}

// ErrPKCS12MAC says that no passphrase verified the container's MAC.
var ErrPKCS12MAC = errors.New("MAC verification of PKCS#12 container failed")

// ParsePKCS12 reads a PKCS#12 file's content (DER, BER or PEM armored).
func ParsePKCS12(data []byte, pass Passphrases) (*PKCS12, error) {
	der, _, err := Unarmor(data, nil)
	if err != nil {
		return nil, err
	}
	der, err = berToDER(der)
	if err != nil {
		return nil, err
	}
	in := cryptobyte.String(der)
	var pfx, authSafe, macData cryptobyte.String
	var version int64
	var hasMAC bool
	if !in.ReadASN1(&pfx, cbasn1.SEQUENCE) || !pfx.ReadASN1Integer(&version) ||
		!pfx.ReadASN1(&authSafe, cbasn1.SEQUENCE) ||
		!pfx.ReadOptionalASN1(&macData, &hasMAC, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid PKCS#12 PFX")
	}
	content, err := pkcs7Data(authSafe)
	if err != nil {
		return nil, err
	}
	cache := &passCache{src: pass}
	if !hasMAC {
		return nil, errors.New("PKCS#12 containers without MAC are not supported")
	}
	if err := verifyPKCS12MAC(macData, content, cache); err != nil {
		return nil, err
	}
	out := &PKCS12{}
	safes := cryptobyte.String(content)
	var seq cryptobyte.String
	if !safes.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid PKCS#12 AuthenticatedSafe")
	}
	for !seq.Empty() {
		var ci cryptobyte.String
		if !seq.ReadASN1(&ci, cbasn1.SEQUENCE) {
			return nil, errors.New("invalid PKCS#12 ContentInfo")
		}
		contents, err := pkcs12Contents(ci, cache)
		if err != nil {
			return nil, err
		}
		if err := out.parseSafeContents(contents, cache, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pkcs7Data returns the octets of a ContentInfo of type data.
func pkcs7Data(ci cryptobyte.String) ([]byte, error) {
	var oid asn1.ObjectIdentifier
	var explicit cryptobyte.String
	var data []byte
	if !ci.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(oidPKCS7Data) ||
		!ci.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!explicit.ReadASN1Bytes(&data, cbasn1.OCTET_STRING) {
		return nil, errors.New("PKCS#12 content is not PKCS#7 data")
	}
	return data, nil
}

func macHash(oid asn1.ObjectIdentifier) (func() hash.Hash, int, bool) {
	switch hashFromOID(oid) {
	case HashSHA1:
		return sha1.New, 64, true
	case HashSHA224:
		return sha256.New224, 64, true
	case HashSHA256:
		return sha256.New, 64, true
	case HashSHA384:
		return sha512.New384, 128, true
	case HashSHA512:
		return sha512.New, 128, true
	}
	return nil, 0, false
}

func verifyPKCS12MAC(macData cryptobyte.String, content []byte, cache *passCache) error {
	var digestInfo cryptobyte.String
	var digest, salt []byte
	iter := int64(1)
	if !macData.ReadASN1(&digestInfo, cbasn1.SEQUENCE) {
		return errors.New("invalid PKCS#12 MacData")
	}
	oid, _, ok := readAlgorithmID(&digestInfo)
	if !ok || !digestInfo.ReadASN1Bytes(&digest, cbasn1.OCTET_STRING) ||
		!macData.ReadASN1Bytes(&salt, cbasn1.OCTET_STRING) {
		return errors.New("invalid PKCS#12 MacData")
	}
	if !macData.Empty() && (!macData.ReadASN1Integer(&iter) || iter < 1 || iter > int64(maxPBEIterations)) {
		return errors.New("invalid PKCS#12 MAC iterations")
	}
	newHash, v, ok := macHash(oid)
	if !ok {
		return fmt.Errorf("unsupported PKCS#12 MAC hash %s", oid)
	}
	for i := 0; ; i++ {
		p, ok := cache.get(i)
		if !ok {
			return ErrPKCS12MAC
		}
		if hmac.Equal(pkcs12MAC(newHash, v, p, salt, int(iter), content), digest) {
			// The encrypted parts try this passphrase first: with 8-byte
			// blocks (3DES, RC2) a wrong one gives valid padding about
			// once in 256 decryptions, and its garbage would end the parse
			// before the right one is tried.
			cache.list[0], cache.list[i] = cache.list[i], cache.list[0]
			return nil
		}
	}
}

// pkcs12Contents returns the SafeContents of a ContentInfo: data as it is,
// encryptedData decrypted with the first passphrase that works.
func pkcs12Contents(ci cryptobyte.String, cache *passCache) ([]byte, error) {
	var oid asn1.ObjectIdentifier
	var explicit cryptobyte.String
	if !ci.ReadASN1ObjectIdentifier(&oid) || !ci.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("invalid PKCS#12 ContentInfo")
	}
	switch {
	case oid.Equal(oidPKCS7Data):
		var data []byte
		if !explicit.ReadASN1Bytes(&data, cbasn1.OCTET_STRING) {
			return nil, errors.New("invalid PKCS#7 data")
		}
		return data, nil
	case oid.Equal(oidPKCS7EncryptedData):
		var ed, eci cryptobyte.String
		var version int64
		var ctype asn1.ObjectIdentifier
		var enc []byte
		if !explicit.ReadASN1(&ed, cbasn1.SEQUENCE) || !ed.ReadASN1Integer(&version) ||
			!ed.ReadASN1(&eci, cbasn1.SEQUENCE) || !eci.ReadASN1ObjectIdentifier(&ctype) {
			return nil, errors.New("invalid PKCS#7 encryptedData")
		}
		alg, params, ok := readAlgorithmID(&eci)
		if !ok || !eci.ReadASN1Bytes(&enc, cbasn1.Tag(0).ContextSpecific()) {
			return nil, errors.New("invalid PKCS#7 encryptedData")
		}
		return decryptWithCache(alg, params, enc, cache)
	}
	return nil, fmt.Errorf("unsupported PKCS#12 content type %s", oid)
}

func decryptWithCache(alg asn1.ObjectIdentifier, params cryptobyte.String, enc []byte, cache *passCache) ([]byte, error) {
	for i := 0; ; i++ {
		p, ok := cache.get(i)
		if !ok {
			return nil, ErrEncrypted
		}
		plain, err := pbeDecrypt(alg, params, p, enc)
		if err == nil {
			return plain, nil
		}
		if !errors.Is(err, errBadPadding) {
			return nil, err
		}
	}
}

func (out *PKCS12) parseSafeContents(data []byte, cache *passCache, depth int) error {
	if depth > 4 {
		return errors.New("PKCS#12 safe contents nested too deep")
	}
	in := cryptobyte.String(data)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return errors.New("invalid PKCS#12 SafeContents")
	}
	for !seq.Empty() {
		var bag, value cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !seq.ReadASN1(&bag, cbasn1.SEQUENCE) || !bag.ReadASN1ObjectIdentifier(&oid) ||
			!bag.ReadASN1(&value, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return errors.New("invalid PKCS#12 SafeBag")
		}
		var err error
		switch {
		case oid.Equal(oidKeyBag):
			err = out.addKey(value, nil)
		case oid.Equal(oidShroudedKeyBag):
			err = out.addKey(value, cache)
		case oid.Equal(oidCertBag):
			err = out.addCert(value)
		case oid.Equal(oidSafeContentsBag):
			err = out.parseSafeContents(value, cache, depth+1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (out *PKCS12) addKey(value cryptobyte.String, cache *passCache) error {
	der := []byte(value)
	if cache != nil {
		oid, params, enc, err := splitEncryptedPKCS8(der)
		if err != nil {
			return err
		}
		if der, err = decryptWithCache(oid, params, enc, cache); err != nil {
			return err
		}
	}
	k, err := parsePrivateDER(der, nil)
	if err != nil {
		return fmt.Errorf("failed parsing private key from PKCS#12: %w", err)
	}
	out.Keys = append(out.Keys, k)
	return nil
}

func (out *PKCS12) addCert(value cryptobyte.String) error {
	var bag, explicit cryptobyte.String
	var oid asn1.ObjectIdentifier
	var der []byte
	if !value.ReadASN1(&bag, cbasn1.SEQUENCE) || !bag.ReadASN1ObjectIdentifier(&oid) ||
		!bag.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return errors.New("invalid PKCS#12 CertBag")
	}
	if !oid.Equal(oidX509CertType) {
		return nil
	}
	if !explicit.ReadASN1Bytes(&der, cbasn1.OCTET_STRING) {
		return errors.New("invalid PKCS#12 CertBag")
	}
	c, err := ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("failed parsing certificate from PKCS#12: %w", err)
	}
	out.Certs = append(out.Certs, c)
	return nil
}
