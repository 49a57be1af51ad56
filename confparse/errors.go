package confparse

import (
	"fmt"
	"sort"
	"strings"
)

// Position is a place in a configuration file: 1-based line and byte column.
// Line 0 means the position is unknown (the problem concerns a whole file).
type Position struct {
	File   string
	Line   int
	Column int
}

func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
}

// Severity says what strongSwan does about a problem.
type Severity int

const (
	// Fatal problems make strongSwan refuse the whole file (starter does not
	// start, `starter --conftest` fails).
	Fatal Severity = iota
	// Dropped problems make strongSwan ignore one section (an ipsec.conf conn
	// or ca, the rest of an ipsec.secrets file) and load everything else.
	Dropped
	// Warning problems are logged by strongSwan and otherwise ignored
	// (unknown or deprecated keywords, includes that match nothing).
	Warning
	// Unsupported marks what strongSwan does and goswan does not do yet
	// (config/feature): charon refuses the section or goes on without it.
	Unsupported
)

func (s Severity) String() string {
	switch s {
	case Fatal:
		return "error"
	case Dropped:
		return "error"
	case Unsupported:
		return "not supported"
	default:
		return "warning"
	}
}

// Error is one problem found in a configuration file.
type Error struct {
	Pos      Position
	Severity Severity
	// Section names the ipsec.conf section the problem belongs to, e.g.
	// "conn net-net", when strongSwan drops that section because of it.
	Section string
	Msg     string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	switch e.Severity {
	case Warning:
		b.WriteString("warning: ")
	case Unsupported:
		b.WriteString("not supported: ")
	}
	if e.Section != "" {
		b.WriteString(e.Section)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf builds an Error.
func Errorf(pos Position, sev Severity, format string, args ...any) *Error {
	return &Error{Pos: pos, Severity: sev, Msg: fmt.Sprintf(format, args...)}
}

// Errors is a list of problems. As an error it stands for the fatal ones: a
// loader returns a non-nil Errors only when strongSwan would refuse the file.
type Errors []*Error

func (l Errors) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Filter returns the problems of the given severity.
func (l Errors) Filter(sev Severity) Errors {
	var out Errors
	for _, e := range l {
		if e.Severity == sev {
			out = append(out, e)
		}
	}
	return out
}

// Sort orders the list by file, line and column (stable for equal positions).
func (l Errors) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Err returns l as an error, or nil when l is empty.
func (l Errors) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
