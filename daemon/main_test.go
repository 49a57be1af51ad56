package daemon

import (
	"os"
	"testing"

	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/netbase"
)

// TestMain hands the selectors Debian's protocol and service names, as
// cmd/charon hands them the machine's: the captures the tests compare
// with were made with Debian's charon on a host with netbase
// ([tcp/ssh], leftprotoport=tcp/http).
func TestMain(m *testing.M) {
	selectors.SetNames(netbase.DB())
	os.Exit(m.Run())
}
