package sa

import (
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// Migrate implements kernel.Listener: a mobility daemon (mip6d) moved the
// SAs of a policy to other addresses (XFRM_MSG_MIGRATE with a kmaddress,
// seeds/004). The CHILD_SAs with that reqid follow, and their IKE_SAs move
// to the kmaddress (kernel_handler.c migrate, migrate_job.c).
func (h *KernelHandler) Migrate(reqid uint32, src, dst selectors.TS, dir kernel.PolicyDir, local, remote netip.Addr) {
	h.env.Bus.Log(0, nil, bus.KNL, bus.Control, "creating migrate job for policy %s === %s %s with reqid {%d}",
		src, dst, dir, reqid)
	h.env.Manager.Queue(0, "migrate", func(thread int) { h.env.Manager.migrate(thread, reqid, local, remote) })
}

// migrate is migrate_job.c: every IKE_SA whose CHILD_SAs include one with
// reqid takes local and remote as its endpoints (our IKE port, the peer's
// 500) and moves that CHILD_SA there; a kernel that cannot move it gets it
// rekeyed.
func (m *Manager) migrate(thread int, reqid uint32, local, remote netip.Addr) {
	m.Each(thread, true, func(ike *IKESA) {
		var child *ChildSA
		for _, c := range ike.children {
			if c.reqid == reqid {
				child = c
				break
			}
		}
		if child == nil {
			return
		}
		m.env.Bus.Log(thread, ike, bus.JOB, bus.Diag, "found CHILD_SA with reqid {%d}", reqid)
		ike.kmLocal, ike.kmRemote = local, remote
		ike.myHost = netip.AddrPortFrom(local, m.env.Settings.Port)
		ike.otherHost = netip.AddrPortFrom(remote, IKEPort)
		// The kmaddress has no ports: the SAs get none either, as
		// charon's do.
		switch child.Update(netip.AddrPortFrom(local, 0), netip.AddrPortFrom(remote, 0), ike.myVIPs, ike.Has(CondNATAny)) {
		case NotSupported:
			ike.RekeyChild(child.Protocol(), child.SPI(true))
		case Success:
			m.env.Children.Remove(child)
			m.env.Children.Add(child, ike)
		}
	})
}
