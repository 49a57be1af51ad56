// Command ipsec is goswan's front end, a drop-in for strongSwan's ipsec
// script, starter and stroke client.
//
// Each command group lives in its own file and registers itself in commands
// from an init function, so that main stays a dispatcher.
package main

import (
	"fmt"
	"os"
)

// command is one `ipsec <name>` subcommand. run gets the arguments after the
// command name and returns the process exit code, as strongSwan's ipsec
// script does.
type command struct {
	run func(args []string) int
}

var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("ipsec: command registered twice: " + name)
	}
	commands[name] = c
}

// helpText is the ipsec script's --help, word for word: scripts and
// people read it. goswan's own note on the daemon path follows it.
const helpText = `ipsec command [arguments]

Commands:
	start|restart [arguments]
	update|reload|stop
	up|down|route|unroute <connectionname>
	down-srcip <start> [<end>]
	status|statusall [<connectionname>]
	listalgs|listpubkeys|listcerts [--utc]
	listcacerts|listaacerts|listocspcerts [--utc]
	listacerts|listgroups|listcainfos [--utc]
	listcrls|listocsp|listplugins|listall [--utc]
	listcounters|resetcounters [name]
	leases [<poolname> [<address>]]
	rereadsecrets|rereadcacerts|rereadaacerts
	rereadocspcerts|rereadacerts|rereadcrls|rereadall
	purgecerts|purgecrls|purgeike|purgeocsp
	pki
	stroke
	version

Refer to the ipsec(8) man page for details.
Some commands have their own man pages, e.g. pki(1).
`

func printHelp() {
	fmt.Print(helpText)
	fmt.Println()
	fmt.Println("goswan: also checkconf [--conf FILE] [--secrets FILE] [--strongswan-conf FILE].")
	fmt.Println("start runs the IKE daemon DIR/charon (DIR/NAME with --daemon NAME), DIR being the")
	fmt.Println("first of: $GOSWAN_IPSEC_DIR; this program's directory if the daemon is there (a goswan")
	fmt.Println("build: bin/ipsec runs bin/charon); ../libexec/ipsec beside it if the daemon is there")
	fmt.Println("(make install); /usr/lib/ipsec, strongSwan's place, which an installed goswan replaces.")
	fmt.Printf("Here that is %s/%s.\n", ipsecDir([]string{"--daemon", daemonName()}), daemonName())
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Println("ipsec command [arguments]")
		fmt.Println()
		fmt.Println("Use --help for a list of commands, or refer to the ipsec(8) man page.")
		fmt.Println("See <http://www.strongswan.org> for more general information.")
		return 0
	}
	name := args[0]
	switch name {
	case "--help":
		printHelp()
		return 0
	case "--directory":
		// The script's IPSEC_DIR: where the daemon and starter live.
		fmt.Println(ipsecDir(nil))
		return 0
	case "--confdir":
		fmt.Println("/etc")
		return 0
	case "--piddir":
		fmt.Println(pidDir())
		return 0
	}
	if c, ok := commands[name]; ok {
		return c.run(args[1:])
	}
	if len(name) > 1 && name[0] == '-' {
		fmt.Fprintf(os.Stderr, "ipsec: unknown option `%s' (`ipsec --help' for list)\n", name)
		return 2
	}
	fmt.Fprintf(os.Stderr, "ipsec: unknown command `%s' (`ipsec --help' for list)\n", name)
	return 2
}
