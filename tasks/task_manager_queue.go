package tasks

import (
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/sa"
)

// QueueTask implements sa.TaskManager.
func (tm *TaskManager) QueueTask(t sa.Task) { tm.QueueTaskDelayed(t, 0) }

// QueueTaskDelayed implements sa.TaskManager.
func (tm *TaskManager) QueueTaskDelayed(t sa.Task, delay uint32) {
	at := tm.ike.Env().Clock.Now()
	if delay > 0 {
		tm.log(bus.IKE, bus.Diag, "queueing %s task (delayed by %ds)", t.Type(), delay)
		at = at.Add(time.Duration(delay) * time.Second)
		tm.ike.Env().Manager.ScheduleIKE(tm.ike.ID(), time.Duration(delay)*time.Second, "initiate_tasks",
			func(ike *sa.IKESA) sa.Status { return ike.TaskManager().Initiate() })
	} else {
		tm.log(bus.IKE, bus.Diag, "queueing %s task", t.Type())
	}
	tm.queuedTasks = append(tm.queuedTasks, queued{task: t, at: at})
}

func (tm *TaskManager) hasQueued(t sa.TaskType) bool {
	for _, q := range tm.queuedTasks {
		if q.task.Type() == t {
			return true
		}
	}
	return false
}

// QueueIKE implements sa.TaskManager: the tasks of IKE_SA_INIT and
// IKE_AUTH, in the order the responder also creates them.
func (tm *TaskManager) QueueIKE() {
	ike := tm.ike
	for _, x := range []struct {
		t  sa.TaskType
		mk func() sa.Task
	}{
		{sa.TaskIKEVendor, func() sa.Task { return NewIKEVendor(ike, true) }},
		{sa.TaskIKEInit, func() sa.Task { return NewIKEInit(ike, true, nil) }},
		{sa.TaskIKENATD, func() sa.Task { return NewIKENATD(ike, true) }},
		{sa.TaskIKECertPre, func() sa.Task { return NewIKECertPre(ike, true) }},
		{sa.TaskIKEAuth, func() sa.Task { return NewIKEAuth(ike, true) }},
		{sa.TaskIKECertPost, func() sa.Task { return NewIKECertPost(ike, true) }},
		{sa.TaskIKEConfig, func() sa.Task { return NewIKEConfig(ike, true) }},
		{sa.TaskIKEAuthLifetime, func() sa.Task { return NewIKEAuthLifetime(ike, true) }},
		{sa.TaskIKEMOBIKE, func() sa.Task {
			if p := ike.PeerCfg(); p == nil || !p.UseMOBIKE {
				return nil
			}
			return NewIKEMOBIKE(ike, true)
		}},
		{sa.TaskIKEEstablish, func() sa.Task { return NewIKEEstablish(ike, true) }},
	} {
		if !tm.hasQueued(x.t) {
			if t := x.mk(); t != nil {
				tm.QueueTask(t)
			}
		}
	}
}

// queuedMOBIKE returns the queued MOBIKE task, queueing one if there is
// none: one is enough (task_manager_v2.c queue_mobike_task).
func (tm *TaskManager) queuedMOBIKE() *IKEMOBIKE {
	for _, q := range tm.queuedTasks {
		if m, ok := q.task.(*IKEMOBIKE); ok {
			return m
		}
	}
	m := NewIKEMOBIKE(tm.ike, true)
	tm.QueueTask(m)
	return m
}

// QueueMOBIKE implements sa.TaskManager.
func (tm *TaskManager) QueueMOBIKE(roam, address bool) {
	m := tm.queuedMOBIKE()
	if !roam {
		m.Addresses()
		return
	}
	m.Roam(address)
	// an active MOBIKE task probes the paths too: its address may have
	// stopped working before it disappeared
	for _, t := range tm.activeTasks {
		if a, ok := t.(*IKEMOBIKE); ok {
			a.EnableProbing()
			break
		}
	}
}

// QueueIKERekey implements sa.TaskManager.
func (tm *TaskManager) QueueIKERekey() { tm.QueueTask(NewIKERekey(tm.ike, true)) }

// QueueIKEReauth implements sa.TaskManager: break-before-make with an
// IKE_REAUTH task, or, with charon.make_before_break, a new IKE_SA right
// away (queue_ike_reauth).
func (tm *TaskManager) QueueIKEReauth() {
	if tm.settings().MakeBeforeBreak {
		tm.triggerMBBReauth()
		return
	}
	tm.QueueTask(NewIKEReauth(tm.ike))
}

// QueueIKEDelete implements sa.TaskManager.
func (tm *TaskManager) QueueIKEDelete() { tm.QueueTask(NewIKEDelete(tm.ike, true)) }

// QueueChild implements sa.TaskManager.
func (tm *TaskManager) QueueChild(cfg *config.ChildCfg, args *sa.ChildInitArgs) {
	tm.QueueTask(NewChildCreate(tm.ike, cfg, false, args))
}

// QueueChildRekey implements sa.TaskManager.
func (tm *TaskManager) QueueChildRekey(proto uint8, spi uint32) {
	tm.QueueTask(NewChildRekey(tm.ike, proto, spi))
}

// QueueChildDelete implements sa.TaskManager.
func (tm *TaskManager) QueueChildDelete(proto uint8, spi uint32, expired bool) {
	tm.QueueTask(NewChildDelete(tm.ike, proto, spi, expired))
}

// QueueRedirect implements sa.TaskManager.
func (tm *TaskManager) QueueRedirect(gateway *credentials.Identity) {
	tm.QueueTask(NewIKERedirect(tm.ike, gateway))
}

// QueueReauthComplete implements sa.TaskManager.
func (tm *TaskManager) QueueReauthComplete(old sa.IKESAID) {
	tm.QueueTask(NewIKEReauthComplete(tm.ike, old))
}

// QueueDPD implements sa.TaskManager: with MOBIKE the original initiator
// checks liveness with a MOBIKE task, whose NAT detection notices changed
// NAT mappings.
func (tm *TaskManager) QueueDPD() {
	if tm.ike.Supports(sa.ExtMOBIKE) && tm.ike.Has(sa.CondOriginalInitiator) {
		tm.queuedMOBIKE().DPD()
		return
	}
	tm.QueueTask(NewIKEDPD(tm.ike, true))
}

// QueueAuthLifetime implements sa.TaskManager.
func (tm *TaskManager) QueueAuthLifetime() { tm.QueueTask(NewIKEAuthLifetime(tm.ike, true)) }

// Reset implements sa.TaskManager.
func (tm *TaskManager) Reset(initiate, respond uint32) {
	tm.initiating.packets, tm.responding.packets = nil, nil
	tm.initiating.defrag, tm.responding.defrag = nil, nil
	if initiate != ^uint32(0) {
		tm.initiating.mid = initiate
	}
	if respond != ^uint32(0) {
		tm.responding.mid = respond
	}
	tm.initiating.exchange = exchangeNone
	now := tm.ike.Env().Clock.Now()
	for i := range tm.queuedTasks {
		tm.queuedTasks[i].at = now
		tm.queuedTasks[i].task.Migrate(tm.ike)
	}
	for len(tm.activeTasks) > 0 {
		t := tm.activeTasks[len(tm.activeTasks)-1]
		tm.activeTasks = tm.activeTasks[:len(tm.activeTasks)-1]
		t.Migrate(tm.ike)
		tm.queuedTasks = slices.Insert(tm.queuedTasks, 0, queued{task: t, at: now})
	}
	tm.reset = true
}

// AdoptTasks implements sa.TaskManager.
func (tm *TaskManager) AdoptTasks(other sa.TaskManager) {
	o := other.(*TaskManager)
	now := tm.ike.Env().Clock.Now()
	for len(o.queuedTasks) > 0 {
		q := o.queuedTasks[len(o.queuedTasks)-1]
		o.queuedTasks = o.queuedTasks[:len(o.queuedTasks)-1]
		tm.log(bus.IKE, bus.Diag, "migrating %s task", q.task.Type())
		q.task.Migrate(tm.ike)
		q.at = now
		tm.queuedTasks = slices.Insert(tm.queuedTasks, 0, q)
	}
}

// AdoptChildTasks implements sa.TaskManager: CHILD_CREATE tasks, active
// or queued, move to this manager.
func (tm *TaskManager) AdoptChildTasks(other sa.TaskManager) {
	o := other.(*TaskManager)
	for i := 0; i < len(o.activeTasks); {
		if t := o.activeTasks[i]; t.Type() == sa.TaskChildCreate {
			o.activeTasks = slices.Delete(o.activeTasks, i, i+1)
			t.Migrate(tm.ike)
			tm.QueueTask(t)
			continue
		}
		i++
	}
	for i := 0; i < len(o.queuedTasks); {
		if q := o.queuedTasks[i]; q.task.Type() == sa.TaskChildCreate {
			o.queuedTasks = slices.Delete(o.queuedTasks, i, i+1)
			q.task.Migrate(tm.ike)
			tm.QueueTask(q.task)
			continue
		}
		i++
	}
}

// Busy implements sa.TaskManager.
func (tm *TaskManager) Busy() bool { return len(tm.activeTasks) > 0 }

// Tasks implements sa.TaskManager.
func (tm *TaskManager) Tasks(q sa.TaskQueue) []sa.Task {
	switch q {
	case sa.QueueActive:
		return slices.Clone(tm.activeTasks)
	case sa.QueuePassive:
		return slices.Clone(tm.passiveTasks)
	}
	out := make([]sa.Task, len(tm.queuedTasks))
	for i, x := range tm.queuedTasks {
		out[i] = x.task
	}
	return out
}

// RemoveTask implements sa.TaskManager.
func (tm *TaskManager) RemoveTask(q sa.TaskQueue, t sa.Task) {
	switch q {
	case sa.QueueActive:
		if i := slices.Index(tm.activeTasks, t); i >= 0 {
			tm.activeTasks = drop(tm.activeTasks, i, true)
		}
	case sa.QueuePassive:
		if i := slices.Index(tm.passiveTasks, t); i >= 0 {
			tm.passiveTasks = drop(tm.passiveTasks, i, true)
		}
	default:
		for i, x := range tm.queuedTasks {
			if x.task == t {
				tm.queuedTasks = slices.Delete(tm.queuedTasks, i, i+1)
				return
			}
		}
	}
}

// Flush implements sa.TaskManager.
func (tm *TaskManager) Flush() {
	tm.FlushQueue(sa.QueueQueued)
	tm.FlushQueue(sa.QueuePassive)
	tm.FlushQueue(sa.QueueActive)
}

// FlushQueue implements sa.TaskManager.
func (tm *TaskManager) FlushQueue(q sa.TaskQueue) {
	switch q {
	case sa.QueueActive:
		for _, t := range tm.activeTasks {
			destroyTask(t)
		}
		tm.activeTasks = nil
	case sa.QueuePassive:
		for _, t := range tm.passiveTasks {
			destroyTask(t)
		}
		tm.passiveTasks = nil
	default:
		for _, q := range tm.queuedTasks {
			destroyTask(q.task)
		}
		tm.queuedTasks = nil
	}
}

// destroyTask releases what a dropped task holds.
func destroyTask(t sa.Task) {
	if d, ok := t.(sa.Destroyer); ok {
		d.Destroy()
	}
}

// drop removes the task at i, destroying it unless another task took it.
func drop(list []sa.Task, i int, destroy bool) []sa.Task {
	t := list[i]
	list = slices.Delete(list, i, i+1)
	if destroy {
		destroyTask(t)
	}
	return list
}

// MessageID implements sa.TaskManager.
func (tm *TaskManager) MessageID(initiate bool) uint32 {
	if initiate {
		return tm.initiating.mid
	}
	return tm.responding.mid
}

// SetMessageID implements sa.TaskManager.
func (tm *TaskManager) SetMessageID(initiate bool, mid uint32) {
	if initiate {
		tm.initiating.mid = mid
	} else {
		tm.responding.mid = mid
	}
}

// QueueMIDSync implements sa.TaskManager.
func (tm *TaskManager) QueueMIDSync() { tm.QueueTask(NewIKEMIDSync(tm.ike, true)) }

// IncrMessageID implements sa.TaskManager.
func (tm *TaskManager) IncrMessageID(initiate bool) {
	if initiate {
		tm.initiating.mid++
	} else {
		tm.responding.mid++
	}
}
