package tasks_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/kernel"
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
// addresses (NOT_SUPPORTED) leaves the CHILD_SA as it was, its policies
// back in place, and has it rekeyed instead.
func TestChildSAUpdateFailureRekeys(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Moon.Kern.Fail = func(c fakekernel.Call) error {
		if c.Op == "UpdateSA" {
			return fmt.Errorf("SA %s: %w", c, kernel.ErrNotSupported)
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

// TestChildSAUpdateOtherFailureIgnored: any other kernel failure is
// ignored, as child_sa.c update_sas ignores it: both SAs are asked, the
// CHILD_SA takes the new endpoint and is not rekeyed.
func TestChildSAUpdateOtherFailureIgnored(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Moon.Kern.Fail = func(c fakekernel.Call) error {
		if c.Op == "UpdateSA" {
			return errors.New("querying SAD entry failed")
		}
		return nil
	}
	p.Moon.Kern.ResetCalls()
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.SetCondition(sa.CondNATThere, true)
		ike.UpdateHosts(netip.AddrPort{}, netip.MustParseAddrPort("192.168.0.2:4500"), sa.UpdateHostsForceRemote)
		return sa.Success
	})
	if n := len(updateCalls(p.Moon)); n != 2 {
		t.Fatalf("%d UpdateSA calls, want 2:\n%s", n, p.Moon.Kern.Log())
	}
	p.Moon.NoLog(t, "queueing CHILD_REKEY task")
	if c := p.Moon.WantEstablished(t, 1).Children()[0]; !c.Encap() || c.UniqueID() != 1 {
		t.Errorf("CHILD_SA %s{%d} encap %v", c.Name(), c.UniqueID(), c.Encap())
	}
}

// TestTransportUpdateFollowsHost: a transport mode CHILD_SA between the
// hosts themselves follows the peer to its new address: the policies are
// replaced (a drop policy covers the gap), the selectors that were the old
// address become the new one, and the reqid allocated for the old
// selectors is replaced by one for the new (child_sa.c update).
func TestTransportUpdateFollowsHost(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.LocalNet, moon.RemoteNet, sun.LocalNet, sun.RemoteNet = nil, nil, nil, nil
		moon.Mode, sun.Mode = kernel.ModeTransport, kernel.ModeTransport
	})
	p.Up()
	p.Moon.Kern.ResetCalls()
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.UpdateHosts(netip.AddrPort{}, netip.MustParseAddrPort("192.168.0.3:500"), sa.UpdateHostsForceRemote)
		return sa.Success
	})
	p.Moon.WantLog(t, "[CHD] replaced reqid 1 with reqid 2 for updated CHILD_SA net-net{1}")
	// The fake kernel logs what changes in it: the drop policy takes over
	// the outbound policy (the IPsec one's reference goes), the inbound
	// one goes, the SAs move, the new policies come, and the drop policy
	// goes last.
	got := p.Moon.Kern.Log()
	want := strings.Join([]string{
		"AddPolicy 192.168.0.1/32 === 192.168.0.2/32 out reqid 1 spi 0xc0000001 (update)",
		"DelPolicy 192.168.0.2/32 === 192.168.0.1/32 in reqid 1 spi 0xc0000001 (remove)",
		"UpdateSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001",
		"UpdateSA 192.168.0.1->192.168.0.2 proto 50 spi 0xc0000001",
		"AddPolicy 192.168.0.3/32 === 192.168.0.1/32 in reqid 2 spi 0xc0000001 (install)",
		"AddPolicy 192.168.0.1/32 === 192.168.0.3/32 out reqid 2 spi 0xc0000001 (install)",
		"DelPolicy 192.168.0.1/32 === 192.168.0.2/32 out reqid 1 spi 0xc0000001 (remove)",
	}, "\n")
	if strings.TrimSpace(got) != want {
		t.Errorf("kernel calls:\n%s\nwant:\n%s", got, want)
	}
	c := p.Moon.WantEstablished(t, 1).Children()[0]
	if ts := c.TS(false); len(ts) != 1 || ts[0].String() != "192.168.0.3/32" || c.ReqID() != 2 {
		t.Errorf("remote TS %v, reqid %d", ts, c.ReqID())
	}
	if got := p.Moon.Env.ReqIDs.Allocated(); len(got) != 1 || got[0] != 2 {
		t.Errorf("allocated reqids %v, want [2]", got)
	}
}
