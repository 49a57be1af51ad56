package credentials

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CRLReason is crl_reason_t, the reasonCode of a revoked entry.
type CRLReason int

const (
	ReasonUnspecified CRLReason = iota
	ReasonKeyCompromise
	ReasonCACompromise
	ReasonAffiliationChanged
	ReasonSuperseded
	ReasonCessationOfOperation
	ReasonCertificateHold
	reason7
	ReasonRemoveFromCRL
)

var crlReasonNames = [...]string{"unspecified", "key compromise", "ca compromise", "affiliation changed",
	"superseded", "cessation of operation", "certificate hold", "reason #7", "remove from crl"}

// String is charon's crl_reason_names.
func (r CRLReason) String() string {
	if r >= 0 && int(r) < len(crlReasonNames) {
		return crlReasonNames[r]
	}
	return "(" + strconv.Itoa(int(r)) + ")"
}

// RevokedCert is one entry of a CRL.
type RevokedCert struct {
	Serial []byte // content octets of the serial number, leading zeros stripped
	Date   time.Time
	Reason CRLReason
}

// CRL is an X.509 certificate revocation list.
type CRL struct {
	raw        []byte
	x          *x509.RevocationList
	issuer     *Identity
	aki        []byte
	number     []byte // the crlNumber INTEGER's content octets
	baseNumber []byte // deltaCRLIndicator: the base CRL's number
	deltaURIs  []CDP  // freshestCRL
	revoked    []RevokedCert
	sig        SignatureParams
}

// ParseCRL reads a DER CRL.
func ParseCRL(der []byte) (*CRL, error) {
	x, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, err
	}
	c := &CRL{raw: bytes.Clone(der), x: x, issuer: FromEncoding(IDDerASN1DN, x.RawIssuer), aki: x.AuthorityKeyId}
	if c.sig, err = crlSignatureParams(der); err != nil {
		return nil, err
	}
	for _, e := range x.Extensions {
		v := cryptobyte.String(e.Value)
		switch {
		case e.Id.Equal(oidExtAuthorityKeyID):
			c.aki, _ = parseAuthorityKeyID(v)
		case e.Id.Equal(oidExtCRLNumber):
			var n cryptobyte.String
			if !v.ReadASN1(&n, cbasn1.INTEGER) {
				return nil, errors.New("invalid crlNumber")
			}
			c.number = bytes.Clone(n)
		case e.Id.Equal(oidExtDeltaCRLIndicator):
			var n cryptobyte.String
			if !v.ReadASN1(&n, cbasn1.INTEGER) {
				return nil, errors.New("invalid deltaCRLIndicator")
			}
			c.baseNumber = bytes.Clone(n)
		case e.Id.Equal(oidExtFreshestCRL):
			if c.deltaURIs, err = parseCRLDistributionPoints(v); err != nil {
				return nil, err
			}
		case e.Id.Equal(issuingDistributionPoint):
		default:
			if e.Critical {
				return nil, fmt.Errorf("critical '%s' extension not supported", e.Id)
			}
		}
	}
	for _, r := range x.RevokedCertificateEntries {
		c.revoked = append(c.revoked, RevokedCert{
			Serial: serialBytes(r.SerialNumber), Date: r.RevocationTime, Reason: CRLReason(r.ReasonCode),
		})
	}
	return c, nil
}

var issuingDistributionPoint = []int{2, 5, 29, 28}

// serialBytes is a serial number's magnitude without leading zeros, how
// charon compares serials (chunk_skip_zero).
func serialBytes(n *big.Int) []byte {
	if n == nil {
		return nil
	}
	return n.Bytes()
}

// skipZero strips leading zero octets.
func skipZero(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func crlSignatureParams(der []byte) (SignatureParams, error) {
	in := cryptobyte.String(der)
	var seq, tbs, outer, inner cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
		!seq.ReadASN1Element(&outer, cbasn1.SEQUENCE) {
		return SignatureParams{}, errors.New("invalid CRL")
	}
	tbs.SkipOptionalASN1(cbasn1.INTEGER)
	if !tbs.ReadASN1Element(&inner, cbasn1.SEQUENCE) {
		return SignatureParams{}, errors.New("invalid CRL")
	}
	p, err := ParseSignatureParams(outer)
	if err != nil {
		return SignatureParams{}, fmt.Errorf("unable to parse signature algorithm: %w", err)
	}
	q, err := ParseSignatureParams(inner)
	if err != nil {
		return SignatureParams{}, fmt.Errorf("unable to parse signature algorithm: %w", err)
	}
	if !p.Equal(q) {
		return SignatureParams{}, errors.New("signature algorithms do not agree")
	}
	return p, nil
}

// Raw is the DER encoding.
func (c *CRL) Raw() []byte { return c.raw }

// Issuer is the issuer DN.
func (c *CRL) Issuer() *Identity { return c.issuer }

// AuthorityKeyID is the authorityKeyIdentifier (nil if absent).
func (c *CRL) AuthorityKeyID() []byte { return c.aki }

// Number is the crlNumber's content octets (nil if absent).
func (c *CRL) Number() []byte { return c.number }

// BaseNumber is, for a delta CRL, the number of its base CRL.
func (c *CRL) BaseNumber() []byte { return c.baseNumber }

// IsDelta reports a delta CRL.
func (c *CRL) IsDelta() bool { return len(c.baseNumber) > 0 }

// DeltaURIs are the freshestCRL distribution points.
func (c *CRL) DeltaURIs() []CDP { return c.deltaURIs }

// Revoked lists the revoked certificates.
func (c *CRL) Revoked() []RevokedCert { return c.revoked }

// ThisUpdate and NextUpdate bound the CRL's validity.
func (c *CRL) ThisUpdate() time.Time { return c.x.ThisUpdate }

// NextUpdate is the end of validity (zero if the CRL has none).
func (c *CRL) NextUpdate() time.Time { return c.x.NextUpdate }

// ValidAt reports whether t is between thisUpdate and nextUpdate.
func (c *CRL) ValidAt(t time.Time) bool {
	return !t.Before(c.x.ThisUpdate) && !t.After(c.x.NextUpdate)
}

// SignatureParams is the scheme the CRL is signed with.
func (c *CRL) SignatureParams() SignatureParams { return c.sig }

// Equal compares two CRLs by their encoding.
func (c *CRL) Equal(o *CRL) bool { return c != nil && o != nil && bytes.Equal(c.raw, o.raw) }

// HasIssuer reports how well id names the issuer: a KEY_ID equal to the
// authorityKeyIdentifier matches perfectly, anything else is matched
// against the issuer DN (x509_crl has_issuer).
func (c *CRL) HasIssuer(id *Identity) MatchLevel {
	if id.Type() == IDKeyID && len(c.aki) > 0 && bytes.Equal(c.aki, id.Encoding()) {
		return MatchPerfect
	}
	return c.issuer.Matches(id)
}

// IssuedBy reports whether issuer signed the CRL: it must be a CA or have
// cRLSign, key identifiers must agree where present, the names otherwise,
// and the signature must verify.
func (c *CRL) IssuedBy(issuer *Certificate) bool {
	if issuer.flags&(CertCA|CertCRLSign) == 0 {
		return false
	}
	if len(c.aki) > 0 {
		if keyID := issuer.SubjectKeyID(); len(keyID) > 0 {
			if !bytes.Equal(keyID, c.aki) {
				return false
			}
		} else if !c.issuer.Equals(issuer.subject) {
			return false
		}
	} else if !c.issuer.Equals(issuer.subject) {
		return false
	}
	return issuer.pub.Verify(c.sig, c.x.RawTBSRevocationList, c.x.Signature)
}

// compareChunks orders byte strings as charon's chunk_compare: byte by
// byte over the common length, then the longer one is greater.
func compareChunks(a, b []byte) int {
	n := min(len(a), len(b))
	if d := bytes.Compare(a[:n], b[:n]); d != 0 {
		return d
	}
	return len(a) - len(b)
}
