package kernel_netlink

import (
	"os"
	"testing"

	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/netbase"
)

// TestMain hands the selectors Debian's protocol and service names, as
// cmd/charon hands them the machine's: the expected log lines and events
// name protocols as charon printed them on Debian ([udp/4000]).
func TestMain(m *testing.M) {
	selectors.SetNames(netbase.DB())
	os.Exit(m.Run())
}
