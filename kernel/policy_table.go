package kernel

import (
	"fmt"
	"slices"
	"sync"
)

// PolicyOp is what a backend must do to the data plane after a PolicyTable
// change.
type PolicyOp uint8

const (
	// PolicyKeep: the installed policy stays as it is.
	PolicyKeep PolicyOp = iota
	// PolicyInstall: the policy is new; add it.
	PolicyInstall
	// PolicyUpdate: the policy exists but must now point at another SA
	// (the highest-priority user changed). Backends update in place —
	// never remove and add — so no packet slips through in between.
	PolicyUpdate
	// PolicyRemove: the last user is gone; delete the policy.
	PolicyRemove
)

func (o PolicyOp) String() string {
	return [...]string{"keep", "install", "update", "remove"}[o]
}

// PolicyTable keeps the users of each policy, as strongSwan's kernel
// backends do: while a CHILD_SA is rekeyed, old and new SA install the same
// policies, and a policy must stay until its last user deletes it, pointing
// at the best remaining SA. Both kernel backends share this bookkeeping so
// that they behave identically.
type PolicyTable struct {
	mu      sync.Mutex
	entries map[PolicyID][]policyUser
}

type policyUser struct {
	d        ManagePolicy
	prio     uint32 // effective priority (manual, else automatic)
	autoPrio uint32
}

// Effective priority and the automatic one for a request.
func priorities(id PolicyID, d ManagePolicy, ifindex int32) (prio, auto uint32) {
	auto = AutoPriority(SelFromTS(id.Src, id.Dst, ifindex), d.Prio, id.Interface != "")
	prio = d.ManualPrio
	if prio == 0 {
		prio = auto
	}
	return prio, auto
}

// Apply is called with the table locked and performs the data-plane change;
// an error undoes the bookkeeping. d is the policy data the data plane must
// now hold (the best remaining user) and prio its priority.
type Apply func(op PolicyOp, d ManagePolicy, prio uint32) error

// Add records a new user of id and applies the resulting change.
func (t *PolicyTable) Add(id PolicyID, d ManagePolicy, apply Apply) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.entries == nil {
		t.entries = map[PolicyID][]policyUser{}
	}
	users := t.entries[id]
	prio, auto := priorities(id, d, 0)
	u := policyUser{d: d, prio: prio, autoPrio: auto}
	// Insert before the first user that ranks below the new one: lower
	// priority value first, then lower automatic priority, then users with
	// a reqid before those without; a new user with a reqid goes before the
	// equal ones already there (the newest SA takes over), a standby user
	// after them.
	i := 0
	for ; i < len(users); i++ {
		c := users[i]
		if c.prio > u.prio {
			break
		}
		if c.prio == u.prio && (c.autoPrio > u.autoPrio ||
			(c.autoPrio == u.autoPrio && !d.Standby && (c.d.SA.ReqID == 0 || u.d.SA.ReqID != 0))) {
			break
		}
	}
	op := PolicyKeep
	switch {
	case len(users) == 0:
		op = PolicyInstall
	case i == 0:
		op = PolicyUpdate
	}
	if op != PolicyKeep {
		if err := apply(op, u.d, u.prio); err != nil {
			return err
		}
	}
	// In place, after apply succeeded: many IKE_SAs may share one policy
	// (a thousand net-to-net conns with the same subnets), and a copy of
	// its users per added SA would be quadratic in them.
	t.entries[id] = slices.Insert(users, i, u)
	return nil
}

// Del removes the user d of id (matched by priority, type, tunnel endpoints
// and SA, as strongSwan does) and applies the resulting change. With
// d.HandOver the last user is not removed: ErrLastUser, nothing changed.
func (t *PolicyTable) Del(id PolicyID, d ManagePolicy, apply Apply) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	users, ok := t.entries[id]
	if !ok {
		return fmt.Errorf("policy %s: %w", id, ErrNotFound)
	}
	prio, auto := priorities(id, d, 0)
	idx := -1
	for i, u := range users {
		if u.prio == prio && u.autoPrio == auto && u.d.Type == d.Type &&
			u.d.Src == d.Src && u.d.Dst == d.Dst && u.d.SA == d.SA {
			idx = i
			break
		}
	}
	if idx < 0 {
		// No exact user: strongSwan then still drops the policy if nobody
		// else holds it; with other users it leaves it alone.
		if len(users) > 0 {
			return nil
		}
	}
	rest := make([]policyUser, 0, len(users))
	rest = append(rest, users[:max(idx, 0)]...)
	if idx >= 0 {
		rest = append(rest, users[idx+1:]...)
	}
	switch {
	case len(rest) == 0 && d.HandOver:
		return ErrLastUser
	case len(rest) == 0:
		if err := apply(PolicyRemove, d, prio); err != nil {
			return err
		}
		delete(t.entries, id)
	case idx == 0:
		if err := apply(PolicyUpdate, rest[0].d, rest[0].prio); err != nil {
			return err
		}
		t.entries[id] = rest
	default:
		t.entries[id] = rest
	}
	return nil
}

// Users reports how many users a policy has (0 if not installed).
func (t *PolicyTable) Users(id PolicyID) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries[id])
}

// Installed returns the data and priority currently installed for id.
func (t *PolicyTable) Installed(id PolicyID) (ManagePolicy, uint32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	users := t.entries[id]
	if len(users) == 0 {
		return ManagePolicy{}, 0, false
	}
	return users[0].d, users[0].prio, true
}

// IDs lists the installed policies.
func (t *PolicyTable) IDs() []PolicyID {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]PolicyID, 0, len(t.entries))
	for id := range t.entries {
		ids = append(ids, id)
	}
	return ids
}

// Reset forgets every policy (after a flush).
func (t *PolicyTable) Reset() {
	t.mu.Lock()
	t.entries = nil
	t.mu.Unlock()
}
