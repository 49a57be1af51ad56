package tasks

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// ChildRekey rekeys a CHILD_SA, child_rekey.c: a CREATE_CHILD_SA with
// N(REKEY_SA) carried by a child_create task, then an INFORMATIONAL that
// deletes the old SA with a child_delete task. Both peers may start a
// rekey of the same SA at once; the exchange with the lowest nonce wins
// (RFC 7296 §2.8.1).
type ChildRekey struct {
	ike       *sa.IKESA
	initiator bool
	proto     uint8 // IP protocol of the SA to rekey
	spi       uint32

	create    *ChildCreate
	del       *ChildDelete
	child     *sa.ChildSA
	collision sa.Task
	// otherChildDestroyed: the peer already deleted its redundant SA.
	otherChildDestroyed bool
}

// NewChildRekey creates the task: proto 0 makes a responder.
func NewChildRekey(ike *sa.IKESA, proto uint8, spi uint32) *ChildRekey {
	t := &ChildRekey{ike: ike, initiator: proto != 0, proto: proto, spi: spi}
	if !t.initiator {
		t.create = NewChildCreate(ike, nil, true, nil)
	}
	return t
}

// Type implements sa.Task.
func (t *ChildRekey) Type() sa.TaskType { return sa.TaskChildRekey }

// Migrate implements sa.Task.
func (t *ChildRekey) Migrate(ike *sa.IKESA) {
	if t.del != nil {
		t.del.Migrate(ike)
	} else if t.create != nil {
		t.create.Migrate(ike)
	}
	t.dropCollision()
	t.ike = ike
}

// Destroy implements sa.Destroyer: the adopted colliding task goes with
// this one.
func (t *ChildRekey) Destroy() {
	if t.create != nil {
		t.create.Destroy()
	}
	t.dropCollision()
}

func (t *ChildRekey) dropCollision() {
	if t.collision != nil {
		destroyTask(t.collision)
		t.collision = nil
	}
}

func (t *ChildRekey) scheduleDelayedRekey() {
	retry := childRetryInterval - uint32(t.ike.Env().RandUint64(childRetryJitter))
	proto, spi, dst := t.child.Protocol(), t.child.SPI(true), t.ike.MyHost().Addr()
	t.ike.Log(bus.IKE, bus.Control, "CHILD_SA rekeying failed, trying again in %d seconds", retry)
	t.child.SetState(sa.ChildInstalled)
	t.ike.Env().Manager.ScheduleChild(proto, spi, dst, time.Duration(retry)*time.Second, "rekey_child_sa",
		func(ike *sa.IKESA, c *sa.ChildSA) sa.Status {
			if ike.State() == sa.IKEPassive {
				return sa.Success
			}
			return ike.RekeyChild(c.Protocol(), c.SPI(true))
		})
}

// prepare copies reqid, marks and interface ids of the old SA into the
// create task so that the new SA matches the same policies.
func (t *ChildRekey) prepare() {
	ref := t.child.ReqIDRef()
	t.create.UseReqID(ref)
	t.ike.Env().ReleaseReqIDRef(ref)
	t.create.UseMarks(t.child.Mark(true).Value, t.child.Mark(false).Value)
	t.create.UseIfIDs(t.child.IfID(true), t.child.IfID(false))
}

// Build implements sa.Task. Build and Process mirror IKERekey's on
// purpose, as child_rekey.c's and ike_rekey.c's task methods mirror each
// other: the initiator's and responder's halves, and once the rekey is
// done the delete of the old SA in place of both (charon swaps in
// build_i_delete and process_i_delete); kept apart so each reads against
// its own strongSwan file.
func (t *ChildRekey) Build(m *encoding.Message) sa.Status {
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
func (t *ChildRekey) Process(m *encoding.Message) sa.Status {
	if t.del != nil {
		return t.del.Process(m)
	}
	if t.initiator {
		return t.processI(m)
	}
	t.create.Process(m)
	t.findChild(m)
	return sa.NeedMore
}

func (t *ChildRekey) buildI(m *encoding.Message) sa.Status {
	t.child = t.ike.Child(t.proto, t.spi, true)
	if t.child == nil {
		if t.child = t.ike.Child(t.proto, t.spi, false); t.child != nil {
			t.spi = t.child.SPI(true)
		}
	}
	if t.child == nil || (t.create == nil && t.child.State() != sa.ChildInstalled) ||
		(t.create != nil && t.child.State() != sa.ChildRekeying) {
		m.Exchange = encoding.ExchangeUndefined
		return sa.Success
	}
	if t.create == nil && t.child.Outbound()&sa.OutboundRegistered != 0 {
		// We created this CHILD_SA as responder of the peer's rekeying,
		// which the peer has not completed: its DELETE for the SA it
		// replaces has not come (its response may be lost). Rekeying it now
		// would name an SA the peer may not have yet; it answers
		// CHILD_SA_NOT_FOUND, and the SA would be destroyed here and
		// installed there (charon 5.9.8 does so, and crashed doing so under
		// loss in ikev2/rekey-collision). Try again later instead.
		t.ike.Log(bus.IKE, bus.Control, "CHILD_SA %s{%d} is waiting for the peer to complete its rekeying",
			t.child.Name(), t.child.UniqueID())
		t.scheduleDelayedRekey()
		m.Exchange = encoding.ExchangeUndefined
		return sa.Success
	}
	if t.create == nil {
		t.create = NewChildCreate(t.ike, t.child.Config(), true, nil)
		if g, ok := t.child.Proposal().Algorithm(crypto.TransformKeyExchange); ok {
			// Reuse the negotiated DH group (seeds/000).
			t.create.UseKEGroup(crypto.KeyExchangeMethod(g.ID))
		}
	}
	t.prepare()
	if t.create.Build(m) != sa.NeedMore {
		t.scheduleDelayedRekey()
		m.Exchange = encoding.ExchangeUndefined
		return sa.Success
	}
	if m.Exchange == encoding.ExchangeCreateChildSA {
		m.Add(&encoding.Notify{Protocol: protocolID(t.proto), SPI: binary.BigEndian.AppendUint32(nil, t.spi),
			NotifyType: encoding.NotifyRekeySA})
	}
	t.child.SetState(sa.ChildRekeying)
	return sa.NeedMore
}

// findChild looks up the SA the peer wants to rekey.
func (t *ChildRekey) findChild(m *encoding.Message) {
	n := m.Notify(encoding.NotifyRekeySA)
	if n == nil || len(n.SPI) != 4 {
		return
	}
	proto := ipProto(n.Protocol)
	if proto == 0 {
		return
	}
	c := t.ike.Child(proto, binary.BigEndian.Uint32(n.SPI), false)
	if c != nil && c.State() == sa.ChildDeleted {
		return // a rekeyed SA we only keep for late packets
	}
	t.child = c
}

func (t *ChildRekey) buildR(m *encoding.Message) sa.Status {
	if t.child == nil {
		t.ike.Log(bus.IKE, bus.Control, "unable to rekey, CHILD_SA not found")
		addNotifyFlush(m, encoding.NotifyChildSANotFound, nil)
		return sa.Success
	}
	if t.child.State() == sa.ChildDeleting {
		t.ike.Log(bus.IKE, bus.Control, "unable to rekey, we are deleting the CHILD_SA")
		addNotifyFlush(m, encoding.NotifyTemporaryFailure, nil)
		return sa.Success
	}
	t.prepare()
	t.create.SetConfig(t.child.Config())
	t.create.Build(m)
	old := t.child.State()
	t.child.SetState(sa.ChildRekeying)
	if m.First(encoding.PayloadSA) == nil {
		t.child.SetState(old) // failed: keep using the old SA
		return sa.Success
	}
	n := t.create.Child()
	t.child.SetState(sa.ChildRekeyed)
	t.child.SetRekeySPI(n.SPI(false))
	t.ike.Env().Events.ChildRekey(t.ike, t.child, n)
	return sa.Success
}

// handleCollision decides which SA to delete after a collision.
func (t *ChildRekey) handleCollision() (toDelete, toInstall *sa.ChildSA) {
	if other, ok := t.collision.(*ChildRekey); ok {
		if bytes.Compare(t.create.LowerNonce(), other.create.LowerNonce()) > 0 {
			toDelete = t.child
			t.ike.Log(bus.IKE, bus.Control, "CHILD_SA rekey collision won, deleting old child %s{%d}", toDelete.Name(), toDelete.UniqueID())
			if !t.otherChildDestroyed {
				if c := other.create.Child(); c != nil {
					c.SetCloseAction(config.ActionNone)
					if c.State() != sa.ChildRekeyed {
						c.SetState(sa.ChildRekeyed)
					}
				}
			}
			return toDelete, t.create.Child()
		}
		toDelete = t.create.Child()
		t.ike.Log(bus.IKE, bus.Control, "CHILD_SA rekey collision lost, deleting redundant child %s{%d}", toDelete.Name(), toDelete.UniqueID())
		return toDelete, nil
	}
	del := t.collision.(*ChildDelete)
	if del.Child() != t.child {
		toDelete = t.child
		t.ike.Log(bus.IKE, bus.Control, "CHILD_SA rekey/delete collision, deleting old child %s{%d}", toDelete.Name(), toDelete.UniqueID())
		return toDelete, t.create.Child()
	}
	toDelete = t.create.Child()
	t.ike.Log(bus.IKE, bus.Control, "CHILD_SA rekey/delete collision, deleting redundant child %s{%d}", toDelete.Name(), toDelete.UniqueID())
	return toDelete, nil
}

func (t *ChildRekey) processI(m *encoding.Message) sa.Status {
	ike := t.ike
	if m.Notify(encoding.NotifyNoAdditionalSAs) != nil {
		ike.Log(bus.IKE, bus.Control, "peer seems to not support CHILD_SA rekeying, starting reauthentication")
		t.child.SetState(sa.ChildInstalled)
		ike.Env().Manager.ScheduleIKE(ike.ID(), 0, "reauth_ike_sa", (*sa.IKESA).Reauth)
		return sa.Success
	}
	if m.Notify(encoding.NotifyChildSANotFound) != nil {
		if t.collision != nil && t.collision.Type() == sa.TaskChildDelete {
			return sa.Success // we deleted it already on the peer's request
		}
		ike.Log(bus.IKE, bus.Control, "peer didn't find the CHILD_SA we tried to rekey")
		cfg, reqid := t.child.Config(), t.child.ReqIDRef()
		defer ike.Env().ReleaseReqIDRef(reqid)
		ike.Env().Events.ChildUpdown(ike, t.child, false)
		ike.DestroyChild(t.child.Protocol(), t.child.SPI(true))
		return ike.Initiate(cfg, &sa.ChildInitArgs{ReqID: reqid})
	}
	if t.create.Process(m) == sa.NeedMore {
		return sa.NeedMore
	}
	// charon only looks for the SA payload here; a response that carries
	// one next to an error notify would have it install a CHILD_SA that
	// was never negotiated.
	if m.First(encoding.PayloadSA) == nil || !t.create.Established() {
		switch {
		case t.peerRekeyed():
			// charon 5.9.8 would retry here, putting the SA the peer
			// already replaced back to INSTALLED; the peer's DELETE for
			// it then looks like a plain delete, and the replacement's
			// outbound SA is never installed (strongswan/strongswan#1896
			// after a lost DELETE, #2477 after TS_UNACCEPTABLE). As
			// strongSwan 6.0 does, we keep it REKEYED and wait for that
			// DELETE, which installs the replacement's outbound SA.
			ike.Log(bus.IKE, bus.Control, "abort active rekeying for CHILD_SA %s{%d} because the peer successfully "+
				"rekeyed it before receiving our request, waiting for delete", t.child.Name(), t.child.UniqueID())
		case t.collision == nil || t.collision.Type() != sa.TaskChildDelete:
			t.scheduleDelayedRekey()
		}
		return sa.Success
	}
	var toDelete, toInstall *sa.ChildSA
	if t.collision != nil {
		toDelete, toInstall = t.handleCollision()
	} else {
		toInstall, toDelete = t.create.Child(), t.child
	}
	if toInstall != nil {
		if err := toInstall.InstallOutbound(); err != nil {
			ike.Log(bus.IKE, bus.Control, "unable to install outbound IPsec SA (SAD) in kernel")
			ike.Env().Events.Alert(ike, sa.AlertInstallChildSAFailed, toInstall)
		} else {
			ike.Log(bus.IKE, bus.Audit, "outbound CHILD_SA %s{%d} established with SPIs %08x_i %08x_o and TS %s === %s",
				toInstall.Name(), toInstall.UniqueID(), toInstall.SPI(true), toInstall.SPI(false),
				selectors.List(toInstall.TS(true)), selectors.List(toInstall.TS(false)))
		}
	}
	if toDelete.State() != sa.ChildRekeyed {
		toDelete.SetState(sa.ChildRekeyed) // no down event for it
	}
	if toDelete == t.child {
		removeRekeyedOutbound(ike, t.child)
		ike.Env().Events.ChildRekey(ike, t.child, t.create.Child())
	}
	t.del = NewChildDelete(ike, toDelete.Protocol(), toDelete.SPI(true), false)
	return sa.NeedMore
}

// peerRekeyed reports whether the peer's rekey of our CHILD_SA, which
// collided with ours, created its replacement here and the peer has not
// deleted that replacement since: then the SA is the peer's to delete,
// whatever became of our own attempt.
func (t *ChildRekey) peerRekeyed() bool {
	other, ok := t.collision.(*ChildRekey)
	if !ok || t.otherChildDestroyed || other.create == nil {
		return false
	}
	c := other.create.Child()
	return c != nil && c.State() == sa.ChildInstalled && t.child.State() == sa.ChildRekeyed
}

// IsRedundant reports whether c is the SA the peer created in a rekey that
// collided with ours and lost.
func (t *ChildRekey) IsRedundant(c *sa.ChildSA) bool {
	if other, ok := t.collision.(*ChildRekey); ok && other.create != nil {
		return c == other.create.Child()
	}
	return false
}

// Collide implements the task manager's collider: the peer's finished
// rekey or delete of the same CHILD_SA becomes our collision.
func (t *ChildRekey) Collide(other sa.Task) bool {
	switch o := other.(type) {
	case *ChildRekey:
		if o.child != t.child {
			return false
		}
		if c := o.create.Child(); c == nil || c.State() != sa.ChildInstalled {
			return false
		}
	case *ChildDelete:
		if t.IsRedundant(o.Child()) {
			t.otherChildDestroyed = true
			return false
		}
		if o.Child() != t.child {
			return false
		}
	default:
		return false
	}
	t.ike.Log(bus.IKE, bus.Control, "detected %s collision with %s", sa.TaskChildRekey, other.Type())
	t.dropCollision()
	t.collision = other
	return true
}
