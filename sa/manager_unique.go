package sa

import (
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
)

// HasContact reports whether another established IKE_SA exists between
// the same identities (then an initiator sends no INITIAL_CONTACT).
func (m *Manager) HasContact(ike *IKESA, me, other *credentials.Identity) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	four := ike.otherHost.Addr().Is4()
	for _, e := range m.idx.contacts(me, other) {
		if e.ike != ike && e.connected && e.myID != nil && e.otherID != nil &&
			e.myID.Equals(me) && e.otherID.Equals(other) && e.otherFamily4 == four {
			return true
		}
	}
	return false
}

// CheckUniqueness enforces the peer config's uniqueids policy once ike is
// authenticated; it returns true if ike must be canceled (uniqueids=keep).
// With forceReplace (INITIAL_CONTACT received) duplicates are destroyed.
func (m *Manager) CheckUniqueness(ike *IKESA, forceReplace bool) bool {
	policy := ike.peerCfg.Unique
	if policy == config.UniqueNever || (policy == config.UniqueNo && !forceReplace) {
		return false
	}
	me, other := ike.myID, ike.OtherEAPID()
	four := ike.otherHost.Addr().Is4()
	m.mu.Lock()
	var dups []*entry
	for _, e := range m.idx.contacts(me, other) {
		if e.ike != ike && e.connected && e.myID != nil && e.otherID != nil &&
			e.myID.Equals(me) && e.otherID.Equals(other) && e.otherFamily4 == four {
			dups = append(dups, e)
		}
	}
	m.mu.Unlock()
	cancel := false
	for _, e := range dups {
		dup := m.Checkout(e.ike.id, ike.thread)
		if dup == nil {
			continue
		}
		if forceReplace {
			ike.Log(bus.IKE, bus.Control, "destroying duplicate IKE_SA for peer '%s', received INITIAL_CONTACT", other)
			m.env.Events.IKEUpdown(dup, false)
			m.CheckinAndDestroy(dup)
			continue
		}
		status := Success
		if dup.peerCfg != nil && dup.peerCfg.Equal(ike.peerCfg) &&
			(dup.state == IKEEstablished || dup.state == IKERekeying) {
			switch policy {
			case config.UniqueReplace:
				m.env.Events.Alert(ike, AlertUniqueReplace)
				if dup.otherHost == ike.otherHost {
					// Looks like a reauthentication: keep the old SA a
					// while so that traffic flows until the new one is up.
					m.ScheduleIKE(dup.id, 10*time.Second, "delete_ike_sa", func(x *IKESA) Status { return x.deleteJob(true) })
					ike.Log(bus.IKE, bus.Control, "schedule delete of duplicate IKE_SA for peer '%s' due to uniqueness policy and suspected reauthentication", other)
				} else {
					ike.Log(bus.IKE, bus.Control, "deleting duplicate IKE_SA for peer '%s' due to uniqueness policy", other)
					status = dup.Delete(false)
				}
			case config.UniqueKeep:
				if dup.otherHost != ike.otherHost {
					cancel = true
					policy = config.UniqueReplace
				}
			}
		}
		m.Release(dup, status)
	}
	return cancel
}
