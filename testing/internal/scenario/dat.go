package scenario

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FieldSep separates the fields of a .dat line. strongSwan's do-tests splits
// with awk -F "::", so a pattern that needs a literal "::" writes ":\:".
const FieldSep = "::"

// TcpdumpCommand is the evaltest command that stops the host's tcpdump (if
// still running) and greps its capture instead of running anything.
const TcpdumpCommand = "tcpdump"

// Lanes are the data planes a scenario runs on, which a line can be
// restricted to with a "[lane] " prefix: "userspace" is the scenario lane
// on this machine's kernel (XFRM without ESP, so kernel-libipsec's
// userspace ESP), "kernel" the kernel lane in the qemu guest (Debian's stock
// kernel with ESP, kernel-netlink alone).
var Lanes = []string{"userspace", "kernel"}

// SetupLine is one line of pretest.dat or posttest.dat: either a comment,
// which the runner echoes to the console log, or a command for a host.
type SetupLine struct {
	Line    int    // 1-based line number in the file
	Comment string // the whole line when it starts with '#', else ""
	// Lane, when set, restricts the line to that lane (one of Lanes).
	Lane    string
	Host    string
	Command string
}

// ExpectKind says how an evaltest pattern is judged.
type ExpectKind int

const (
	// ExpectNone marks an action line (host::command): the command runs and
	// its output is logged, but nothing is checked.
	ExpectNone ExpectKind = iota
	// ExpectYes: grep must find the pattern (exit status 0).
	ExpectYes
	// ExpectNo: grep must not find the pattern.
	ExpectNo
	// ExpectCount: exactly Count output lines must match.
	ExpectCount
)

// Expectation is the fourth field of an evaltest line.
type Expectation struct {
	Kind  ExpectKind
	Count int // for ExpectCount
}

func (e Expectation) String() string {
	switch e.Kind {
	case ExpectYes:
		return "YES"
	case ExpectNo:
		return "NO"
	case ExpectCount:
		return strconv.Itoa(e.Count)
	default:
		return ""
	}
}

// EvalLine is one line of evaltest.dat.
type EvalLine struct {
	Line    int
	Comment string // the whole line when it starts with '#'
	// Lane, when set, restricts the line to that lane (one of Lanes).
	Lane    string
	Host    string
	Command string // "tcpdump" selects the host's capture
	// Pattern is the grep basic regular expression exactly as written in the
	// file; GrepPattern gives what grep receives.
	Pattern string
	Expect  Expectation
}

// IsComment reports whether the line only carries a comment.
func (l EvalLine) IsComment() bool { return l.Comment != "" }

// IsTcpdump reports whether the line greps the host's packet capture.
func (l EvalLine) IsTcpdump() bool { return l.Command == TcpdumpCommand }

// String renders the line back in .dat syntax, for reports.
func (l EvalLine) String() string {
	if l.IsComment() {
		return l.Comment
	}
	tag := ""
	if l.Lane != "" {
		tag = "[" + l.Lane + "] "
	}
	if l.Expect.Kind == ExpectNone {
		return tag + l.Host + FieldSep + l.Command
	}
	return tag + strings.Join([]string{l.Host, l.Command, l.Pattern, l.Expect.String()}, FieldSep)
}

// InLane reports whether a line tagged lane runs in lane current: untagged
// lines run in every lane.
func InLane(tag, current string) bool { return tag == "" || tag == current }

// laneTag splits an optional "[lane] " prefix off a line. A bracket that
// does not close, or names no known lane, is an error, so that a typo
// cannot silently disable a check.
func laneTag(line string) (lane, rest string, err error) {
	if !strings.HasPrefix(line, "[") {
		return "", line, nil
	}
	end := strings.Index(line, "]")
	if end < 0 {
		return "", "", fmt.Errorf("lane tag %q does not close", line)
	}
	lane = line[1:end]
	known := false
	for _, l := range Lanes {
		known = known || l == lane
	}
	if !known {
		return "", "", fmt.Errorf("unknown lane %q in %q (lanes: %s)", lane, line[:end+1], strings.Join(Lanes, ", "))
	}
	return lane, strings.TrimLeft(line[end+1:], " \t"), nil
}

// ParseError locates a malformed .dat line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// rawLines yields the lines of r with their numbers, without trailing "\r".
func rawLines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, strings.TrimRight(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	return sc.Err()
}

// hostField validates and trims the host field; strongSwan's files often
// pad it ("sun  ::ipsec status").
func hostField(s string) (string, bool) {
	h := strings.TrimSpace(s)
	if h == "" {
		return "", false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return h, true
}

// ParseSetup parses pretest.dat or posttest.dat. name is used in errors.
//
// As in strongSwan, a line starting with '#' is a comment, blank lines are
// skipped, and fields after the command are ignored (some strongSwan files
// append "::no output expected::NO" to setup commands). Unlike strongSwan,
// which silently skips them, a line without a command is an error.
func ParseSetup(name string, r io.Reader) ([]SetupLine, error) {
	var out []SetupLine
	err := datLines(name, r, "host"+FieldSep+"command", func(d datLine) error {
		if d.comment != "" {
			out = append(out, SetupLine{Line: d.n, Comment: d.comment})
			return nil
		}
		out = append(out, SetupLine{Line: d.n, Lane: d.lane, Host: d.host, Command: d.fields[1]})
		return nil
	})
	return out, err
}

// datLine is a line of a .dat file that is not blank: a comment, or a
// command line with its lane tag taken off, split into fields, and its
// host checked.
type datLine struct {
	n       int
	comment string
	lane    string
	host    string
	fields  []string
}

// datLines calls fn for each line of a .dat file that is not blank, with
// the checks that pretest, posttest and evaltest lines share done: the lane
// tag, a host, a command. form is the line's form for the error message.
func datLines(name string, r io.Reader, form string, fn func(d datLine) error) error {
	return rawLines(r, func(n int, line string) error {
		if strings.HasPrefix(line, "#") {
			return fn(datLine{n: n, comment: line})
		}
		if strings.TrimSpace(line) == "" {
			return nil
		}
		lane, line, err := laneTag(line)
		if err != nil {
			return &ParseError{name, n, err.Error()}
		}
		f := strings.Split(line, FieldSep)
		if len(f) < 2 || strings.TrimSpace(f[1]) == "" {
			return &ParseError{name, n, fmt.Sprintf("want %s, got %q", form, line)}
		}
		host, ok := hostField(f[0])
		if !ok {
			return &ParseError{name, n, fmt.Sprintf("bad host name %q", f[0])}
		}
		return fn(datLine{n: n, lane: lane, host: host, fields: f})
	})
}

// ParseEval parses evaltest.dat.
//
// Accepted forms, as in strongSwan's do-tests:
//
//	# comment                          echoed to the console log
//	host::command                      run, output logged, not judged
//	host::command::pattern::YES        grep must match
//	host::command::pattern::NO         grep must not match
//	host::command::pattern::N          exactly N lines must match
//	host::tcpdump::pattern::YES|NO|N   grep the capture of host's tcpdump
//	[lane] host::…                     any of these, in one lane only
//
// Stricter than strongSwan, where such lines silently pass: a pattern
// without an expectation, an expectation other than YES, NO or a number, and
// a fifth field (a pattern containing an unescaped "::") are errors.
// Whitespace around the expectation is ignored ("YES " means YES; strongSwan
// would never fail such a line).
func ParseEval(name string, r io.Reader) ([]EvalLine, error) {
	var out []EvalLine
	form := fmt.Sprintf("host%scommand[%spattern%sexpectation]", FieldSep, FieldSep, FieldSep)
	err := datLines(name, r, form, func(d datLine) error {
		if d.comment != "" {
			out = append(out, EvalLine{Line: d.n, Comment: d.comment})
			return nil
		}
		n, f := d.n, d.fields
		l := EvalLine{Line: n, Lane: d.lane, Host: d.host, Command: f[1]}
		if strings.TrimSpace(l.Command) == TcpdumpCommand {
			l.Command = TcpdumpCommand
		}
		switch len(f) {
		case 2:
			if l.IsTcpdump() {
				return &ParseError{name, n, "tcpdump line needs a pattern and an expectation"}
			}
			out = append(out, l)
			return nil
		case 3:
			return &ParseError{name, n, fmt.Sprintf("pattern %q has no expectation (YES, NO or a line count)", f[2])}
		case 4:
		default:
			return &ParseError{name, n, fmt.Sprintf("%d fields; a literal \"::\" in a pattern must be written \":\\:\"", len(f))}
		}
		exp, err := parseExpectation(f[3])
		if err != nil {
			return &ParseError{name, n, err.Error()}
		}
		if isActionMarker(f[2], exp) && !l.IsTcpdump() {
			// strongSwan's evaltests write actions (cut a link, sleep,
			// rekey) as checks that no output says "no output expected";
			// such a check cannot fail, so it runs as the action it is
			// and is not counted as a check that passed.
			out = append(out, l)
			return nil
		}
		l.Pattern = f[2]
		l.Expect = exp
		out = append(out, l)
		return nil
	})
	return out, err
}

// isActionMarker reports strongSwan's "::no output expected::NO" suffix
// (in any case), its way of writing an action as an evaltest line.
func isActionMarker(pattern string, exp Expectation) bool {
	return strings.EqualFold(strings.TrimSpace(pattern), "no output expected") && exp.Kind == ExpectNo
}

func parseExpectation(s string) (Expectation, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "YES":
		return Expectation{Kind: ExpectYes}, nil
	case "NO":
		return Expectation{Kind: ExpectNo}, nil
	}
	if t != "" && strings.Trim(t, "0123456789") == "" {
		n, err := strconv.Atoi(t)
		if err == nil {
			return Expectation{Kind: ExpectCount, Count: n}, nil
		}
	}
	return Expectation{}, fmt.Errorf("expectation %q is not YES, NO or a line count", s)
}
