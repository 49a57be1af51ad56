package sa_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/ikesim"
)

// trapNode is moon with a trap manager and the conn mod changes.
func trapNode(t *testing.T, mod func(o *ikesim.ConnOpts)) (*ikesim.Node, *sa.TrapManager, func() uint32) {
	t.Helper()
	s := ikesim.New(t)
	n := s.AddNode("moon", "192.168.0.1", 1, nil)
	traps := sa.NewTrapManager(n.Env)
	o := ikesim.ConnOpts{Name: "net-net", Local: "192.168.0.1", Remote: "192.168.0.2", LocalID: "@moon.strongswan.org",
		RemoteID: "@sun.strongswan.org", LocalNet: []string{"10.1.0.0/16"}, RemoteNet: []string{"10.2.0.0/16"}}
	if mod != nil {
		mod(&o)
	}
	peer, child := n.Conn(t, o)
	return n, traps, func() uint32 { return traps.Install(1, peer, child) }
}

// policies lists the installed policies with their endpoints and priority.
func policies(n *ikesim.Node) string {
	var out []string
	for _, id := range n.Kern.Policies() {
		p, _ := n.Kern.InstalledPolicy(id)
		out = append(out, fmt.Sprintf("%s [%s..%s] prio %d reqid %d", id, p.Src, p.Dst, p.Prio, p.SA.ReqID))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestTrapInstall: auto=route installs trap policies in, fwd and out
// between the configured hosts, with the routed priority, under a reqid;
// the CHILD_SA is ROUTED and listed.
func TestTrapInstall(t *testing.T) {
	n, traps, install := trapNode(t, nil)
	if reqid := install(); reqid != 1 {
		t.Fatalf("reqid %d, want 1", reqid)
	}
	want := strings.Join([]string{
		fmt.Sprintf("10.1.0.0/16 === 10.2.0.0/16 out [192.168.0.1..192.168.0.2] prio %d reqid 1", kernel.PriorityRouted),
		fmt.Sprintf("10.2.0.0/16 === 10.1.0.0/16 fwd [192.168.0.2..192.168.0.1] prio %d reqid 1", kernel.PriorityRouted),
		fmt.Sprintf("10.2.0.0/16 === 10.1.0.0/16 in [192.168.0.2..192.168.0.1] prio %d reqid 1", kernel.PriorityRouted),
	}, "\n")
	if got := policies(n); got != want {
		t.Fatalf("policies:\n%s\nwant:\n%s", got, want)
	}
	list := traps.Traps()
	if len(list) != 1 || list[0].Child.State() != sa.ChildRouted || list[0].Child.Name() != "net-net" {
		t.Fatalf("traps %+v", list)
	}
	if traps.Find("net-net") != 1 {
		t.Fatal("Find does not see the trap")
	}
}

// TestTrapReinstall: routing a routed conn again replaces its trap, which
// keeps the reqid (the policies are the same).
func TestTrapReinstall(t *testing.T) {
	n, traps, install := trapNode(t, nil)
	install()
	before := policies(n)
	if reqid := install(); reqid != 1 {
		t.Fatalf("reqid %d after reinstall, want 1", reqid)
	}
	n.WantLog(t, "[CFG] updating already routed CHILD_SA 'net-net'")
	if got := policies(n); got != before {
		t.Fatalf("policies after reinstall:\n%s\nwant:\n%s", got, before)
	}
	if len(traps.Traps()) != 1 {
		t.Fatalf("%d traps after reinstall", len(traps.Traps()))
	}
}

// TestTrapUnknownPeer: a tunnel to %any cannot be trapped; a transport
// mode conn to %any is a wildcard trap that covers any peer.
func TestTrapUnknownPeer(t *testing.T) {
	n, traps, install := trapNode(t, func(o *ikesim.ConnOpts) { o.Remote = "%any" })
	if reqid := install(); reqid != 0 {
		t.Fatalf("reqid %d for a tunnel to %%any", reqid)
	}
	n.WantLog(t, "[CFG] installing trap failed, remote address unknown")
	if len(traps.Traps()) != 0 || len(n.Kern.Policies()) != 0 {
		t.Fatal("a failed trap left state behind")
	}

	n, traps, install = trapNode(t, func(o *ikesim.ConnOpts) {
		o.Remote, o.Mode, o.LocalNet, o.RemoteNet = "%any", kernel.ModeTransport, nil, []string{"10.2.0.10/32"}
	})
	if reqid := install(); reqid == 0 {
		t.Fatalf("transport mode trap to %%any failed:\n%s", n.LogText())
	}
	if list := traps.Traps(); len(list) != 1 {
		t.Fatalf("%d traps", len(list))
	} else if me, other := list[0].Child.Addrs(); !me.IsUnspecified() || !other.IsUnspecified() {
		t.Fatalf("wildcard trap between %s and %s", me, other)
	}
}

// TestTrapKernelFailure: a kernel that refuses the policies leaves no
// trap.
func TestTrapKernelFailure(t *testing.T) {
	n, traps, install := trapNode(t, nil)
	n.Kern.Fail = func(c fakekernel.Call) error {
		if c.Op == "AddPolicy" && c.Policy.Dir == kernel.DirOut {
			return errors.New("refused")
		}
		return nil
	}
	if reqid := install(); reqid != 0 {
		t.Fatalf("reqid %d although the kernel refused", reqid)
	}
	n.WantLog(t, "[CFG] installing trap failed")
	if len(traps.Traps()) != 0 || traps.Find("net-net") != 0 {
		t.Fatal("a failed trap is listed")
	}
	if got := policies(n); got != "" {
		t.Fatalf("policies left behind:\n%s", got)
	}
}

// TestTrapAfterFlush: once flushed (shutdown), nothing is routed.
func TestTrapAfterFlush(t *testing.T) {
	n, traps, install := trapNode(t, nil)
	traps.Flush()
	if reqid := install(); reqid != 0 || len(n.Kern.Policies()) != 0 {
		t.Fatalf("routed after Flush: reqid %d", reqid)
	}
}
