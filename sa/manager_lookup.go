package sa

import (
	"github.com/goswan/goswan/config"
)

// CheckoutByName finds an IKE_SA by connection name, "name[N]" uniqueness
// aside (that is the stroke layer's job); child selects a CHILD_SA name.
func (m *Manager) CheckoutByName(name string, child bool, thread int) *IKESA {
	return m.checkoutBy(thread, func(ike *IKESA) bool {
		if child {
			for _, c := range ike.children {
				if c.Name() == name {
					return true
				}
			}
			return false
		}
		return ike.peerCfg != nil && ike.peerCfg.Name == name
	})
}

// CheckoutByUniqueID finds an IKE_SA by its unique id (CHILD_SAs are found
// by theirs through ChildSAManager.CheckoutByID).
func (m *Manager) CheckoutByUniqueID(id uint32, thread int) *IKESA {
	return m.checkoutBy(thread, func(ike *IKESA) bool { return ike.uniqueID == id })
}

// CheckoutByConfig finds an established (or connecting) IKE_SA for a peer
// config to reuse for a new CHILD_SA (charon.reuse_ikesa), or creates one.
func (m *Manager) CheckoutByConfig(peer *config.PeerCfg, thread int) *IKESA {
	if m.env.Settings.ReuseIKESA {
		if ike := m.checkoutBy(thread, func(ike *IKESA) bool {
			// An equal config counts, as in charon: after a reload the
			// connection is a new object with the same contents.
			if ike.peerCfg == nil || !ike.peerCfg.Equal(peer) || !ike.peerCfg.IKE.Equal(peer.IKE) {
				return false
			}
			switch ike.state {
			case IKEDeleting, IKEDestroying, IKERekeyed, IKEPassive:
				return false
			}
			return true
		}); ike != nil {
			return ike
		}
	}
	ike := m.CreateNew(true, thread)
	ike.SetPeerCfg(peer)
	return ike
}

func (m *Manager) checkoutBy(thread int, match func(*IKESA) bool) *IKESA {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.orderedLocked() {
		if e.destroy {
			continue
		}
		// Reading fields of a busy SA is a race; wait for it first.
		if !m.waitLocked(e) {
			continue
		}
		if match(e.ike) {
			e.busy = true
			e.ike.thread = thread
			return e.ike
		}
	}
	return nil
}

// Each calls fn for every IKE_SA, checked out in turn (status output).
// With wait false, SAs busy in another job are skipped, as
// statusall-nb does.
func (m *Manager) Each(thread int, wait bool, fn func(ike *IKESA)) {
	m.mu.Lock()
	list := m.orderedLocked()
	m.mu.Unlock()
	for _, e := range list {
		m.mu.Lock()
		if e.destroy || !m.registeredLocked(e) || (!wait && e.busy) {
			m.mu.Unlock()
			continue
		}
		if !m.waitLocked(e) {
			m.mu.Unlock()
			continue
		}
		e.busy = true
		e.ike.thread = thread
		m.mu.Unlock()
		fn(e.ike)
		m.Checkin(e.ike)
	}
}
