package netnet

import (
	"testing"

	"github.com/goswan/goswan/testing/internal/labconf"
)

// TestStrongswanConf pins the gateways' strongswan.conf (testdata, as it
// stood before the labs shared labconf's template): the usual plugins,
// extra ones, and the load network's.
func TestStrongswanConf(t *testing.T) {
	labconf.Golden(t, "strongswan.conf", strongswanConf(""))
	labconf.Golden(t, "xcbc.strongswan.conf", strongswanConf("xcbc ccm"))
	moon, sun := loadStrongswanConf()
	labconf.Golden(t, "load-moon.strongswan.conf", moon)
	labconf.Golden(t, "load-sun.strongswan.conf", sun)
}
