package chaos

import (
	"testing"

	"github.com/goswan/goswan/testing/internal/labconf"
)

// TestStrongswanConf pins a host's strongswan.conf (testdata, as it stood
// before the labs shared labconf's template).
func TestStrongswanConf(t *testing.T) {
	labconf.Golden(t, "moon.strongswan.conf", strongswanConf("moon"))
}
