// Package testpki makes certificates, CRLs and OCSP responses for tests
// with the standard library: strongSwan's test hierarchy (a root CA, moon,
// sun, carol, dave, an intermediate CA) in RSA, ECDSA or Ed25519, valid
// around a given instant. Nothing here is for production; keys are fresh
// each run and never written anywhere but test directories.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// KeyKind names a key algorithm.
type KeyKind string

const (
	RSA2048  KeyKind = "rsa2048"
	RSA3072  KeyKind = "rsa3072"
	ECDSA256 KeyKind = "ecdsa256"
	ECDSA384 KeyKind = "ecdsa384"
	Ed25519  KeyKind = "ed25519"
)

var (
	keyMu    sync.Mutex
	keyCache = map[string]crypto.Signer{}
)

// NewKey makes a key. RSA keys are slow to make, so a test asking twice
// for the same name gets the same key.
func NewKey(t testing.TB, kind KeyKind, name string) crypto.Signer {
	t.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	if k, ok := keyCache[string(kind)+"/"+name]; ok {
		return k
	}
	var k crypto.Signer
	var err error
	switch kind {
	case RSA2048:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		k, err = rsa.GenerateKey(rand.Reader, 3072)
	case ECDSA256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSA384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case Ed25519:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	keyCache[string(kind)+"/"+name] = k
	return k
}

// Cert is a certificate with its key.
type Cert struct {
	X   *x509.Certificate
	DER []byte
	Key crypto.Signer
}

// PEM is the certificate PEM encoded.
func (c *Cert) PEM() []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}) }

// KeyPEM is the private key PEM encoded (PKCS#1 for RSA, SEC1 for ECDSA,
// PKCS#8 for Ed25519), as `pki --gen` writes them.
func (c *Cert) KeyPEM() []byte {
	switch k := c.Key.(type) {
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	case *ecdsa.PrivateKey:
		der, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}
	der, _ := x509.MarshalPKCS8PrivateKey(c.Key)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Options shape a certificate. Zero values mean strongSwan's usual test
// certificates: valid from a day before Now to a year after.
type Options struct {
	Now       time.Time
	NotBefore time.Time
	NotAfter  time.Time
	CA        bool
	PathLen   int // with CA; -1 for none
	// KeyUsage overrides the default (digitalSignature for end entities,
	// certSign and cRLSign for CAs); NoKeyUsage leaves the extension out.
	KeyUsage   x509.KeyUsage
	NoKeyUsage bool
	DNSNames   []string
	Emails     []string
	IPs        []net.IP
	CRLURLs    []string
	OCSPURLs   []string
	ExtKeyUse  []x509.ExtKeyUsage
	// PermittedDNS and ExcludedDNS are name constraints, critical with
	// NameConstraintsCritical.
	PermittedDNS, ExcludedDNS []string
	NameConstraintsCritical   bool
	Serial                    int64
	Policies                  []asn1.ObjectIdentifier
	// NoSubjectKeyID leaves the subjectKeyIdentifier out of an end entity
	// certificate (Go adds one to CAs); AuthorityKeyID replaces the
	// issuer's.
	NoSubjectKeyID bool
	AuthorityKeyID []byte
}

var serialMu sync.Mutex
var nextSerial int64 = 1

func serial(o Options) *big.Int {
	if o.Serial != 0 {
		return big.NewInt(o.Serial)
	}
	serialMu.Lock()
	defer serialMu.Unlock()
	nextSerial++
	return big.NewInt(nextSerial)
}

// Name parses "C=CH, O=strongSwan Project, CN=moon.strongswan.org" style
// subjects (only C, O, OU and CN, in that order, as the test hierarchy
// uses them).
func Name(c, o, ou, cn string) pkix.Name {
	n := pkix.Name{CommonName: cn}
	if c != "" {
		n.Country = []string{c}
	}
	if o != "" {
		n.Organization = []string{o}
	}
	if ou != "" {
		n.OrganizationalUnit = []string{ou}
	}
	return n
}

func keyID(pub crypto.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	var spki struct {
		Alg asn1.RawValue
		Key asn1.BitString
	}
	_, _ = asn1.Unmarshal(der, &spki)
	id := sha1.Sum(spki.Key.Bytes)
	return id[:]
}

// oids converts policy identifiers for x509.Certificate.Policies (which
// Go marshals instead of PolicyIdentifiers).
func oids(t testing.TB, ids []asn1.ObjectIdentifier) []x509.OID {
	var out []x509.OID
	for _, id := range ids {
		o, err := x509.OIDFromInts(func() []uint64 {
			var v []uint64
			for _, n := range id {
				v = append(v, uint64(n))
			}
			return v
		}())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// Issue makes a certificate for subject with key, signed by parent (self
// signed if parent is nil).
func Issue(t testing.TB, parent *Cert, subject pkix.Name, key crypto.Signer, o Options) *Cert {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = o.Now.Add(-24 * time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = o.Now.Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(o),
		Subject:               subject,
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		DNSNames:              o.DNSNames,
		EmailAddresses:        o.Emails,
		IPAddresses:           o.IPs,
		CRLDistributionPoints: o.CRLURLs,
		OCSPServer:            o.OCSPURLs,
		ExtKeyUsage:           o.ExtKeyUse,
		SubjectKeyId:          keyID(key.Public()),
		PermittedDNSDomains:   o.PermittedDNS,
		ExcludedDNSDomains:    o.ExcludedDNS,
		Policies:              oids(t, o.Policies),

		PermittedDNSDomainsCritical: o.NameConstraintsCritical,
	}
	if o.CA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		if o.PathLen >= 0 {
			tmpl.MaxPathLen = o.PathLen
			tmpl.MaxPathLenZero = o.PathLen == 0
		} else {
			tmpl.MaxPathLen = -1
		}
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if o.KeyUsage != 0 {
		tmpl.KeyUsage = o.KeyUsage
	}
	if o.NoKeyUsage {
		tmpl.KeyUsage = 0
	}
	signer, issuer := key, tmpl
	if parent != nil {
		signer, issuer = parent.Key, parent.X
		tmpl.AuthorityKeyId = parent.X.SubjectKeyId
	}
	if o.NoSubjectKeyID {
		tmpl.SubjectKeyId = nil
	}
	if o.AuthorityKeyID != nil && parent != nil {
		// Go takes the parent's subjectKeyIdentifier where it has one.
		p := *issuer
		p.SubjectKeyId = nil
		issuer = &p
		tmpl.AuthorityKeyId = o.AuthorityKeyID
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{X: x, DER: der, Key: key}
}

// Hierarchy is strongSwan's test PKI: a root CA, moon and sun (gateways
// with their FQDN as subjectAltName), carol and dave (road warriors with
// their e-mail), an intermediate CA "Research CA" and a certificate it
// issued (for multi-level-ca).
type Hierarchy struct {
	Kind                   KeyKind
	Root                   *Cert
	Moon, Sun, Carol, Dave *Cert
	Research               *Cert // intermediate CA
	Alice                  *Cert // issued by Research: alice@strongswan.org
}

// Subjects of the hierarchy.
var (
	RootName  = Name("CH", "strongSwan Project", "", "strongSwan Root CA")
	MoonName  = Name("CH", "strongSwan Project", "", "moon.strongswan.org")
	SunName   = Name("CH", "strongSwan Project", "", "sun.strongswan.org")
	CarolName = Name("CH", "strongSwan Project", "Research", "carol@strongswan.org")
	DaveName  = Name("CH", "strongSwan Project", "Accounting", "dave@strongswan.org")
	ResName   = Name("CH", "strongSwan Project", "Research", "Research CA")
	AliceName = Name("CH", "strongSwan Project", "Research", "alice@strongswan.org")
)

// NewHierarchy makes the hierarchy with keys of one kind, valid around
// now; mod may adjust the options of each end entity by name ("moon",
// "sun", "carol", "dave", "alice").
func NewHierarchy(t testing.TB, kind KeyKind, now time.Time, mod func(name string, o *Options)) *Hierarchy {
	t.Helper()
	opts := func(name string, o Options) Options {
		o.Now = now
		if mod != nil {
			mod(name, &o)
		}
		return o
	}
	h := &Hierarchy{Kind: kind}
	h.Root = Issue(t, nil, RootName, NewKey(t, kind, "root"), opts("root", Options{CA: true, PathLen: -1}))
	h.Moon = Issue(t, h.Root, MoonName, NewKey(t, kind, "moon"), opts("moon", Options{DNSNames: []string{"moon.strongswan.org"}}))
	h.Sun = Issue(t, h.Root, SunName, NewKey(t, kind, "sun"), opts("sun", Options{DNSNames: []string{"sun.strongswan.org"}}))
	h.Carol = Issue(t, h.Root, CarolName, NewKey(t, kind, "carol"), opts("carol", Options{Emails: []string{"carol@strongswan.org"}}))
	h.Dave = Issue(t, h.Root, DaveName, NewKey(t, kind, "dave"), opts("dave", Options{Emails: []string{"dave@strongswan.org"}}))
	h.Research = Issue(t, h.Root, ResName, NewKey(t, kind, "research"), opts("research", Options{CA: true, PathLen: -1}))
	h.Alice = Issue(t, h.Research, AliceName, NewKey(t, kind, "alice"), opts("alice", Options{Emails: []string{"alice@strongswan.org"}}))
	return h
}

// Revoked is one CRL entry.
type Revoked struct {
	Cert   *Cert
	At     time.Time
	Reason int
}

// CRL makes a CRL signed by issuer, valid from thisUpdate to nextUpdate.
func CRL(t testing.TB, issuer *Cert, number int64, thisUpdate, nextUpdate time.Time, revoked ...Revoked) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(number), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for _, r := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: r.Cert.X.SerialNumber, RevocationTime: r.At, ReasonCode: r.Reason,
		})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer.X, issuer.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// OCSPResponse makes a response about cert, signed by signer (the CA or a
// delegated OCSP signer of issuer), with the given status (ocsp.Good,
// ocsp.Revoked, ocsp.Unknown).
func OCSPResponse(t testing.TB, issuer, signer, cert *Cert, status int, now time.Time, revokedAt time.Time) []byte {
	t.Helper()
	tmpl := ocsp.Response{
		Status: status, SerialNumber: cert.X.SerialNumber,
		ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour), ProducedAt: now.Add(-time.Minute),
		RevokedAt: revokedAt, RevocationReason: ocsp.KeyCompromise,
	}
	if signer != issuer {
		tmpl.Certificate = signer.X
	}
	der, err := ocsp.CreateResponse(issuer.X, signer.X, tmpl, signer.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
