package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// reload and update signal the running starter: SIGUSR1 makes it delete
// every conn and ca from the daemon and load them again, SIGHUP makes it
// reread ipsec.conf and apply only what changed.

// ipsecReload is `ipsec reload`: exit 0 if the signal reached the starter, 7 if
// it did not or there is no starter.
func ipsecReload([]string) int {
	p := currentPaths()
	if !exists(p.starterPID) {
		fmt.Fprintln(os.Stderr, "Reloading strongSwan IPsec failed: starter is not running")
		return exitNotRunning
	}
	fmt.Fprintln(os.Stderr, "Reloading strongSwan IPsec configuration...")
	pids, _ := scriptPIDs(p.starterPID)
	if signalAll(pids, syscall.SIGUSR1) {
		return 0
	}
	return exitNotRunning
}

// ipsecUpdate is `ipsec update`: exit 0 whenever there is a starter pid file,
// even if the signal did not arrive (kill's complaint is shown, as the
// script does not silence it).
func ipsecUpdate([]string) int {
	p := currentPaths()
	if !exists(p.starterPID) {
		fmt.Fprintln(os.Stderr, "Updating strongSwan IPsec failed: starter is not running")
		return exitNotRunning
	}
	fmt.Fprintln(os.Stderr, "Updating strongSwan IPsec configuration...")
	pids, words := scriptPIDs(p.starterPID)
	switch {
	case len(words) == 0:
		fmt.Fprintln(os.Stderr, "ipsec: kill: usage: kill [-s sigspec | -signum | -sigspec] pid | jobspec ...")
	case pids == nil:
		fmt.Fprintf(os.Stderr, "ipsec: kill: illegal pid: %s\n", words[0])
	default:
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
				fmt.Fprintf(os.Stderr, "ipsec: kill: %s\n", capitalize(err.Error()))
			}
		}
	}
	return 0
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func init() {
	register("reload", command{usage: "reload", run: ipsecReload})
	register("update", command{usage: "update", run: ipsecUpdate})
}
