// Command ipsec is goswan's front end, a drop-in for strongSwan's ipsec
// script, starter and stroke client.
package main

import (
	"fmt"
	"os"

	"github.com/goswan/goswan/internal/version"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("Usage: ipsec command [arguments]")
		fmt.Println()
		fmt.Println("Use --help for a list of commands, or refer to the ipsec(8) man page.")
		fmt.Println("See <http://www.strongswan.org> for more general information.")
		return
	}
	switch os.Args[1] {
	case "version", "--version":
		fmt.Printf("Linux strongSwan %s\n", version.IpsecVersionCode())
		fmt.Printf("goswan %s, a strongSwan-compatible IKEv2 daemon in Go\n", version.Goswan)
	case "--versioncode":
		fmt.Println(version.IpsecVersionCode())
	default:
		fmt.Fprintf(os.Stderr, "ipsec: unknown command `%s' (`ipsec --help' for list)\n", os.Args[1])
		os.Exit(2)
	}
}
