// Package vclock is a virtual clock for tests: time moves only when the test
// calls Advance, and timers fire in deadline order (ties in creation order),
// so a schedule of retransmits or rekeys is exact and repeatable.
package vclock

import (
	"sort"
	"sync"
	"time"
)

// Clock is a virtual clock. The zero value is not usable; call New.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers []*timer
}

type timer struct {
	at      time.Time
	seq     uint64
	f       func()
	stopped bool
}

// Epoch is where every virtual clock starts: a fixed, recognisable instant.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// New returns a clock at Epoch.
func New() *Clock { return &Clock{now: Epoch} }

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since is the virtual time elapsed since Epoch, handy in test output.
func (c *Clock) Since() time.Duration { return c.Now().Sub(Epoch) }

// AfterFunc runs f once the clock has advanced by d. The returned stop
// reports whether it prevented f from running.
func (c *Clock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &timer{at: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.stopped {
			return false
		}
		t.stopped = true
		return true
	}
}

// Advance moves the clock forward by d, running every timer that falls due
// on the way at its own deadline. Timers that callbacks create are run too
// if they fall due within d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for c.runNext(end) {
	}
	c.mu.Lock()
	c.now = end
	c.mu.Unlock()
}

// AdvanceTo moves the clock to the absolute virtual time t.
func (c *Clock) AdvanceTo(t time.Time) { c.Advance(t.Sub(c.Now())) }

// Next returns the deadline of the earliest pending timer.
func (c *Clock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sortLocked()
	for _, t := range c.timers {
		if !t.stopped {
			return t.at, true
		}
	}
	return time.Time{}, false
}

func (c *Clock) sortLocked() {
	sort.SliceStable(c.timers, func(i, j int) bool {
		a, b := c.timers[i], c.timers[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.seq < b.seq
	})
}

func (c *Clock) runNext(end time.Time) bool {
	c.mu.Lock()
	c.sortLocked()
	for i, t := range c.timers {
		if t.stopped {
			continue
		}
		if t.at.After(end) {
			break
		}
		c.timers = append(c.timers[:i:i], c.timers[i+1:]...)
		t.stopped = true
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
		return true
	}
	// Drop stopped timers so the slice does not grow without bound.
	live := c.timers[:0]
	for _, t := range c.timers {
		if !t.stopped {
			live = append(live, t)
		}
	}
	c.timers = live
	c.mu.Unlock()
	return false
}
