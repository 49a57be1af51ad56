// Command charon is goswan's IKEv2 keying daemon, a drop-in for strongSwan's
// charon 5.9.8.
package main

import (
	"fmt"
	"os"

	"github.com/goswan/goswan/internal/version"
)

func usage() {
	fmt.Fprint(os.Stderr, `Usage: charon
         [--help]
         [--version]
         [--use-syslog]
         [--debug-<type> <level>]
           <type>:  log context type (dmn|mgr|ike|chd|job|cfg|knl|net|asn|enc|tnc|imc|imv|pts|tls|esp|lib)
           <level>: log verbosity (-1 = silent, 0 = audit, 1 = control,
                                    2 = controlmore, 3 = raw, 4 = private)

`)
}

func main() {
	for _, a := range os.Args[1:] {
		switch a {
		case "--version", "-v":
			fmt.Printf("Linux strongSwan %s\ngoswan %s\n", version.StrongSwan, version.Goswan)
			return
		case "--help", "-h":
			usage()
			return
		}
	}
	fmt.Fprintln(os.Stderr, "charon: the daemon is not implemented yet (see README.md)")
	os.Exit(1)
}
