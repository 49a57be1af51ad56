package tasks

import (
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEReauth reauthenticates break-before-make, ike_reauth.c: delete the
// IKE_SA, then reestablish it with its CHILD_SAs on a new one. With
// charon.make_before_break the task manager reauthenticates without it
// (triggerMBBReauth).
type IKEReauth struct {
	ike *sa.IKESA
	del *IKEDelete
}

// NewIKEReauth creates the task.
func NewIKEReauth(ike *sa.IKESA) *IKEReauth {
	return &IKEReauth{ike: ike, del: NewIKEDelete(ike, true)}
}

// Type implements sa.Task.
func (t *IKEReauth) Type() sa.TaskType { return sa.TaskIKEReauth }

// Migrate implements sa.Task.
func (t *IKEReauth) Migrate(ike *sa.IKESA) { t.ike = ike; t.del.Migrate(ike) }

// Build implements sa.Task.
func (t *IKEReauth) Build(m *encoding.Message) sa.Status { return t.del.Build(m) }

// Process implements sa.Task.
func (t *IKEReauth) Process(m *encoding.Message) sa.Status {
	t.del.Process(m)
	if !t.ike.Reestablish() {
		t.ike.Log(bus.IKE, bus.Control, "reauthenticating IKE_SA failed")
		return sa.Failed
	}
	return sa.DestroyMe
}

// triggerMBBReauth reauthenticates make-before-break, task_manager_v2.c
// trigger_mbb_reauth: a new IKE_SA to the same peer recreates the
// CHILD_SAs with their reqids and marks (not their interface ids: the new
// CHILD_SAs go through the usual up events) while the old one keeps
// carrying traffic, and deletes the old one when done (ike_reauth_complete).
// Queued CHILD_SA creations move to the new IKE_SA.
func (tm *TaskManager) triggerMBBReauth() {
	old := tm.ike
	m := old.Env().Manager
	n := m.CreateNew(true, old.Thread())
	n.SetPeerCfg(old.PeerCfg())
	n.SetOtherHost(old.OtherHost())
	n.SetMyHost(old.MyHost())
	for _, vip := range old.VirtualIPs(true) {
		n.AddVirtualIP(true, vip)
	}
	children := false
	for _, c := range old.Children() {
		if s := c.State(); s == sa.ChildRekeyed || s == sa.ChildDeleted {
			continue
		}
		create := NewChildCreate(n, c.Config(), false, nil)
		create.UseReqID(c.ReqID())
		create.UseMarks(c.Mark(true).Value, c.Mark(false).Value)
		n.QueueTask(create)
		children = true
	}
	for i := 0; i < len(tm.queuedTasks); {
		if q := tm.queuedTasks[i]; q.task.Type() == sa.TaskChildCreate {
			tm.queuedTasks = slices.Delete(tm.queuedTasks, i, i+1)
			q.task.Migrate(n)
			n.QueueTask(q.task)
			children = true
			continue
		}
		i++
	}
	if !children {
		m.CheckinAndDestroy(n)
		old.Log(bus.IKE, bus.Control, "unable to reauthenticate IKE_SA, no CHILD_SA to recreate")
		return
	}
	// Online revocation checks wait until the CHILD_SAs are up
	// (ike_verify_peer_cert), so that the responder's new SAs, which it
	// installs before we do, are not kept unused while we fetch a CRL or
	// ask an OCSP responder.
	n.SetCondition(sa.CondOnlineValidationSuspended, true)
	if n.Initiate(nil, nil) == sa.DestroyMe {
		m.CheckinAndDestroy(n)
		old.Log(bus.IKE, bus.Control, "reauthenticating IKE_SA failed")
		return
	}
	n.QueueTask(NewIKEVerifyPeerCert(n))
	n.QueueTask(NewIKEReauthComplete(n, old.ID()))
	m.Checkin(n)
}
