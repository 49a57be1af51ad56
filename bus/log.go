// Package bus carries events and log messages from the protocol core to the
// loggers and listeners, as libcharon/bus does for charon.
package bus

import (
	"fmt"
	"strings"
)

// Group is a log subsystem, charon's debug_t. The order is strongSwan's, so
// the numeric values match its enum.
type Group uint8

const (
	DMN Group = iota
	MGR
	IKE
	CHD
	JOB
	CFG
	KNL
	NET
	ASN
	ENC
	TNC
	IMC
	IMV
	PTS
	TLS
	APP
	ESP
	LIB
	numGroups
	// Any stands for every group, as "any" in charondebug and filelog sections.
	Any = numGroups
)

// NumGroups is the number of real groups (Any excluded).
const NumGroups = int(numGroups)

var groupNames = [...]string{"DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET",
	"ASN", "ENC", "TNC", "IMC", "IMV", "PTS", "TLS", "APP", "ESP", "LIB", "ANY"}

// String is the upper-case name charon prints between brackets, e.g. "IKE".
func (g Group) String() string {
	if int(g) < len(groupNames) {
		return groupNames[g]
	}
	return fmt.Sprintf("Group(%d)", uint8(g))
}

// ParseGroup accepts charon's names in either case ("ike", "IKE", "any").
func ParseGroup(s string) (Group, bool) {
	for i, n := range groupNames {
		if strings.EqualFold(n, s) {
			return Group(i), true
		}
	}
	return 0, false
}

// Level is a log verbosity, charon's level_t.
type Level int8

const (
	Silent  Level = -1 // nothing
	Audit   Level = 0  // state changes and errors
	Control Level = 1  // control flow (the default for most groups)
	Diag    Level = 2  // diagnostics: the "more" of --debug-more
	Raw     Level = 3  // raw packets and data
	Private Level = 4  // keys and secrets: never enabled by default
)

// Logger receives log messages. The message is formatted lazily by the
// implementation so that disabled levels cost a comparison, not a Sprintf.
// Implementations are safe for concurrent use.
type Logger interface {
	Logf(g Group, l Level, format string, args ...any)
}

// Discard drops every message.
var Discard Logger = discard{}

type discard struct{}

func (discard) Logf(Group, Level, string, ...any) {}

// LoggerFunc adapts a function to Logger.
type LoggerFunc func(g Group, l Level, format string, args ...any)

// Logf calls f.
func (f LoggerFunc) Logf(g Group, l Level, format string, args ...any) { f(g, l, format, args...) }
