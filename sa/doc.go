// Package sa holds IKE_SAs and CHILD_SAs, their managers, the keying
// material and the authenticators, as strongSwan's libcharon/sa.
//
// # Concurrency model: checkout and checkin
//
// An IKESA is a plain struct that is not safe for concurrent use. Every job
// that touches one (a received packet, a retransmit timer, a kernel expire,
// a stroke command) checks it out of the Manager, works on it, and checks it
// in again, exactly as charon's ike_sa_manager does. Checkout blocks while
// another job holds the SA, so at most one goroutine runs protocol code for
// a given IKE_SA at a time, and jobs for different SAs run in parallel on
// the worker pool.
//
// The protocol code never does I/O or reads the clock itself. Everything
// it needs from the outside comes through an Env: the clock, randomness,
// the packet sender, the job scheduler, the kernel interface, the config
// backends, credentials and the log bus. The daemon fills an Env with the
// real things; tests fill it with a virtual clock, seeded randomness, an
// in-memory network and the recording fake kernel, and run two daemons in
// one process deterministically (processing.Inline runs jobs one at a time).
//
// The new IKE_SA of an IKE rekey is the exception that proves the rule:
// it belongs to the rekey task of the old one until it is established, so
// it is created detached (Manager.CreateDetached, charon's create_new) and
// only registered with the manager when the rekey completes; no other job
// can see it, let alone wait for it.
//
// # Tasks
//
// The protocol exchanges are tasks (package tasks), each a port of one of
// strongSwan's sa/ikev2/tasks files. This package defines the Task
// interface and the TaskManager interface the IKESA drives; package tasks
// implements both. Whoever builds the Env hands in tasks.New as
// Env.NewTaskManager, the one constructor sa gets from tasks, so that sa
// does not import tasks; everything else the SA wants of its tasks it asks
// of its TaskManager (QueueDPD, QueueAuthLifetime, ...).
package sa
