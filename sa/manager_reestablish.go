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
	if !m.restartWanted(ike) {
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
	// the new SA asks for our virtual IPs again, and installs them once
	// more, so that they stay when this SA removes its own
	for _, vip := range ike.myVIPs {
		n.AddVirtualIP(true, vip)
	}
	force := ike.Has(CondReauthenticating)
	for _, c := range ike.children {
		if c.superseded() {
			continue
		}
		if force || c.reestablishAction(ike) == config.ActionStart {
			ike.Log(bus.IKE, bus.Control, "restarting CHILD_SA %s", c.Name())
			ref := c.ReqIDRef()
			n.tm.QueueChild(c.cfg, &ChildInitArgs{ReqID: ref})
			m.env.ReleaseReqIDRef(ref)
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

// restartWanted reports whether a new IKE_SA is to replace ike: when it is
// reauthenticated with CHILD_SAs to recreate, when a CHILD_SA's action is
// start, or when a CHILD_SA was about to be created. CHILD_SAs whose
// action is trap are routed on the way.
func (m *Manager) restartWanted(ike *IKESA) bool {
	if ike.Has(CondReauthenticating) {
		if len(ike.children) == 0 {
			ike.Log(bus.IKE, bus.Control, "unable to reauthenticate IKE_SA, no CHILD_SA to recreate")
			return false
		}
		return true
	}
	restart := false
	for _, c := range ike.children {
		if c.superseded() {
			continue
		}
		action := c.reestablishAction(ike)
		if action == config.ActionTrap && m.env.Traps != nil {
			m.env.Traps.Install(ike.thread, ike.peerCfg, c.cfg)
		}
		if action == config.ActionStart {
			restart = true
		}
	}
	if restart {
		return true
	}
	for _, q := range []TaskQueue{QueueActive, QueueQueued} {
		for _, t := range ike.tm.Tasks(q) {
			if t.Type() == TaskChildCreate {
				return true
			}
		}
	}
	return false
}

// superseded reports a CHILD_SA that a rekey or delete already replaced
// or removed: not one to bring back.
func (c *ChildSA) superseded() bool { return c.state == ChildRekeyed || c.state == ChildDeleted }

// reestablishAction is what to do with the CHILD_SA when ike goes: its
// close action if ike is being deleted (by the peer), else its DPD action.
func (c *ChildSA) reestablishAction(ike *IKESA) config.Action {
	if ike.state == IKEDeleting {
		return c.closeAction
	}
	return c.dpdAction
}
