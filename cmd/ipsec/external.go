package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/goswan/goswan/internal/version"
)

// Programs the ipsec script runs from strongSwan's directories rather
// than implementing: the updown script above all, which charon's updown
// plugin calls as `ipsec _updown iptables` for every CHILD_SA, and tools
// that ship with strongSwan. goswan's ipsec runs them the same way, with
// the same IPSEC_* environment, so scripts written for strongSwan work.
var (
	helperDir    = "/usr/lib/ipsec"
	helperBinDir = "/usr/bin"
)

func init() {
	for _, name := range []string{"_updown", "_imv_policy", "attest", "conftest", "dumm", "irdumm", "pool",
		"pt-tls-client", "duplicheck", "error-notify", "imv_policy_manager", "load-tester", "lookip", "whitelist"} {
		name := name
		register(name, command{run: func(args []string) int {
			return execExternal(filepath.Join(helperDir, name), args)
		}})
	}
	for _, name := range []string{"aikgen", "pki"} {
		name := name
		register(name, command{run: func(args []string) int {
			return execExternal(filepath.Join(helperBinDir, name), args)
		}})
	}
}

// scriptEnv is the environment the ipsec script exports to what it runs.
func scriptEnv() []string {
	return append(os.Environ(),
		"IPSEC_DIR="+helperDir, "IPSEC_BINDIR="+helperBinDir, "IPSEC_SBINDIR=/usr/sbin",
		"IPSEC_CONFDIR=/etc", "IPSEC_PIDDIR=/var/run", "IPSEC_SCRIPT=ipsec",
		"IPSEC_VERSION="+version.IpsecVersionCode(), "IPSEC_NAME=strongSwan",
		"IPSEC_STARTER_PID=/var/run/starter.charon.pid", "IPSEC_CHARON_PID=/var/run/charon.pid")
}

// execExternal replaces this process with path, as the script's exec.
func execExternal(path string, args []string) int {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		fmt.Fprintf(os.Stderr, "ipsec: unknown command `%s' (`ipsec --help' for list)\n", filepath.Base(path))
		return 2
	}
	err = syscall.Exec(path, append([]string{path}, args...), scriptEnv())
	fmt.Fprintf(os.Stderr, "ipsec: running %s failed: %v\n", path, err)
	return 2
}
