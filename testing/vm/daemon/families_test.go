package daemon_test

import (
	"fmt"
	"strings"
	"testing"
)

// familyCase is a tunnel whose outer (IKE and ESP) and inner (traffic
// selector) address families may differ.
type familyCase struct {
	name                string
	moonOuter, sunOuter string // with prefix length
	moonInner, sunInner string // host addresses on lo
	innerBits           string
	wantStateSrc        string
}

// TestKernelMixedFamilies: ipv6-stroke's net2net-ip4-in-ip6-ikev2 and
// net2net-ip6-in-ip4-ikev2 on the kernel: IKE and ESP over one family, the
// tunnel carrying the other; the SAs are the outer family's, the policies
// the inner's, and pings between the inner addresses go through.
func TestKernelMixedFamilies(t *testing.T) {
	for _, c := range []familyCase{
		{name: "ip4-in-ip6", moonOuter: "fec0::1/64", sunOuter: "fec0::2/64", moonInner: "10.1.0.1", sunInner: "10.2.0.1",
			innerBits: "32", wantStateSrc: "src fec0::1 dst fec0::2"},
		{name: "ip6-in-ip4", moonOuter: "192.168.0.1/24", sunOuter: "192.168.0.2/24", moonInner: "fec1::1", sunInner: "fec2::1",
			innerBits: "128", wantStateSrc: "src 192.168.0.1 dst 192.168.0.2"},
	} {
		t.Run(c.name, func(t *testing.T) { testFamilies(t, c) })
	}
}

func testFamilies(t *testing.T, c familyCase) {
	l := newVMLab(t, "fmoon", "fsun")
	moon, sun := l.hosts[0], l.hosts[1]
	l.link(moon, "gvm-fm", sun, "gvm-fs")
	l.ip(moon, "addr", "add", c.moonOuter, "dev", "gvm-fm", "nodad")
	l.ip(sun, "addr", "add", c.sunOuter, "dev", "gvm-fs", "nodad")
	l.ip(moon, "addr", "add", c.moonInner+"/"+c.innerBits, "dev", "lo")
	l.ip(sun, "addr", "add", c.sunInner+"/"+c.innerBits, "dev", "lo")
	outer := func(a string) string { return strings.Split(a, "/")[0] }
	for _, h := range l.hosts {
		me, myNet, other, otherNet, id, otherID := outer(c.moonOuter), c.moonInner, outer(c.sunOuter), c.sunInner, "moon", "sun"
		if h == sun {
			me, myNet, other, otherNet, id, otherID = other, otherNet, me, myNet, otherID, id
		}
		l.start(h, map[string]string{
			"ipsec.conf":      fmt.Sprintf(ipsecConf, me, myNet+"/"+c.innerBits, id, other, otherNet+"/"+c.innerBits, otherID),
			"ipsec.secrets":   "@moon.strongswan.org @sun.strongswan.org : PSK \"kernel lane secret\"\n",
			"strongswan.conf": fmt.Sprintf(strongswanConf, h.dir)})
	}
	for _, h := range l.hosts {
		l.waitStatus(h, "conn not loaded", "net-net:")
	}
	if out := l.ipsec(moon, "up", "net-net"); !strings.Contains(out, "connection 'net-net' established successfully") {
		t.Fatalf("ipsec up:\n%s", out)
	}
	if st := l.ip(moon, "xfrm", "state"); !strings.Contains(st, c.wantStateSrc) {
		t.Errorf("moon: SAs not between the outer addresses:\n%s", st)
	}
	if pol := l.ip(moon, "xfrm", "policy"); !strings.Contains(pol, "src "+c.moonInner+"/"+c.innerBits+" dst "+c.sunInner+"/"+c.innerBits) {
		t.Errorf("moon: policies not for the inner addresses:\n%s", pol)
	}
	ping := "ping"
	if strings.Contains(c.moonInner, ":") {
		ping = "ping6"
	}
	if out, err := execIn(moon, ping, "-c", "2", "-W", "2", "-I", c.moonInner, c.sunInner); err != nil {
		t.Fatalf("ping through the tunnel: %v\n%s", err, out)
	}
	if st := l.ipsec(moon, "statusall"); !strings.Contains(st, "bytes_i (2 pkts") {
		t.Errorf("moon: the replies did not come through the SA:\n%s", st)
	}
	l.stop()
}
