package daemon

import (
	"runtime"
	"testing"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/processing"
)

// TestShutdownWaitsForRunningJobs: a job still running when the daemon
// is told to stop (an IKE_SA being destroyed after the peer's DELETE, its
// updown slow) finishes before the kernel interfaces close, as charon
// cancels its processor before it unloads the plugins (FINDINGS 5: the
// removals failed with "use of closed file" and SAs stayed).
func TestShutdownWaitsForRunningJobs(t *testing.T) {
	d := &Daemon{bus: bus.New()}
	d.pool = processing.NewPool(2)
	d.sched = processing.NewScheduler(processing.RealClock{}, d.pool)
	d.onClose(func() error { d.stopJobs(jobsStopTimeout); return nil })

	var order []string
	closed := make(chan struct{})
	// the kernel interface: registered after the pool, so closed first
	d.onClose(func() error {
		order = append(order, "kernel closed")
		close(closed)
		return nil
	})

	started, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	d.pool.Queue(processing.Func{Prio: processing.Medium, Name: "destroy", Fn: func(processing.Ctx) {
		close(started)
		<-release
		order = append(order, "SAs removed")
		close(finished)
	}})
	<-started

	done := make(chan struct{})
	go func() {
		d.Shutdown()
		close(done)
	}()
	// Wait until the shutdown has reached the workers' stop, or has closed
	// the kernel without waiting for them (the bug).
	for !d.pool.Stopping() {
		select {
		case <-closed:
			t.Fatal("the kernel interface closed while a job was still running")
		default:
			runtime.Gosched()
		}
	}
	select {
	case <-closed:
		t.Fatal("the kernel interface closed while a job was still running")
	default:
	}
	close(release)
	<-finished
	<-done
	if len(order) != 2 || order[0] != "SAs removed" || order[1] != "kernel closed" {
		t.Fatalf("order = %q, want the job's removals before the kernel closes", order)
	}
}
