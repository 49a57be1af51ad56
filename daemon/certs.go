package daemon

import (
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
)

// configureCerts sets up the credential manager from the loaded plugins
// and strongswan.conf: the revocation plugin's switches and timeout (and
// its log lines when a check is disabled), the constraints plugin, the
// curl plugin's fetcher and charon.rsa_pss.
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
	d.certs.SetOptions(o)
	if has("curl") {
		d.certs.Fetcher = newHTTPFetcher(func(format string, args ...any) {
			d.logf(bus.LIB, bus.Control, format, args...)
		})
	}
}
