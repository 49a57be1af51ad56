package swanlab

import (
	"testing"

	"github.com/goswan/goswan/testing/internal/labconf"
)

// TestStrongswanConf pins the gateways' strongswan.conf (testdata, as it
// stood before the labs shared labconf's template), with the PSK and with
// certificates and the stroke plugin.
func TestStrongswanConf(t *testing.T) {
	labconf.Golden(t, "strongswan.conf", strongswanConf("", ""))
	labconf.Golden(t, "certs-stroke.strongswan.conf", strongswanConf("pem pkcs1 x509 revocation ", "stroke "))
}
