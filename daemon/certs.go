package daemon

import (
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
)

// configureCerts sets up the credential manager from the loaded plugins
// and strongswan.conf: the revocation plugin's switches and timeout (and
// its log lines when a check is disabled), the constraints plugin, the
// curl plugin's fetcher, charon.rsa_pss and the certificate parser.
func (d *Daemon) configureCerts(has func(string) bool) {
	s := d.Settings()
	o := credentials.ManagerOptions{
		Constraints: has("constraints"),
		Timeout:     time.Duration(s.Time("charon.plugins.revocation.timeout", 10)) * time.Second,
		RSAPSS:      s.Bool("charon.rsa_pss", false),
	}
	if has("revocation") {
		o.EnableOCSP = s.Bool("charon.plugins.revocation.enable_ocsp", true)
		o.EnableCRL = s.Bool("charon.plugins.revocation.enable_crl", true)
		if !o.EnableOCSP {
			d.logf(bus.LIB, bus.Control, "all OCSP validation disabled")
		}
		if !o.EnableCRL {
			d.logf(bus.LIB, bus.Control, "all CRL validation disabled")
		}
	}
	o.Parser = certParser(d.plugins, s.Bool("charon.x509.enforce_critical", true))
	d.certs.SetOptions(o)
	if has("curl") {
		d.certs.Fetcher = newHTTPFetcher(func(format string, args ...any) {
			d.logf(bus.LIB, bus.Control, format, args...)
		})
	}
}

// certParser is the plugin that parses certificates: the first of x509
// and openssl in load order. With x509.enforce_critical=no openssl_x509
// takes certificates with critical extensions it does not know as well,
// which goswan does not model: the x509 plugin's view is kept then.
func certParser(loaded []string, enforceCritical bool) credentials.CertParser {
	for _, p := range loaded {
		switch p {
		case "x509":
			return credentials.ParserX509
		case "openssl":
			if !enforceCritical {
				return credentials.ParserX509
			}
			if slices.Contains(loaded, "x509") {
				return credentials.ParserOpenSSL
			}
			return credentials.ParserOpenSSLOnly
		}
	}
	return credentials.ParserX509
}
