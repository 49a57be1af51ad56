package credentials

import (
	"bytes"
	"crypto/sha1"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OCSP requests and responses (RFC 6960) as charon's x509 plugin makes and
// reads them.

var (
	oidOCSPBasic   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidOCSPNonce   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPRespons = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 4}
)

// ocspDefaultLifetime is how long a response without nextUpdate is used.
const ocspDefaultLifetime = 30 * time.Second

// Validation is cert_validation_t, the outcome of a revocation check.
type Validation int

const (
	ValidationGood Validation = iota
	ValidationSkipped
	ValidationStale
	ValidationFailed
	ValidationOnHold
	ValidationRevoked
)

var validationNames = [...]string{"GOOD", "SKIPPED", "STALE", "FAILED", "ON_HOLD", "REVOKED"}

// String is charon's cert_validation_names.
func (v Validation) String() string {
	if v >= 0 && int(v) < len(validationNames) {
		return validationNames[v]
	}
	return "(" + strconv.Itoa(int(v)) + ")"
}

// NewOCSPRequest builds an unsigned request for subject's status at the
// CA issuer, with a 16-byte nonce from rand and the acceptable-responses
// extension, as charon sends it. The nonce is returned to check the answer.
func NewOCSPRequest(subject, issuer *Certificate, rand io.Reader) (der, nonce []byte, err error) {
	nonce = make([]byte, 16)
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, nil, err
	}
	nameHash := sha1.Sum(issuer.subject.Encoding())
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // OCSPRequest
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // tbsRequest
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // requestList
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // Request
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // CertID
						addAlgorithmID(b, oidSHA1, func(b *cryptobyte.Builder) { b.AddASN1NULL() })
						b.AddASN1OctetString(nameHash[:])
						b.AddASN1OctetString(issuer.pub.KeyID())
						b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(subject.serial) })
					})
				})
			})
			b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidOCSPNonce)
						b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) { b.AddASN1OctetString(nonce) })
					})
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidOCSPRespons)
						b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidOCSPBasic) })
						})
					})
				})
			})
		})
	})
	der, err = b.Bytes()
	return der, nonce, err
}

// OCSPSingle is one SingleResponse.
type OCSPSingle struct {
	HashAlg        asn1.ObjectIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	Serial         []byte
	Status         Validation // Good, Revoked, or Failed for unknown
	RevocationTime time.Time
	Reason         CRLReason
	ThisUpdate     time.Time
	NextUpdate     time.Time
}

// OCSPResponse is a successful basic OCSP response.
type OCSPResponse struct {
	raw         []byte
	tbs         []byte
	sig         SignatureParams
	signature   []byte
	responder   *Identity
	producedAt  time.Time
	usableUntil time.Time
	nonce       []byte
	responses   []OCSPSingle
	certs       []*Certificate
}

// OCSPStatus is the responseStatus of an unsuccessful response.
type OCSPStatus int

var ocspStatusNames = [...]string{"successful", "malformed request", "internal error", "try later",
	"status #4", "signature required", "unauthorized"}

func (s OCSPStatus) String() string {
	if s >= 0 && int(s) < len(ocspStatusNames) {
		return ocspStatusNames[s]
	}
	return "(" + strconv.Itoa(int(s)) + ")"
}

// ParseOCSPResponse reads an OCSPResponse. A status other than successful
// is an error naming it ("ocsp response status: try later").
func ParseOCSPResponse(der []byte) (*OCSPResponse, error) {
	in := cryptobyte.String(der)
	var seq, rb, bytesSeq cryptobyte.String
	var status int
	var present bool
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Enum(&status) {
		return nil, errors.New("invalid OCSP response")
	}
	if status != 0 {
		return nil, fmt.Errorf("ocsp response status: %s", OCSPStatus(status))
	}
	if !seq.ReadOptionalASN1(&rb, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) || !present ||
		!rb.ReadASN1(&bytesSeq, cbasn1.SEQUENCE) {
		return nil, errors.New("invalid OCSP responseBytes")
	}
	var rtype asn1.ObjectIdentifier
	var basic []byte
	if !bytesSeq.ReadASN1ObjectIdentifier(&rtype) || !bytesSeq.ReadASN1Bytes(&basic, cbasn1.OCTET_STRING) {
		return nil, errors.New("invalid OCSP responseBytes")
	}
	if !rtype.Equal(oidOCSPBasic) {
		return nil, fmt.Errorf("ocsp response type %s not supported", rtype)
	}
	r := &OCSPResponse{raw: bytes.Clone(der)}
	if err := r.parseBasic(basic); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *OCSPResponse) parseBasic(basic []byte) error {
	in := cryptobyte.String(basic)
	var seq, tbsElem, sigAlg cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Element(&tbsElem, cbasn1.SEQUENCE) ||
		!seq.ReadASN1Element(&sigAlg, cbasn1.SEQUENCE) {
		return errors.New("invalid BasicOCSPResponse")
	}
	r.tbs = bytes.Clone(tbsElem)
	var err error
	if r.sig, err = ParseSignatureParams(sigAlg); err != nil {
		return fmt.Errorf("unable to parse signature algorithm: %w", err)
	}
	var sigBits asn1.BitString
	if !seq.ReadASN1BitString(&sigBits) {
		return errors.New("invalid OCSP signature")
	}
	r.signature = sigBits.Bytes
	if err := r.parseCerts(&seq); err != nil {
		return err
	}
	if err := r.parseResponseData(tbsElem); err != nil {
		return err
	}
	if r.usableUntil.IsZero() {
		r.usableUntil = r.producedAt.Add(ocspDefaultLifetime)
	}
	return nil
}

// parseCerts reads the certificates a responder includes; one charon
// cannot parse is skipped, not fatal.
func (r *OCSPResponse) parseCerts(seq *cryptobyte.String) error {
	var certs, list cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&certs, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return errors.New("invalid OCSP certs")
	}
	if !present {
		return nil
	}
	if !certs.ReadASN1(&list, cbasn1.SEQUENCE) {
		return errors.New("invalid OCSP certs")
	}
	for !list.Empty() {
		var c cryptobyte.String
		if !list.ReadASN1Element(&c, cbasn1.SEQUENCE) {
			return errors.New("invalid OCSP certs")
		}
		if cert, err := ParseCertificate(c); err == nil {
			r.certs = append(r.certs, cert)
		}
	}
	return nil
}

// parseResponseData reads the ResponseData: version, responder, time,
// the single responses and the nonce.
func (r *OCSPResponse) parseResponseData(tbs cryptobyte.String) error {
	var data cryptobyte.String
	if !tbs.ReadASN1(&data, cbasn1.SEQUENCE) {
		return errors.New("invalid ResponseData")
	}
	if data.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var v cryptobyte.String
		var ver int64
		if !data.ReadASN1(&v, cbasn1.Tag(0).Constructed().ContextSpecific()) || !v.ReadASN1Integer(&ver) {
			return errors.New("invalid ResponseData version")
		}
		if ver != 0 {
			return fmt.Errorf("ocsp ResponseData version %d not supported", ver+1)
		}
	}
	if err := r.parseResponder(&data); err != nil {
		return err
	}
	if !data.ReadASN1GeneralizedTime(&r.producedAt) {
		return errors.New("invalid producedAt")
	}
	var responses, exts cryptobyte.String
	var present bool
	if !data.ReadASN1(&responses, cbasn1.SEQUENCE) {
		return errors.New("invalid responses")
	}
	if data.ReadOptionalASN1(&exts, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) && present {
		r.nonce = ocspNonce(exts)
	}
	for !responses.Empty() {
		s, err := r.parseSingle(&responses)
		if err != nil {
			return err
		}
		r.responses = append(r.responses, s)
	}
	return nil
}

// parseResponder reads the responderID: a DN, or the SHA-1 of the key.
func (r *OCSPResponse) parseResponder(data *cryptobyte.String) error {
	var rid cryptobyte.String
	var tag cbasn1.Tag
	if !data.ReadAnyASN1(&rid, &tag) {
		return errors.New("invalid responderID")
	}
	switch tag {
	case cbasn1.Tag(1).Constructed().ContextSpecific():
		var name cryptobyte.String
		if !rid.ReadASN1Element(&name, cbasn1.SEQUENCE) {
			return errors.New("invalid responderID")
		}
		r.responder = FromEncoding(IDDerASN1DN, name)
	case cbasn1.Tag(2).Constructed().ContextSpecific():
		var key []byte
		if !rid.ReadASN1Bytes(&key, cbasn1.OCTET_STRING) {
			return errors.New("invalid responderID")
		}
		r.responder = FromEncoding(IDKeyID, key)
	default:
		r.responder = Any()
	}
	return nil
}

func ocspNonce(exts cryptobyte.String) []byte {
	var list cryptobyte.String
	if !exts.ReadASN1(&list, cbasn1.SEQUENCE) {
		return nil
	}
	for !list.Empty() {
		var ext cryptobyte.String
		var oid asn1.ObjectIdentifier
		var val []byte
		if !list.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&oid) {
			return nil
		}
		ext.SkipOptionalASN1(cbasn1.BOOLEAN)
		if !ext.ReadASN1Bytes(&val, cbasn1.OCTET_STRING) {
			return nil
		}
		if oid.Equal(oidOCSPNonce) {
			inner := cryptobyte.String(val)
			var n []byte
			if inner.ReadASN1Bytes(&n, cbasn1.OCTET_STRING) {
				return n
			}
			return nil
		}
	}
	return nil
}

func (r *OCSPResponse) parseSingle(s *cryptobyte.String) (OCSPSingle, error) {
	var seq, certID cryptobyte.String
	out := OCSPSingle{Status: ValidationFailed, NextUpdate: r.producedAt.Add(ocspDefaultLifetime)}
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&certID, cbasn1.SEQUENCE) {
		return out, errors.New("invalid SingleResponse")
	}
	oid, _, ok := readAlgorithmID(&certID)
	var serial cryptobyte.String
	if !ok || !certID.ReadASN1Bytes(&out.IssuerNameHash, cbasn1.OCTET_STRING) ||
		!certID.ReadASN1Bytes(&out.IssuerKeyHash, cbasn1.OCTET_STRING) || !certID.ReadASN1(&serial, cbasn1.INTEGER) {
		return out, errors.New("invalid CertID")
	}
	out.HashAlg, out.Serial = oid, bytes.Clone(serial)
	var status cryptobyte.String
	var tag cbasn1.Tag
	if !seq.ReadAnyASN1(&status, &tag) {
		return out, errors.New("invalid certStatus")
	}
	switch tag {
	case cbasn1.Tag(0).ContextSpecific():
		out.Status = ValidationGood
	case cbasn1.Tag(1).Constructed().ContextSpecific():
		out.Status = ValidationRevoked
		if !status.ReadASN1GeneralizedTime(&out.RevocationTime) {
			return out, errors.New("invalid revocationTime")
		}
		var reason cryptobyte.String
		var present bool
		if status.ReadOptionalASN1(&reason, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) && present {
			var e cryptobyte.String
			if reason.ReadASN1(&e, cbasn1.ENUM) && len(e) == 1 {
				out.Reason = CRLReason(e[0])
			}
		}
	}
	if !seq.ReadASN1GeneralizedTime(&out.ThisUpdate) {
		return out, errors.New("invalid thisUpdate")
	}
	var next cryptobyte.String
	var present bool
	if seq.ReadOptionalASN1(&next, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) && present {
		if !next.ReadASN1GeneralizedTime(&out.NextUpdate) {
			return out, errors.New("invalid nextUpdate")
		}
		if out.NextUpdate.After(r.usableUntil) {
			r.usableUntil = out.NextUpdate
		}
	}
	return out, nil
}

// Raw is the DER encoding.
func (r *OCSPResponse) Raw() []byte { return r.raw }

// Responder is the responderID: a DN, or a KEY_ID for byKey.
func (r *OCSPResponse) Responder() *Identity { return r.responder }

// ProducedAt is when the response was signed.
func (r *OCSPResponse) ProducedAt() time.Time { return r.producedAt }

// UsableUntil is the latest nextUpdate (producedAt + 30 s without one).
func (r *OCSPResponse) UsableUntil() time.Time { return r.usableUntil }

// ValidAt reports whether the response is still usable at t.
func (r *OCSPResponse) ValidAt(t time.Time) bool { return t.Before(r.usableUntil) }

// Nonce is the response's nonce extension (nil if absent).
func (r *OCSPResponse) Nonce() []byte { return r.nonce }

// Certs are the certificates the responder included.
func (r *OCSPResponse) Certs() []*Certificate { return r.certs }

// Responses are the single responses.
func (r *OCSPResponse) Responses() []OCSPSingle { return r.responses }

// Equal compares by encoding.
func (r *OCSPResponse) Equal(o *OCSPResponse) bool {
	return r != nil && o != nil && bytes.Equal(r.raw, o.raw)
}

// HasIssuer reports how well id matches the responder.
func (r *OCSPResponse) HasIssuer(id *Identity) MatchLevel { return r.responder.Matches(id) }

// IssuedBy reports whether signer made the response: it must be named by
// the responderID, be an OCSP signer or a CA, and its key must verify the
// signature.
func (r *OCSPResponse) IssuedBy(signer *Certificate) bool {
	if r.responder.Type() == IDKeyID {
		if !bytes.Equal(signer.pub.KeyID(), r.responder.Encoding()) {
			return false
		}
	} else if !r.responder.Equals(signer.subject) {
		return false
	}
	if signer.flags&(CertOCSPSigner|CertCA) == 0 {
		return false
	}
	return signer.pub.Verify(r.sig, r.tbs, r.signature)
}

// Status finds subject's status issued by issuer: the serial must match,
// and the issuer key hash (SHA-1 only) or else the name hash. It returns
// ValidationFailed when the response says nothing about the certificate.
func (r *OCSPResponse) Status(subject, issuer *Certificate) (OCSPSingle, bool) {
	for _, s := range r.responses {
		if !bytes.Equal(subject.serial, s.Serial) {
			continue
		}
		if s.IssuerKeyHash != nil {
			if !s.HashAlg.Equal(oidSHA1) || !bytes.Equal(s.IssuerKeyHash, issuer.pub.KeyID()) {
				continue
			}
		} else if s.IssuerNameHash != nil {
			h := hashFromOID(s.HashAlg)
			d, ok := h.digest(issuer.subject.Encoding())
			if !ok || !bytes.Equal(d, s.IssuerNameHash) {
				continue
			}
		} else {
			continue
		}
		return s, true
	}
	return OCSPSingle{Status: ValidationFailed}, false
}
