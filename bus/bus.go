package bus

import (
	"fmt"
	"strings"
	"sync"
)

// SAInfo identifies the IKE_SA a message belongs to. Name is the peer
// config's name, empty when the SA has none yet.
type SAInfo interface {
	Name() string
	UniqueID() uint32
}

// Sink is a logger backend: a file, syslog, stdout, or a test recorder.
type Sink interface {
	// Log writes one (possibly multi-line) message.
	Log(g Group, l Level, thread int, sa SAInfo, msg string)
	// Level is the most verbose level the sink wants for g.
	Level(g Group) Level
}

// LogListener receives formatted messages of any level up to what
// MaxLevel reports, e.g. to stream an initiation's log to a stroke client.
// Log returns false to be removed.
type LogListener interface {
	Log(g Group, l Level, thread int, sa SAInfo, msg string) bool
	MaxLevel() Level
}

// Bus fans messages out to sinks and listeners. It is safe for concurrent use.
type Bus struct {
	mu        sync.RWMutex
	sinks     []Sink
	listeners []LogListener
	max       [NumGroups]Level // most verbose level any sink wants, per group
	listenMax Level
}

// New returns a bus without sinks (everything is dropped).
func New() *Bus {
	b := &Bus{listenMax: Silent}
	for i := range b.max {
		b.max[i] = Silent
	}
	return b
}

func (b *Bus) recomputeLocked() {
	for g := range b.max {
		b.max[g] = Silent
		for _, s := range b.sinks {
			b.max[g] = max(b.max[g], s.Level(Group(g)))
		}
	}
	b.listenMax = Silent
	for _, l := range b.listeners {
		b.listenMax = max(b.listenMax, l.MaxLevel())
	}
}

// SetSinks replaces the loggers (on start-up and on reload).
func (b *Bus) SetSinks(sinks ...Sink) {
	b.mu.Lock()
	b.sinks = append([]Sink(nil), sinks...)
	b.recomputeLocked()
	b.mu.Unlock()
}

// AddSink adds one logger.
func (b *Bus) AddSink(s Sink) {
	b.mu.Lock()
	b.sinks = append(b.sinks, s)
	b.recomputeLocked()
	b.mu.Unlock()
}

// Sinks returns the current loggers.
func (b *Bus) Sinks() []Sink {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return append([]Sink(nil), b.sinks...)
}

// LevelsChanged must be called after a sink's levels were changed (stroke
// loglevel) so that the fast path sees them.
func (b *Bus) LevelsChanged() {
	b.mu.Lock()
	b.recomputeLocked()
	b.mu.Unlock()
}

// AddListener registers a log listener.
func (b *Bus) AddListener(l LogListener) {
	b.mu.Lock()
	b.listeners = append(b.listeners, l)
	b.recomputeLocked()
	b.mu.Unlock()
}

// RemoveListener unregisters a log listener.
func (b *Bus) RemoveListener(l LogListener) {
	b.mu.Lock()
	for i, x := range b.listeners {
		if x == l {
			b.listeners = append(b.listeners[:i:i], b.listeners[i+1:]...)
			break
		}
	}
	b.recomputeLocked()
	b.mu.Unlock()
}

// Enabled reports whether anything would receive a message of this group
// and level; callers use it to skip expensive formatting.
func (b *Bus) Enabled(g Group, l Level) bool {
	if b == nil || int(g) >= NumGroups {
		return false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return l <= b.max[g] || l <= b.listenMax
}

// Log formats and delivers one message.
func (b *Bus) Log(thread int, sa SAInfo, g Group, l Level, format string, args ...any) {
	if !b.Enabled(g, l) {
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	b.mu.RLock()
	sinks := b.sinks
	listeners := b.listeners
	b.mu.RUnlock()
	for _, s := range sinks {
		if l <= s.Level(g) {
			s.Log(g, l, thread, sa, msg)
		}
	}
	var drop []LogListener
	for _, x := range listeners {
		if l <= x.MaxLevel() && !x.Log(g, l, thread, sa, msg) {
			drop = append(drop, x)
		}
	}
	for _, x := range drop {
		b.RemoveListener(x)
	}
}

// Ctx binds a bus to a worker thread number and an optional IKE_SA. It
// implements Logger.
type Ctx struct {
	Bus    *Bus
	Thread int
	SA     SAInfo
}

// Logf implements Logger.
func (c Ctx) Logf(g Group, l Level, format string, args ...any) {
	c.Bus.Log(c.Thread, c.SA, g, l, format, args...)
}

// Enabled reports whether a message at this group and level goes anywhere.
func (c Ctx) Enabled(g Group, l Level) bool { return c.Bus.Enabled(g, l) }

// WithSA returns a copy bound to another IKE_SA.
func (c Ctx) WithSA(sa SAInfo) Ctx { c.SA = sa; return c }

// Levels holds one level per group.
type Levels [NumGroups]Level

// DefaultLevels is charon's default: control (1) for every group.
func DefaultLevels() Levels {
	var l Levels
	for i := range l {
		l[i] = Control
	}
	return l
}

// ParseCharondebug parses ipsec.conf's charondebug value ("ike 2, knl 3,
// cfg 0"; "any 2" sets every group) on top of base. Unknown groups and
// malformed entries are errors.
func ParseCharondebug(s string, base Levels) (Levels, error) {
	l := base
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return base, fmt.Errorf("charondebug: %q is not \"<group> <level>\"", strings.TrimSpace(part))
		}
		g, ok := ParseGroup(f[0])
		if !ok {
			return base, fmt.Errorf("charondebug: unknown group %q", f[0])
		}
		var lvl int
		if _, err := fmt.Sscanf(f[1], "%d", &lvl); err != nil || lvl < -1 || lvl > 4 {
			return base, fmt.Errorf("charondebug: invalid level %q for %s", f[1], f[0])
		}
		if g == Any {
			for i := range l {
				l[i] = Level(lvl)
			}
		} else {
			l[g] = Level(lvl)
		}
	}
	return l, nil
}
