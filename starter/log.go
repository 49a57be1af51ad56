package starter

import (
	"fmt"
	"io"
	"log/syslog"
	"strings"
	"sync"
)

// SyslogWriter is the part of a syslog connection starter uses: it logs
// every line at LOG_INFO.
type SyslogWriter interface {
	Info(msg string) error
	Close() error
}

// SyslogIdent is the name starter logs under (openlog's ident).
const SyslogIdent = "ipsec_starter"

// OpenSyslog connects to the local syslog daemon as starter does:
// identifier ipsec_starter with the pid, facility authpriv.
func OpenSyslog() (SyslogWriter, error) {
	return syslog.New(syslog.LOG_AUTHPRIV|syslog.LOG_INFO, SyslogIdent)
}

// syslogMax is the size of starter's formatting buffer: a longer message is
// cut before it is split into syslog lines (stderr gets all of it).
const syslogMax = 8192 - 1

// logger is starter_dbg: a message at a level up to the current one goes to
// stderr (with a newline) while stderr logging is on, and to syslog, one
// record per line, while syslog is open.
type logger struct {
	mu     sync.Mutex
	level  int
	stderr io.Writer    // nil: not logging to stderr
	sys    SyslogWriter // nil: not logging to syslog
	// quiet drops everything: the background starter repeats the checks
	// the foreground one already logged.
	quiet bool
}

func (l *logger) logf(level int, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.quiet || level > l.level {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if l.stderr != nil {
		io.WriteString(l.stderr, msg+"\n")
	}
	if l.sys != nil {
		if len(msg) > syslogMax {
			msg = msg[:syslogMax]
		}
		// A message that ends in a newline makes an empty last record,
		// as starter's line splitting does.
		for _, line := range strings.Split(msg, "\n") {
			l.sys.Info(line)
		}
	}
}

func (l *logger) dbg1(format string, args ...any) { l.logf(1, format, args...) }
func (l *logger) dbg2(format string, args ...any) { l.logf(2, format, args...) }
func (l *logger) dbg3(format string, args ...any) { l.logf(3, format, args...) }

// setStderr turns stderr logging on (w) or off (nil).
func (l *logger) setStderr(w io.Writer) {
	l.mu.Lock()
	l.stderr = w
	l.mu.Unlock()
}

// openSyslog (re)connects to syslog; without a syslog daemon starter logs
// to stderr only.
func (l *logger) openSyslog(open func() (SyslogWriter, error)) {
	l.closeSyslog()
	if open == nil {
		return
	}
	w, err := open()
	if err != nil {
		return
	}
	l.mu.Lock()
	l.sys = w
	l.mu.Unlock()
}

func (l *logger) closeSyslog() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sys != nil {
		l.sys.Close()
		l.sys = nil
	}
}
