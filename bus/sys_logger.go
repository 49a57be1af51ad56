package bus

import (
	"fmt"
	"log/syslog"
	"strings"
	"sync"
)

// SyslogOptions are charon.syslog.<facility>.* settings.
type SyslogOptions struct {
	IKEName  bool
	LogLevel bool
	// MapLevel maps charon levels onto syslog priorities (MapLevel+level);
	// negative logs everything at LOG_INFO, as charon's default.
	MapLevel int
}

var facilities = map[string]syslog.Priority{
	"auth": syslog.LOG_AUTH, "authpriv": syslog.LOG_AUTHPRIV, "cron": syslog.LOG_CRON,
	"daemon": syslog.LOG_DAEMON, "ftp": syslog.LOG_FTP, "kern": syslog.LOG_KERN,
	"lpr": syslog.LOG_LPR, "mail": syslog.LOG_MAIL, "news": syslog.LOG_NEWS,
	"syslog": syslog.LOG_SYSLOG, "user": syslog.LOG_USER, "uucp": syslog.LOG_UUCP,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2,
	"local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5,
	"local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

// IsSyslogFacility reports whether name is a facility charon accepts.
func IsSyslogFacility(name string) bool { _, ok := facilities[name]; return ok }

// SysLogger logs to the local syslog daemon, one syslog record per line.
type SysLogger struct {
	mu       sync.Mutex
	w        *syslog.Writer
	opts     SyslogOptions
	levels   Levels
	facility syslog.Priority
}

// OpenSysLogger connects to syslog with charon's identifier.
func OpenSysLogger(facility, ident string, opts SyslogOptions, levels Levels) (*SysLogger, error) {
	f, ok := facilities[facility]
	if !ok {
		return nil, fmt.Errorf("unknown syslog facility %q", facility)
	}
	w, err := syslog.New(f|syslog.LOG_INFO, ident)
	if err != nil {
		return nil, err
	}
	return &SysLogger{w: w, opts: opts, levels: levels, facility: f}, nil
}

// Level implements Sink.
func (s *SysLogger) Level(g Group) Level {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.levels[g]
}

// SetLevel changes one group's level (Any: all groups).
func (s *SysLogger) SetLevel(g Group, l Level) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.levels.set(g, l)
}

// Log implements Sink.
func (s *SysLogger) Log(g Group, l Level, thread int, sa SAInfo, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := Prefix(g, l, thread, sa, s.opts.LogLevel, s.opts.IKEName)
	for _, line := range strings.Split(msg, "\n") {
		text := prefix + " " + line
		if s.opts.MapLevel < 0 {
			s.w.Info(text)
			continue
		}
		switch min(int(syslog.LOG_DEBUG), s.opts.MapLevel+int(l)) {
		case 0:
			s.w.Emerg(text)
		case 1:
			s.w.Alert(text)
		case 2:
			s.w.Crit(text)
		case 3:
			s.w.Err(text)
		case 4:
			s.w.Warning(text)
		case 5:
			s.w.Notice(text)
		case 6:
			s.w.Info(text)
		default:
			s.w.Debug(text)
		}
	}
}

// Close disconnects from syslog.
func (s *SysLogger) Close() error { return s.w.Close() }
