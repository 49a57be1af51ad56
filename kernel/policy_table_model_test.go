package kernel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// modelPolicyTable is PolicyTable as it was with a slice of users per
// policy, kept as the model the list must agree with.
type modelPolicyTable struct {
	entries map[PolicyID][]policyUser
}

func (t *modelPolicyTable) Add(id PolicyID, d ManagePolicy, apply Apply) error {
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
func (t *modelPolicyTable) Del(id PolicyID, d ManagePolicy, apply Apply) error {
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

// TestPolicyTableAgreesWithModel: random sequences of Add and Del — users
// of several priorities, standby users, users without a reqid, the same
// user twice, HandOver, deletes of users that are not there, and apply
// functions that fail — give the same applied changes, errors, user
// counts and installed data as the slice-based model.
func TestPolicyTableAgreesWithModel(t *testing.T) {
	ids := []PolicyID{
		{Dir: DirOut, Src: ts(t, "10.1.0.0/16", 0, 0, 0xffff), Dst: ts(t, "10.2.0.0/16", 0, 0, 0xffff)},
		{Dir: DirIn, Src: ts(t, "10.2.0.0/16", 0, 0, 0xffff), Dst: ts(t, "10.1.0.0/16", 0, 0, 0xffff)},
	}
	for seed := uint64(1); seed <= 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		var got PolicyTable
		want := modelPolicyTable{entries: map[PolicyID][]policyUser{}}
		var users []ManagePolicy
		for step := 0; step < 600; step++ {
			id := ids[rng.IntN(len(ids))]
			var d ManagePolicy
			if len(users) > 0 && rng.IntN(3) == 0 {
				d = users[rng.IntN(len(users))]
			} else {
				d = ManagePolicy{Type: PolicyIPsec, Prio: PriorityDefault,
					Src: netip.MustParseAddr("192.168.0.1"), Dst: netip.MustParseAddr("192.168.0.2")}
				if rng.IntN(8) == 0 {
					d.Prio = PriorityRouted
				}
				if rng.IntN(10) == 0 {
					d.ManualPrio = uint32(1 + rng.IntN(3))
				}
				d.SA.Mode, d.SA.ESP.Use, d.SA.ESP.SPI = ModeTunnel, true, uint32(0xc0000000+rng.IntN(40))
				if rng.IntN(6) > 0 {
					d.SA.ReqID = uint32(1 + rng.IntN(2))
				}
				d.Standby = rng.IntN(8) == 0
				users = append(users, d)
			}
			fail := rng.IntN(12) == 0
			var gotLog, wantLog []string
			rec := func(log *[]string) Apply {
				return func(op PolicyOp, d ManagePolicy, prio uint32) error {
					*log = append(*log, fmt.Sprintf("%s %08x/%d %d", op, d.SA.ESP.SPI, d.SA.ReqID, prio))
					if fail {
						return errors.New("apply failed")
					}
					return nil
				}
			}
			var gerr, werr error
			what := "add"
			if rng.IntN(2) == 0 {
				what = "del"
				d.HandOver = rng.IntN(5) == 0
				gerr, werr = got.Del(id, d, rec(&gotLog)), want.Del(id, d, rec(&wantLog))
			} else {
				gerr, werr = got.Add(id, d, rec(&gotLog)), want.Add(id, d, rec(&wantLog))
			}
			ctx := fmt.Sprintf("seed %d step %d: %s %08x", seed, step, what, d.SA.ESP.SPI)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("%s: error %v, model %v", ctx, gerr, werr)
			}
			if !slices.Equal(gotLog, wantLog) {
				t.Fatalf("%s: applied %v, model %v", ctx, gotLog, wantLog)
			}
			for _, id := range ids {
				mu := want.entries[id]
				if got.Users(id) != len(mu) {
					t.Fatalf("%s: %d users, model %d", ctx, got.Users(id), len(mu))
				}
				gd, gp, gok := got.Installed(id)
				if gok != (len(mu) > 0) || (gok && (gd != mu[0].d || gp != mu[0].prio)) {
					t.Fatalf("%s: installed %v %d %v, model %v", ctx, gd.SA.ESP.SPI, gp, gok, mu)
				}
				// The whole order, not only the first.
				var order []policyUser
				if l := got.entries[id]; l != nil {
					for n := l.head; n != nil; n = n.next {
						order = append(order, n.policyUser)
					}
				}
				if len(order) != len(mu) || (len(mu) > 0 && !slices.Equal(order, mu)) {
					t.Fatalf("%s: users %v, model %v", ctx, order, mu)
				}
			}
		}
	}
}

// BenchmarkPolicyTableShared: one rekey's change of a policy that 10 000
// CHILD_SAs share (the new SA's user added, the oldest deleted), the list
// against the slice-based model (Model), in the same run.
func BenchmarkPolicyTableShared(b *testing.B) {
	id := PolicyID{Dir: DirOut, Src: ts(b, "10.1.0.0/16", 0, 0, 0xffff), Dst: ts(b, "10.2.0.0/16", 0, 0, 0xffff)}
	nop := func(PolicyOp, ManagePolicy, uint32) error { return nil }
	type table interface {
		Add(PolicyID, ManagePolicy, Apply) error
		Del(PolicyID, ManagePolicy, Apply) error
	}
	for _, c := range []struct {
		name string
		new  func() table
	}{
		{"List", func() table { return &PolicyTable{} }},
		{"Model", func() table { return &modelPolicyTable{entries: map[PolicyID][]policyUser{}} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			tbl := c.new()
			spi := uint32(0)
			for ; spi < 10000; spi++ {
				_ = tbl.Add(id, tunnelUser(spi, false), nop)
			}
			oldest := uint32(0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = tbl.Add(id, tunnelUser(spi, false), nop)
				spi++
				if err := tbl.Del(id, tunnelUser(oldest, false), nop); err != nil {
					b.Fatal(err)
				}
				oldest++
			}
		})
	}
}
