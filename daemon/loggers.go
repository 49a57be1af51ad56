package daemon

import (
	"fmt"
	"os"

	"github.com/goswan/goswan/bus"
)

// loadLoggers sets up the loggers strongswan.conf configures
// (charon.syslog.<facility>, charon.filelog.<name>), or, when it configures
// none, charon's legacy defaults: syslog daemon and stdout at the command
// line's levels (stdout only without --use-syslog) and syslog auth at
// audit level (daemon.c load_loggers).
func (d *Daemon) loadLoggers() error {
	s := d.Settings()
	ident := s.Str("charon.syslog.identifier", "charon")
	var sinks []bus.Sink
	var problems []error
	for _, l := range s.SyslogLoggers("charon") {
		sl, err := bus.OpenSysLogger(l.Facility, ident,
			bus.SyslogOptions{IKEName: l.IKEName, LogLevel: l.LogLevel, MapLevel: l.MapLevel}, bus.Levels(l.Levels))
		if err != nil {
			// No syslog daemon (containers, test namespaces): charon's
			// openlog does not fail either, the messages just go nowhere.
			continue
		}
		sinks = append(sinks, sl)
	}
	for _, l := range s.FileLoggers("charon") {
		fl, err := bus.OpenFileLogger(l.Path, bus.FileOptions{
			TimeFormat: l.TimeFormat, TimeAddMS: l.TimeAddMS, IKEName: l.IKEName,
			LogLevel: l.LogLevel, FlushLine: l.FlushLine, Append: l.Append,
		}, bus.Levels(l.Levels))
		if err != nil {
			problems = append(problems, err)
			continue
		}
		sinks = append(sinks, fl)
	}
	if len(sinks) == 0 {
		if sl, err := bus.OpenSysLogger("daemon", ident, bus.SyslogOptions{MapLevel: -1}, d.opts.Levels); err == nil {
			sinks = append(sinks, sl)
		}
		var silent bus.Levels
		for i := range silent {
			silent[i] = bus.Silent
		}
		stdoutLevels := silent
		if !d.opts.UseSyslog {
			stdoutLevels = d.opts.Levels
		}
		if fl, err := bus.OpenFileLogger("stdout", bus.FileOptions{}, stdoutLevels); err == nil {
			sinks = append(sinks, fl)
		}
		audit := silent
		for i := range audit {
			audit[i] = bus.Audit
		}
		if sl, err := bus.OpenSysLogger("auth", ident, bus.SyslogOptions{MapLevel: -1}, audit); err == nil {
			sinks = append(sinks, sl)
		}
	}
	d.sinkMu.Lock()
	old := d.sinks
	d.sinks = sinks
	d.bus.SetSinks(sinks...)
	d.sinkMu.Unlock()
	for _, o := range old {
		if f, ok := o.(interface{ Flush() }); ok {
			f.Flush()
		}
		if c, ok := o.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}
	for _, err := range problems {
		// charon reports this on stderr before any logger works.
		fmt.Fprintf(os.Stderr, "00[LIB] %v\n", err)
	}
	return nil
}

// SetLevel implements stroke.LogLevels: ipsec stroke loglevel changes the
// group's level in every logger, as charon's set_level does.
func (d *Daemon) SetLevel(g bus.Group, l bus.Level) {
	d.sinkMu.Lock()
	defer d.sinkMu.Unlock()
	for _, s := range d.sinks {
		if x, ok := s.(interface{ SetLevel(bus.Group, bus.Level) }); ok {
			x.SetLevel(g, l)
		}
	}
	d.bus.LevelsChanged()
}
