package kernel_netlink

import (
	"errors"
	"github.com/goswan/goswan/testing/netbase"

	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// setupCharonHost gives ns the interfaces of the capture in
// testdata/charon (testing/capture/charon_trap_policies.sh).
func setupCharonHost(t *testing.T, ns *testNS) {
	ns.ip(t, "link", "add", "eth0", "type", "veth", "peer", "name", "gsn-peer0")
	ns.ip(t, "link", "set", "gsn-peer0", "up")
	ns.ip(t, "addr", "add", "192.168.0.1/24", "dev", "eth0")
	ns.ip(t, "addr", "add", "10.1.0.1/16", "dev", "eth0")
	ns.ip(t, "addr", "add", "fec0::1/64", "dev", "eth0", "nodad")
	ns.ip(t, "link", "set", "eth0", "up")
}

// trapConn is one routed conn of the capture.
type trapConn struct {
	local, remote netip.Addr
	my, other     selectors.TS
	reqid         uint32
	mode          kernel.Mode
}

// policies returns the policies charon installs for a routed conn, in its
// order (in, fwd, out), as child_sa.c does for a trap: ESP without SPI,
// priority class "routed", no fwd policy in transport mode.
func (c trapConn) policies() []struct {
	id kernel.PolicyID
	d  kernel.ManagePolicy
} {
	sa := kernel.SAConfig{Mode: c.mode, ReqID: c.reqid}
	sa.ESP.Use = true
	in := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityRouted, Src: c.remote, Dst: c.local, SA: sa}
	out := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityRouted, Src: c.local, Dst: c.remote, SA: sa}
	var r []struct {
		id kernel.PolicyID
		d  kernel.ManagePolicy
	}
	add := func(dir kernel.PolicyDir, src, dst selectors.TS, d kernel.ManagePolicy) {
		r = append(r, struct {
			id kernel.PolicyID
			d  kernel.ManagePolicy
		}{kernel.PolicyID{Dir: dir, Src: src, Dst: dst}, d})
	}
	add(kernel.DirIn, c.other, c.my, in)
	if c.mode != kernel.ModeTransport {
		add(kernel.DirFwd, c.other, c.my, in)
	}
	add(kernel.DirOut, c.my, c.other, out)
	return r
}

func charonTrapConns(t *testing.T) []trapConn {
	a := netip.MustParseAddr
	return []trapConn{
		{a("192.168.0.1"), a("192.168.0.2"), anyPorts(t, "10.1.0.0/16"), anyPorts(t, "10.2.0.0/16"), 1, kernel.ModeTunnel},
		{a("192.168.0.1"), a("192.168.0.2"), mustTS(t, "10.1.0.0/16", 6, 0, 0xffff), mustTS(t, "10.3.0.0/24", 6, 443, 443), 2, kernel.ModeTunnel},
		{a("192.168.0.1"), a("192.168.0.3"), anyPorts(t, "192.168.0.1"), anyPorts(t, "192.168.0.3"), 3, kernel.ModeTransport},
		{a("fec0::1"), a("fec0::2"), anyPorts(t, "fec1::/16"), anyPorts(t, "fec2::/16"), 4, kernel.ModeTunnel},
	}
}

// policyBlocks splits `ip xfrm policy` output into one string per policy,
// dropping per-socket policies, sorted.
func policyBlocks(out string) []string {
	var blocks []string
	for _, b := range regexp.MustCompile(`(?m)^src `).Split(out, -1) {
		b = strings.TrimSpace(b)
		if b == "" || strings.Contains(b, "socket ") {
			continue
		}
		var lines []string
		for _, l := range strings.Split(b, "\n") {
			lines = append(lines, strings.TrimSpace(l))
		}
		blocks = append(blocks, "src "+strings.Join(lines, " | "))
	}
	slices.Sort(blocks)
	return blocks
}

func TestTrapPoliciesMatchCharon(t *testing.T) {
	golden := func(name string) string {
		b, err := os.ReadFile("testdata/charon/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	ip, _, rec, _ := newBackend(t, ns, Options{})

	conns := charonTrapConns(t)
	for _, c := range conns {
		for _, p := range c.policies() {
			if err := ip.AddPolicy(p.id, p.d); err != nil {
				t.Fatalf("AddPolicy %s: %v", p.id, err)
			}
		}
	}
	want := policyBlocks(numericProtos(golden("xfrm_policy.txt"), netbase.DB()))
	got := policyBlocks(ns.ip(t, "xfrm", "policy"))
	if !slices.Equal(want, got) {
		t.Errorf("ip xfrm policy differs from charon's\nwant:\n%s\ngot:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	routes := ns.ip(t, "route", "show", "table", "220")
	if w := strings.TrimSpace(golden("route_table_220.txt")); strings.TrimSpace(routes) != w {
		t.Errorf("table 220:\nwant %q\ngot  %q", w, routes)
	}
	if rules, w := ns.ip(t, "rule")+ns.ip(t, "-6", "rule"), golden("rules.txt"); rules != w {
		t.Errorf("rules:\nwant %q\ngot  %q", w, rules)
	}

	// Tear down in charon's order (on shutdown: out, in, fwd per conn,
	// newest conn first).
	for i := len(conns) - 1; i >= 0; i-- {
		ps := conns[i].policies()
		order := []int{len(ps) - 1, 0}
		if len(ps) == 3 {
			order = append(order, 1)
		}
		for _, j := range order {
			if err := ip.DelPolicy(ps[j].id, ps[j].d); err != nil {
				t.Fatalf("DelPolicy %s: %v", ps[j].id, err)
			}
		}
	}
	if left := policyBlocks(ns.ip(t, "xfrm", "policy")); len(left) != 0 {
		t.Errorf("policies left: %q", left)
	}
	if r := routes220(t, ns); r != "" {
		t.Errorf("routes left in table 220: %q", r)
	}

	// Every KNL line charon logged for this (but the interface listing,
	// which has random link-local addresses, and lines from other parts of
	// charon) must be in ours, in the same order.
	var wantLines []string
	for _, l := range strings.Split(strings.TrimSpace(golden("charon_knl.log")), "\n") {
		msg := l[strings.Index(l, "[KNL] "):]
		if strings.Contains(msg, "is not a local address") || strings.HasPrefix(msg, "[KNL]   ") ||
			strings.Contains(msg, "known interfaces") {
			continue
		}
		wantLines = append(wantLines, msg)
	}
	gotLines := strings.Split(rec.text(), "\n")
	k := 0
	for _, l := range gotLines {
		if k < len(wantLines) && l == wantLines[k] {
			k++
		}
	}
	if k != len(wantLines) {
		t.Errorf("log line %q (and following) missing or out of order; got:\n%s", wantLines[k], rec.text())
	}
	rec.has(t, "[KNL] known interfaces and IP addresses:")
	rec.has(t, "[KNL]     10.1.0.1")
}

// Two CHILD_SAs (a rekey) hold the same policy: the second with a better
// priority takes it over in place, deleting it hands it back, and the
// policy goes with its last user.
func TestPolicyRefcountUpdateInPlace(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	ip, _, rec, _ := newBackend(t, ns, Options{})
	id := kernel.PolicyID{Dir: kernel.DirOut, Src: anyPorts(t, "10.1.0.0/16"), Dst: anyPorts(t, "10.2.0.0/16")}
	mk := func(reqid, spi uint32, prio kernel.PolicyPriority) kernel.ManagePolicy {
		sa := kernel.SAConfig{Mode: kernel.ModeTunnel, ReqID: reqid}
		sa.ESP.Use, sa.ESP.SPI = true, spi
		return kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: prio, Src: netip.MustParseAddr("192.168.0.1"),
			Dst: netip.MustParseAddr("192.168.0.2"), SA: sa}
	}
	trap := mk(1, 0, kernel.PriorityRouted)
	first := mk(1, 0xc1000001, kernel.PriorityDefault)
	rekeyed := mk(1, 0xc1000002, kernel.PriorityDefault)
	show := func() string { return strings.Join(policyBlocks(ns.ip(t, "xfrm", "policy")), "\n") }

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ip.AddPolicy(id, trap))
	if s := show(); !strings.Contains(s, "priority 383616") {
		t.Fatalf("trap policy: %s", s)
	}
	must(ip.AddPolicy(id, first))
	if s := show(); !strings.Contains(s, "priority 383615") || !strings.Contains(s, "spi 0xc1000001") {
		t.Fatalf("after first SA: %s", s)
	}
	rec.has(t, "[KNL] updating policy 10.1.0.0/16 === 10.2.0.0/16 out [priority 383615, refcount 2]")
	must(ip.AddPolicy(id, rekeyed))
	// equal priority: the newer SA takes the policy over (make before
	// break), in place
	rec.has(t, "[KNL] updating policy 10.1.0.0/16 === 10.2.0.0/16 out [priority 383615, refcount 3]")
	if s := show(); !strings.Contains(s, "spi 0xc1000002") {
		t.Fatalf("after rekey: %s", s)
	}
	must(ip.DelPolicy(id, first))
	if s := show(); !strings.Contains(s, "spi 0xc1000002") || !strings.Contains(s, "priority 383615") {
		t.Fatalf("after deleting the old SA: %s", s)
	}
	rec.has(t, "[KNL] policy still used by another CHILD_SA, not removed")
	rec.has(t, "[KNL] not updating policy 10.1.0.0/16 === 10.2.0.0/16 out [priority 383615, refcount 2]")
	must(ip.DelPolicy(id, rekeyed))
	rec.has(t, "[KNL] updating policy 10.1.0.0/16 === 10.2.0.0/16 out [priority 383616, refcount 1]")
	if s := show(); !strings.Contains(s, "priority 383616") || strings.Contains(s, "spi 0x") {
		t.Fatalf("back to the trap: %s", s)
	}
	must(ip.DelPolicy(id, trap))
	if s := show(); s != "" {
		t.Fatalf("policy left: %s", s)
	}
	if err := ip.DelPolicy(id, trap); err == nil {
		t.Fatal("deleting a policy twice succeeded")
	}
	rec.has(t, "[KNL] deleting policy 10.1.0.0/16 === 10.2.0.0/16 out failed, not found")
	// only one route was installed (the trap's), and it is gone
	if r := routes220(t, ns); r != "" {
		t.Errorf("routes left: %q", r)
	}
}

// A make-before-break successor stands by behind the old SA's outbound
// policy; the old CHILD_SA hands the policy over in place, and a hand-over
// by the last user changes nothing and logs nothing.
func TestPolicyHandOver(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	ip, _, rec, _ := newBackend(t, ns, Options{})
	id := kernel.PolicyID{Dir: kernel.DirOut, Src: anyPorts(t, "10.1.0.0/16"), Dst: anyPorts(t, "10.2.0.0/16")}
	mk := func(spi uint32, standby, handOver bool) kernel.ManagePolicy {
		sa := kernel.SAConfig{Mode: kernel.ModeTunnel, ReqID: 1}
		sa.ESP.Use, sa.ESP.SPI = true, spi
		return kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault, Src: netip.MustParseAddr("192.168.0.1"),
			Dst: netip.MustParseAddr("192.168.0.2"), SA: sa, Standby: standby, HandOver: handOver}
	}
	show := func() string { return strings.Join(policyBlocks(ns.ip(t, "xfrm", "policy")), "\n") }
	if err := ip.AddPolicy(id, mk(0xc1000001, false, false)); err != nil {
		t.Fatal(err)
	}
	if err := ip.DelPolicy(id, mk(0xc1000001, false, true)); !errors.Is(err, kernel.ErrLastUser) {
		t.Fatalf("hand-over by the last user: %v", err)
	}
	if s := show(); !strings.Contains(s, "spi 0xc1000001") {
		t.Fatalf("the last user's hand-over removed the policy: %s", s)
	}
	if strings.Contains(rec.text(), "deleting policy") {
		t.Errorf("a hand-over that did nothing was logged")
	}
	if err := ip.AddPolicy(id, mk(0xc1000002, true, false)); err != nil {
		t.Fatal(err)
	}
	if s := show(); !strings.Contains(s, "spi 0xc1000001") {
		t.Fatalf("the standby user took the policy: %s", s)
	}
	if err := ip.DelPolicy(id, mk(0xc1000001, false, true)); err != nil {
		t.Fatal(err)
	}
	if s := show(); !strings.Contains(s, "spi 0xc1000002") {
		t.Fatalf("not handed over: %s", s)
	}
	rec.has(t, "[KNL] updating policy 10.1.0.0/16 === 10.2.0.0/16 out [priority 383615, refcount 1]")
}

func TestPolicyMarksIfIDAndPorts(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	ip, _, _, _ := newBackend(t, ns, Options{})
	sa := kernel.SAConfig{Mode: kernel.ModeTunnel, ReqID: 7}
	sa.ESP.Use, sa.ESP.SPI = true, 0xc0000042
	sa.IPComp.Transform, sa.IPComp.CPI = 2, 0x4242
	d := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault,
		Src: netip.MustParseAddr("192.168.0.1"), Dst: netip.MustParseAddr("192.168.0.2"), SA: sa}
	// a port range becomes value/mask: 8080-8095 is 8080/0xfff0
	id := kernel.PolicyID{Dir: kernel.DirOut, Src: anyPorts(t, "10.1.0.0/16"),
		Dst: mustTS(t, "10.2.0.0/16", 17, 8080, 8095), Mark: kernel.Mark{Value: 42, Mask: 0xff}, IfID: 9}
	if err := ip.AddPolicy(id, d); err != nil {
		t.Fatal(err)
	}
	out := ns.ip(t, "xfrm", "policy")
	for _, w := range []string{"dport 8080", "mark 0x2a/0xff", "if_id 0x9", "proto comp spi 0x00004242 reqid 7 mode tunnel",
		"proto esp spi 0xc0000042 reqid 7 mode transport", "priority 383311"} {
		if !strings.Contains(out, w) {
			t.Errorf("policy lacks %q:\n%s", w, out)
		}
	}
	// with an XFRM interface ID or a port, no route is installed
	if r := routes220(t, ns); r != "" {
		t.Errorf("unexpected route: %q", r)
	}
	if _, err := ip.QueryPolicy(id); err != nil {
		t.Errorf("QueryPolicy: %v", err)
	}
	if err := ip.DelPolicy(id, d); err != nil {
		t.Fatal(err)
	}
	if _, err := ip.QueryPolicy(id); err == nil {
		t.Error("QueryPolicy of a deleted policy succeeded")
	}
}

// routes220 lists charon's routing table ("" when it does not exist).
func routes220(t *testing.T, ns *testNS) string {
	t.Helper()
	out, err := ns.exec("ip", "route", "show", "table", "220")
	if err != nil {
		if strings.Contains(out, "does not exist") {
			return ""
		}
		t.Fatalf("ip route show table 220: %v: %s", err, out)
	}
	return strings.TrimSpace(out)
}
