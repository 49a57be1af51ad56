package starter

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/internal/netdb"
)

// loadConfig is confread_load with starter's logging: it reads ipsec.conf
// and logs what starter logs while doing so (the sections at level 2, their
// settings at level 3, problems and the error summary at level 1). It
// returns nil when starter would refuse the file. db resolves the names in
// leftprotoport (nil: the system's files).
func loadConfig(path string, db *netdb.DB, log *logger) *ipsecconf.Config {
	cfg, err := ipsecconf.Load(path, &ipsecconf.Options{NetDB: db})
	return logConfig(path, cfg, err, log)
}

// logConfig logs what starter logs for a loaded ipsec.conf and returns it,
// or nil if starter would refuse it.
func logConfig(path string, cfg *ipsecconf.Config, err error, log *logger) *ipsecconf.Config {
	if cfg == nil {
		return nil
	}
	if err != nil && !sectionsLoaded(cfg) {
		// The parser gave up (or an also= reference is broken) before
		// any section was loaded.
		syntax := false
		for _, p := range cfg.Problems.Filter(confparse.Fatal) {
			if strings.HasPrefix(p.Msg, "failed to open config file '") && p.Pos.Line == 0 {
				// starter's parser globs the file name first.
				if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
					log.dbg1("no files found matching '%s'", path)
				} else {
					log.dbg2("unable to open '%s'", path)
				}
				log.dbg1("failed to open config file '%s'", path)
				continue
			}
			if isReferenceProblem(p) || p.Pos.Line == 0 {
				log.dbg1("%s", p.Msg)
				continue
			}
			syntax = true
			log.dbg1("%s", p.Error())
		}
		if syntax {
			log.dbg1("invalid config file '%s'", path)
		}
		return nil
	}
	logSections(cfg, log)
	if err != nil {
		return nil
	}
	return cfg
}

// isReferenceProblem: a broken also= reference, which starter's parser
// reports without a position.
func isReferenceProblem(p *confparse.Error) bool {
	return strings.HasPrefix(p.Msg, "section '") && strings.Contains(p.Msg, "' referenced in section '")
}

// sectionsLoaded tells a file that starter refuses because of its config
// setup section (starter loaded every section and counted the errors) from
// one its parser refused (starter loaded nothing): the errors in config
// setup are about its settings.
func sectionsLoaded(cfg *ipsecconf.Config) bool {
	setup := positions(cfg.Setup.Settings)
	for _, p := range cfg.Problems.Filter(confparse.Fatal) {
		if !setup[p.Pos] {
			return false
		}
	}
	return true
}

// counted reports whether starter counts the problem in its "### N parsing
// errors ###" summary: every error, and the unknown and deprecated keywords.
func counted(p *confparse.Error) bool {
	if p.Severity != confparse.Warning {
		return true
	}
	return strings.HasPrefix(p.Msg, "unknown keyword") || strings.HasPrefix(p.Msg, "deprecated keyword")
}

// Hints that confparse appends to starter's own message; starter prints
// the first two on a line of their own and has none for the others.
var (
	hintLines = map[string]string{
		" (use the 'pkcs11' plugin instead)":                                   "  use the 'pkcs11' plugin instead",
		" (PFS is enabled by specifying a DH group in the 'esp' cipher suite)": "  PFS is enabled by specifying a DH group in the 'esp' cipher suite",
	}
	hintsDropped = []string{
		" (it belongs in config setup)", " (it belongs in a ca section)", " (it belongs in a conn section)",
	}
)

// problemLines are the lines starter logs for a problem, and their level.
func problemLines(p *confparse.Error) (int, []string) {
	if !counted(p) {
		switch {
		case strings.HasPrefix(p.Msg, "unable to open '"):
			return 2, []string{p.Msg}
		case strings.HasPrefix(p.Msg, "no files found matching '"),
			strings.HasPrefix(p.Msg, "no include pattern specified"):
			return 1, []string{p.Msg}
		}
		return 1, []string{p.Error()}
	}
	msg := p.Msg
	for hint, line := range hintLines {
		if strings.HasSuffix(msg, hint) {
			return 1, []string{"# " + strings.TrimSuffix(msg, hint), line}
		}
	}
	for _, hint := range hintsDropped {
		msg = strings.TrimSuffix(msg, hint)
	}
	lines := []string{"# " + msg}
	// A value starter's argument parser rejects gets a second line naming
	// the section.
	if strings.HasPrefix(msg, "bad value: ") || strings.HasPrefix(msg, "bad port") || strings.HasPrefix(msg, "bad protocol") {
		where := "config setup"
		if kind, name, ok := strings.Cut(p.Section, " "); ok {
			where = kind + " '" + name + "'"
		}
		lines = append(lines, "  bad argument value in "+where)
	}
	return 1, lines
}

// logSections logs the sections in the order starter loads them (config
// setup, the ca sections, the conn sections), each with its problems, and
// starter's summary. confparse lists the problems in that order; a warning
// belongs to a loaded section when it is about one of the section's
// effective settings, and a dropped section's problems end with its last
// error.
func logSections(cfg *ipsecconf.Config, log *logger) {
	q := &problemQueue{list: cfg.Problems}
	total, fatal := 0, 0
	for _, p := range cfg.Problems {
		if counted(p) {
			total++
		}
		if p.Severity == confparse.Fatal {
			fatal++
		}
	}

	log.dbg2("Loading config setup")
	setupPos := positions(cfg.Setup.Settings)
	q.takeWhile(log, func(p *confparse.Error) bool {
		return p.Severity == confparse.Fatal || (p.Section == "" && setupPos[p.Pos])
	})
	logSettings(log, cfg.Setup.Settings, cfg.Problems)

	loaded := map[string][]ipsecconf.Setting{}
	for _, ca := range cfg.CAs {
		loaded["ca "+ca.Name] = ca.Settings
	}
	for _, c := range cfg.Conns {
		loaded["conn "+c.Name] = c.Settings
	}
	for _, label := range cfg.Sections {
		kind, name, _ := strings.Cut(label, " ")
		log.dbg2("Loading %s '%s'", kind, name)
		if settings, ok := loaded[label]; ok {
			pos := positions(settings)
			q.takeWhile(log, func(p *confparse.Error) bool { return p.Section == "" && pos[p.Pos] })
			logSettings(log, settings, cfg.Problems)
			continue
		}
		n := 0
		for _, p := range cfg.Problems {
			if p.Section == label {
				n++
			}
		}
		seen := 0
		q.takeWhile(log, func(p *confparse.Error) bool {
			if seen == n {
				return false
			}
			if p.Section == label {
				seen++
			}
			return true
		})
		log.dbg1("# ignored %s '%s' due to %d parsing error%s", kind, name, n, plural(n))
	}
	q.takeWhile(log, func(*confparse.Error) bool { return true })

	if total > 0 {
		log.dbg1("### %d parsing error%s (%d fatal) ###", total, plural(total), fatal)
	}
}

// logSettings is assign_arg's level 3 trace: every setting that was
// assigned, i.e. raised no problem.
func logSettings(log *logger, settings []ipsecconf.Setting, problems confparse.Errors) {
	if log.level < 3 {
		return
	}
	bad := map[confparse.Position]bool{}
	for _, p := range problems {
		bad[p.Pos] = true
	}
	for _, s := range settings {
		if s.Key != "also" && !bad[s.Pos] {
			log.dbg3("  %s=%s", s.Key, s.Value)
		}
	}
}

func positions(settings []ipsecconf.Setting) map[confparse.Position]bool {
	m := make(map[confparse.Position]bool, len(settings))
	for _, s := range settings {
		m[s.Pos] = true
	}
	return m
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

// problemQueue hands out confparse's problems in order.
type problemQueue struct {
	list confparse.Errors
}

func (q *problemQueue) takeWhile(log *logger, belongs func(*confparse.Error) bool) {
	for len(q.list) > 0 && belongs(q.list[0]) {
		level, lines := problemLines(q.list[0])
		for _, l := range lines {
			log.logf(level, "%s", l)
		}
		q.list = q.list[1:]
	}
}
