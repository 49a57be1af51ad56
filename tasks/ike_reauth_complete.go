package tasks

import (
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEReauthComplete ends a make-before-break reauthentication or a
// redirect, ike_reauth_complete.c: queued on the new IKE_SA after the
// CHILD_SAs it recreates, it sends nothing and has the replaced IKE_SA
// deleted (delete_ike_sa_job) once they are up.
type IKEReauthComplete struct {
	ike *sa.IKESA
	old sa.IKESAID
}

// NewIKEReauthComplete creates the task for the new IKE_SA ike replacing
// the IKE_SA old.
func NewIKEReauthComplete(ike *sa.IKESA, old sa.IKESAID) *IKEReauthComplete {
	return &IKEReauthComplete{ike: ike, old: old}
}

// Type implements sa.Task.
func (t *IKEReauthComplete) Type() sa.TaskType { return sa.TaskIKEReauthComplete }

// Migrate implements sa.Task.
func (t *IKEReauthComplete) Migrate(ike *sa.IKESA) { t.ike = ike }

// Build implements sa.Task.
func (t *IKEReauthComplete) Build(m *encoding.Message) sa.Status {
	m.Exchange = encoding.ExchangeUndefined
	t.ike.Env().Manager.ScheduleIKE(t.old, 0, "delete_ike_sa", func(x *sa.IKESA) sa.Status { return x.DeleteJob(true) })
	return sa.Success
}

// Process implements sa.Task.
func (t *IKEReauthComplete) Process(*encoding.Message) sa.Status { return sa.DestroyMe }
