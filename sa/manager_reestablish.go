package sa

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
)

// reestablish recreates an IKE_SA with its CHILD_SAs on a new one, if the
// configured actions want them back (ike_sa.c reestablish).
func (m *Manager) reestablish(ike *IKESA) bool {
	for _, t := range ike.tm.Tasks(QueueQueued) {
		if t.Type() == TaskIKEDelete {
			return false // explicitly deleted meanwhile
		}
	}
	restart := false
	if ike.Has(CondReauthenticating) {
		if len(ike.children) == 0 {
			ike.Log(bus.IKE, bus.Control, "unable to reauthenticate IKE_SA, no CHILD_SA to recreate")
		} else {
			restart = true
		}
	} else {
		for _, c := range ike.children {
			if c.state == ChildRekeyed || c.state == ChildDeleted {
				continue
			}
			action := c.dpdAction
			if ike.state == IKEDeleting {
				action = c.closeAction
			}
			if action == config.ActionTrap && m.env.Traps != nil {
				m.env.Traps.Install(ike.thread, ike.peerCfg, c.cfg)
			}
			if action == config.ActionStart {
				restart = true
			}
		}
		if !restart {
			for _, q := range []TaskQueue{QueueActive, QueueQueued} {
				for _, t := range ike.tm.Tasks(q) {
					if t.Type() == TaskChildCreate {
						restart = true
					}
				}
			}
		}
	}
	if !restart {
		return false
	}
	if !ike.Has(CondOriginalInitiator) && (len(ike.otherVIPs) != 0 || ike.Has(CondEAPAuthenticated)) {
		ike.Log(bus.IKE, bus.Control, "unable to reestablish IKE_SA due to asymmetric setup")
		return false
	}
	n := m.CreateNew(true, ike.thread)
	n.SetPeerCfg(ike.peerCfg)
	n.otherHost, n.myHost = ike.otherHost, ike.myHost
	if !ike.Has(CondReauthenticating) {
		n.resolveHosts()
	}
	n.myVIPs = append(n.myVIPs, ike.myVIPs...)
	force := ike.Has(CondReauthenticating)
	for _, c := range ike.children {
		if c.state == ChildRekeyed || c.state == ChildDeleted {
			continue
		}
		action := config.ActionStart
		if !force {
			action = c.dpdAction
			if ike.state == IKEDeleting {
				action = c.closeAction
			}
		}
		if action == config.ActionStart {
			ike.Log(bus.IKE, bus.Control, "restarting CHILD_SA %s", c.Name())
			n.tm.QueueChild(c.cfg, &ChildInitArgs{ReqID: c.reqid})
		}
	}
	n.tm.AdoptChildTasks(ike.tm)
	if n.Initiate(nil, nil) == DestroyMe {
		m.CheckinAndDestroy(n)
		return false
	}
	m.Checkin(n)
	return true
}
