package tasks

import (
	"bytes"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// Constants of ike_rekey.c.
const (
	ikeRetryInterval = 15
	ikeRetryJitter   = 10
	// A responder deletes the old IKE_SA itself if the initiator does not
	// within this time (or within rekeyedDeleteTimeout's longer value).
	rekeyedDeleteTimeoutMin = 90 * time.Second
)

// rekeyedDeleteTimeout is when a rekey responder deletes the old IKE_SA
// the initiator did not delete: charon waits 90 s, but an initiator whose
// response was lost retransmits its request for as long as its
// retransmission settings say (165 s with charon's defaults), and a DELETE
// for the old IKE_SA before then ends its rekeying and the IKE_SA on its
// side, while the new one lives on here. So we wait until an initiator
// with our settings has given up, and at least charon's 90 s.
func rekeyedDeleteTimeout(s *sa.Settings) time.Duration {
	return max(rekeyedDeleteTimeoutMin, RetransmitWindow(s))
}

// IKERekey rekeys the IKE_SA, ike_rekey.c: a CREATE_CHILD_SA carrying an
// IKE_SA_INIT-like exchange (ike_init with the old SA) that creates a new
// IKE_SA, which inherits the CHILD_SAs; then the old one is deleted.
type IKERekey struct {
	ike       *sa.IKESA
	initiator bool
	newSA     *sa.IKESA
	init      *IKEInit
	del       *IKEDelete
	collision *IKERekey
	tempFail  bool
}

// NewIKERekey creates the task.
func NewIKERekey(ike *sa.IKESA, initiator bool) *IKERekey {
	return &IKERekey{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKERekey) Type() sa.TaskType { return sa.TaskIKERekey }

// Migrate implements sa.Task.
func (t *IKERekey) Migrate(ike *sa.IKESA) {
	t.Destroy()
	*t = IKERekey{ike: ike, initiator: t.initiator}
}

// Destroy implements sa.Destroyer: a new IKE_SA that never got
// established goes away.
func (t *IKERekey) Destroy() {
	if t.newSA != nil {
		t.ike.Env().Manager.CheckinAndDestroy(t.newSA)
		t.newSA = nil
	}
	if t.collision != nil {
		t.collision.Destroy()
		t.collision = nil
	}
}

// DidCollide reports whether a rekey collision was detected.
func (t *IKERekey) DidCollide() bool { return t.collision != nil }

func (t *IKERekey) scheduleDelayedRekey() {
	retry := ikeRetryInterval - uint32(t.ike.Env().RandUint64(ikeRetryJitter))
	t.ike.Log(bus.IKE, bus.Control, "IKE_SA rekeying failed, trying again in %d seconds", retry)
	t.ike.SetState(sa.IKEEstablished)
	t.ike.Env().Manager.ScheduleIKE(t.ike.ID(), time.Duration(retry)*time.Second, "rekey_ike_sa", (*sa.IKESA).Rekey)
}

// establishNew makes the new IKE_SA the one in use.
func (t *IKERekey) establishNew() {
	if t.newSA == nil {
		return
	}
	n, old := t.newSA, t.ike
	n.SetState(sa.IKEEstablished)
	old.Log(bus.IKE, bus.Audit, "IKE_SA %s[%d] rekeyed between %s[%s]...%s[%s]", n.Name(), n.UniqueID(),
		old.MyHost().Addr(), old.MyID(), old.OtherHost().Addr(), old.OtherID())
	old.Env().Manager.CheckoutNew(n)
	n.InheritPost(old)
	old.Env().Events.IKERekey(old, n)
	if len(n.TaskManager().Tasks(sa.QueueQueued)) > 0 {
		old.Env().Manager.ScheduleIKE(n.ID(), 0, "initiate_tasks", func(x *sa.IKESA) sa.Status {
			return x.TaskManager().Initiate()
		})
	}
	old.Env().Manager.Checkin(n)
	t.newSA = nil
	old.SetState(sa.IKERekeyed)
}

// Build implements sa.Task. Build and Process mirror ChildRekey's on
// purpose (see there): ike_rekey.c's task methods mirror child_rekey.c's.
func (t *IKERekey) Build(m *encoding.Message) sa.Status {
	if t.del != nil {
		m.Exchange = encoding.ExchangeInformational
		return t.del.Build(m)
	}
	if t.initiator {
		return t.buildI(m)
	}
	return t.buildR(m)
}

// Process implements sa.Task.
func (t *IKERekey) Process(m *encoding.Message) sa.Status {
	if t.del != nil {
		return t.del.Process(m)
	}
	if t.initiator {
		return t.processI(m)
	}
	return t.processR(m)
}

func (t *IKERekey) buildI(m *encoding.Message) sa.Status {
	if t.newSA == nil {
		if s := t.ike.State(); s == sa.IKERekeying || s == sa.IKERekeyed {
			m.Exchange = encoding.ExchangeUndefined
			return sa.Success
		}
		t.newSA = t.ike.Env().Manager.CreateDetached(true, t.ike.Thread())
		t.newSA.InheritPre(t.ike)
		t.init = NewIKEInit(t.newSA, true, t.ike)
		t.ike.SetState(sa.IKERekeying)
	}
	t.init.Build(m)
	return sa.NeedMore
}

func (t *IKERekey) halfOpenChildren() bool {
	for _, c := range t.ike.Children() {
		switch c.State() {
		case sa.ChildRekeying, sa.ChildRetrying, sa.ChildDeleting:
			return true
		}
	}
	for _, task := range t.ike.TaskManager().Tasks(sa.QueueActive) {
		if task.Type() == sa.TaskChildCreate {
			return true
		}
	}
	return false
}

func (t *IKERekey) processR(m *encoding.Message) sa.Status {
	switch {
	case t.ike.State() == sa.IKEDeleting:
		t.ike.Log(bus.IKE, bus.Control, "peer initiated rekeying, but we are deleting")
		t.tempFail = true
		return sa.NeedMore
	case t.ike.Has(sa.CondReauthenticating):
		t.ike.Log(bus.IKE, bus.Control, "peer initiated rekeying, but we are reauthenticating")
		t.tempFail = true
		return sa.NeedMore
	case t.halfOpenChildren():
		t.ike.Log(bus.IKE, bus.Control, "peer initiated rekeying, but a child is half-open")
		t.tempFail = true
		return sa.NeedMore
	}
	t.newSA = t.ike.Env().Manager.CreateDetached(false, t.ike.Thread())
	t.newSA.InheritPre(t.ike)
	src, dst := t.ike.MessageAddrs()
	t.newSA.SetMessageAddrs(src, dst)
	t.init = NewIKEInit(t.newSA, false, t.ike)
	t.init.Process(m)
	return sa.NeedMore
}

func (t *IKERekey) buildR(m *encoding.Message) sa.Status {
	if t.tempFail {
		addNotifyFlush(m, encoding.NotifyTemporaryFailure, nil)
		return sa.Success
	}
	if t.newSA == nil {
		addNotifyFlush(m, encoding.NotifyNoProposalChosen, nil)
		return sa.Success
	}
	if t.init.Build(m) == sa.Failed {
		t.init = nil
		t.Destroy()
		return sa.Success
	}
	if t.ike.State() != sa.IKERekeying {
		// Without a collision we are done; with one the active task
		// decides.
		t.establishNew()
		timeout := rekeyedDeleteTimeout(&t.ike.Env().Settings)
		t.ike.Env().Manager.ScheduleIKE(t.ike.ID(), timeout, "delete_ike_sa", func(x *sa.IKESA) sa.Status {
			return x.Delete(false)
		})
	}
	return sa.Success
}

func (t *IKERekey) concludeUndetectedCollision() bool {
	if t.collision != nil {
		t.ike.Log(bus.IKE, bus.Control, "peer did not notice IKE_SA rekey collision, abort active rekeying")
		t.collision.establishNew()
		return true
	}
	return false
}

func (t *IKERekey) processI(m *encoding.Message) sa.Status {
	ike := t.ike
	if m.Notify(encoding.NotifyNoAdditionalSAs) != nil {
		ike.Log(bus.IKE, bus.Control, "peer seems to not support IKE rekeying, starting reauthentication")
		ike.SetState(sa.IKEEstablished)
		ike.Env().Manager.ScheduleIKE(ike.ID(), 0, "reauth_ike_sa", (*sa.IKESA).Reauth)
		return sa.Success
	}
	src, dst := ike.MessageAddrs()
	t.newSA.SetMessageAddrs(src, dst)
	switch t.init.Process(m) {
	case sa.Failed:
		if !t.concludeUndetectedCollision() {
			t.scheduleDelayedRekey()
		}
		t.Destroy()
		return sa.Success
	case sa.NeedMore:
		// INVALID_KE_PAYLOAD: retry on the same new SA.
		t.init.Migrate(t.newSA)
		return sa.NeedMore
	}
	if t.collision != nil {
		other := t.collision
		if bytes.Compare(t.init.LowerNonce(), other.init.LowerNonce()) < 0 {
			ike.Log(bus.IKE, bus.Control, "IKE_SA rekey collision lost, deleting redundant IKE_SA %s[%d]",
				t.newSA.Name(), t.newSA.UniqueID())
			n := t.newSA
			t.newSA = nil
			n.SetMyHost(ike.MyHost())
			n.SetOtherHost(ike.OtherHost())
			n.SetState(sa.IKERekeyed)
			ike.Env().Manager.Release(n, n.Delete(false))
			other.establishNew()
			t.collision = nil
			return sa.Success
		}
		on := other.newSA
		ike.Log(bus.IKE, bus.Control, "IKE_SA rekey collision won, waiting for delete for redundant IKE_SA %s[%d]",
			on.Name(), on.UniqueID())
		ike.Env().Manager.ScheduleIKE(on.ID(), time.Duration(ike.Env().Settings.HalfOpenTimeout)*time.Second,
			"delete_ike_sa", func(x *sa.IKESA) sa.Status { return x.Delete(false) })
		on.SetState(sa.IKERekeyed)
		ike.Env().Manager.Checkin(on)
		other.newSA = nil
	}
	t.establishNew()
	t.del = NewIKEDelete(ike, true)
	return sa.NeedMore
}

// Collide implements the task manager's collider.
func (t *IKERekey) Collide(other sa.Task) bool {
	t.ike.Log(bus.IKE, bus.Control, "detected %s collision with %s", sa.TaskIKERekey, other.Type())
	switch o := other.(type) {
	case *IKEDelete:
		t.concludeUndetectedCollision()
	case *IKERekey:
		if o.init == nil {
			t.ike.Log(bus.IKE, bus.Control, "colliding exchange did not result in an IKE_SA, ignore")
			return false
		}
		if t.collision != nil {
			t.collision.Destroy()
		}
		t.collision = o
		return true
	}
	return false
}
