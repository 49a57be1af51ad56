package kernel

import (
	"fmt"
	"net/netip"
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
// at the best remaining user's SA. Both kernel backends share this
// bookkeeping so that they behave identically.
type PolicyTable struct {
	mu      sync.Mutex
	entries map[PolicyID]*policyUsers
}

type policyUser struct {
	d        ManagePolicy
	prio     uint32 // effective priority (manual, else automatic)
	autoPrio uint32
}

// policyUsers are one policy's users, best first, in a list with an index
// by what Del matches. Many CHILD_SAs may share a policy (the same subnets
// between the same hosts: 10 000 in the rekey storm); in a slice, each
// user added at the front and each user leaving moved all the others, most
// of a responder's time during the storm. Here the common changes — a new
// SA's user going first, any user leaving — cost the same for one user or
// ten thousand.
type policyUsers struct {
	head, tail *userNode
	n          int
	byKey      map[userKey][]*userNode
}

type userNode struct {
	policyUser
	key        userKey
	prev, next *userNode
}

// userKey is what identifies a user when it is deleted: priority, type,
// tunnel endpoints and SA, as in strongSwan.
type userKey struct {
	prio, autoPrio uint32
	typ            PolicyType
	src, dst       netip.Addr
	sa             SAConfig
}

func keyOf(u policyUser) userKey {
	return userKey{u.prio, u.autoPrio, u.d.Type, u.d.Src, u.d.Dst, u.d.SA}
}

// insertBefore puts n before at (nil: at the end).
func (l *policyUsers) insertBefore(n, at *userNode) {
	n.next = at
	if at == nil {
		n.prev = l.tail
		l.tail = n
	} else {
		n.prev = at.prev
		at.prev = n
	}
	if n.prev == nil {
		l.head = n
	} else {
		n.prev.next = n
	}
	l.n++
	l.byKey[n.key] = append(l.byKey[n.key], n)
}

func (l *policyUsers) remove(n *userNode) {
	if n.prev == nil {
		l.head = n.next
	} else {
		n.prev.next = n.next
	}
	if n.next == nil {
		l.tail = n.prev
	} else {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
	l.n--
	same := l.byKey[n.key]
	for i, x := range same {
		if x == n {
			same = append(same[:i], same[i+1:]...)
			break
		}
	}
	if len(same) == 0 {
		delete(l.byKey, n.key)
	} else {
		l.byKey[n.key] = same
	}
}

// find returns the first user, best first, that k identifies.
func (l *policyUsers) find(k userKey) *userNode {
	same := l.byKey[k]
	switch len(same) {
	case 0:
		return nil
	case 1:
		return same[0]
	}
	// Equal users are rare (an SA installed twice); the first in the
	// list's order is the one strongSwan removes.
	for n := l.head; n != nil; n = n.next {
		if n.key == k {
			return n
		}
	}
	return nil
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
		t.entries = map[PolicyID]*policyUsers{}
	}
	users := t.entries[id]
	prio, auto := priorities(id, d, 0)
	u := policyUser{d: d, prio: prio, autoPrio: auto}
	// Insert before the first user that ranks below the new one: lower
	// priority value first, then lower automatic priority, then users with
	// a reqid before those without; a new user with a reqid goes before the
	// equal ones already there (the newest SA takes over), a standby user
	// after them.
	below := func(c policyUser) bool {
		return c.prio > u.prio || (c.prio == u.prio && (c.autoPrio > u.autoPrio ||
			(c.autoPrio == u.autoPrio && !d.Standby && (c.d.SA.ReqID == 0 || u.d.SA.ReqID != 0))))
	}
	var at *userNode
	switch {
	case users == nil:
	case d.Standby:
		// For a standby user only the priorities count, by which the
		// list is sorted: the place is found from the end, where it
		// usually is (a responder's SAs that duplicate others' stand by).
		for p := users.tail; p != nil && below(p.policyUser); p = p.prev {
			at = p
		}
	default:
		for at = users.head; at != nil && !below(at.policyUser); at = at.next {
		}
	}
	op := PolicyKeep
	switch {
	case users == nil || users.n == 0:
		op = PolicyInstall
	case at == users.head:
		op = PolicyUpdate
	}
	if op != PolicyKeep {
		if err := apply(op, u.d, u.prio); err != nil {
			return err
		}
	}
	if users == nil {
		users = &policyUsers{byKey: map[userKey][]*userNode{}}
		t.entries[id] = users
	}
	users.insertBefore(&userNode{policyUser: u, key: keyOf(u)}, at)
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
	n := users.find(keyOf(policyUser{d: d, prio: prio, autoPrio: auto}))
	if n == nil && users.n > 0 {
		// No exact user: strongSwan then still drops the policy if nobody
		// else holds it; with other users it leaves it alone.
		return nil
	}
	left := users.n
	if n != nil {
		left--
	}
	switch {
	case left == 0 && d.HandOver:
		return ErrLastUser
	case left == 0:
		if err := apply(PolicyRemove, d, prio); err != nil {
			return err
		}
		delete(t.entries, id)
		return nil
	case n == users.head:
		next := n.next.policyUser
		if err := apply(PolicyUpdate, next.d, next.prio); err != nil {
			return err
		}
	}
	users.remove(n)
	return nil
}

// Users reports how many users a policy has (0 if not installed).
func (t *PolicyTable) Users(id PolicyID) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if users := t.entries[id]; users != nil {
		return users.n
	}
	return 0
}

// Installed returns the data and priority currently installed for id.
func (t *PolicyTable) Installed(id PolicyID) (ManagePolicy, uint32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	users := t.entries[id]
	if users == nil || users.head == nil {
		return ManagePolicy{}, 0, false
	}
	return users.head.d, users.head.prio, true
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
