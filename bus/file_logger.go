package bus

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// FileOptions are charon.filelog.<name>.* settings.
type FileOptions struct {
	// TimeFormat is a strftime(3) format; empty means no timestamp.
	TimeFormat string
	TimeAddMS  bool
	IKEName    bool // prefix " <conn|id>"
	LogLevel   bool // "[IKE2]" instead of "[IKE]"
	FlushLine  bool
	Append     bool
}

// FileLogger writes charon's log format to a file or stdout/stderr:
//
//	Nov 24 08:46:14 13[IKE] <net-net|1> message
type FileLogger struct {
	mu     sync.Mutex
	opts   FileOptions
	levels Levels
	w      *bufio.Writer
	f      io.Closer // nil for stdout/stderr
	Path   string
	// Now is the clock used for timestamps; tests replace it.
	Now func() time.Time
}

// OpenFileLogger opens path ("stdout" and "stderr" are the streams, as in
// charon) with the given levels.
func OpenFileLogger(path string, opts FileOptions, levels Levels) (*FileLogger, error) {
	fl := &FileLogger{opts: opts, levels: levels, Path: path, Now: time.Now}
	switch path {
	case "stdout":
		fl.w = bufio.NewWriter(os.Stdout)
		fl.opts.FlushLine = true
	case "stderr":
		fl.w = bufio.NewWriter(os.Stderr)
		fl.opts.FlushLine = true
	default:
		flags := os.O_WRONLY | os.O_CREATE
		if opts.Append {
			flags |= os.O_APPEND
		} else {
			flags |= os.O_TRUNC
		}
		f, err := os.OpenFile(path, flags, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening file %s for logging failed: %w", path, err)
		}
		fl.w, fl.f = bufio.NewWriter(f), f
	}
	return fl, nil
}

// NewWriterLogger logs to any writer (tests, stroke output).
func NewWriterLogger(w io.Writer, opts FileOptions, levels Levels) *FileLogger {
	opts.FlushLine = true
	return &FileLogger{opts: opts, levels: levels, w: bufio.NewWriter(w), Now: time.Now}
}

// Level implements Sink.
func (fl *FileLogger) Level(g Group) Level {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.levels[g]
}

// SetLevel changes one group's level (Any: all groups).
func (fl *FileLogger) SetLevel(g Group, l Level) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.levels.set(g, l)
}

// Prefix formats the part before the message, shared with the syslog logger.
func Prefix(g Group, l Level, thread int, sa SAInfo, logLevel, ikeName bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%02d[%s", thread, g)
	if logLevel {
		fmt.Fprintf(&b, "%d", l)
	}
	b.WriteByte(']')
	if ikeName && sa != nil {
		if n := sa.Name(); n != "" {
			fmt.Fprintf(&b, " <%s|%d>", n, sa.UniqueID())
		} else {
			fmt.Fprintf(&b, " <%d>", sa.UniqueID())
		}
	}
	return b.String()
}

// Log implements Sink.
func (fl *FileLogger) Log(g Group, l Level, thread int, sa SAInfo, msg string) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.w == nil {
		return
	}
	var ts string
	if fl.opts.TimeFormat != "" {
		now := fl.Now()
		ts = Strftime(fl.opts.TimeFormat, now)
		if fl.opts.TimeAddMS {
			ts += fmt.Sprintf(".%03d", now.Nanosecond()/1e6)
		}
		ts += " "
	}
	prefix := Prefix(g, l, thread, sa, fl.opts.LogLevel, fl.opts.IKEName)
	for _, line := range strings.Split(msg, "\n") {
		fl.w.WriteString(ts)
		fl.w.WriteString(prefix)
		fl.w.WriteByte(' ')
		fl.w.WriteString(line)
		fl.w.WriteByte('\n')
	}
	if fl.opts.FlushLine {
		fl.w.Flush()
	}
}

// Flush writes buffered lines.
func (fl *FileLogger) Flush() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.w != nil {
		fl.w.Flush()
	}
}

// Close flushes and closes the file.
func (fl *FileLogger) Close() error {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.w == nil {
		return nil
	}
	fl.w.Flush()
	fl.w = nil
	if fl.f != nil {
		return fl.f.Close()
	}
	return nil
}
