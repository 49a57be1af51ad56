package credentials

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CertFlags are libstrongswan's x509_flag_t.
type CertFlags uint32

const (
	CertCA               CertFlags = 1 << 0
	CertAA               CertFlags = 1 << 1
	CertOCSPSigner       CertFlags = 1 << 2
	CertServerAuth       CertFlags = 1 << 3
	CertClientAuth       CertFlags = 1 << 4
	CertSelfSigned       CertFlags = 1 << 5
	CertIPAddrBlocks     CertFlags = 1 << 6
	CertCRLSign          CertFlags = 1 << 7
	CertIKEIntermediate  CertFlags = 1 << 8
	CertMSSmartcardLogon CertFlags = 1 << 9
	// CertIKECompliant: no keyUsage, or one with digitalSignature or
	// nonRepudiation (RFC 4945 5.1.3.2); peers must have it.
	CertIKECompliant CertFlags = 1 << 10

	// CertAnyRole groups the flags listings sort certificates by.
	CertAnyRole = CertCA | CertAA | CertOCSPSigner
)

// NoConstraint marks an absent path length or policy constraint.
const NoConstraint = -1

// CDP is a CRL distribution point: a URI and, if the certificate names one,
// the CRL issuer.
type CDP struct {
	URI    string
	Issuer *Identity
}

// CertPolicy is a certificatePolicies entry.
type CertPolicy struct {
	OID        string // dotted
	CPSURI     string
	UserNotice string
}

// PolicyMapping maps an issuer domain policy to a subject domain policy.
type PolicyMapping struct {
	IssuerPolicy, SubjectPolicy string
}

// Certificate is an X.509 certificate as charon's x509 plugin sees it.
// It is immutable once parsed.
type Certificate struct {
	raw      []byte
	x        *x509.Certificate
	version  int
	serial   []byte // the INTEGER's content octets, as charon keeps them
	subject  *Identity
	issuer   *Identity
	sans     []*Identity
	pub      *PublicKey
	flags    CertFlags
	pathLen  int
	ski, aki []byte
	akiSer   []byte
	crlURIs  []CDP
	ocspURIs []string
	// permitted and excluded name constraints
	permitted, excluded []*Identity
	policies            []CertPolicy
	mappings            []PolicyMapping
	requireExplicit     int
	inhibitMapping      int
	inhibitAny          int
	sig                 SignatureParams
	hash                []byte // SHA-1 of the encoding, a KEY_ID the cert matches
}

// ParseCertificate reads a DER X.509 certificate.
func ParseCertificate(der []byte) (*Certificate, error) {
	return ParseCertificateFlags(der, 0)
}

// ParseCertificateFlags reads a certificate and adds flags, as charon does
// for certificates from ocspcerts (OCSP signer) or aacerts (AA), or with
// ignore_missing_ca_basic_constraint (CA).
func ParseCertificateFlags(der []byte, extra CertFlags) (*Certificate, error) {
	x, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c := &Certificate{
		raw: bytes.Clone(der), x: x, version: x.Version,
		pathLen: NoConstraint, requireExplicit: NoConstraint, inhibitMapping: NoConstraint, inhibitAny: NoConstraint,
		flags: CertIKECompliant,
	}
	if c.version < 1 || c.version > 3 {
		return nil, fmt.Errorf("X.509v%d not supported", c.version)
	}
	c.subject = FromEncoding(IDDerASN1DN, x.RawSubject)
	c.issuer = FromEncoding(IDDerASN1DN, x.RawIssuer)
	if c.pub, err = ParsePublicKey(x.RawSubjectPublicKeyInfo); err != nil {
		return nil, err
	}
	if c.serial, err = tbsSerial(x.RawTBSCertificate); err != nil {
		return nil, err
	}
	if c.sig, err = outerSignatureParams(der, x.RawTBSCertificate); err != nil {
		return nil, err
	}
	for _, e := range x.Extensions {
		if err := c.parseExtension(e); err != nil {
			return nil, err
		}
	}
	c.flags |= extra
	sum := sha1.Sum(der)
	c.hash = sum[:]
	if c.issuedBySelf() {
		c.flags |= CertSelfSigned
	}
	return c, nil
}

// tbsSerial extracts the serial number's content octets from the
// TBSCertificate (the standard library only offers a big.Int, which loses
// leading zeros charon prints).
func tbsSerial(tbs []byte) ([]byte, error) {
	in := cryptobyte.String(tbs)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid TBSCertificate")
	}
	if !seq.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("invalid version")
	}
	var serial cryptobyte.String
	if !seq.ReadASN1(&serial, cbasn1.INTEGER) {
		return nil, errors.New("invalid serialNumber")
	}
	return bytes.Clone(serial), nil
}

// outerSignatureParams parses the certificate's signatureAlgorithm and
// checks that it agrees with the one inside the TBSCertificate.
func outerSignatureParams(der, tbs []byte) (SignatureParams, error) {
	in := cryptobyte.String(der)
	var seq, inner, tbsSeq cryptobyte.String
	var outerAlg, innerAlg cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.SkipASN1(cbasn1.SEQUENCE) ||
		!seq.ReadASN1Element(&outerAlg, cbasn1.SEQUENCE) {
		return SignatureParams{}, errors.New("invalid certificate")
	}
	inner = cryptobyte.String(tbs)
	if !inner.ReadASN1(&tbsSeq, cbasn1.SEQUENCE) ||
		!tbsSeq.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!tbsSeq.SkipASN1(cbasn1.INTEGER) || !tbsSeq.ReadASN1Element(&innerAlg, cbasn1.SEQUENCE) {
		return SignatureParams{}, errors.New("invalid TBSCertificate")
	}
	p, err := ParseSignatureParams(outerAlg)
	if err != nil {
		return SignatureParams{}, fmt.Errorf("unable to parse signature algorithm: %w", err)
	}
	q, err := ParseSignatureParams(innerAlg)
	if err != nil {
		return SignatureParams{}, fmt.Errorf("unable to parse signature algorithm: %w", err)
	}
	if !p.Equal(q) {
		return SignatureParams{}, errors.New("signature algorithms do not agree")
	}
	return p, nil
}

func (c *Certificate) parseExtension(e pkix.Extension) error {
	v := cryptobyte.String(e.Value)
	var err error
	switch {
	case e.Id.Equal(oidExtSubjectKeyID):
		var ski []byte
		if !v.ReadASN1Bytes(&ski, cbasn1.OCTET_STRING) {
			return errors.New("invalid subjectKeyIdentifier")
		}
		c.ski = ski
	case e.Id.Equal(oidExtSubjectAltName):
		c.sans, err = parseGeneralNames(v, cbasn1.SEQUENCE)
	case e.Id.Equal(oidExtBasicConstraints):
		err = c.parseBasicConstraints(v)
	case e.Id.Equal(oidExtCRLDistPoints):
		c.crlURIs, err = parseCRLDistributionPoints(v)
	case e.Id.Equal(oidExtAuthorityKeyID):
		c.aki, c.akiSer = parseAuthorityKeyID(v)
	case e.Id.Equal(oidExtAuthorityInfo):
		c.ocspURIs, err = parseAuthorityInfoAccess(v)
	case e.Id.Equal(oidExtKeyUsage):
		c.parseKeyUsage(v)
	case e.Id.Equal(oidExtExtKeyUsage):
		err = c.parseExtKeyUsage(v)
	case e.Id.Equal(oidExtIPAddrBlocks):
		c.flags |= CertIPAddrBlocks
	case e.Id.Equal(oidExtNameConstraints):
		err = c.parseNameConstraints(v)
	case e.Id.Equal(oidExtCertPolicies):
		c.policies, err = parseCertPolicies(v)
	case e.Id.Equal(oidExtPolicyMappings):
		c.mappings, err = parsePolicyMappings(v)
	case e.Id.Equal(oidExtPolicyConstraints):
		err = c.parsePolicyConstraints(v)
	case e.Id.Equal(oidExtInhibitAnyPolicy):
		var n cryptobyte.String
		if !v.ReadASN1(&n, cbasn1.INTEGER) {
			return errors.New("invalid inhibitAnyPolicy")
		}
		c.inhibitAny = constraintValue(n)
	default:
		if e.Critical {
			return fmt.Errorf("critical '%s' extension not supported", e.Id)
		}
	}
	return err
}

// constraintValue reads a small constraint integer as charon does: more
// than one octet, or a negative one, means no constraint.
func constraintValue(n cryptobyte.String) int {
	switch len(n) {
	case 0:
		return 0
	case 1:
		if n[0]&0x80 != 0 {
			return NoConstraint
		}
		return int(n[0])
	}
	return NoConstraint
}

func (c *Certificate) parseBasicConstraints(v cryptobyte.String) error {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return errors.New("invalid basicConstraints")
	}
	isCA := false
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) {
		var b cryptobyte.String
		if !seq.ReadASN1(&b, cbasn1.BOOLEAN) {
			return errors.New("invalid basicConstraints")
		}
		isCA = len(b) > 0 && b[0] != 0
	}
	if isCA {
		c.flags |= CertCA
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		var n cryptobyte.String
		if !seq.ReadASN1(&n, cbasn1.INTEGER) {
			return errors.New("invalid basicConstraints")
		}
		if isCA {
			c.pathLen = constraintValue(n)
		}
	}
	return nil
}

func (c *Certificate) parseKeyUsage(v cryptobyte.String) {
	// Any keyUsage extension must grant digitalSignature or
	// nonRepudiation for the certificate to authenticate IKE.
	c.flags &^= CertIKECompliant
	var bs asn1.BitString
	if !v.ReadASN1BitString(&bs) {
		return
	}
	if bs.At(6) == 1 {
		c.flags |= CertCRLSign
	}
	if bs.At(0) == 1 || bs.At(1) == 1 {
		c.flags |= CertIKECompliant
	}
}

func (c *Certificate) parseExtKeyUsage(v cryptobyte.String) error {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return errors.New("invalid extendedKeyUsage")
	}
	for !seq.Empty() {
		var oid asn1.ObjectIdentifier
		if !seq.ReadASN1ObjectIdentifier(&oid) {
			return errors.New("invalid extendedKeyUsage")
		}
		switch {
		case oid.Equal(oidServerAuth):
			c.flags |= CertServerAuth
		case oid.Equal(oidClientAuth):
			c.flags |= CertClientAuth
		case oid.Equal(oidIKEIntermediate):
			c.flags |= CertIKEIntermediate
		case oid.Equal(oidOCSPSigning):
			c.flags |= CertOCSPSigner
		case oid.Equal(oidMSSmartcardLogon):
			c.flags |= CertMSSmartcardLogon
		}
	}
	return nil
}

// parseGeneralName converts one GeneralName into an identity as charon's
// x509 plugin does; names it cannot represent are an error, which makes
// charon reject the whole certificate.
func parseGeneralName(s *cryptobyte.String) (*Identity, error) {
	var body cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&body, &tag) {
		return nil, errors.New("invalid GeneralName")
	}
	switch tag {
	case cbasn1.Tag(1).ContextSpecific():
		return FromEncoding(IDRFC822Addr, body), nil
	case cbasn1.Tag(2).ContextSpecific():
		return FromEncoding(IDFQDN, body), nil
	case cbasn1.Tag(4).Constructed().ContextSpecific():
		return FromEncoding(IDDerASN1DN, body), nil
	case cbasn1.Tag(6).ContextSpecific():
		return FromEncoding(IDDerASN1GNURI, body), nil
	case cbasn1.Tag(7).ContextSpecific():
		switch len(body) {
		case 4:
			return FromEncoding(IDIPv4Addr, body), nil
		case 16:
			return FromEncoding(IDIPv6Addr, body), nil
		}
	case cbasn1.Tag(0).Constructed().ContextSpecific():
		var oid asn1.ObjectIdentifier
		var val, str cryptobyte.String
		if !body.ReadASN1ObjectIdentifier(&oid) || !body.ReadASN1(&val, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, errors.New("invalid otherName")
		}
		if oid.Equal(oidMSUPN) || oid.Equal(oidXmppAddr) {
			// User principal names and XMPP addresses pass as RFC 822.
			if !val.ReadASN1(&str, cbasn1.UTF8String) {
				return nil, errors.New("invalid otherName value")
			}
			return FromEncoding(IDRFC822Addr, str), nil
		}
	}
	return nil, fmt.Errorf("unsupported GeneralName (tag %#x)", uint8(tag))
}

// parseGeneralNames reads a GeneralNames (SEQUENCE, or an implicitly tagged
// one) in order.
func parseGeneralNames(v cryptobyte.String, tag cbasn1.Tag) ([]*Identity, error) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, tag) {
		return nil, errors.New("invalid GeneralNames")
	}
	var out []*Identity
	for !seq.Empty() {
		id, err := parseGeneralName(&seq)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

func parseCRLDistributionPoints(v cryptobyte.String) ([]CDP, error) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid crlDistributionPoints")
	}
	var out []CDP
	for !seq.Empty() {
		var dp cryptobyte.String
		if !seq.ReadASN1(&dp, cbasn1.SEQUENCE) {
			return nil, errors.New("invalid DistributionPoint")
		}
		var uris, issuers []*Identity
		var name cryptobyte.String
		var present bool
		if !dp.ReadOptionalASN1(&name, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, errors.New("invalid distributionPoint")
		}
		if present && name.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
			var err error
			if uris, err = parseGeneralNames(name, cbasn1.Tag(0).Constructed().ContextSpecific()); err != nil {
				return nil, err
			}
		}
		if !dp.SkipOptionalASN1(cbasn1.Tag(1).ContextSpecific()) {
			return nil, errors.New("invalid reasons")
		}
		var iss cryptobyte.String
		if !dp.ReadOptionalASN1(&iss, &present, cbasn1.Tag(2).Constructed().ContextSpecific()) {
			return nil, errors.New("invalid cRLIssuer")
		}
		if present {
			var err error
			if issuers, err = parseGeneralNamesBody(iss); err != nil {
				return nil, err
			}
		}
		// charon takes the names of one point from the back.
		for i := len(uris) - 1; i >= 0; i-- {
			if uris[i].Type() != IDDerASN1GNURI {
				continue
			}
			uri := string(uris[i].Encoding())
			if len(issuers) == 0 {
				out = append(out, CDP{URI: uri})
			}
			for _, is := range issuers {
				out = append(out, CDP{URI: uri, Issuer: is})
			}
		}
	}
	return out, nil
}

// parseGeneralNamesBody reads the content of an implicitly tagged
// GeneralNames.
func parseGeneralNamesBody(body cryptobyte.String) ([]*Identity, error) {
	var out []*Identity
	for !body.Empty() {
		id, err := parseGeneralName(&body)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

func parseAuthorityKeyID(v cryptobyte.String) (keyID, serial []byte) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, nil
	}
	var kid, iss, ser cryptobyte.String
	var present bool
	if seq.ReadOptionalASN1(&kid, &present, cbasn1.Tag(0).ContextSpecific()) && present {
		keyID = bytes.Clone(kid)
	}
	seq.ReadOptionalASN1(&iss, &present, cbasn1.Tag(1).Constructed().ContextSpecific())
	if seq.ReadOptionalASN1(&ser, &present, cbasn1.Tag(2).ContextSpecific()) && present {
		serial = bytes.Clone(ser)
	}
	return keyID, serial
}

func parseAuthorityInfoAccess(v cryptobyte.String) ([]string, error) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid authorityInfoAccess")
	}
	var out []string
	for !seq.Empty() {
		var ad cryptobyte.String
		var method asn1.ObjectIdentifier
		if !seq.ReadASN1(&ad, cbasn1.SEQUENCE) || !ad.ReadASN1ObjectIdentifier(&method) {
			return nil, errors.New("invalid AccessDescription")
		}
		id, err := parseGeneralName(&ad)
		if err != nil {
			return nil, err
		}
		if method.Equal(oidOCSPAccess) && id.Type() == IDDerASN1GNURI {
			out = append(out, string(id.Encoding()))
		}
	}
	return out, nil
}

func (c *Certificate) parseNameConstraints(v cryptobyte.String) error {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return errors.New("invalid nameConstraints")
	}
	for i, dst := range []*[]*Identity{&c.permitted, &c.excluded} {
		var subtrees cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&subtrees, &present, cbasn1.Tag(i).Constructed().ContextSpecific()) {
			return errors.New("invalid nameConstraints")
		}
		for present && !subtrees.Empty() {
			var st cryptobyte.String
			if !subtrees.ReadASN1(&st, cbasn1.SEQUENCE) {
				return errors.New("invalid GeneralSubtree")
			}
			id, err := parseGeneralName(&st)
			if err != nil {
				return err
			}
			*dst = append(*dst, id)
		}
	}
	return nil
}

var (
	oidQualifierCPS     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}
	oidQualifierUNotice = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 2}
)

func parseCertPolicies(v cryptobyte.String) ([]CertPolicy, error) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid certificatePolicies")
	}
	var out []CertPolicy
	for !seq.Empty() {
		var pi, quals cryptobyte.String
		var oid asn1.ObjectIdentifier
		var present bool
		if !seq.ReadASN1(&pi, cbasn1.SEQUENCE) || !pi.ReadASN1ObjectIdentifier(&oid) ||
			!pi.ReadOptionalASN1(&quals, &present, cbasn1.SEQUENCE) {
			return nil, errors.New("invalid PolicyInformation")
		}
		p := CertPolicy{OID: oid.String()}
		for present && !quals.Empty() {
			var q cryptobyte.String
			var qid asn1.ObjectIdentifier
			if !quals.ReadASN1(&q, cbasn1.SEQUENCE) || !q.ReadASN1ObjectIdentifier(&qid) {
				return nil, errors.New("invalid PolicyQualifierInfo")
			}
			switch {
			case qid.Equal(oidQualifierCPS):
				var uri cryptobyte.String
				if q.ReadASN1(&uri, cbasn1.IA5String) && p.CPSURI == "" {
					p.CPSURI = string(uri)
				}
			case qid.Equal(oidQualifierUNotice):
				var un cryptobyte.String
				if q.ReadASN1(&un, cbasn1.SEQUENCE) {
					un.SkipOptionalASN1(cbasn1.SEQUENCE) // noticeRef
					var text cryptobyte.String
					var tag cbasn1.Tag
					if un.ReadAnyASN1(&text, &tag) && p.UserNotice == "" {
						p.UserNotice = string(text)
					}
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePolicyMappings(v cryptobyte.String) ([]PolicyMapping, error) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid policyMappings")
	}
	var out []PolicyMapping
	for !seq.Empty() {
		var m cryptobyte.String
		var a, b asn1.ObjectIdentifier
		if !seq.ReadASN1(&m, cbasn1.SEQUENCE) || !m.ReadASN1ObjectIdentifier(&a) || !m.ReadASN1ObjectIdentifier(&b) {
			return nil, errors.New("invalid policyMapping")
		}
		out = append(out, PolicyMapping{IssuerPolicy: a.String(), SubjectPolicy: b.String()})
	}
	return out, nil
}

func (c *Certificate) parsePolicyConstraints(v cryptobyte.String) error {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return errors.New("invalid policyConstraints")
	}
	var n cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&n, &present, cbasn1.Tag(0).ContextSpecific()) {
		return errors.New("invalid policyConstraints")
	}
	if present {
		c.requireExplicit = constraintValue(n)
	}
	if !seq.ReadOptionalASN1(&n, &present, cbasn1.Tag(1).ContextSpecific()) {
		return errors.New("invalid policyConstraints")
	}
	if present {
		c.inhibitMapping = constraintValue(n)
	}
	return nil
}

// Raw is the DER encoding.
func (c *Certificate) Raw() []byte { return c.raw }

// X509 is the standard library's view of the certificate.
func (c *Certificate) X509() *x509.Certificate { return c.x }

// Subject is the subject DN.
func (c *Certificate) Subject() *Identity { return c.subject }

// Issuer is the issuer DN.
func (c *Certificate) Issuer() *Identity { return c.issuer }

// SubjectAltNames are the subjectAltNames in certificate order.
func (c *Certificate) SubjectAltNames() []*Identity { return c.sans }

// PublicKey is the subject's key.
func (c *Certificate) PublicKey() *PublicKey { return c.pub }

// Flags are the x509 flags.
func (c *Certificate) Flags() CertFlags { return c.flags }

// Serial is the serial number's content octets.
func (c *Certificate) Serial() []byte { return c.serial }

// SubjectKeyID is the subjectKeyIdentifier extension or, without one, the
// SHA-1 of the public key (x509 get_subjectKeyIdentifier).
func (c *Certificate) SubjectKeyID() []byte {
	if len(c.ski) > 0 {
		return c.ski
	}
	return c.pub.KeyID()
}

// AuthorityKeyID is the authorityKeyIdentifier's keyIdentifier.
func (c *Certificate) AuthorityKeyID() []byte { return c.aki }

// AuthorityKeySerial is the authorityKeyIdentifier's
// authorityCertSerialNumber.
func (c *Certificate) AuthorityKeySerial() []byte { return c.akiSer }

// NotBefore and NotAfter bound the validity.
func (c *Certificate) NotBefore() time.Time { return c.x.NotBefore }

// NotAfter is the end of the validity.
func (c *Certificate) NotAfter() time.Time { return c.x.NotAfter }

// ValidAt reports whether t is within the validity period, both ends
// included, as get_validity.
func (c *Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.x.NotBefore) && !t.After(c.x.NotAfter)
}

// CRLURIs are the CRL distribution points.
func (c *Certificate) CRLURIs() []CDP { return c.crlURIs }

// OCSPURIs are the OCSP responders of the authorityInfoAccess extension.
func (c *Certificate) OCSPURIs() []string { return c.ocspURIs }

// PathLen is the CA's pathLenConstraint, NoConstraint if none.
func (c *Certificate) PathLen() int { return c.pathLen }

// NameConstraints returns the permitted or excluded subtrees.
func (c *Certificate) NameConstraints(permitted bool) []*Identity {
	if permitted {
		return c.permitted
	}
	return c.excluded
}

// Policies are the certificatePolicies.
func (c *Certificate) Policies() []CertPolicy { return c.policies }

// PolicyMappings are the policyMappings.
func (c *Certificate) PolicyMappings() []PolicyMapping { return c.mappings }

// RequireExplicitPolicy, InhibitPolicyMapping and InhibitAnyPolicy are the
// policy constraints, NoConstraint if absent.
func (c *Certificate) RequireExplicitPolicy() int { return c.requireExplicit }

// InhibitPolicyMapping is policyConstraints' inhibitPolicyMapping.
func (c *Certificate) InhibitPolicyMapping() int { return c.inhibitMapping }

// InhibitAnyPolicy is the inhibitAnyPolicy extension.
func (c *Certificate) InhibitAnyPolicy() int { return c.inhibitAny }

// SignatureParams is the scheme the certificate is signed with.
func (c *Certificate) SignatureParams() SignatureParams { return c.sig }

// Hash is the SHA-1 over the DER encoding (what hash-and-URL refers to).
func (c *Certificate) Hash() []byte { return c.hash }

// Version is the X.509 version (1 to 3).
func (c *Certificate) Version() int { return c.version }

// Equal compares two certificates by their encoding.
func (c *Certificate) Equal(o *Certificate) bool {
	return c != nil && o != nil && (c == o || bytes.Equal(c.raw, o.raw))
}

// HasSubject reports how well id matches the certificate: a KEY_ID matches
// the certificate hash, subjectKeyIdentifier, a key fingerprint or the
// serial; otherwise the best match of subject and subjectAltNames wins
// (x509 has_subject).
func (c *Certificate) HasSubject(id *Identity) MatchLevel {
	if id.Type() == IDKeyID {
		enc := id.Encoding()
		if bytes.Equal(c.hash, enc) || (len(c.ski) > 0 && bytes.Equal(c.ski, enc)) ||
			c.pub.HasFingerprint(enc) || bytes.Equal(c.serial, enc) {
			return MatchPerfect
		}
	}
	best := c.subject.Matches(id)
	for _, san := range c.sans {
		if m := san.Matches(id); m > best {
			best = m
		}
	}
	return best
}

// HasIssuer reports how well id matches the issuer DN.
func (c *Certificate) HasIssuer(id *Identity) MatchLevel { return c.issuer.Matches(id) }

// issuedBySelf checks the self-signature: key identifiers (or names, without
// an authorityKeyIdentifier) must agree and the signature verify with the
// certificate's own key.
func (c *Certificate) issuedBySelf() bool {
	return c.issuerMatches(c) && c.pub.Verify(c.sig, c.x.RawTBSCertificate, c.x.Signature)
}

// issuerMatches compares the authorityKeyIdentifier with the issuer's
// subjectKeyIdentifier (the key's SHA-1 if it has none) if there is one,
// the issuer's name with the issuer's subject otherwise (x509 issued_by).
func (c *Certificate) issuerMatches(issuer *Certificate) bool {
	if len(c.aki) > 0 {
		if keyID := issuer.SubjectKeyID(); len(keyID) > 0 {
			return bytes.Equal(keyID, c.aki)
		}
	}
	return c.issuer.Equals(issuer.subject)
}

// IssuedBy reports whether issuer signed this certificate (x509
// issued_by): the issuer must be a CA (or be this certificate, if
// self-signed); key identifiers must agree where both are present, the
// names otherwise; and the signature must verify. The scheme used is
// returned.
func (c *Certificate) IssuedBy(issuer *Certificate) (SignatureParams, bool) {
	if issuer == c || issuer.Equal(c) {
		if c.flags&CertSelfSigned != 0 {
			return c.sig, true
		}
	} else if issuer.flags&CertCA == 0 {
		return SignatureParams{}, false
	}
	if !c.issuerMatches(issuer) {
		return SignatureParams{}, false
	}
	if !issuer.pub.Verify(c.sig, c.x.RawTBSCertificate, c.x.Signature) {
		return SignatureParams{}, false
	}
	return c.sig, true
}

// IPAddrs returns the subjectAltName addresses (for tests and listings).
func (c *Certificate) IPAddrs() []netip.Addr {
	var out []netip.Addr
	for _, s := range c.sans {
		if a, ok := s.Addr(); ok {
			out = append(out, a)
		}
	}
	return out
}
