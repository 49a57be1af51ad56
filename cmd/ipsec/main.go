// Command ipsec is goswan's front end, a drop-in for strongSwan's ipsec
// script, starter and stroke client.
//
// Each command group lives in its own file and registers itself in commands
// from an init function, so that main stays a dispatcher.
package main

import (
	"fmt"
	"os"
	"sort"
)

// command is one `ipsec <name>` subcommand. run gets the arguments after the
// command name and returns the process exit code, as strongSwan's ipsec
// script does.
type command struct {
	usage string // one line for --help, without the leading "ipsec "
	run   func(args []string) int
}

var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("ipsec: command registered twice: " + name)
	}
	commands[name] = c
}

func printHelp() {
	fmt.Println("Usage: ipsec command [arguments]")
	fmt.Println()
	fmt.Println("Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Printf("  %s\n", commands[n].usage)
	}
	fmt.Println()
	fmt.Println("start runs the IKE daemon DIR/charon (DIR/NAME with --daemon NAME), DIR being the")
	fmt.Println("first of: $GOSWAN_IPSEC_DIR; this program's directory if the daemon is there (a goswan")
	fmt.Println("build: bin/ipsec runs bin/charon); ../libexec/ipsec beside it if the daemon is there")
	fmt.Println("(make install); /usr/lib/ipsec, strongSwan's place, which an installed goswan replaces.")
	fmt.Printf("Here that is %s/%s.\n", ipsecDir([]string{"--daemon", daemonName()}), daemonName())
	fmt.Println()
	fmt.Println("Refer to the ipsec(8) man page for details.")
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Println("Usage: ipsec command [arguments]")
		fmt.Println()
		fmt.Println("Use --help for a list of commands, or refer to the ipsec(8) man page.")
		fmt.Println("See <http://www.strongswan.org> for more general information.")
		return 0
	}
	name := args[0]
	if name == "--help" || name == "help" {
		printHelp()
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
