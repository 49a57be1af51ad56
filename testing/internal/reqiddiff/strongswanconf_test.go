package reqiddiff

import (
	"testing"

	"github.com/goswan/goswan/testing/internal/labconf"
)

// TestStrongswanConf pins a lab's strongswan.conf (testdata, as it stood
// before the labs shared labconf's template), without and with extra
// charon settings.
func TestStrongswanConf(t *testing.T) {
	labconf.Golden(t, "strongswan.conf", strongswanConf(""))
	labconf.Golden(t, "settings.strongswan.conf", strongswanConf("make_before_break = yes"))
}
