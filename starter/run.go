package starter

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/internal/version"
)

// Actions pending in the main loop (starter.c's FLAG_ACTION_*).
const (
	actUpdate      = 1 << 1
	actReload      = 1 << 2
	actQuit        = 1 << 3
	actStartCharon = 1 << 5
)

// testHookIdle is called whenever the main loop has done everything it had
// to and is about to wait: tests know then that every message is out.
var testHookIdle func()

// Devices starter insists on before it starts anything.
var randomDevices = []string{"/dev/random", "/dev/urandom"}

// starter is one run of starter: its options and files, the daemon it
// watches, and the loaded configuration.
type starter struct {
	opts     Options
	env      Env
	paths    paths
	settings *settings.Settings
	log      *logger
	confFile string

	core       *core
	action     int
	lastReload time.Time

	// The daemon: its pid (0 while it does not run) and process, the exit
	// reports of the process, and whether starter itself stopped it.
	pid           int
	proc          *os.Process
	exits         chan childExit
	stopRequested bool

	// alarmC fires when the daemon is to be started again (alarm(2)).
	alarmT *time.Timer
	alarmC <-chan time.Time
}

// Main runs starter with its command-line arguments (those after "ipsec
// start", or the daemon's own) and returns its exit code.
func Main(args []string, env Env) int {
	opts, err := ParseArgs(args)
	if err != nil {
		if env.Stderr != nil {
			fmt.Fprint(env.Stderr, Usage)
		}
		return ExitInvalidArgument
	}
	s := &starter{opts: opts, env: env, paths: env.paths(opts.Daemon), exits: make(chan childExit, 1)}
	s.settings = env.Settings
	if s.settings == nil {
		s.settings = loadSettings(env.Stderr)
	}
	s.confFile = opts.ConfFile
	if s.confFile == "" {
		s.confFile = s.settings.Str("starter.config_file", ipsecconf.DefaultPath)
	}
	bg, detached := detachedChild()
	s.log = &logger{level: opts.LogLevel, stderr: env.Stderr, quiet: detached}
	s.log.openSyslog(env.Syslog)
	defer s.log.closeSyslog()

	if rc, done := s.prepare(); done {
		return rc
	}
	if detached {
		s.log.quiet = false
		s.log.setStderr(nil)
	} else if !opts.NoFork {
		// Logging to stderr stops before the fork in either process.
		s.log.setStderr(nil)
		if err := s.detach(args); err == nil {
			return ExitSuccess
		} else {
			s.log.dbg1("can't fork: %s", strerror(err))
		}
	}
	return s.run(bg)
}

// loadSettings reads strongswan.conf as library_init does. A file that
// does not load leaves every setting at its default, and starter goes on;
// libstrongswan says why on stderr, before starter's own logging starts.
func loadSettings(stderr io.Writer) *settings.Settings {
	s, err := settings.LoadDefault(nil)
	if err == nil || stderr == nil {
		return s
	}
	path := settings.Path()
	for _, p := range s.Problems.Filter(confparse.Fatal) {
		switch {
		case p.Pos.Line == 0 && strings.HasPrefix(p.Msg, "failed to open config file"):
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(stderr, "no files found matching '%s'\n", path)
			} else {
				fmt.Fprintf(stderr, "%s\n", p.Msg)
			}
		default:
			fmt.Fprintf(stderr, "%s\n", p.Error())
		}
	}
	fmt.Fprintf(stderr, "abort initialization due to invalid configuration\n")
	return s
}

// prepare is everything starter does before it forks; done means starter
// exits with rc.
func (s *starter) prepare() (rc int, done bool) {
	log := s.log
	if s.opts.ConfTest {
		if loadConfig(s.confFile, s.env.NetDB, log) == nil {
			log.dbg1("config invalid!")
			return ExitInvalidArgument, true
		}
		log.dbg1("config OK")
		return ExitSuccess, true
	}
	if _, err := os.Stat(s.paths.daemon); err != nil {
		log.dbg1("IKE daemon '%s' not found", s.paths.daemon)
		return ExitFailure, true
	}
	swan := "strong"
	if s.settings.Bool("charon.i_dont_care_about_security_and_use_aggressive_mode_psk", false) {
		swan = "weak"
	}
	log.dbg1("Starting %sSwan %s IPsec [starter]...", swan, version.StrongSwan)
	// Debian builds starter with the load warning on.
	if s.settings.Bool("starter.load_warning", true) {
		if _, ok := s.settings.Value("charon.load"); ok {
			log.dbg1("!! Your strongswan.conf contains manual plugin load options for charon.")
			log.dbg1("!! This is recommended for experts only, see")
			log.dbg1("!! https://docs.strongswan.org/docs/5.9/plugins/pluginLoad.html")
		}
	}
	if os.Getuid() != 0 && !s.env.AllowNonRoot {
		log.dbg1("permission denied (must be superuser)")
		return ExitNotAllowed, true
	}
	if checkPID(s.paths.charonPID, log) {
		log.dbg1("%s is already running (%s exists) -- skipping daemon start", s.opts.Daemon, s.paths.charonPID)
	} else {
		s.action |= actStartCharon
	}
	for _, dev := range randomDevices {
		if _, err := os.Stat(dev); err != nil {
			log.dbg1("unable to start strongSwan IPsec -- no %s!", dev)
			return ExitFailure, true
		}
	}
	cfg := loadConfig(s.confFile, s.env.NetDB, log)
	if cfg == nil {
		log.dbg1("unable to start strongSwan -- fatal errors in config")
		return ExitInvalidArgument, true
	}
	s.core = newCore(cfg)
	s.lastReload = time.Now()
	if checkPID(s.paths.starterPID, log) {
		log.dbg1("starter is already running (%s exists) -- no fork done", s.paths.starterPID)
		return ExitSuccess, true
	}
	return 0, false
}

// run is starter's life after the fork: the pid file, the signals, and the
// main loop until it is told to quit.
func (s *starter) run(bg *os.File) int {
	sigs := s.env.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 8)
		signal.Notify(ch, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT,
			syscall.SIGALRM, syscall.SIGUSR1)
		defer signal.Stop(ch)
		sigs = ch
	}
	writePID(s.paths.starterPID)
	if bg != nil {
		// Tell the foreground starter that this one has taken over.
		bg.Write([]byte{1})
		bg.Close()
	}
	defer s.stopAlarm()
	for {
		if s.action&actQuit != 0 {
			if s.charonPID() != 0 {
				s.stopCharon()
			}
			os.Remove(s.paths.starterPID)
			s.log.dbg1("ipsec starter stopped")
			return ExitSuccess
		}
		if s.action&actReload != 0 {
			s.action &^= actReload
			s.core.deleteAll(s)
		}
		if s.action&actUpdate != 0 {
			s.action &^= actUpdate
			s.log.dbg2("Reloading config...")
			if cfg := loadConfig(s.confFile, s.env.NetDB, s.log); cfg != nil {
				s.core.update(cfg, s)
			} else {
				s.log.dbg1("can't reload config file due to errors -- keeping old one")
			}
			s.lastReload = time.Now()
		}
		if s.action&actStartCharon != 0 {
			s.action &^= actStartCharon
			if s.charonPID() == 0 {
				s.log.dbg2("Attempting to start %s...", s.opts.Daemon)
				if !s.startCharon(s.core.cfg.cfg) {
					s.alarm(restartDelay)
				}
				s.core.configure(s)
			}
			s.core.markAllToAdd()
		}
		s.core.addPending(s)
		if s.action == 0 {
			s.wait(sigs)
		}
	}
}

// send is daemonLink's send: a message to the daemon's stroke socket.
func (s *starter) send(m message) {
	sendStroke(s.socketURI(), m, s.log)
}

func (s *starter) socketURI() string {
	if s.env.StrokeSocket != "" {
		return s.env.StrokeSocket
	}
	piddir := s.env.PIDDir
	if piddir == "" {
		piddir = DefaultPIDDir
	}
	return s.settings.Str(s.opts.Daemon+".plugins.stroke.socket", "unix://"+piddir+"/charon.ctl")
}

// wait is starter's pselect(): it returns once a signal arrived, the daemon
// exited, the restart alarm went off or it is time for an automatic update.
func (s *starter) wait(sigs <-chan os.Signal) {
	if testHookIdle != nil {
		testHookIdle()
	}
	var auto <-chan time.Time
	if s.opts.AutoUpdate > 0 {
		d := time.Until(s.lastReload.Add(s.opts.AutoUpdate))
		if s.lastReload.Add(s.opts.AutoUpdate).Before(s.lastReload) {
			d = 1<<63 - 1 // an interval past the end of time
		}
		t := time.NewTimer(max(d, 0))
		defer t.Stop()
		auto = t.C
	}
	select {
	case sig := <-sigs:
		s.signal(sig)
	case e := <-s.exits:
		s.reap(e)
	case <-s.alarmC:
		s.alarmC = nil
		s.action |= actStartCharon
	case <-auto:
		s.action |= actUpdate
	}
}

// signal is starter's signal handler for the signals it handles in
// pselect.
func (s *starter) signal(sig os.Signal) {
	switch sig {
	case syscall.SIGALRM:
		s.action |= actStartCharon
	case syscall.SIGHUP:
		s.action |= actUpdate
	case syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGINT:
		s.action |= actQuit
	case syscall.SIGUSR1:
		s.action |= actReload | actUpdate
	default:
		if n, ok := sig.(syscall.Signal); ok {
			s.log.dbg1("fsig(): unknown signal %d -- investigate", int(n))
		}
	}
}

// alarm is alarm(2): the daemon is started again after d, replacing an
// earlier schedule.
func (s *starter) alarm(d time.Duration) {
	s.stopAlarm()
	s.alarmT = time.NewTimer(d)
	s.alarmC = s.alarmT.C
}

func (s *starter) stopAlarm() {
	if s.alarmT != nil {
		s.alarmT.Stop()
		s.alarmT, s.alarmC = nil, nil
	}
}
