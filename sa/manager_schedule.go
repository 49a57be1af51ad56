package sa

import (
	"net/netip"
	"strings"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/processing"
)

// ScheduleIKE runs fn on the IKE_SA id after d: a job checks it out, runs
// fn and checks it in (or destroys it on DestroyMe). Missing SAs are
// silently skipped, as charon's jobs do.
func (m *Manager) ScheduleIKE(id IKESAID, d time.Duration, name string, fn func(*IKESA) Status) {
	job := processing.Func{Prio: processing.Medium, Name: name, Fn: func(c processing.Ctx) {
		ike := m.Checkout(id, c.Thread)
		if ike == nil {
			// charon's jobs are silent about vanished SAs, except this one.
			if name == "rekey_ike_sa" {
				m.env.Bus.Log(c.Thread, nil, bus.JOB, bus.Diag, "IKE_SA to rekey not found")
			}
			return
		}
		m.Release(ike, fn(ike))
	}}
	if d <= 0 {
		m.q.Queue(job)
		return
	}
	m.sched.Schedule(job, d)
}

// ScheduleChild runs fn on the IKE_SA owning the CHILD_SA (proto, spi,
// dst) after d.
func (m *Manager) ScheduleChild(proto uint8, spi uint32, dst netip.Addr, d time.Duration, name string,
	fn func(*IKESA, *ChildSA) Status) {
	job := processing.Func{Prio: processing.Medium, Name: name, Fn: func(c processing.Ctx) {
		ike, child := m.env.Children.Checkout(m, proto, spi, dst, c.Thread)
		if ike == nil {
			// As rekey_child_sa_job and delete_child_sa_job say it.
			what := strings.TrimSuffix(name, "_child_sa")
			m.env.Bus.Log(c.Thread, nil, bus.JOB, bus.Control, "CHILD_SA %s/0x%08x/%s not found for %s",
				protoName(proto), spi, dst, what)
			return
		}
		m.Release(ike, fn(ike, child))
	}}
	if d <= 0 {
		m.q.Queue(job)
		return
	}
	m.sched.Schedule(job, d)
}

// Queue runs fn as a job on a worker (no SA involved).
func (m *Manager) Queue(prio processing.Priority, name string, fn func(thread int)) {
	m.q.Queue(processing.Func{Prio: prio, Name: name, Fn: func(c processing.Ctx) { fn(c.Thread) }})
}

// Schedule runs fn on a worker after d (no SA involved).
func (m *Manager) Schedule(d time.Duration, name string, fn func(thread int)) {
	m.sched.Schedule(processing.Func{Prio: processing.Medium, Name: name, Fn: func(c processing.Ctx) { fn(c.Thread) }}, d)
}

// Now is the manager's clock.
func (m *Manager) Now() time.Time { return m.env.Clock.Now() }
