package starter

import (
	"io"
	"os"
	"path/filepath"

	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/internal/netdb"
)

// Installation paths of Debian's strongSwan 5.9.8 (the ipsec script's
// IPSEC_DIR and IPSEC_PIDDIR).
const (
	DefaultIPsecDir = "/usr/lib/ipsec"
	DefaultPIDDir   = "/var/run"
)

// Env is where starter finds the daemon and keeps its files, and what it
// talks to. cmd/ipsec fills it from the installation and the environment;
// tests point it at temporary directories and fakes.
type Env struct {
	// IPsecDir holds the daemons: starter runs IPsecDir/<Options.Daemon>.
	IPsecDir string
	// PIDDir holds the pid files and charon.ctl.
	PIDDir string
	// CharonPIDFile and StarterPIDFile replace PIDDir/<daemon>.pid and
	// PIDDir/starter.<daemon>.pid when set.
	CharonPIDFile, StarterPIDFile string
	// StrokeSocket replaces the socket URI, which is otherwise
	// strongswan.conf's <daemon>.plugins.stroke.socket, by default
	// unix://PIDDir/charon.ctl.
	StrokeSocket string
	// Settings is strongswan.conf; nil loads settings.Path().
	Settings *settings.Settings
	// NetDB resolves the protocol and service names of leftprotoport=;
	// nil reads /etc/protocols and /etc/services at each load, as
	// starter's getprotobyname and getservbyname calls do.
	NetDB *netdb.DB
	// Stderr receives starter's log while it runs in the foreground.
	Stderr io.Writer
	// Syslog opens the system logger; nil runs without syslog.
	Syslog func() (SyslogWriter, error)
	// Self is the command that runs this starter again (program and leading
	// arguments; starter's own arguments are appended), used instead of
	// fork(). Nil makes going to the background fail as a failed fork does.
	Self []string
	// AllowNonRoot drops the superuser check, as strongSwan's
	// STARTER_ALLOW_NON_ROOT build option does.
	AllowNonRoot bool
	// Signals delivers the signals starter acts on (SIGHUP, SIGUSR1,
	// SIGTERM, SIGINT, SIGQUIT, SIGALRM); nil subscribes to the process's.
	Signals <-chan os.Signal
}

// paths are the files of one run, for the daemon name in the options.
type paths struct {
	daemon     string // the daemon's binary
	charonPID  string // written by the daemon
	starterPID string // written by starter
	ctl        string // the stroke socket starter removes before a start
}

func (e *Env) paths(daemon string) paths {
	dir, piddir := e.IPsecDir, e.PIDDir
	if dir == "" {
		dir = DefaultIPsecDir
	}
	if piddir == "" {
		piddir = DefaultPIDDir
	}
	// Concatenated, not joined: a daemon name is used as given.
	p := paths{
		daemon:     dir + "/" + daemon,
		charonPID:  piddir + "/" + daemon + ".pid",
		starterPID: piddir + "/starter." + daemon + ".pid",
		ctl:        piddir + "/charon.ctl",
	}
	if e.CharonPIDFile != "" {
		p.charonPID = e.CharonPIDFile
	}
	if e.StarterPIDFile != "" {
		p.starterPID = e.StarterPIDFile
	}
	return p
}

// DaemonDir is the directory starter takes the daemon from, given the path
// of the running ipsec executable: a goswan build keeps bin/ipsec and
// bin/charon side by side, and `make install` puts charon into
// ../libexec/ipsec relative to sbin/ipsec, so a daemon found in either place
// is goswan's own and is used; otherwise it is the one installed where
// strongSwan keeps it, DefaultIPsecDir (which an installed goswan replaces).
func DaemonDir(executable, daemon string) string {
	if executable == "" {
		return DefaultIPsecDir
	}
	dir := filepath.Dir(executable)
	for _, d := range []string{dir, filepath.Join(dir, "..", "libexec", "ipsec")} {
		if isExecutable(d + "/" + daemon) {
			return d
		}
	}
	return DefaultIPsecDir
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
