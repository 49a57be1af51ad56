package vclock

import (
	"testing"
	"time"
)

func TestTimersFireInOrderAtTheirDeadline(t *testing.T) {
	c := New()
	var got []time.Duration
	rec := func() { got = append(got, c.Since()) }
	c.AfterFunc(3*time.Second, rec)
	c.AfterFunc(time.Second, func() {
		rec()
		c.AfterFunc(time.Second, rec) // created by a callback, due at 2s
	})
	stop := c.AfterFunc(2500*time.Millisecond, rec)
	if !stop() || stop() {
		t.Fatal("stop must report true once")
	}
	c.Advance(10 * time.Second)
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("fired at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fired at %v, want %v", got, want)
		}
	}
	if c.Since() != 10*time.Second {
		t.Fatalf("clock at %v", c.Since())
	}
	if _, ok := c.Next(); ok {
		t.Fatal("timers left")
	}
}
