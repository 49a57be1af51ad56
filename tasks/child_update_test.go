package tasks_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/ikesim"
)

// updateCalls lists the UpdateSA calls a node's kernel saw, with what
// they asked for.
func updateCalls(n *ikesim.Node) []string {
	var out []string
	for _, c := range n.Kern.Calls() {
		if c.Op == "UpdateSA" {
			out = append(out, fmt.Sprintf("%s -> %s[%d]->%s[%d] encap %v->%v", c, c.Update.NewSrc, c.Update.NewSrcPort,
				c.Update.NewDst, c.Update.NewDstPort, c.Update.Encap, c.Update.NewEncap))
		}
	}
	return out
}

// TestChildSAFollowsNewEndpoint: when the peer's endpoint changes (here
// forced, as a NAT mapping change does), the installed CHILD_SA's kernel
// SAs are updated, inbound first, and the SA goes through UPDATING back to
// INSTALLED (child_sa.c update).
func TestChildSAFollowsNewEndpoint(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Moon.Kern.ResetCalls()
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.SetCondition(sa.CondNATThere, true)
		ike.UpdateHosts(netip.AddrPort{}, netip.MustParseAddrPort("192.168.0.2:4500"), sa.UpdateHostsForceRemote)
		return sa.Success
	})
	got := strings.Join(updateCalls(p.Moon), "\n")
	want := strings.Join([]string{
		"UpdateSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001 -> 192.168.0.2[4500]->192.168.0.1[500] encap false->true",
		"UpdateSA 192.168.0.1->192.168.0.2 proto 50 spi 0xc0000001 -> 192.168.0.1[500]->192.168.0.2[4500] encap false->true",
	}, "\n")
	if got != want {
		t.Fatalf("UpdateSA calls:\n%s\nwant:\n%s", got, want)
	}
	p.Moon.WantLog(t, "CHILD_SA net-net{1} state change: INSTALLED => UPDATING",
		"CHILD_SA net-net{1} state change: UPDATING => INSTALLED")
	ike := p.Moon.WantEstablished(t, 1)
	if c := ike.Children()[0]; c.State() != sa.ChildInstalled || !c.Encap() {
		t.Fatalf("CHILD_SA %s encap %v after the update", c.State(), c.Encap())
	}
}

// TestChildSAUpdateFailureRekeys: a kernel that cannot update an SA's
// addresses leaves the CHILD_SA as it was and has it rekeyed instead.
func TestChildSAUpdateFailureRekeys(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Moon.Kern.Fail = func(c fakekernel.Call) error {
		if c.Op == "UpdateSA" {
			return errors.New("not supported")
		}
		return nil
	}
	p.Moon.Kern.ResetCalls()
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.SetCondition(sa.CondNATThere, true)
		ike.UpdateHosts(netip.AddrPort{}, netip.MustParseAddrPort("192.168.0.2:4500"), sa.UpdateHostsForceRemote)
		return sa.Success
	})
	if n := len(updateCalls(p.Moon)); n != 1 {
		t.Fatalf("%d UpdateSA calls, want 1 (the inbound one, which failed):\n%s", n, p.Moon.Kern.Log())
	}
	// The CHILD_SA comes back unchanged (rekeyed at once, here where the
	// exchange completes in the same call).
	p.Moon.WantLogOrder(t, "CHILD_SA net-net{1} state change: UPDATING => INSTALLED",
		"queueing CHILD_REKEY task", "closing CHILD_SA net-net{1} with SPIs c0000001_i")
}
