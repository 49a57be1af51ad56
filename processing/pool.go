package processing

import (
	"sync"
)

// Pool runs jobs on a fixed number of worker goroutines, highest priority
// first. Worker numbers start at 1; 0 is the main thread, as in charon.
type Pool struct {
	mu       sync.Mutex
	cond     *sync.Cond
	queues   [NumPriorities][]Job
	threads  int
	idle     int
	working  [NumPriorities]int
	stopping bool
	wg       sync.WaitGroup
}

// NewPool starts n workers (charon.threads, default 16).
func NewPool(n int) *Pool {
	if n < 1 {
		n = 1
	}
	p := &Pool{threads: n}
	p.cond = sync.NewCond(&p.mu)
	for i := 1; i <= n; i++ {
		p.wg.Add(1)
		go p.routineWorker(i)
	}
	return p
}

// Queue implements Queuer.
func (p *Pool) Queue(j Job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return
	}
	pr := j.Priority()
	p.queues[pr] = append(p.queues[pr], j)
	p.cond.Signal()
}

func (p *Pool) next() (Job, Priority, bool) {
	for pr := range p.queues {
		if len(p.queues[pr]) > 0 {
			j := p.queues[pr][0]
			p.queues[pr][0] = nil
			p.queues[pr] = p.queues[pr][1:]
			return j, Priority(pr), true
		}
	}
	return nil, 0, false
}

func (p *Pool) routineWorker(thread int) {
	defer p.wg.Done()
	p.mu.Lock()
	for {
		j, pr, ok := p.next()
		if !ok {
			if p.stopping {
				p.mu.Unlock()
				return
			}
			p.idle++
			p.cond.Wait()
			p.idle--
			continue
		}
		p.working[pr]++
		p.mu.Unlock()
		j.Execute(Ctx{Thread: thread})
		p.mu.Lock()
		p.working[pr]--
	}
}

// Stats is what statusall prints about the workers.
type Stats struct {
	Threads, Idle int
	Working       [NumPriorities]int
	Queued        [NumPriorities]int
}

// Stats returns the current counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Threads: p.threads, Idle: p.idle, Working: p.working}
	for i := range p.queues {
		s.Queued[i] = len(p.queues[i])
	}
	return s
}

// JobLoad is the number of queued jobs over all priorities (charon's
// get_job_load summed, what init_limit_job_load limits).
func (p *Pool) JobLoad() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for i := range p.queues {
		n += len(p.queues[i])
	}
	return n
}

// Stopping reports whether Stop has begun: no job is taken any more.
func (p *Pool) Stopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// Stop drops queued jobs and waits for running ones to finish.
func (p *Pool) Stop() {
	p.mu.Lock()
	p.stopping = true
	for i := range p.queues {
		p.queues[i] = nil
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}
