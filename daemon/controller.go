package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
)

// Result is what a controller operation reports, charon's status_t as
// controller.c returns it.
type Result uint8

const (
	// ResultFailed: the operation did not succeed.
	ResultFailed Result = iota
	// ResultSuccess: the SA is up (initiate) or gone (terminate).
	ResultSuccess
	// ResultTimeout: the caller stopped waiting (charon's OUT_OF_RES); the
	// operation goes on detached.
	ResultTimeout
	// ResultNotFound: no SA with the given unique ID.
	ResultNotFound
	// ResultInvalidState: refused by a limit (init_limit_half_open).
	ResultInvalidState
	// resultNeedMore is the internal NEED_MORE of a retrying CHILD_SA or a
	// client that went away.
	resultNeedMore
)

// LogFunc receives the log lines of the SA an operation works on; it
// returns false when the receiver is gone (the operation then continues
// without it), as controller_cb_t.
type LogFunc func(g bus.Group, l bus.Level, sa bus.SAInfo, msg string) bool

// Controller starts and stops SAs on behalf of a client that may wait for
// the outcome and watch the SA's log meanwhile (libcharon's controller.c).
// With a nil LogFunc the operation only runs: the caller does not wait.
type Controller struct {
	env *sa.Env
}

// NewController returns the controller of env.
func NewController(env *sa.Env) *Controller { return &Controller{env: env} }

// operation is one initiate/terminate in progress: a bus log listener and
// an event listener both bound to the IKE_SA the job works on (unknown
// until the job has checked it out).
type operation struct {
	cb LogFunc

	mu     sync.Mutex
	target *sa.IKESA
	status Result
	// child is the CHILD_SA config an initiation waits for; nil when only
	// the IKE_SA is wanted.
	child *config.ChildCfg
	done  chan struct{}
	once  sync.Once
}

func newOperation(cb LogFunc, child *config.ChildCfg) *operation {
	return &operation{cb: cb, status: ResultFailed, child: child, done: make(chan struct{})}
}

func (o *operation) finish() { o.once.Do(func() { close(o.done) }) }

func (o *operation) setTarget(ike *sa.IKESA) {
	o.mu.Lock()
	o.target = ike
	o.mu.Unlock()
}

func (o *operation) isTarget(ike *sa.IKESA) bool {
	if ike == nil {
		return false // trap CHILD_SAs have no IKE_SA
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.target == ike
}

func (o *operation) setStatus(r Result) {
	o.mu.Lock()
	o.status = r
	o.mu.Unlock()
}

func (o *operation) result() Result {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.status
}

// Log implements bus.LogListener. Lines of the target SA go to the
// callback; before the job has found its SA, that means lines logged
// outside any SA, as in charon, where both pointers are NULL then.
func (o *operation) Log(g bus.Group, l bus.Level, _ int, info bus.SAInfo, msg string) bool {
	o.mu.Lock()
	target := o.target
	o.mu.Unlock()
	if !sameSA(target, info) {
		return true
	}
	if !o.cb(g, l, info, msg) {
		o.setStatus(resultNeedMore)
		o.finish()
		return false
	}
	return true
}

// MaxLevel implements bus.LogListener: a callback sees everything and
// filters itself.
func (o *operation) MaxLevel() bus.Level { return bus.Private }

// sameSA tells whether a log line's SA is the operation's target. SAs are
// told apart by unique ID: every IKE_SA gets its own.
func sameSA(target *sa.IKESA, info bus.SAInfo) bool {
	if target == nil || info == nil {
		return target == nil && info == nil
	}
	return info.UniqueID() == target.UniqueID()
}

// initiateListener follows an initiation (controller.c ike_state_change and
// child_state_change).
type initiateListener struct{ *operation }

func (l initiateListener) IKEStateChange(ike *sa.IKESA, s sa.IKEState) bool {
	if !l.isTarget(ike) {
		return true
	}
	switch s {
	case sa.IKEEstablished:
		if l.child == nil {
			l.setStatus(ResultSuccess)
			l.finish()
			return false
		}
	case sa.IKEDestroying:
		l.finish()
		return false
	}
	return true
}

func (l initiateListener) ChildStateChange(ike *sa.IKESA, c *sa.ChildSA, s sa.ChildState) bool {
	if !l.isTarget(ike) {
		return true
	}
	switch s {
	case sa.ChildInstalled:
		l.setStatus(ResultSuccess)
		l.finish()
		return false
	case sa.ChildDestroying:
		switch c.State() {
		case sa.ChildRetrying:
			// Another round with a different key exchange method follows.
			l.setStatus(resultNeedMore)
			return true
		case sa.ChildCreated:
			if l.result() == resultNeedMore {
				l.setStatus(ResultFailed)
				return true
			}
		}
		l.finish()
		return false
	}
	return true
}

// terminateListener follows a termination.
type terminateListener struct {
	*operation
	child bool
}

func (l terminateListener) IKEStateChange(ike *sa.IKESA, s sa.IKEState) bool {
	if !l.isTarget(ike) || s != sa.IKEDestroying {
		return true
	}
	l.setStatus(ResultSuccess)
	l.finish()
	return false
}

func (l terminateListener) ChildStateChange(ike *sa.IKESA, c *sa.ChildSA, s sa.ChildState) bool {
	if !l.child || !l.isTarget(ike) || s != sa.ChildDestroying {
		return true
	}
	if c.State() == sa.ChildDeleted {
		l.setStatus(ResultSuccess)
	}
	l.finish()
	return false
}

// run queues job with the listeners registered and waits for the outcome,
// at most timeout (0: no limit) or until ctx ends. Without a callback the
// job is run right here and nothing is awaited.
func (c *Controller) run(ctx context.Context, op *operation, events sa.Listener, timeout time.Duration, job func(thread int)) Result {
	if op.cb == nil {
		job(0)
		return op.result()
	}
	c.env.Bus.AddListener(op)
	c.env.Events.Add(events)
	defer func() {
		c.env.Bus.RemoveListener(op)
		c.env.Events.Remove(events)
	}()
	c.env.Manager.Queue(processing.Medium, "controller", job)
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-op.done:
		return op.result()
	case <-expire:
		return ResultTimeout
	case <-ctx.Done():
		return ResultTimeout
	}
}

// Initiate brings up child (nil: the IKE_SA only) of peer. With a callback
// it waits until the CHILD_SA is installed or the attempt failed.
func (c *Controller) Initiate(ctx context.Context, peer *config.PeerCfg, child *config.ChildCfg, cb LogFunc, timeout time.Duration, limits bool) Result {
	op := newOperation(cb, child)
	return c.run(ctx, op, initiateListener{op}, timeout, func(thread int) {
		c.initiateJob(thread, op, peer, child, limits)
	})
}

func (c *Controller) initiateJob(thread int, op *operation, peer *config.PeerCfg, child *config.ChildCfg, limits bool) {
	m := c.env.Manager
	ike := m.CheckoutByConfig(peer, thread)
	if ike == nil {
		op.setStatus(ResultFailed)
		op.finish()
		return
	}
	op.setTarget(ike)
	if limits && ike.State() == sa.IKECreated {
		if limit := c.env.Settings.InitLimitHalfOpen; limit != 0 && uint32(m.HalfOpen()) >= limit {
			ike.Log(bus.IKE, bus.Control, "abort IKE_SA initiation, half open IKE_SA count of %d exceeds limit of %d",
				m.HalfOpen(), limit)
			m.CheckinAndDestroy(ike)
			op.setStatus(ResultInvalidState)
			op.finish()
			return
		}
	}
	// Initiate returns a task manager status; only DestroyMe means the
	// attempt is over before it began (charon's initiate() then fails).
	if s := ike.Initiate(child, nil); s != sa.DestroyMe && s != sa.Failed {
		if op.cb == nil {
			op.setStatus(ResultSuccess)
		}
		m.Checkin(ike)
		return
	}
	op.setStatus(ResultFailed)
	m.CheckinAndDestroy(ike)
}

// TerminateIKE deletes the IKE_SA with unique ID id.
func (c *Controller) TerminateIKE(ctx context.Context, id uint32, force bool, cb LogFunc, timeout time.Duration) Result {
	op := newOperation(cb, nil)
	return c.run(ctx, op, terminateListener{op, false}, timeout, func(thread int) {
		m := c.env.Manager
		ike := m.CheckoutByUniqueID(id, thread)
		if ike == nil {
			c.env.Bus.Log(thread, nil, bus.IKE, bus.Control, "unable to terminate IKE_SA: ID %d not found", id)
			op.setStatus(ResultNotFound)
			op.finish()
			return
		}
		op.setTarget(ike)
		if op.cb == nil {
			op.setStatus(ResultSuccess)
		}
		m.Release(ike, ike.Delete(force))
	})
}

// TerminateChild deletes the CHILD_SA with unique ID id.
func (c *Controller) TerminateChild(ctx context.Context, id uint32, cb LogFunc, timeout time.Duration) Result {
	op := newOperation(cb, nil)
	return c.run(ctx, op, terminateListener{op, true}, timeout, func(thread int) {
		m := c.env.Manager
		ike, child := c.env.Children.CheckoutByID(m, id, thread)
		if child == nil {
			c.env.Bus.Log(thread, nil, bus.IKE, bus.Control, "unable to terminate, CHILD_SA with ID %d not found", id)
			op.setStatus(ResultNotFound)
			op.finish()
			return
		}
		op.setTarget(ike)
		if s := ike.DeleteChild(child.Protocol(), child.SPI(true), false); s != sa.DestroyMe {
			if op.cb == nil {
				op.setStatus(ResultSuccess)
			}
			m.Checkin(ike)
		} else {
			op.setStatus(ResultFailed)
			m.CheckinAndDestroy(ike)
		}
	})
}
