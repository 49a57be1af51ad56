package daemon

import "github.com/goswan/goswan/bus"

// When a credential cannot be built, charon's credential factory logs how
// many builders it tried: every constructor the loaded plugins registered
// for the credential type, loaders and generators alike. goswan has one
// parser per type, so it counts what charon's plugins would have
// registered, to log the same line.

// credBuilder names a credential type as the factory logs it.
type credBuilder string

const (
	buildCertAny    credBuilder = "CRED_CERTIFICATE - ANY"
	buildCertX509   credBuilder = "CRED_CERTIFICATE - X509"
	buildCertCRL    credBuilder = "CRED_CERTIFICATE - X509_CRL"
	buildPrivAny    credBuilder = "CRED_PRIVATE_KEY - ANY"
	buildPrivRSA    credBuilder = "CRED_PRIVATE_KEY - RSA"
	buildPrivECDSA  credBuilder = "CRED_PRIVATE_KEY - ECDSA"
	buildContPKCS12 credBuilder = "CRED_CONTAINER - PKCS12"
)

// pluginBuilders is, per plugin, how many constructors it registers for
// each credential type (strongSwan 5.9.8's plugin feature lists).
var pluginBuilders = map[string]map[credBuilder]int{
	"pem":        {buildCertAny: 1, buildCertX509: 1, buildCertCRL: 1, buildPrivAny: 1, buildPrivRSA: 1, buildPrivECDSA: 1, buildContPKCS12: 1},
	"pkcs1":      {buildPrivAny: 1, buildPrivRSA: 1},
	"pkcs8":      {buildPrivAny: 1, buildPrivRSA: 1, buildPrivECDSA: 1},
	"pkcs12":     {buildContPKCS12: 1},
	"x509":       {buildCertX509: 2, buildCertCRL: 2},
	"openssl":    {buildCertX509: 1, buildCertCRL: 1, buildPrivAny: 2, buildPrivRSA: 2, buildPrivECDSA: 2, buildContPKCS12: 1},
	"gmp":        {buildPrivRSA: 2},
	"pgp":        {buildPrivAny: 1, buildPrivRSA: 1},
	"curve25519": {},
}

// logBuildFailed logs the factory's failure line for a credential type.
func (d *Daemon) logBuildFailed(b credBuilder) {
	n := 0
	for _, p := range d.plugins {
		n += pluginBuilders[p][b]
	}
	d.logf(bus.LIB, bus.Control, "building %s failed, tried %d builders", b, n)
}
