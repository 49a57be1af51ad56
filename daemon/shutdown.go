package daemon

import (
	"time"

	"github.com/goswan/goswan/bus"
)

// Shutdown deletes every IKE_SA (sending DELETEs), removes traps and
// shunts and closes everything, as charon's destructor does.
func (d *Daemon) Shutdown() {
	if d.stroke != nil {
		_ = d.stroke.Close()
	}
	if d.vici != nil {
		_ = d.vici.Close()
	}
	// the IKE_SAs are deleted now, with the peers told: nothing is left
	// to take up after a restart
	d.haState.Stop()
	if d.manager != nil {
		done := make(chan struct{})
		go func() {
			d.manager.Shutdown(0)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			d.logf(bus.DMN, bus.Control, "timeout while waiting for IKE_SAs to shut down")
		}
	}
	if d.traps != nil {
		d.traps.Flush()
	}
	if d.shunts != nil {
		d.shunts.Flush()
	}
	// charon cancels its processor, waiting for the jobs that run, before
	// it unloads the plugins: a job still destroying an IKE_SA (the peer's
	// DELETE came in just before the signal, its updown still runs) must
	// remove its SAs and policies before the kernel interfaces close
	// (testing/vm/FINDINGS.md 5).
	if d.sched != nil {
		d.sched.Flush()
	}
	if !d.stopJobs(jobsStopTimeout) {
		d.logf(bus.DMN, bus.Control, "timeout while waiting for jobs to finish")
	}
	d.Close()
}

// jobsStopTimeout bounds the wait for running jobs on shutdown; charon
// waits without a limit, but a hung updown script must not keep the
// daemon from going.
const jobsStopTimeout = 10 * time.Second

// stopJobs drops the queued jobs and waits up to wait for the running
// ones; false if some still run. Later calls wait on the same stop.
func (d *Daemon) stopJobs(wait time.Duration) bool {
	if d.pool == nil {
		return true
	}
	d.poolStop.Do(func() {
		d.poolStopped = make(chan struct{})
		go func() {
			d.pool.Stop()
			close(d.poolStopped)
		}()
	})
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-d.poolStopped:
		return true
	case <-t.C:
		return false
	}
}

// Close releases every resource without deleting SAs first.
func (d *Daemon) Close() {
	d.closeOnce.Do(func() {
		for i := len(d.closers) - 1; i >= 0; i-- {
			_ = d.closers[i]()
		}
		for _, s := range d.sinks {
			if f, ok := s.(interface{ Flush() }); ok {
				f.Flush()
			}
		}
		d.unlinkPidFile()
		for _, s := range d.sinks {
			if c, ok := s.(interface{ Close() error }); ok {
				_ = c.Close()
			}
		}
	})
}
