package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stopPoll and stopPolls are the script's wait for starter to exit: up to
// 110 checks 0.1 s apart, then SIGKILL.
var (
	stopPoll  = 100 * time.Millisecond
	stopPolls = 110
)

// scriptPIDs is what the script's `cat pidfile` hands to dash's kill: the
// words of the file, and the pids kill signals before it meets a word that
// is not a number (bad names that word). Unlike dash, a pid of 0 or below
// (a process group, or every process) counts as not a number.
func scriptPIDs(path string) (pids []int, words []string, bad string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, ""
	}
	words = strings.Fields(string(b))
	for _, w := range words {
		pid, err := strconv.Atoi(w)
		if err != nil || pid <= 0 {
			return pids, words, w
		}
		pids = append(pids, pid)
	}
	return pids, words, ""
}

// signalAll is the script's `kill -SIG pids`: every pid is signalled, and
// the result is true if every signal was delivered.
func signalAll(pids []int, sig syscall.Signal) bool {
	ok := len(pids) > 0
	for _, pid := range pids {
		if syscall.Kill(pid, sig) != nil {
			ok = false
		}
	}
	return ok
}

// stop is `ipsec stop`: SIGTERM to the starter, which stops the daemon;
// wait up to 11 s for it to go, then kill it and remove its pid file.
// Stopping what does not run counts as success.
func stop([]string) int {
	p := currentPaths()
	if exists(p.starterPID) {
		fmt.Fprintln(strokeStdio.err, "Stopping strongSwan IPsec...")
		pids, words, bad := scriptPIDs(p.starterPID)
		if len(words) > 0 {
			signalAll(pids, syscall.SIGTERM)
			loop := stopPolls
			for ; loop > 0; loop-- {
				if bad != "" || !signalAll(pids, 0) {
					break
				}
				time.Sleep(stopPoll)
			}
			if loop <= 0 {
				signalAll(pids, syscall.SIGKILL)
				os.Remove(p.starterPID)
			}
		}
	} else {
		fmt.Fprintln(strokeStdio.err, "Stopping strongSwan IPsec failed: starter is not running")
	}
	if st, err := os.Stat(lockDir); err == nil && st.IsDir() {
		os.Remove(lockDir + "/ipsec")
	}
	return 0
}

func init() {
	register("stop", command{run: stop})
}
