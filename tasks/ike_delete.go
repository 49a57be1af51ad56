package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEDelete deletes the IKE_SA with an INFORMATIONAL DELETE, ike_delete.c.
// A responder also handles an AUTHENTICATION_FAILED notify with it.
type IKEDelete struct {
	ike       *sa.IKESA
	initiator bool
	rekeyed   bool
}

// NewIKEDelete creates the task.
func NewIKEDelete(ike *sa.IKESA, initiator bool) *IKEDelete {
	return &IKEDelete{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKEDelete) Type() sa.TaskType { return sa.TaskIKEDelete }

// Migrate implements sa.Task.
func (t *IKEDelete) Migrate(ike *sa.IKESA) { t.ike = ike }

func (t *IKEDelete) logDeleting() {
	ike := t.ike
	ike.Log(bus.IKE, bus.Audit, "deleting IKE_SA %s[%d] between %s[%s]...%s[%s]", ike.Name(), ike.UniqueID(),
		ike.MyHost().Addr(), ike.MyID(), ike.OtherHost().Addr(), ike.OtherID())
}

// collisionReporter is implemented by ike_rekey.
type collisionReporter interface {
	DidCollide() bool
}

// Build implements sa.Task.
func (t *IKEDelete) Build(m *encoding.Message) sa.Status {
	ike := t.ike
	if t.initiator {
		t.logDeleting()
		m.Add(&encoding.Delete{Protocol: encoding.ProtocolIKE})
		if ike.State() == sa.IKERekeyed {
			t.rekeyed = true // old or redundant SA: no down event
		}
		ike.SetState(sa.IKEDeleting)
		ike.Log(bus.IKE, bus.Control, "sending DELETE for IKE_SA %s[%d]", ike.Name(), ike.UniqueID())
		return sa.NeedMore
	}
	ike.Log(bus.IKE, bus.Audit, "IKE_SA deleted")
	if !t.rekeyed {
		ike.Env().Events.IKEUpdown(ike, false)
	}
	if ike.Has(sa.CondReauthenticating) {
		for _, task := range ike.TaskManager().Tasks(sa.QueueActive) {
			if task.Type() == sa.TaskIKEReauth {
				if !ike.Reestablish() {
					ike.Log(bus.IKE, bus.Control, "reauthenticating IKE_SA failed")
				}
				break
			}
		}
	}
	return sa.DestroyMe
}

// Process implements sa.Task.
func (t *IKEDelete) Process(m *encoding.Message) sa.Status {
	ike := t.ike
	if t.initiator {
		ike.Log(bus.IKE, bus.Audit, "IKE_SA deleted")
		if !t.rekeyed {
			ike.Env().Events.IKEUpdown(ike, false)
		}
		return sa.DestroyMe
	}
	ike.Log(bus.IKE, bus.Control, "received DELETE for IKE_SA %s[%d]", ike.Name(), ike.UniqueID())
	t.logDeleting()
	if m.Exchange == encoding.ExchangeInformational && m.Notify(encoding.NotifyAuthenticationFailed) != nil {
		ike.Env().Events.Alert(ike, sa.AlertLocalAuthFailed)
	}
	switch ike.State() {
	case sa.IKERekeying:
		collided := false
		for _, task := range ike.TaskManager().Tasks(sa.QueueActive) {
			if c, ok := task.(collisionReporter); ok && task.Type() == sa.TaskIKERekey && c.DidCollide() {
				collided = true
			}
		}
		if collided {
			t.rekeyed = true
			break
		}
		fallthrough
	case sa.IKEEstablished:
		ike.SetState(sa.IKEDeleting)
		// goswan's, not charon's: a successor standing by (the new
		// IKE_SA of a make-before-break reauthentication) sends from now
		// on, before our answer lets the initiator remove the old
		// inbound SAs; the rest goes when the IKE_SA is destroyed.
		for _, c := range ike.Children() {
			c.HandOverOutbound()
		}
		if !ike.Has(sa.CondReauthenticating) {
			ike.Reestablish()
		}
		return sa.NeedMore
	case sa.IKERekeyed:
		t.rekeyed = true
	}
	ike.SetState(sa.IKEDeleting)
	return sa.NeedMore
}
