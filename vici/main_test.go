package vici

import (
	"os"
	"testing"

	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/netbase"
)

// TestMain hands the selectors Debian's protocol and service names, as
// cmd/charon hands them the machine's, so that udp, tcp/http and icmp in
// the traffic selectors resolve and print on every machine.
func TestMain(m *testing.M) {
	selectors.SetNames(netbase.DB())
	os.Exit(m.Run())
}
