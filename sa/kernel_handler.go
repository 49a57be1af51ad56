package sa

import (
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// KernelHandler turns kernel events into jobs, kernel_handler.c: a soft
// expire rekeys the CHILD_SA, a hard one deletes it, an acquire starts the
// connection of a trap policy. Events arrive on the backend's goroutine
// (or, for the userspace data plane, on the data path), so the handler
// only logs and queues; the work happens on a worker.
type KernelHandler struct {
	kernel.NopListener
	env *Env
	// Acquire handles trap policy hits; set by the trap manager.
	OnAcquire func(thread int, reqid uint32, src, dst selectors.TS)
}

// NewKernelHandler creates the handler for env.
func NewKernelHandler(env *Env) *KernelHandler { return &KernelHandler{env: env} }

// Expire implements kernel.Listener.
func (h *KernelHandler) Expire(proto uint8, spi uint32, dst netip.Addr, hard bool) {
	what := "rekey"
	if hard {
		what = "delete"
	}
	h.env.Bus.Log(0, nil, bus.KNL, bus.Control, "creating %s job for CHILD_SA %s/0x%08x/%s", what, protoName(proto), spi, dst)
	m := h.env.Manager
	if hard {
		m.ScheduleChild(proto, spi, dst, 0, "delete_child_sa", func(ike *IKESA, c *ChildSA) Status {
			return ike.DeleteChild(proto, c.SPI(true), true)
		})
		return
	}
	m.ScheduleChild(proto, spi, dst, 0, "rekey_child_sa", func(ike *IKESA, c *ChildSA) Status {
		if ike.State() == IKEPassive {
			return Success
		}
		return ike.RekeyChild(proto, c.SPI(true))
	})
}

// Acquire implements kernel.Listener.
func (h *KernelHandler) Acquire(reqid uint32, src, dst selectors.TS) {
	if src.IsValid() && dst.IsValid() {
		h.env.Bus.Log(0, nil, bus.KNL, bus.Control, "creating acquire job for policy %s === %s with reqid {%d}", src, dst, reqid)
	} else {
		h.env.Bus.Log(0, nil, bus.KNL, bus.Control, "creating acquire job for policy with reqid {%d}", reqid)
	}
	if h.OnAcquire != nil {
		h.env.Manager.Queue(0, "acquire", func(thread int) { h.OnAcquire(thread, reqid, src, dst) })
	}
}
