// Package netbase is Debian bookworm's /etc/protocols and /etc/services
// (package netbase 6.4, unchanged), for tests: they hand this table to the
// code under test instead of letting it read the machine's files, so the
// names printed and parsed (10.1.0.0/16[tcp/ssh], leftprotoport=tcp/http)
// are the same on every machine, with netbase installed or not.
package netbase

import (
	_ "embed"

	"github.com/goswan/goswan/internal/netdb"
)

// The two files.
var (
	//go:embed protocols
	Protocols string
	//go:embed services
	Services string
)

// DB returns the table.
func DB() *netdb.DB { return netdb.Parse(Protocols, Services) }
