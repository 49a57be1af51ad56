package processing

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/vclock"
)

func TestInlineOrderAndNoOverlap(t *testing.T) {
	var q Inline
	var order []string
	var depth int32
	mk := func(name string, p Priority, then ...Job) Job {
		return Func{Prio: p, Fn: func(Ctx) {
			if atomic.AddInt32(&depth, 1) != 1 {
				t.Error("jobs overlap")
			}
			order = append(order, name)
			for _, j := range then {
				q.Queue(j)
			}
			atomic.AddInt32(&depth, -1)
		}}
	}
	q.Queue(mk("a", Medium, mk("low", Low), mk("crit", Critical), mk("med", Medium)))
	want := []string{"a", "crit", "med", "low"}
	if len(order) != len(want) {
		t.Fatalf("order %v", order)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
}

func TestSchedulerOnVirtualClock(t *testing.T) {
	clock := vclock.New()
	var q Inline
	s := NewScheduler(clock, &q)
	var fired []time.Duration
	var chain func(n int) Job
	chain = func(n int) Job {
		return Func{Prio: Medium, Fn: func(Ctx) {
			fired = append(fired, clock.Since())
			if n > 0 {
				s.Schedule(chain(n-1), 3*time.Second)
			}
		}}
	}
	s.Schedule(chain(2), 4*time.Second)
	cancel := s.Schedule(Func{Prio: High, Fn: func(Ctx) { t.Error("cancelled job ran") }}, time.Second)
	cancel()
	if s.Scheduled() != 1 {
		t.Fatalf("scheduled %d", s.Scheduled())
	}
	clock.Advance(time.Minute)
	want := []time.Duration{4 * time.Second, 7 * time.Second, 10 * time.Second}
	if len(fired) != 3 || fired[0] != want[0] || fired[1] != want[1] || fired[2] != want[2] {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
	if s.Scheduled() != 0 {
		t.Fatalf("scheduled %d after run", s.Scheduled())
	}
}

func TestPoolRunsEverythingAndStops(t *testing.T) {
	p := NewPool(4)
	var wg sync.WaitGroup
	var n int32
	for i := 0; i < 100; i++ {
		wg.Add(1)
		p.Queue(Func{Prio: Priority(i % NumPriorities), Fn: func(c Ctx) {
			if c.Thread < 1 || c.Thread > 4 {
				t.Errorf("thread %d", c.Thread)
			}
			atomic.AddInt32(&n, 1)
			wg.Done()
		}})
	}
	wg.Wait()
	if n != 100 {
		t.Fatalf("ran %d", n)
	}
	st := p.Stats()
	if st.Threads != 4 {
		t.Fatalf("stats %+v", st)
	}
	p.Stop()
}
