package processing

import "time"

// Priority is a job priority, job_priority_t.
type Priority int

const (
	Critical Priority = iota
	High
	Medium
	Low
	numPriorities
)

// NumPriorities is the number of priorities.
const NumPriorities = int(numPriorities)

func (p Priority) String() string {
	return [...]string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}[p]
}

// Ctx is what a running job knows about where it runs.
type Ctx struct {
	// Thread is the worker number, printed in log lines as "NN[GRP]".
	Thread int
}

// Job is a unit of work.
type Job interface {
	Execute(ctx Ctx)
	Priority() Priority
}

// Func adapts a function to a Job.
type Func struct {
	Prio Priority
	Fn   func(Ctx)
	// Name describes the job in debug output.
	Name string
}

// Execute implements Job.
func (f Func) Execute(c Ctx) { f.Fn(c) }

// Priority implements Job.
func (f Func) Priority() Priority { return f.Prio }

// Queuer accepts jobs for execution.
type Queuer interface {
	Queue(j Job)
}

// Clock is the time source of the scheduler and the protocol core. The
// daemon uses the real clock; tests a virtual one (testing/vclock).
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc implements Clock.
func (RealClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
