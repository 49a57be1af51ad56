package daemon_test

import (
	"fmt"
	"strings"
	"testing"
)

const beetConf = `config setup
conn beet
	keyexchange=ikev2
	authby=secret
	mobike=no
	keyingtries=1
	type=beet
	esp=aes128gcm16!
	left=%s
	leftsubnet=%s/32
	leftid=@%s.strongswan.org
	right=%s
	rightsubnet=%s/32
	rightid=@%s.strongswan.org
	auto=add
`

// TestKernelBEET: type=beet, which starter accepts and charon installs
// with kernel-netlink: the SAs are in BEET mode (the inner addresses, on
// lo, are the selectors' hosts), the policies' templates too, and pings
// between the inner addresses go through ESP between the outer ones.
// USE_BEET_MODE is strongSwan's private notify: as charon, goswan heeds it
// only from a peer that sent strongSwan's vendor ID (send_vendor_id = yes
// on both; without, both fall back to tunnel mode).
// (kernel-libipsec, strongSwan's and goswan's, has no BEET mode: there the
// CHILD_SA fails to install, as "IPsec SA: unsupported mode" in charon.)
func TestKernelBEET(t *testing.T) {
	l := newVMLab(t, "bmoon", "bsun")
	moon, sun := l.hosts[0], l.hosts[1]
	l.link(moon, "gvm-bm", sun, "gvm-bs")
	l.ip(moon, "addr", "add", "192.168.0.1/24", "dev", "gvm-bm")
	l.ip(sun, "addr", "add", "192.168.0.2/24", "dev", "gvm-bs")
	l.ip(moon, "addr", "add", "10.1.0.1/32", "dev", "lo")
	l.ip(sun, "addr", "add", "10.2.0.1/32", "dev", "lo")
	for _, h := range l.hosts {
		conf := fmt.Sprintf(beetConf, "192.168.0.1", "10.1.0.1", "moon", "192.168.0.2", "10.2.0.1", "sun")
		if h == sun {
			conf = fmt.Sprintf(beetConf, "192.168.0.2", "10.2.0.1", "sun", "192.168.0.1", "10.1.0.1", "moon")
		}
		l.start(h, map[string]string{"ipsec.conf": conf,
			"ipsec.secrets":   "@moon.strongswan.org @sun.strongswan.org : PSK \"kernel lane secret\"\n",
			"strongswan.conf": strings.Replace(fmt.Sprintf(strongswanConf, h.dir), "charon {", "charon {\n\tsend_vendor_id = yes", 1)})
	}
	for _, h := range l.hosts {
		l.waitStatus(h, "conn not loaded", "beet:")
	}
	if out := l.ipsec(moon, "up", "beet"); !strings.Contains(out, "connection 'beet' established successfully") {
		t.Fatalf("ipsec up:\n%s", out)
	}
	for _, h := range l.hosts {
		l.waitStatus(h, "no BEET CHILD_SA", "INSTALLED, BEET, reqid 1, ESP SPIs")
		if st := l.ip(h, "xfrm", "state"); strings.Count(st, "mode beet") != 2 {
			t.Errorf("%s: want two BEET states:\n%s", h.name, st)
		}
		if pol := l.ip(h, "xfrm", "policy"); strings.Count(pol, "mode beet") != 3 {
			t.Errorf("%s: want in, out and fwd policies with BEET templates:\n%s", h.name, pol)
		}
	}
	out, err := execIn(moon, "ping", "-c", "2", "-W", "2", "-I", "10.1.0.1", "10.2.0.1")
	if err != nil {
		t.Fatalf("ping between the inner addresses: %v\n%s", err, out)
	}
	if st := l.ipsec(moon, "statusall"); !strings.Contains(st, "bytes_i (2 pkts") {
		t.Errorf("moon: the replies did not come through the SA:\n%s", st)
	}
	l.stop()
}
