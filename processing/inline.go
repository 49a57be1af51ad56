package processing

import "sync"

// Inline runs each job in the goroutine that queues it, unless a job is
// already running, in which case the job waits its turn and runs when the
// current one returns. Jobs therefore never overlap and always run in
// priority-then-FIFO order, which makes tests with a virtual clock exact:
// a timer callback that queues a job runs it at the timer's virtual time.
type Inline struct {
	mu      sync.Mutex
	queues  [NumPriorities][]Job
	running bool
	// Thread is reported to jobs as their worker number.
	Thread int
}

// Queue implements Queuer.
func (q *Inline) Queue(j Job) {
	q.mu.Lock()
	q.queues[j.Priority()] = append(q.queues[j.Priority()], j)
	if q.running {
		q.mu.Unlock()
		return
	}
	q.running = true
	for {
		var next Job
		for pr := range q.queues {
			if len(q.queues[pr]) > 0 {
				next = q.queues[pr][0]
				q.queues[pr] = q.queues[pr][1:]
				break
			}
		}
		if next == nil {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		next.Execute(Ctx{Thread: q.Thread})
		q.mu.Lock()
	}
}

// Pending reports how many jobs wait.
func (q *Inline) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, x := range q.queues {
		n += len(x)
	}
	return n
}

// JobLoad implements the job load query of charon's processor: the jobs
// waiting.
func (q *Inline) JobLoad() int { return q.Pending() }
