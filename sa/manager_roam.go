package sa

import (
	"net/netip"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/processing"
)

// roamAll lets every IKE_SA check its path after an address or route
// change (roam_job.c): each is checked out on its own, last first as
// charon's list is emptied, so that one that must go can be destroyed.
func (m *Manager) roamAll(thread int, address bool) {
	m.mu.Lock()
	entries := m.idx.list()
	ids := make([]IKESAID, 0, len(entries))
	for _, e := range entries {
		if !e.destroy {
			ids = append(ids, e.ike.id)
		}
	}
	m.mu.Unlock()
	for _, id := range slices.Backward(ids) {
		if ike := m.Checkout(id, thread); ike != nil {
			m.Release(ike, ike.Roam(address))
		}
	}
}

// Roam implements kernel.Listener: a roam job for every IKE_SA.
func (h *KernelHandler) Roam(address bool) {
	why := "due to route change"
	if address {
		why = "due to address/link change"
	}
	h.env.Bus.Log(0, nil, bus.KNL, bus.Diag, "creating roam job %s", why)
	m := h.env.Manager
	m.Queue(processing.Medium, "roam", func(thread int) { m.roamAll(thread, address) })
}

// Mapping implements kernel.Listener: the NAT in front of the peer gave
// an ESP-in-UDP SA a new address or port; the IKE_SA follows it
// (update_sa_job.c).
func (h *KernelHandler) Mapping(proto uint8, spi uint32, dst netip.Addr, remote netip.AddrPort) {
	h.env.Bus.Log(0, nil, bus.KNL, bus.Control, "NAT mappings of CHILD_SA %s/0x%08x/%s changed to %s, queuing update job",
		protoName(proto), spi, dst, FormatHost(remote))
	m := h.env.Manager
	m.Queue(processing.Medium, "update_sa", func(thread int) {
		ike, _ := h.env.Children.Checkout(m, proto, spi, dst, thread)
		if ike == nil {
			h.env.Bus.Log(thread, nil, bus.JOB, bus.Control, "CHILD_SA %s/0x%08x/%s not found for update", protoName(proto), spi, dst)
			return
		}
		ike.UpdateHosts(netip.AddrPort{}, remote, 0)
		m.Checkin(ike)
	})
}
