package tasks_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/ikesim"
)

// migrate delivers an XFRM_MSG_MIGRATE for moon's outbound net-net policy
// as mip6d's would reach charon: sun has moved to 192.168.0.3.
func migrate(t *testing.T, p *ikesim.Pair, reqid uint32) {
	t.Helper()
	h := sa.NewKernelHandler(p.Moon.Env)
	h.Migrate(reqid, ikesim.MustTS(t, "10.1.0.0/16"), ikesim.MustTS(t, "10.2.0.0/16"), kernel.DirOut,
		netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.3"))
	p.Advance(time.Second)
}

// TestMigrateMovesChildSA: the CHILD_SA with the MIGRATE's reqid moves to
// the kmaddress (SAs and policies, without ports, as the kmaddress has
// none), and its IKE_SA takes it as its endpoints: ours with our IKE port,
// the peer's with 500 (migrate_job.c).
func TestMigrateMovesChildSA(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.Kern.ResetCalls()
	migrate(t, p, 1)
	p.Moon.WantLog(t,
		"[KNL] creating migrate job for policy 10.1.0.0/16 === 10.2.0.0/16 out with reqid {1}",
		"[JOB] found CHILD_SA with reqid {1}",
		"CHILD_SA net-net{1} state change: INSTALLED => UPDATING")
	ike := p.Moon.WantEstablished(t, 1)
	if got := fmt.Sprint(ike.MyHost(), " ", ike.OtherHost()); got != "192.168.0.1:500 192.168.0.3:500" {
		t.Errorf("IKE_SA endpoints %s", got)
	}
	c := ike.Children()[0]
	if me, other := c.Addrs(); other.String() != "192.168.0.3" || me.String() != "192.168.0.1" || c.State() != sa.ChildInstalled {
		t.Errorf("CHILD_SA %s...%s %s", me, other, c.State())
	}
	calls := updateCalls(p.Moon)
	want := []string{
		"UpdateSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001 -> 192.168.0.3[0]->192.168.0.1[0] encap false->false",
		"UpdateSA 192.168.0.1->192.168.0.2 proto 50 spi 0xc0000001 -> 192.168.0.1[0]->192.168.0.3[0] encap false->false",
	}
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("UpdateSA calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	// The policies' templates name the new endpoint.
	if log := p.Moon.Kern.Log(); !strings.Contains(log, "AddPolicy 10.2.0.0/16 === 10.1.0.0/16 in reqid 1") {
		t.Errorf("inbound policy not reinstalled:\n%s", log)
	}
}

// TestMigrateUnknownReqID: no CHILD_SA has the reqid: nothing happens.
func TestMigrateUnknownReqID(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.Kern.ResetCalls()
	migrate(t, p, 7)
	p.Moon.NoLog(t, "found CHILD_SA")
	if calls := p.Moon.Kern.Calls(); len(calls) != 0 {
		t.Errorf("kernel calls: %v", calls)
	}
	if got := p.Moon.WantEstablished(t, 1).OtherHost().String(); got != "192.168.0.2:500" {
		t.Errorf("IKE_SA moved to %s", got)
	}
}

// TestMigrateNotSupportedRekeys: a kernel that cannot move the SAs gets
// the CHILD_SA rekeyed instead (migrate_job.c on NOT_SUPPORTED).
func TestMigrateNotSupportedRekeys(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.Kern.Fail = func(c fakekernel.Call) error {
		if c.Op == "UpdateSA" {
			return kernel.ErrNotSupported
		}
		return nil
	}
	migrate(t, p, 1)
	p.Moon.WantLogOrder(t, "[JOB] found CHILD_SA with reqid {1}", "queueing CHILD_REKEY task")
}

// TestMigrateTransportProxy: the seed's MIPv6 transport_proxy SA with
// installpolicy=no: its endpoints are the traffic selectors' hosts (the
// home addresses) and stay; only the IKE_SA follows the care-of address.
func TestMigrateTransportProxy(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.LocalNet, moon.RemoteNet = []string{"10.1.0.1/32"}, []string{"10.2.0.10/32"}
		sun.LocalNet, sun.RemoteNet = []string{"10.2.0.10/32"}, []string{"10.1.0.1/32"}
		moon.Mode, sun.Mode = kernel.ModeTransport, kernel.ModeTransport
		moon.Options |= config.OptProxyMode | config.OptNoPolicies
		sun.Options |= config.OptProxyMode | config.OptNoPolicies
	})
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[CHD] my address: 192.168.0.1 is a transport mode proxy for 10.1.0.1",
		"[CHD] other address: 192.168.0.2 is a transport mode proxy for 10.2.0.10")
	p.Moon.Kern.ResetCalls()
	migrate(t, p, 1)
	ike := p.Moon.WantEstablished(t, 1)
	if got := ike.OtherHost().String(); got != "192.168.0.3:500" {
		t.Errorf("IKE_SA remote endpoint %s", got)
	}
	c := ike.Children()[0]
	if me, other := c.Addrs(); me.String() != "10.1.0.1" || other.String() != "10.2.0.10" || c.Mode() != kernel.ModeTransport {
		t.Errorf("CHILD_SA %s...%s %s", me, other, c.Mode())
	}
	if calls := p.Moon.Kern.Calls(); len(calls) != 0 {
		t.Errorf("kernel calls: %v", calls)
	}
}

// TestAcquireByReqIDWithoutPolicies: installpolicy=no, routed: the trap
// gets a reqid (1, the first) but installs no policy; another daemon
// (mip6d) installs policies with that reqid, and the kernel's ACQUIRE for
// it starts the conn, whose CHILD_SA keeps the reqid and installs no
// policies either (the seed's MN-to-HA setup).
func TestAcquireByReqIDWithoutPolicies(t *testing.T) {
	p := ikesim.NewPair(t, func(moon, sun *ikesim.ConnOpts) {
		moon.Options |= config.OptNoPolicies
		sun.Options |= config.OptNoPolicies
	})
	traps := sa.NewTrapManager(p.Moon.Env)
	if reqid := traps.Install(1, p.MoonPeer, p.MoonChild); reqid != 1 {
		t.Fatalf("trap reqid %d, want 1", reqid)
	}
	if pols := p.Moon.Kern.Policies(); len(pols) != 0 {
		t.Fatalf("policies installed: %v", pols)
	}
	if list := traps.Traps(); len(list) != 1 || list[0].Child.State() != sa.ChildCreated {
		t.Fatalf("traps %+v", list)
	}
	h := sa.NewKernelHandler(p.Moon.Env)
	h.OnAcquire = traps.Acquire
	h.Acquire(1, ikesim.MustTS(t, "10.1.0.10/32"), ikesim.MustTS(t, "10.2.0.10/32"))
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[KNL] creating acquire job for policy 10.1.0.10/32 === 10.2.0.10/32 with reqid {1}",
		"[IKE] establishing CHILD_SA net-net{2} reqid 1")
	c := p.Moon.WantEstablished(t, 1).Children()[0]
	if c.ReqID() != 1 || c.State() != sa.ChildInstalled {
		t.Errorf("CHILD_SA reqid %d %s", c.ReqID(), c.State())
	}
	if pols := p.Moon.Kern.Policies(); len(pols) != 0 {
		t.Errorf("policies installed: %v", pols)
	}
}
