package load_tester_test

import (
	"os"
	"testing"

	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/netbase"
)

// TestMain hands the selectors Debian's protocol and service names, as
// cmd/charon hands them the machine's, so that the load tester's tcp, udp
// and icmp selectors resolve on every machine.
func TestMain(m *testing.M) {
	selectors.SetNames(netbase.DB())
	os.Exit(m.Run())
}
