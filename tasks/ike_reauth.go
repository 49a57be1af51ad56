package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEReauth reauthenticates break-before-make, ike_reauth.c: delete the
// IKE_SA, then reestablish it with its CHILD_SAs on a new one.
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
