package tasks

import (
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// ChildDelete deletes CHILD_SAs with an INFORMATIONAL DELETE,
// child_delete.c. After a rekey the old SA's inbound half is kept for
// charon.delete_rekeyed_delay so that late packets still decrypt
// (seeds/000, 002), and the new outbound SA is installed before the old
// one goes (make-before-break).
type ChildDelete struct {
	ike       *sa.IKESA
	initiator bool
	proto     uint8 // IP protocol (kernel.ProtoESP/AH); 0 for a responder
	spi       uint32
	expired   bool
	entries   []*deleteEntry
}

type deleteEntry struct {
	child              *sa.ChildSA
	rekeyed            bool
	checkDeleteActions bool
}

// NewChildDelete creates the task: proto 0 makes a responder.
func NewChildDelete(ike *sa.IKESA, proto uint8, spi uint32, expired bool) *ChildDelete {
	return &ChildDelete{ike: ike, initiator: proto != 0, proto: proto, spi: spi, expired: expired}
}

// Type implements sa.Task.
func (t *ChildDelete) Type() sa.TaskType { return sa.TaskChildDelete }

// Migrate implements sa.Task.
func (t *ChildDelete) Migrate(ike *sa.IKESA) { t.ike, t.entries = ike, nil }

// Child returns the first CHILD_SA being deleted (collision handling).
func (t *ChildDelete) Child() *sa.ChildSA {
	if len(t.entries) == 0 {
		return nil
	}
	return t.entries[0].child
}

func (t *ChildDelete) buildPayloads(m *encoding.Message) {
	var esp, ah *encoding.Delete
	for _, e := range t.entries {
		c := e.child
		spi := c.SPI(true)
		switch c.Protocol() {
		case kernel.ProtoESP:
			if esp == nil {
				esp = &encoding.Delete{Protocol: encoding.ProtocolESP}
				m.Add(esp)
			}
			esp.SPIs = append(esp.SPIs, spi)
		case kernel.ProtoAH:
			if ah == nil {
				ah = &encoding.Delete{Protocol: encoding.ProtocolAH}
				m.Add(ah)
			}
			ah.SPIs = append(ah.SPIs, spi)
		default:
			continue
		}
		t.ike.Log(bus.IKE, bus.Control, "sending DELETE for %s CHILD_SA with SPI %08x", sa.ProtoName(c.Protocol()), c.SPI(true))
		c.SetState(sa.ChildDeleting)
	}
}

// redundancyChecker is implemented by child_rekey.
type redundancyChecker interface {
	IsRedundant(c *sa.ChildSA) bool
}

func (t *ChildDelete) isRedundant(c *sa.ChildSA) bool {
	for _, task := range t.ike.TaskManager().Tasks(sa.QueueActive) {
		if r, ok := task.(redundancyChecker); ok && task.Type() == sa.TaskChildRekey && r.IsRedundant(c) {
			return true
		}
	}
	return false
}

// installOutbound installs the outbound SA of the CHILD_SA that replaced
// a rekeyed one, once the old one is being deleted.
func (t *ChildDelete) installOutbound(proto uint8, spi uint32) {
	if spi == 0 {
		return
	}
	c := t.ike.Child(proto, spi, false)
	if c == nil {
		t.ike.Log(bus.IKE, bus.Control, "CHILD_SA not found after rekeying")
		return
	}
	if t.initiator && t.isRedundant(c) {
		// We won the collision: the peer deletes the redundant SA.
		return
	}
	if err := c.InstallOutbound(); err != nil {
		t.ike.Log(bus.IKE, bus.Control, "unable to install outbound IPsec SA (SAD) in kernel")
		t.ike.Env().Events.Alert(t.ike, sa.AlertInstallChildSAFailed, c)
		return
	}
	t.ike.Log(bus.IKE, bus.Audit, "outbound CHILD_SA %s{%d} established with SPIs %08x_i %08x_o and TS %s === %s",
		c.Name(), c.UniqueID(), c.SPI(true), c.SPI(false), selectors.List(c.TS(true)), selectors.List(c.TS(false)))
}

func ipProto(p encoding.ProtocolID) uint8 {
	switch p {
	case encoding.ProtocolESP:
		return kernel.ProtoESP
	case encoding.ProtocolAH:
		return kernel.ProtoAH
	}
	return 0
}

func (t *ChildDelete) processPayloads(m *encoding.Message) {
	for _, p := range m.Get(encoding.PayloadDelete) {
		d := p.(*encoding.Delete)
		proto := ipProto(d.Protocol)
		if proto == 0 {
			continue
		}
		for _, spi := range d.SPIs {
			c := t.ike.Child(proto, spi, false)
			if c == nil {
				t.ike.Log(bus.IKE, bus.Control, "received DELETE for unknown %s CHILD_SA with SPI %08x", sa.ProtoName(proto), spi)
				continue
			}
			t.ike.Log(bus.IKE, bus.Control, "received DELETE for %s CHILD_SA with SPI %08x", sa.ProtoName(proto), spi)
			if slices.ContainsFunc(t.entries, func(e *deleteEntry) bool { return e.child == c }) {
				continue
			}
			e := &deleteEntry{child: c}
			switch c.State() {
			case sa.ChildRekeyed:
				e.rekeyed = true
			case sa.ChildDeleted, sa.ChildDeleting:
				if !t.initiator {
					continue
				}
			case sa.ChildRekeying, sa.ChildInstalled:
				if !t.initiator {
					if t.isRedundant(c) {
						e.rekeyed = true
					} else {
						e.checkDeleteActions = true
					}
				}
			}
			t.entries = append(t.entries, e)
		}
	}
}

// destroyAndReestablish removes the SAs (or schedules the delayed removal
// of a rekeyed inbound SA) and applies the close action of SAs the peer
// deleted.
func (t *ChildDelete) destroyAndReestablish() sa.Status {
	ike := t.ike
	env := ike.Env()
	now := env.Clock.Now()
	delay := time.Duration(env.Settings.DeleteRekeyedDelay) * time.Second
	status := sa.Success
	for _, e := range t.entries {
		c := e.child
		c.SetState(sa.ChildDeleted)
		proto := c.Protocol()
		if !e.rekeyed {
			env.Events.ChildUpdown(ike, c, false)
		} else {
			t.installOutbound(proto, c.RekeySPI())
			removeRekeyedOutbound(ike, c)
			expire := c.Lifetime(true)
			if delay > 0 && (expire.IsZero() || now.Add(delay).Before(expire)) {
				uid := c.UniqueID()
				env.Manager.Schedule(delay, "delete_child_sa", func(thread int) {
					x, child := env.Children.CheckoutByID(env.Manager, uid, thread)
					if x == nil {
						ike.Env().Bus.Log(thread, nil, bus.JOB, bus.Control, "CHILD_SA {%d} not found for delete", uid)
						return
					}
					env.Manager.Release(x, x.DeleteChild(child.Protocol(), child.SPI(true), false))
				})
				continue
			} else if now.Before(expire) {
				continue // let it expire naturally
			}
		}
		spi, cfg, reqid, action := c.SPI(true), c.Config(), c.ReqIDRef(), c.CloseAction()
		ike.DestroyChild(proto, spi)
		if e.checkDeleteActions {
			// The peer closed it: enforce our close action.
			if action == config.ActionTrap && env.Traps != nil {
				env.Traps.Install(ike.Thread(), ike.PeerCfg(), cfg)
			}
			if action == config.ActionStart {
				status = ike.Initiate(cfg, &sa.ChildInitArgs{ReqID: reqid})
			}
		}
		env.ReleaseReqIDRef(reqid)
		if status != sa.Success {
			break
		}
	}
	return status
}

// removeRekeyedOutbound removes the outbound SA and policies of a CHILD_SA
// whose replacement's are installed: at once, as charon does, or
// charon.delete_rekeyed_outbound_delay later (goswan's setting), so that a
// packet the kernel bound to the old SA before the policy switched still
// leaves encrypted instead of being dropped (testing/vm/FINDINGS.md 2).
func removeRekeyedOutbound(ike *sa.IKESA, c *sa.ChildSA) {
	env := ike.Env()
	delay := time.Duration(env.Settings.DeleteRekeyedOutboundDelay * float64(time.Second))
	if delay <= 0 {
		c.RemoveOutbound()
		return
	}
	uid := c.UniqueID()
	env.Manager.Schedule(delay, "remove_outbound", func(thread int) {
		x, child := env.Children.CheckoutByID(env.Manager, uid, thread)
		if x == nil {
			return // destroyed meanwhile, which removed its outbound SA
		}
		child.RemoveOutbound()
		env.Manager.Release(x, sa.Success)
	})
}

func (t *ChildDelete) logChildren() {
	for _, e := range t.entries {
		c := e.child
		if t.expired {
			t.ike.Log(bus.IKE, bus.Audit, "closing expired CHILD_SA %s{%d} with SPIs %08x_i %08x_o and TS %s === %s",
				c.Name(), c.UniqueID(), c.SPI(true), c.SPI(false), selectors.List(c.TS(true)), selectors.List(c.TS(false)))
			continue
		}
		in, _, _ := c.UsageStats(true)
		out, _, _ := c.UsageStats(false)
		t.ike.Log(bus.IKE, bus.Audit, "closing CHILD_SA %s{%d} with SPIs %08x_i (%d bytes) %08x_o (%d bytes) and TS %s === %s",
			c.Name(), c.UniqueID(), c.SPI(true), in, c.SPI(false), out, selectors.List(c.TS(true)), selectors.List(c.TS(false)))
	}
}

// Build implements sa.Task.
func (t *ChildDelete) Build(m *encoding.Message) sa.Status {
	if !t.initiator {
		t.buildPayloads(m)
		t.ike.Log(bus.IKE, bus.Control, "CHILD_SA closed")
		return t.destroyAndReestablish()
	}
	c := t.ike.Child(t.proto, t.spi, true)
	if c == nil {
		if c = t.ike.Child(t.proto, t.spi, false); c == nil {
			return sa.Success // gone already
		}
		t.spi = c.SPI(true)
	}
	if t.expired && c.State() == sa.ChildRekeyed {
		// The peer should have deleted it; we do now, and the new SA must
		// not stay without its outbound half.
		c.SetState(sa.ChildDeleted)
		t.installOutbound(t.proto, c.RekeySPI())
	}
	if c.State() == sa.ChildDeleted {
		// DELETEs were exchanged already; only the delayed removal is left.
		t.ike.DestroyChild(t.proto, t.spi)
		m.Exchange = encoding.ExchangeUndefined
		return sa.Success
	}
	e := &deleteEntry{child: c, rekeyed: c.State() == sa.ChildRekeyed}
	t.entries = append(t.entries, e)
	t.logChildren()
	t.buildPayloads(m)
	if !e.rekeyed && t.expired {
		t.ike.Log(bus.IKE, bus.Control, "scheduling CHILD_SA recreate after hard expire")
		t.ike.QueueTask(NewChildCreate(t.ike, c.Config(), false, nil))
	}
	return sa.NeedMore
}

// Process implements sa.Task.
func (t *ChildDelete) Process(m *encoding.Message) sa.Status {
	t.processPayloads(m)
	if t.initiator {
		t.ike.Log(bus.IKE, bus.Control, "CHILD_SA closed")
		return t.destroyAndReestablish()
	}
	t.logChildren()
	return sa.NeedMore
}
