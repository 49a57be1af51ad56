package main

import (
	"fmt"
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
		fmt.Fprintln(strokeStdio.err, "Reloading strongSwan IPsec failed: starter is not running")
		return exitNotRunning
	}
	fmt.Fprintln(strokeStdio.err, "Reloading strongSwan IPsec configuration...")
	pids, _, bad := scriptPIDs(p.starterPID)
	if signalAll(pids, syscall.SIGUSR1) && bad == "" {
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
		fmt.Fprintln(strokeStdio.err, "Updating strongSwan IPsec failed: starter is not running")
		return exitNotRunning
	}
	fmt.Fprintln(strokeStdio.err, "Updating strongSwan IPsec configuration...")
	// dash's complaints, without its "/usr/sbin/ipsec: LINE:" prefix.
	pids, words, bad := scriptPIDs(p.starterPID)
	if len(words) == 0 {
		fmt.Fprintln(strokeStdio.err, "ipsec: kill: Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or")
		fmt.Fprintln(strokeStdio.err, "kill -l [exitstatus]")
		return 0
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			fmt.Fprintf(strokeStdio.err, "ipsec: kill: %s\n\n", capitalize(err.Error()))
		}
	}
	if bad != "" {
		fmt.Fprintf(strokeStdio.err, "ipsec: kill: Illegal number: %s\n", bad)
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
	register("reload", command{run: ipsecReload})
	register("update", command{run: ipsecUpdate})
}
