package soak

import (
	"testing"

	"github.com/goswan/goswan/testing/internal/labconf"
)

// TestStrongswanConf pins a gateway's strongswan.conf (testdata, as it
// stood before the labs shared labconf's template), with the kernel's and
// the userspace data plane.
func TestStrongswanConf(t *testing.T) {
	labconf.Golden(t, "moon.strongswan.conf", strongswanConf("moon", false))
	labconf.Golden(t, "userspace.strongswan.conf", strongswanConf("sun", true))
}
