package starter

import (
	"errors"
	"math"
	"time"

	"github.com/goswan/goswan/internal/clib"
)

// Options are starter's command-line options.
type Options struct {
	// NoFork keeps starter in the foreground, logging to stderr as well as
	// syslog, and starts the daemon without --use-syslog.
	NoFork bool
	// AttachGDB runs the daemon under /usr/bin/gdb --args (implies NoFork).
	AttachGDB bool
	// LogLevel is starter's own log level: 1 by default, 2 with --debug, 3
	// with --debug-more, 4 with --debug-all, 0 with --nolog.
	LogLevel int
	// AutoUpdate rereads ipsec.conf this often, as on SIGHUP; 0 never.
	AutoUpdate time.Duration
	// Daemon names the IKE daemon: its binary in the daemon directory and
	// its pid files (charon).
	Daemon string
	// ConfFile is ipsec.conf; empty means strongswan.conf's
	// starter.config_file, by default /etc/ipsec.conf.
	ConfFile string
	// ConfTest only checks ipsec.conf ("config OK" / "config invalid!").
	ConfTest bool
}

// ErrUsage is returned for arguments starter does not accept; it then
// prints Usage and exits with ExitInvalidArgument.
var ErrUsage = errors.New("starter: invalid arguments")

// Usage is what starter prints to stderr for bad arguments.
const Usage = `Usage: starter [--nofork] [--auto-update <sec>]
               [--debug|--debug-more|--debug-all|--nolog]
               [--attach-gdb] [--daemon <name>]
               [--conf <path to ipsec.conf>]
`

// Exit codes of the Linux Standard Base init script actions, which starter
// uses.
const (
	ExitSuccess         = 0
	ExitFailure         = 1
	ExitInvalidArgument = 2
	ExitNotAllowed      = 4
	ExitNotRunning      = 7
)

// ParseArgs reads starter's arguments as its main() does: every option is
// matched exactly (no abbreviations, no --opt=value), options taking a value
// take the next argument and are unknown without one, and the first
// argument that is not an option is an error.
func ParseArgs(args []string) (Options, error) {
	o := Options{LogLevel: 1, Daemon: "charon"}
	for i := 0; i < len(args); i++ {
		hasValue := i+1 < len(args)
		switch a := args[i]; {
		case a == "--debug":
			o.LogLevel = 2
		case a == "--debug-more":
			o.LogLevel = 3
		case a == "--debug-all":
			o.LogLevel = 4
		case a == "--nolog":
			o.LogLevel = 0
		case a == "--nofork":
			o.NoFork = true
		case a == "--attach-gdb":
			o.NoFork, o.AttachGDB = true, true
		case a == "--auto-update" && hasValue:
			i++
			n := clib.Atoi(args[i])
			if n == 0 {
				return o, ErrUsage
			}
			// starter stores atoi's int in an unsigned long: a negative
			// value becomes an interval no machine lives to see.
			if n < 0 {
				o.AutoUpdate = math.MaxInt64
			} else {
				o.AutoUpdate = time.Duration(n) * time.Second
			}
		case a == "--daemon" && hasValue:
			i++
			o.Daemon = args[i]
		case a == "--conf" && hasValue:
			i++
			o.ConfFile = args[i]
		case a == "--conftest":
			o.ConfTest = true
		default:
			return o, ErrUsage
		}
	}
	return o, nil
}
