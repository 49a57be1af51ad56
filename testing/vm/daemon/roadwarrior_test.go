package daemon_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// rwGatewayConf is moon's side of ikev2/ip-pool: a pool for road warriors.
const rwGatewayConf = `config setup
conn rw
	keyexchange=ikev2
	authby=secret
	keyingtries=1
	esp=aes128gcm16!
	left=192.168.0.1
	leftsubnet=10.1.0.0/16
	leftid=@moon.strongswan.org
	right=%any
	rightid=carol@strongswan.org
	rightsourceip=10.3.0.0/28
	auto=add
`

// rwClientConf is carol's: a virtual IP asked for, MOBIKE on (the default).
const rwClientConf = `config setup
conn home
	keyexchange=ikev2
	authby=secret
	keyingtries=1
	esp=aes128gcm16!
	left=192.168.0.100
	leftsourceip=%config
	leftid=carol@strongswan.org
	right=192.168.0.1
	rightsubnet=10.1.0.0/16
	rightid=@moon.strongswan.org
	auto=add
`

func rwFiles(h *host, conf string) map[string]string {
	return map[string]string{
		"ipsec.conf":      conf,
		"ipsec.secrets":   "carol@strongswan.org @moon.strongswan.org : PSK \"kernel lane secret\"\n",
		"strongswan.conf": fmt.Sprintf(strongswanConf, h.dir),
	}
}

// TestKernelRoadWarrior: the road-warrior scenarios' virtual IP and MOBIKE
// address change on the real kernel. carol gets 10.3.0.1 from moon's pool,
// kernel-netlink puts it on her interface and routes moon's subnet from it
// (table 220); the ping from it goes through the kernel's ESP. Then carol's
// first address goes (her second one is promoted in its place): the kernel's
// address event makes her charon move the IKE_SA with MOBIKE, and both
// sides update their XFRM states and policies in place; the ping from the
// virtual IP goes through again. After ipsec down the virtual IP is gone
// from carol's interface and moon's lease is offline.
func TestKernelRoadWarrior(t *testing.T) {
	l := newVMLab(t, "moon", "carol")
	moon, carol := l.hosts[0], l.hosts[1]
	l.link(moon, "gvm-m", carol, "gvm-c")
	l.ip(moon, "addr", "add", "192.168.0.1/24", "dev", "gvm-m")
	l.ip(moon, "addr", "add", "10.1.0.1/32", "dev", "lo")
	// deleting carol's first address keeps the second one
	if out, err := execIn(carol, "sysctl", "-w", "net.ipv4.conf.gvm-c.promote_secondaries=1"); err != nil {
		t.Fatalf("sysctl: %v\n%s", err, out)
	}
	l.ip(carol, "addr", "add", "192.168.0.100/24", "dev", "gvm-c")
	l.ip(carol, "addr", "add", "192.168.0.110/24", "dev", "gvm-c")
	l.start(moon, rwFiles(moon, rwGatewayConf))
	l.start(carol, rwFiles(carol, rwClientConf))
	l.waitStatus(moon, "conn not loaded", "rw:")
	l.waitStatus(carol, "conn not loaded", "home:")

	if up := l.ipsec(carol, "up", "home"); !strings.Contains(up, "connection 'home' established successfully") {
		t.Fatalf("ipsec up:\n%s", up)
	}
	l.logHas(carol, "installing new virtual IP 10.3.0.1")
	if a := l.ip(carol, "addr", "show", "dev", "gvm-c"); !strings.Contains(a, "inet 10.3.0.1/32") {
		t.Errorf("carol: virtual IP not on gvm-c:\n%s", a)
	}
	if r := l.ip(carol, "route", "show", "table", "220"); !strings.Contains(r, "10.1.0.0/16") || !strings.Contains(r, "src 10.3.0.1") {
		t.Errorf("carol: no route to moon's subnet from the virtual IP in table 220:\n%s", r)
	}
	if ls := l.ipsec(moon, "leases"); !strings.Contains(ls, "10.3.0.1   online   'carol@strongswan.org'") {
		t.Errorf("moon: ipsec leases:\n%s", ls)
	}
	l.rwPing(carol, "from the virtual IP")
	l.wantStates(carol, "192.168.0.100")

	// carol's first address goes: MOBIKE moves the SAs to the second.
	l.ip(carol, "addr", "del", "192.168.0.100/24", "dev", "gvm-c")
	l.waitStatus(moon, "IKE_SA not moved", "192.168.0.110[carol@strongswan.org]")
	l.waitStatus(carol, "IKE_SA not moved", "ESTABLISHED", "192.168.0.110[carol@strongswan.org]...192.168.0.1")
	l.logHas(carol, "requesting address change using MOBIKE")
	l.logHas(moon, "remote endpoint changed from 192.168.0.100[4500] to 192.168.0.110[4500]")
	l.waitStatus(carol, "CHILD_SA gone", "home{", "INSTALLED, TUNNEL")
	l.rwPing(carol, "from the virtual IP after the move")
	l.wantStates(carol, "192.168.0.110")
	l.wantStates(moon, "192.168.0.110")

	if down := l.ipsec(carol, "down", "home"); !strings.Contains(down, "closed successfully") {
		t.Fatalf("ipsec down:\n%s", down)
	}
	moon.waitFor(t, "lease still online", func() bool {
		return strings.Contains(l.ipsec(moon, "leases"), "10.3.0.1   offline   'carol@strongswan.org'")
	})
	if a := l.ip(carol, "addr", "show", "dev", "gvm-c"); strings.Contains(a, "10.3.0.1") {
		t.Errorf("carol: virtual IP left on gvm-c:\n%s", a)
	}
	l.stop()
}

// rwPing pings moon's subnet from carol's virtual IP through the tunnel.
func (l *vmLab) rwPing(carol *host, what string) {
	l.t.Helper()
	if out, err := exec.Command("ip", "netns", "exec", carol.ns, "ping", "-c", "2", "-W", "2", "-I", "10.3.0.1", "10.1.0.1").CombinedOutput(); err != nil {
		l.t.Fatalf("ping %s: %v\n%s\nstate:\n%s", what, err, out, l.ip(carol, "xfrm", "state"))
	}
}

// wantStates checks that h's two ESP states are the kernel's and run
// between moon and carol's address addr (plain ESP: no NAT here).
func (l *vmLab) wantStates(h *host, addr string) {
	l.t.Helper()
	st := l.ip(h, "xfrm", "state")
	if strings.Count(st, "proto esp") != 2 || strings.Contains(st, "encap") ||
		!strings.Contains(st, "src "+addr+" dst 192.168.0.1") || !strings.Contains(st, "src 192.168.0.1 dst "+addr) {
		l.t.Errorf("%s: want two ESP states between 192.168.0.1 and %s:\n%s", h.name, addr, st)
	}
	if pol := l.ip(h, "xfrm", "policy"); !strings.Contains(pol, "tmpl src 192.168.0.1 dst "+addr) &&
		!strings.Contains(pol, "tmpl src "+addr+" dst 192.168.0.1") {
		l.t.Errorf("%s: no IPsec policy with the template %s:\n%s", h.name, addr, pol)
	}
}
