package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/goswan/goswan/internal/version"
	"github.com/goswan/goswan/starter"
)

// The starter commands: start and restart as the ipsec script runs them,
// and the starter itself (strongSwan's /usr/lib/ipsec/starter), which goswan
// has built in.
//
// The IKE daemon is <dir>/<daemon name> (charon unless --daemon or
// DAEMON_NAME say otherwise), where dir is, in this order:
//
//	$GOSWAN_IPSEC_DIR if set;
//	the directory of this ipsec executable, if the daemon is there (a
//	goswan build: bin/ipsec runs bin/charon);
//	../libexec/ipsec next to it, if the daemon is there (make install);
//	/usr/lib/ipsec, strongSwan's IPSEC_DIR, which an installed goswan
//	replaces.

// lockDir holds the script's subsys lock, ipsec, which start creates and
// stop removes only where the directory exists (Red Hat style init).
var lockDir = "/var/lock/subsys"

// restartPause is the script's `sleep 2` between stop and start.
var restartPause = 2 * time.Second

// daemonName is the script's DAEMON_NAME.
func daemonName() string {
	if d := os.Getenv("DAEMON_NAME"); d != "" {
		return d
	}
	return "charon"
}

// ipsecDir is where the daemon named in the starter arguments is run from.
func ipsecDir(args []string) string {
	if d := os.Getenv("GOSWAN_IPSEC_DIR"); d != "" {
		return d
	}
	daemon := "charon"
	if opts, err := starter.ParseArgs(args); err == nil {
		daemon = opts.Daemon
	}
	exe, _ := os.Executable()
	return starter.DaemonDir(exe, daemon)
}

// starterEnv is where the starter finds and keeps things, from the
// installation and the environment (see stroke_cmds.go for the variables).
func starterEnv(args []string) starter.Env {
	env := starter.Env{
		IPsecDir:       ipsecDir(args),
		PIDDir:         pidDir(),
		CharonPIDFile:  os.Getenv("GOSWAN_CHARON_PID"),
		StarterPIDFile: os.Getenv("GOSWAN_STARTER_PID"),
		Stderr:         strokeStdio.err,
		Syslog:         starter.OpenSyslog,
	}
	if v := os.Getenv("GOSWAN_STROKE_SOCKET"); v != "" {
		env.StrokeSocket = strokeSocketURI("")
	}
	if exe, err := os.Executable(); err == nil {
		env.Self = []string{exe, "starter"}
	}
	return env
}

// runStarter is /usr/lib/ipsec/starter.
func runStarter(args []string) int {
	// A developer's knob, not strongSwan's: GOSWAN_STARTER_CPUPROFILE=PREFIX
	// writes a CPU profile of the starter's run to PREFIX.<pid>
	// (BENCHMARKS.md, ipsec start).
	if p := os.Getenv("GOSWAN_STARTER_CPUPROFILE"); p != "" {
		if f, err := os.Create(fmt.Sprintf("%s.%d", p, os.Getpid())); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	return starter.Main(args, starterEnv(args))
}

// exportScriptEnv sets what the ipsec script exports to starter, and thus
// to the daemon and its updown scripts.
func exportScriptEnv(args []string) {
	if os.Getenv("PATH") == "" {
		os.Setenv("PATH", "/sbin:/bin:/usr/sbin:/usr/bin")
	}
	p := currentPaths()
	for k, v := range map[string]string{
		"IPSEC_DIR":         ipsecDir(args),
		"IPSEC_BINDIR":      "/usr/bin",
		"IPSEC_SBINDIR":     "/usr/sbin",
		"IPSEC_CONFDIR":     "/etc",
		"IPSEC_PIDDIR":      pidDir(),
		"IPSEC_SCRIPT":      "ipsec",
		"IPSEC_VERSION":     version.IpsecVersionCode(),
		"IPSEC_NAME":        "strongSwan",
		"IPSEC_STARTER_PID": p.starterPID,
		"IPSEC_CHARON_PID":  p.charonPID,
	} {
		os.Setenv(k, v)
	}
}

// start is `ipsec start [starter options]`: touch the lock file where that
// is done, then the starter with --daemon $DAEMON_NAME before the options
// given.
func start(args []string) int {
	if st, err := os.Stat(lockDir); err == nil && st.IsDir() {
		lock := lockDir + "/ipsec"
		if f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
			f.Close()
			now := time.Now()
			os.Chtimes(lock, now, now)
		}
	}
	args = append([]string{"--daemon", daemonName()}, args...)
	exportScriptEnv(args)
	return runStarter(args)
}

func init() {
	register("start", command{run: start})
	register("restart", command{run: func(args []string) int {
		stop(nil)
		time.Sleep(restartPause)
		return start(args)
	}})
	register("starter", command{
		run: runStarter,
	})
}
