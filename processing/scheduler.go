package processing

import (
	"sync"
	"time"
)

// Scheduler queues jobs after a delay, measured on its clock.
type Scheduler struct {
	clock Clock
	q     Queuer
	mu    sync.Mutex
	next  uint64
	jobs  map[uint64]func() bool
}

// NewScheduler returns a scheduler that queues due jobs on q.
func NewScheduler(clock Clock, q Queuer) *Scheduler {
	return &Scheduler{clock: clock, q: q, jobs: map[uint64]func() bool{}}
}

// Schedule queues j once d has passed. The returned function cancels it.
func (s *Scheduler) Schedule(j Job, d time.Duration) (cancel func()) {
	if d < 0 {
		d = 0
	}
	s.mu.Lock()
	s.next++
	id := s.next
	s.mu.Unlock()
	stop := s.clock.AfterFunc(d, func() {
		s.mu.Lock()
		_, live := s.jobs[id]
		delete(s.jobs, id)
		s.mu.Unlock()
		if live {
			s.q.Queue(j)
		}
	})
	s.mu.Lock()
	s.jobs[id] = stop
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		stop, ok := s.jobs[id]
		delete(s.jobs, id)
		s.mu.Unlock()
		if ok {
			stop()
		}
	}
}

// Scheduled is the number of jobs waiting for their time (statusall's
// "scheduled: N").
func (s *Scheduler) Scheduled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

// Flush cancels every scheduled job (shutdown).
func (s *Scheduler) Flush() {
	s.mu.Lock()
	jobs := s.jobs
	s.jobs = map[uint64]func() bool{}
	s.mu.Unlock()
	for _, stop := range jobs {
		stop()
	}
}

// Now returns the scheduler's clock time.
func (s *Scheduler) Now() time.Time { return s.clock.Now() }
