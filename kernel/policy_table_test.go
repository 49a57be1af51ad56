package kernel

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

type applied struct {
	op   PolicyOp
	spi  uint32
	prio uint32
}

func TestPolicyTableRekeyOverlap(t *testing.T) {
	var tbl PolicyTable
	var log []applied
	rec := func(op PolicyOp, d ManagePolicy, prio uint32) error {
		log = append(log, applied{op, d.SA.ESP.SPI, prio})
		return nil
	}
	id := PolicyID{Dir: DirOut, Src: ts(t, "10.1.0.0/16", 0, 0, 0xffff), Dst: ts(t, "10.2.0.0/16", 0, 0, 0xffff)}
	old, new := tunnelUser(0xc1, false), tunnelUser(0xc2, false)
	if err := tbl.Add(id, old, rec); err != nil {
		t.Fatal(err)
	}
	// The rekeyed CHILD_SA installs the same policy with the same priority:
	// it goes after the old user and the kernel is not touched.
	if err := tbl.Add(id, new, rec); err != nil {
		t.Fatal(err)
	}
	if tbl.Users(id) != 2 {
		t.Fatalf("users %d", tbl.Users(id))
	}
	// Deleting the old SA's policy updates the kernel to the new SA, in place.
	if err := tbl.Del(id, old, rec); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Del(id, new, rec); err != nil {
		t.Fatal(err)
	}
	want := []applied{{PolicyInstall, 0xc1, 383615}, {PolicyUpdate, 0xc2, 383615}, {PolicyRemove, 0xc2, 383615}}
	if len(log) != len(want) {
		t.Fatalf("applied %v, want %v", log, want)
	}
	for i := range want {
		if log[i] != want[i] {
			t.Fatalf("step %d: %v, want %v", i, log[i], want[i])
		}
	}
	if err := tbl.Del(id, new, rec); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting a missing policy: %v", err)
	}
}

func TestPolicyTableHigherPriorityTakesOver(t *testing.T) {
	var tbl PolicyTable
	var ops []PolicyOp
	rec := func(op PolicyOp, d ManagePolicy, prio uint32) error { ops = append(ops, op); return nil }
	id := PolicyID{Dir: DirOut, Src: ts(t, "10.1.0.0/16", 0, 0, 0xffff), Dst: ts(t, "10.2.0.0/16", 0, 0, 0xffff)}
	trap := ManagePolicy{Type: PolicyIPsec, Prio: PriorityRouted}
	trap.SA.ReqID = 1
	sa := ManagePolicy{Type: PolicyIPsec, Prio: PriorityDefault}
	sa.SA.ReqID, sa.SA.ESP.SPI = 1, 0xc5
	_ = tbl.Add(id, trap, rec)
	_ = tbl.Add(id, sa, rec) // default ranks above routed: update
	_ = tbl.Del(id, sa, rec) // back to the trap: update
	_ = tbl.Del(id, trap, rec)
	want := []PolicyOp{PolicyInstall, PolicyUpdate, PolicyUpdate, PolicyRemove}
	for i := range want {
		if i >= len(ops) || ops[i] != want[i] {
			t.Fatalf("ops %v, want %v", ops, want)
		}
	}
}

func TestPolicyTableApplyErrorKeepsState(t *testing.T) {
	var tbl PolicyTable
	id := PolicyID{Dir: DirIn, Src: ts(t, "10.2.0.0/16", 0, 0, 0xffff), Dst: ts(t, "10.1.0.0/16", 0, 0, 0xffff)}
	boom := errors.New("boom")
	if err := tbl.Add(id, ManagePolicy{Type: PolicyIPsec}, func(PolicyOp, ManagePolicy, uint32) error { return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if tbl.Users(id) != 0 {
		t.Fatal("failed install was recorded")
	}
}

// TestPolicyTableStandby: a new user of the same priority takes the policy
// over at once (charon's add_policy puts an SA with a reqid before equal
// ones), a standby user only when the users before it are gone.
func TestPolicyTableStandby(t *testing.T) {
	id := PolicyID{Dir: DirOut, Src: ts(t, "10.1.0.0/16", 0, 0, 0xffff), Dst: ts(t, "10.2.0.0/16", 0, 0, 0xffff)}
	for _, standby := range []bool{false, true} {
		var tbl PolicyTable
		var log []applied
		rec := func(op PolicyOp, d ManagePolicy, prio uint32) error {
			log = append(log, applied{op, d.SA.ESP.SPI, prio})
			return nil
		}
		old, new := tunnelUser(0xc1, false), tunnelUser(0xc2, standby)
		for _, step := range []func() error{
			func() error { return tbl.Add(id, old, rec) },
			func() error { return tbl.Add(id, new, rec) },
			func() error { return tbl.Del(id, old, rec) },
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
			if !standby && len(log) == 2 {
				if d, _, _ := tbl.Installed(id); d.SA.ESP.SPI != 0xc2 {
					t.Errorf("the new user did not take over")
				}
			}
			if standby && len(log) == 1 && tbl.Users(id) == 2 {
				if d, _, _ := tbl.Installed(id); d.SA.ESP.SPI != 0xc1 {
					t.Errorf("the standby user took over")
				}
			}
		}
		want := []applied{{PolicyInstall, 0xc1, 383615}, {PolicyUpdate, 0xc2, 383615}}
		if fmt.Sprint(log) != fmt.Sprint(want) {
			t.Errorf("standby %v: applied %v, want %v", standby, log, want)
		}
	}
	// A standby user of a policy nobody holds installs it.
	var tbl PolicyTable
	var op PolicyOp
	if err := tbl.Add(id, tunnelUser(0xc3, true), func(o PolicyOp, _ ManagePolicy, _ uint32) error { op = o; return nil }); err != nil || op != PolicyInstall {
		t.Errorf("first standby user: %v, %v", op, err)
	}
}

// tunnelUser is a CHILD_SA's use of an outbound policy: its SA (reqid 1)
// between the gateways, standing by or not.
func tunnelUser(spi uint32, standby bool) ManagePolicy {
	d := ManagePolicy{Type: PolicyIPsec, Prio: PriorityDefault, Standby: standby,
		Src: netip.MustParseAddr("192.168.0.1"), Dst: netip.MustParseAddr("192.168.0.2")}
	d.SA.Mode, d.SA.ReqID, d.SA.ESP.Use, d.SA.ESP.SPI = ModeTunnel, 1, true, spi
	return d
}

// TestPolicyTableHandOver: a hand-over removes a user only while another
// keeps the policy (which then points at the next user's SA); the last
// user stays, and nothing is applied.
func TestPolicyTableHandOver(t *testing.T) {
	id := PolicyID{Dir: DirOut, Src: ts(t, "10.1.0.0/16", 0, 0, 0xffff), Dst: ts(t, "10.2.0.0/16", 0, 0, 0xffff)}
	var tbl PolicyTable
	var log []applied
	rec := func(op PolicyOp, d ManagePolicy, prio uint32) error {
		log = append(log, applied{op, d.SA.ESP.SPI, prio})
		return nil
	}
	old, successor := tunnelUser(0xc1, false), tunnelUser(0xc2, true)
	if err := tbl.Add(id, old, rec); err != nil {
		t.Fatal(err)
	}
	handOver := old
	handOver.HandOver = true
	if err := tbl.Del(id, handOver, rec); !errors.Is(err, ErrLastUser) || tbl.Users(id) != 1 || len(log) != 1 {
		t.Fatalf("last user handed over: %v, %d users, applied %v", err, tbl.Users(id), log)
	}
	if err := tbl.Add(id, successor, rec); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Del(id, handOver, rec); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := tbl.Installed(id); tbl.Users(id) != 1 || d.SA.ESP.SPI != 0xc2 {
		t.Errorf("after the hand-over %d users, installed SPI %x", tbl.Users(id), d.SA.ESP.SPI)
	}
	want := []applied{{PolicyInstall, 0xc1, 383615}, {PolicyUpdate, 0xc2, 383615}}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("applied %v, want %v", log, want)
	}
}
