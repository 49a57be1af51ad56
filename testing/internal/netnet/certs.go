package netnet

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/goswan/goswan/testing/internal/topology"
)

// Auth kinds of LoadOptions.Auth.
const (
	AuthPSK      = "psk"
	AuthRSA2048  = "rsa2048"
	AuthECDSA256 = "ecdsa256"
)

// pki is a throwaway CA and the gateways' certificates, made for one
// network: nothing of it is written outside the hosts' /etc. Each host has
// one key; moon may have several certificates for it (moon1.strongswan.org
// …), one per conn, as a load generator gives each initiator its own
// identity.
type pki struct {
	secretType string // ipsec.secrets key type: RSA or ECDSA
	caCert     []byte // PEM
	certs      map[string][]byte
	keys       map[string][]byte
}

func newKey(auth string) (crypto.Signer, []byte, error) {
	switch auth {
	case AuthRSA2048:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, nil, err
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	case AuthECDSA256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, nil, err
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
	}
	return nil, nil, fmt.Errorf("netnet: unknown auth %q (want %s or %s)", auth, AuthRSA2048, AuthECDSA256)
}

// newPKI makes a CA, certificates for sun and moon (subject
// "C=CH, O=strongSwan Project, CN=<name>.strongswan.org", that name as a DNS
// subjectAltName) and keys of the given kind. moonNames are the names of
// moon's certificates, each in <name>Cert.pem.
func newPKI(auth string, moonNames []string) (*pki, error) {
	p := &pki{secretType: "RSA", certs: map[string][]byte{}, keys: map[string][]byte{}}
	if auth == AuthECDSA256 {
		p.secretType = "ECDSA"
	}
	caKey, _, err := newKey(auth)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	name := func(cn string) pkix.Name {
		return pkix.Name{Country: []string{"CH"}, Organization: []string{"strongSwan Project"}, CommonName: cn}
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               name("goswan bench Root CA"),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p.caCert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	serial := int64(1)
	for _, h := range []string{"moon", "sun"} {
		key, keyPEM, err := newKey(auth)
		if err != nil {
			return nil, err
		}
		p.keys[h] = keyPEM
		names := []string{h}
		if h == "moon" {
			names = moonNames
		}
		for _, n := range names {
			serial++
			fqdn := n + ".strongswan.org"
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(serial),
				Subject:      name(fqdn),
				DNSNames:     []string{fqdn},
				NotBefore:    now.Add(-time.Hour),
				NotAfter:     now.Add(24 * time.Hour),
				KeyUsage:     x509.KeyUsageDigitalSignature,
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
			if err != nil {
				return nil, err
			}
			p.certs[n] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		}
	}
	return p, nil
}

// files returns host h's share of the PKI for its /etc: the CA certificate,
// the certificates of the given names and the host's private key.
func (p *pki) files(h string, names []string) []topology.File {
	fs := []topology.File{
		{Rel: "ipsec.d/cacerts/caCert.pem", Mode: 0o644, Data: p.caCert},
		{Rel: "ipsec.d/private/" + h + "Key.pem", Mode: 0o600, Data: p.keys[h]},
	}
	for _, n := range names {
		fs = append(fs, topology.File{Rel: "ipsec.d/certs/" + n + "Cert.pem", Mode: 0o644, Data: p.certs[n]})
	}
	return fs
}
