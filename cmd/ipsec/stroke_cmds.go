package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/goswan/goswan/stroke"
)

// The ipsec script's commands that talk to the daemon through stroke, with
// the script's preconditions and exit codes (reference ipsec_cli.md):
// almost all run only if charon's pid file exists, and exit 7 without
// output otherwise; status and statusall exit with the starter's liveness.
//
// Paths follow strongSwan's IPSEC_PIDDIR (/var/run) and can be moved for
// tests and non-standard installations through the environment:
//
//	DAEMON_NAME           daemon name, as in the ipsec script (charon)
//	GOSWAN_PIDDIR         directory of the pid files and the socket (/var/run)
//	GOSWAN_CHARON_PID     the daemon's pid file ($GOSWAN_PIDDIR/$DAEMON_NAME.pid)
//	GOSWAN_STARTER_PID    starter's pid file ($GOSWAN_PIDDIR/starter.$DAEMON_NAME.pid)
//	GOSWAN_STROKE_SOCKET  the stroke socket, URI or path
//	                      (unix://$GOSWAN_PIDDIR/charon.ctl)

// exitNotRunning is the script's rc=7 when the daemon's pid file is missing.
const exitNotRunning = 7

// ipsecPaths are the files the ipsec script looks at.
type ipsecPaths struct {
	charonPID, starterPID string
}

func pidDir() string {
	if d := os.Getenv("GOSWAN_PIDDIR"); d != "" {
		return d
	}
	return "/var/run"
}

func currentPaths() ipsecPaths {
	daemon := os.Getenv("DAEMON_NAME")
	if daemon == "" {
		daemon = "charon"
	}
	p := ipsecPaths{
		charonPID:  pidDir() + "/" + daemon + ".pid",
		starterPID: pidDir() + "/starter." + daemon + ".pid",
	}
	if v := os.Getenv("GOSWAN_CHARON_PID"); v != "" {
		p.charonPID = v
	}
	if v := os.Getenv("GOSWAN_STARTER_PID"); v != "" {
		p.starterPID = v
	}
	return p
}

// strokeSocketURI is the socket of the daemon named by stroke's --daemon:
// strongswan.conf's <daemon>.plugins.stroke.socket, whose default for every
// daemon name is charon's socket in the pid directory.
func strokeSocketURI(daemon string) string {
	if v := os.Getenv("GOSWAN_STROKE_SOCKET"); v != "" {
		if strings.HasPrefix(v, "/") {
			return "unix://" + v
		}
		return v
	}
	if d := pidDir(); d != "/var/run" {
		return "unix://" + d + "/charon.ctl"
	}
	return stroke.DefaultSocketURI
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// whenCharonRuns runs stroke with args if the daemon's pid file exists, as
// the script's `rc=7; if [ -e $IPSEC_CHARON_PID ]; then stroke ...` does.
func whenCharonRuns(args ...string) int {
	if !exists(currentPaths().charonPID) {
		return exitNotRunning
	}
	return strokeMain(args)
}

// exactlyOne is the script's argument check of up, down, route, unroute.
func exactlyOne(op string, args []string, run func() int) int {
	if len(args) != 1 {
		fmt.Fprintf(strokeStdio.out, "Usage: ipsec %s <connection name>\n", op)
		return 2
	}
	return run()
}

func init() {
	for _, op := range []string{"up", "down", "route", "unroute"} {
		register(op, command{run: func(args []string) int {
			return exactlyOne(op, args, func() int {
				// Passed bare as by the script, so a name that starts
				// with "-" is an option to stroke there too.
				return whenCharonRuns(op, args[0])
			})
		}})
	}
	register("down-srcip", command{run: func(args []string) int {
		if len(args) < 1 {
			fmt.Fprintf(strokeStdio.out, "Usage: ipsec down-srcip <start> [<end>]\n")
			return 2
		}
		// The script passes $* unquoted, so the arguments are split again
		// at blanks.
		return whenCharonRuns(append([]string{"down-srcip"}, strings.Fields(strings.Join(args, " "))...)...)
	}})
	for _, op := range []string{"status", "statusall"} {
		register(op, command{run: func(args []string) int {
			return status(op, args)
		}})
	}
	register("leases", command{run: func(args []string) int {
		return whenCharonRuns(append([]string{"leases"}, args[:min(len(args), 2)]...)...)
	}})
	// These pass all their arguments on (--utc, a counter name).
	for _, op := range []string{"listalgs", "listpubkeys", "listplugins", "listcerts",
		"listcacerts", "listaacerts", "listacerts", "listgroups", "listocspcerts",
		"listcainfos", "listcrls", "listocsp", "listall", "rereadsecrets", "rereadcacerts",
		"rereadaacerts", "rereadacerts", "rereadocspcerts", "rereadcrls", "rereadall",
		"purgeocsp", "listcounters", "resetcounters"} {
		register(op, command{run: func(args []string) int {
			return whenCharonRuns(append([]string{op}, args...)...)
		}})
	}
	// These ignore their arguments.
	for _, op := range []string{"purgeike", "purgecrls", "purgecerts"} {
		register(op, command{run: func([]string) int { return whenCharonRuns(op) }})
	}
	register("secrets", command{run: func([]string) int {
		return whenCharonRuns("rereadsecrets")
	}})
}

// status is `ipsec status|statusall [name]`: the daemon's answer if its pid
// file exists, and an LSB exit code that ignores that answer: 0 if the
// starter in its pid file is alive, 1 if not, 3 without a pid file.
func status(op string, args []string) int {
	p := currentPaths()
	if exists(p.charonPID) {
		strokeArgs := []string{op}
		if len(args) > 0 {
			strokeArgs = append(strokeArgs, args[0])
		}
		strokeMain(strokeArgs)
	}
	if !exists(p.starterPID) {
		return 3
	}
	return killZero(p.starterPID)
}

// killZero is the script's `kill -0 $(cat pidfile)` under dash: 2 if the
// file holds no valid pid, 1 if any pid cannot be signalled, else 0.
func killZero(pidFile string) int {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 2 // cat fails, kill gets no pid
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 2
	}
	rc := 0
	for _, f := range fields {
		pid, err := strconv.Atoi(f)
		if err != nil || strings.HasPrefix(f, "+") {
			return 2
		}
		if syscall.Kill(pid, 0) != nil {
			rc = 1
		}
	}
	return rc
}
