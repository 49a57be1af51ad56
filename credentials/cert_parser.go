package credentials

import (
	"encoding/asn1"
	"fmt"
)

// CertParser is the plugin that parses X.509 certificates in charon: of
// the x509 and openssl plugins, the one loaded first (the credential
// factory tries the builders in the order the plugins registered them).
// strongSwan's test configurations load openssl before x509, Debian's
// default the other way round; what the certificate holds for charon
// differs, in listings as in the constraints checked.
type CertParser uint8

const (
	// ParserX509 is the x509 plugin: everything goswan reads.
	ParserX509 CertParser = iota
	// ParserOpenSSL is openssl_x509: no certificate policies, policy
	// mappings, policy or name constraints, no ikeIntermediate or
	// msSmartcardLogon flags. A certificate with a critical extension it
	// does not know it refuses, and the x509 plugin parses it.
	ParserOpenSSL
	// ParserOpenSSLOnly is openssl_x509 without the x509 plugin: such a
	// certificate is not loaded at all.
	ParserOpenSSLOnly
)

// opensslExtensions are the extensions openssl_x509 parses
// (parse_extensions); any other critical one fails it.
var opensslExtensions = []asn1.ObjectIdentifier{
	oidExtAuthorityInfo, oidExtAuthorityKeyID, oidExtSubjectKeyID,
	oidExtSubjectAltName, oidExtIssuerAltName, oidExtBasicConstraints,
	oidExtKeyUsage, oidExtExtKeyUsage, oidExtCRLDistPoints, oidExtIPAddrBlocks,
}

// opensslUnsupported is the first critical extension openssl_x509 does not
// parse, as it logs it (OBJ_obj2txt: a name where OpenSSL has one).
func (c *Certificate) opensslUnsupported() (string, bool) {
	for _, e := range c.x.Extensions {
		if !e.Critical || oidIn(e.Id, opensslExtensions) {
			continue
		}
		if name, ok := opensslExtNames[e.Id.String()]; ok {
			return name, true
		}
		return e.Id.String(), true
	}
	return "", false
}

// opensslExtNames are OpenSSL's long names of the extensions the x509
// plugin knows and openssl_x509 does not.
var opensslExtNames = map[string]string{
	"2.5.29.30": "X509v3 Name Constraints",
	"2.5.29.32": "X509v3 Certificate Policies",
	"2.5.29.33": "X509v3 Policy Mappings",
	"2.5.29.36": "X509v3 Policy Constraints",
	"2.5.29.54": "X509v3 Inhibit Any Policy",
}

func oidIn(id asn1.ObjectIdentifier, set []asn1.ObjectIdentifier) bool {
	for _, o := range set {
		if id.Equal(o) {
			return true
		}
	}
	return false
}

// As is the certificate as parser p sees it. log, if not nil, gets
// openssl_x509's line for a critical extension it refuses; the x509 plugin
// then parses the certificate (c is returned), or, without it, the
// certificate is not loaded (an error).
func (c *Certificate) As(p CertParser, log LogFunc) (*Certificate, error) {
	if p == ParserX509 {
		return c, nil
	}
	if name, bad := c.opensslUnsupported(); bad {
		if log != nil {
			log(LogLIB, 1, "found unsupported critical X.509 extension: %s", name)
			log(LogLIB, 1, "OpenSSL X.509 parsing failed")
		}
		if p == ParserOpenSSLOnly {
			return nil, fmt.Errorf("critical '%s' extension not supported", name)
		}
		return c, nil
	}
	o := *c
	o.permitted, o.excluded = nil, nil
	o.policies, o.mappings = nil, nil
	o.requireExplicit, o.inhibitMapping, o.inhibitAny = NoConstraint, NoConstraint, NoConstraint
	o.flags &^= CertIKEIntermediate | CertMSSmartcardLogon
	return &o, nil
}

// ParseCertificate parses a certificate as the manager's Parser does, with
// extra flags as ParseCertificateFlags.
func (m *Manager) ParseCertificate(der []byte, extra CertFlags, log LogFunc) (*Certificate, error) {
	c, err := ParseCertificateFlags(der, extra)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	p := m.opts.Parser
	m.mu.RUnlock()
	return c.As(p, log)
}
