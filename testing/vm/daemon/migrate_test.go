package daemon_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The mobile IPv6 set-up of seeds/004, reduced to what MIGRATE and
// ACQUIRE need: a home agent (ha) and a mobile node (mn) with an IPv6
// tunnel between their home addresses (on lo), IKE between the node's
// care-of address and the agent. As in the seed, the conns have
// installpolicy=no: the policies are mip6d's, installed with the reqid the
// daemons assign (the first, 1), and mip6d moves them and their SAs with
// XFRM_MSG_MIGRATE when the care-of address changes. The test plays
// mip6d's part with ip xfrm and testing/cmd/xfrm-migrate.
const migrateConf = `config setup
conn home
	keyexchange=ikev2
	authby=secret
	mobike=no
	keyingtries=1
	installpolicy=no
	esp=aes128gcm16!
	left=%s
	leftsubnet=%s
	leftid=@%s.strongswan.org
	right=%s
	rightsubnet=%s
	rightid=@%s.strongswan.org
	auto=%s
`

// migrate runs xfrm-migrate in h's namespace.
func (l *vmLab) migrate(h *host, args ...string) {
	l.t.Helper()
	before := l.ip(h, "xfrm", "state")
	out, err := exec.Command("ip", append([]string{"netns", "exec", h.ns, filepath.Join(l.bin, "xfrm-migrate")}, args...)...).CombinedOutput()
	if err != nil {
		l.t.Errorf("%s: xfrm-migrate %v: %v\n%s\nstate before:\n%s\nafter:\n%s", h.name, args, err, out, before, l.ip(h, "xfrm", "state"))
	}
}

// mip6Policies are one end's tunnel policies (mine and the peer's home
// address, my care-of address and the agent's/node's), as mip6d installs
// them: out, in and fwd, reqid 1.
func (l *vmLab) mip6Policies(h *host, myHome, otherHome, me, other string) {
	l.t.Helper()
	for _, p := range [][]string{
		{"src", myHome, "dst", otherHome, "dir", "out", "tmpl", "src", me, "dst", other},
		{"src", otherHome, "dst", myHome, "dir", "in", "tmpl", "src", other, "dst", me},
		{"src", otherHome, "dst", myHome, "dir", "fwd", "tmpl", "src", other, "dst", me},
	} {
		l.ip(h, append(append([]string{"xfrm", "policy", "add"}, p...), "proto", "esp", "reqid", "1", "mode", "tunnel")...)
	}
}

// moveTunnel plays mip6d on one end when the node moves: a MIGRATE for
// each of the end's tunnel policies (out, in, fwd) from the endpoints
// oldMe...oldOther to newMe...newOther, with the kmaddress.
func (l *vmLab) moveTunnel(h *host, myHome, otherHome, oldMe, oldOther, newMe, newOther, km string) {
	l.t.Helper()
	for _, dir := range []string{"out", "in", "fwd"} {
		sel, old, now := myHome+"="+otherHome, oldMe+"="+oldOther, newMe+"="+newOther
		if dir != "out" {
			sel, old, now = otherHome+"="+myHome, oldOther+"="+oldMe, newOther+"="+newMe
		}
		l.migrate(h, "-sel", sel, "-dir", dir, "-old", old, "-new", now, "-reqid", "1", "-km", km)
	}
}

// migrateFiles are a MIGRATE test host's configuration files.
func migrateFiles(h *host, conf string) map[string]string {
	return map[string]string{
		"ipsec.conf":      conf,
		"ipsec.secrets":   "@ha.strongswan.org @mn.strongswan.org : PSK \"kernel lane secret\"\n",
		"strongswan.conf": strings.Replace(fmt.Sprintf(strongswanConf, h.dir), "default = 1", "default = 1\n\t\t\tknl = 2\n\t\t\tjob = 2", 1),
	}
}

// TestKernelMigrate: the mobile node's tunnel comes up by an ACQUIRE for
// the reqid of its routed installpolicy=no conn; then its care-of address
// changes from 2001::10 to 2001::50 and mip6d on both ends (xfrm-migrate
// here) asks the kernel to move the policies and their SAs, one policy at a
// time; the kernel tells the key managers with XFRM_MSG_MIGRATE and a
// kmaddress. goswan finds the CHILD_SA by reqid, moves the SA the kernel
// did not (as charon, it cannot find the one the kernel already moved and
// leaves it), takes the kmaddress as its IKE_SA's endpoints, and the
// tunnel carries traffic from the new address; a rekey over the moved
// IKE_SA works too.
func TestKernelMigrate(t *testing.T) {
	l := newVMLab(t, "ha", "mn")
	ha, mn := l.hosts[0], l.hosts[1]
	l.link(ha, "gvm-h", mn, "gvm-n")
	l.ip(ha, "addr", "add", "2001::1/64", "dev", "gvm-h", "nodad")
	l.ip(ha, "addr", "add", "2001:1::1/128", "dev", "lo")
	l.ip(mn, "addr", "add", "2001::10/64", "dev", "gvm-n", "nodad")
	l.ip(mn, "addr", "add", "2001::50/64", "dev", "gvm-n", "nodad")
	l.ip(mn, "addr", "add", "2001:1::10/128", "dev", "lo")
	// mip6d's routes to the other home address (installpolicy=no: the
	// daemons install none) and its policies, with the first reqid.
	l.ip(ha, "-6", "route", "add", "2001:1::10/128", "dev", "gvm-h")
	l.ip(mn, "-6", "route", "add", "2001:1::1/128", "dev", "gvm-n")
	l.mip6Policies(ha, "2001:1::1/128", "2001:1::10/128", "2001::1", "2001::10")
	l.mip6Policies(mn, "2001:1::10/128", "2001:1::1/128", "2001::10", "2001::1")
	l.start(ha, migrateFiles(ha, fmt.Sprintf(migrateConf, "2001::1", "2001:1::1/128", "ha", "%any", "2001:1::10/128", "mn", "add")))
	l.start(mn, migrateFiles(mn, fmt.Sprintf(migrateConf, "2001::10", "2001:1::10/128", "mn", "2001::1", "2001:1::1/128", "ha", "route")))
	l.waitStatus(ha, "conn not loaded", "home:")
	l.waitStatus(mn, "conn not routed", "home{1}:  CREATED, TUNNEL, reqid 1")

	// The first packet hits mip6d's policy without an SA: the kernel's
	// ACQUIRE names reqid 1, which the routed conn holds.
	_ = exec.Command("ip", "netns", "exec", mn.ns, "ping6", "-c", "1", "-W", "1", "-I", "2001:1::10", "2001:1::1").Run()
	for _, h := range l.hosts {
		l.waitStatus(h, "no CHILD_SA with reqid 1", "INSTALLED, TUNNEL, reqid 1, ESP SPIs")
	}
	// The selectors are the packet's (ICMPv6 echo request).
	if !regexp.MustCompile(`\[KNL\] creating acquire job for policy 2001:1::10/128\S* === 2001:1::1/128\S* with reqid \{1\}`).MatchString(l.log(mn)) {
		t.Error("mn: no acquire by reqid")
	}
	l.ping6(mn, "2001:1::10", "2001:1::1", "before the move")

	// The node moves to 2001::50.
	l.moveTunnel(ha, "2001:1::1/128", "2001:1::10/128", "2001::1", "2001::10", "2001::1", "2001::50", "2001::1=2001::50")
	l.moveTunnel(mn, "2001:1::10/128", "2001:1::1/128", "2001::10", "2001::1", "2001::50", "2001::1", "2001::50=2001::1")
	l.ip(mn, "addr", "del", "2001::10/64", "dev", "gvm-n")
	l.waitStatus(ha, "IKE_SA not moved to the kmaddress", "2001::1[ha.strongswan.org]...2001::50[mn.strongswan.org]")
	l.waitStatus(mn, "IKE_SA not moved to the kmaddress", "2001::50[mn.strongswan.org]...2001::1[ha.strongswan.org]")
	for _, h := range l.hosts {
		l.logHas(h, "[KNL] received a XFRM_MSG_MIGRATE", "[KNL]   XFRMA_KMADDRESS",
			"[KNL] creating migrate job for policy ", "with reqid {1}", "[JOB] found CHILD_SA with reqid {1}")
		if state := l.ip(h, "xfrm", "state"); strings.Contains(state, "2001::10 ") || strings.Count(state, "2001::50") != 2 {
			t.Errorf("%s: SAs not at the new address:\n%s", h.name, state)
		}
	}
	// On ha the kernel moved the outbound SA first, to another
	// destination: goswan, as charon, no longer finds it by its old one
	// (seeds/004: "querying SAD entry failed").
	l.logHas(ha, "[KNL] unable to update SAD entry with SPI")
	l.ping6(mn, "2001:1::10", "2001:1::1", "after the move")

	// The moved IKE_SA works: a rekey puts new SAs between the new
	// endpoints, and traffic goes on.
	l.ipsec(ha, "stroke", "rekey", "home{*}")
	l.waitStatus(ha, "CHILD_SA not rekeyed", "home{2}:  INSTALLED")
	l.ping6(mn, "2001:1::10", "2001:1::1", "after the rekey")
	// The old inbound SA goes after delete_rekeyed_delay (5 s).
	ha.waitFor(t, "rekeyed SAs not between the new endpoints", func() bool {
		st := l.ip(ha, "xfrm", "state")
		return strings.Count(st, "src 2001::50 dst 2001::1") == 1 && strings.Count(st, "src 2001::1 dst 2001::50") == 1
	})
	l.stop()
	for _, h := range l.hosts {
		if st := strings.TrimSpace(l.ip(h, "xfrm", "state")); st != "" {
			t.Errorf("%s: SAs left after stop:\n%s", h.name, st)
		}
	}
}
