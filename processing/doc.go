// Package processing runs the daemon's jobs, as libstrongswan/processing:
// a queue per priority, a pool of worker threads, and a scheduler that
// queues jobs at a time given by an injected clock.
//
// Two processors exist. Pool is the daemon's: N goroutines, charon's
// priorities, and the counters statusall prints ("worker threads: 11 of 16
// idle, 5/0/0/0 working, job queue: 0/0/0/0, scheduled: 5"). Inline is for
// tests: jobs run in the caller's goroutine, one at a time, in queue order,
// so that with a virtual clock every run is identical.
package processing
