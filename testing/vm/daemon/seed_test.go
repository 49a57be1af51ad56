package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// seedDir finds seeds/004's home agent configuration (starter's test
// data; run.sh copies it into the guest and names it in GOSWAN_SEED004).
func seedDir(t *testing.T) string {
	if d := os.Getenv("GOSWAN_SEED004"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "starter", "testdata", "seed004")
}

// seedPSK turns the seed's ipsec.conf into its pre-shared key variant:
// moon authenticates with a secret instead of moonCert.pem, the only line
// that changes (goswan's certificates are pending).
func seedPSK(t *testing.T, conf []byte) string {
	s := string(conf)
	if strings.Count(s, "\tleftcert=moonCert.pem\n") != 1 {
		t.Fatalf("the seed's ipsec.conf no longer names moonCert.pem once:\n%s", s)
	}
	return strings.Replace(s, "\tleftcert=moonCert.pem\n", "\tauthby=secret\n", 1)
}

// mnConf is a mobile node's side of the seed: the Mobility Header's
// transport_proxy SA and the tunnel, one IKE_SA, installpolicy=no.
const mnConf = `config setup
conn %%default
	keyexchange=ikev2
	reauth=no
	mobike=no
	installpolicy=no
	authby=secret
	ike=aes128-sha1-modp2048!
	esp=aes128-sha1-modp2048!
	left=%[1]s
	leftid=%[2]s@strongswan.org
	right=2001:1::1
	rightid=@moon.strongswan.org

conn home-mh
	leftsubnet=%[3]s/128
	leftprotoport=135/0
	rightsubnet=2001:1::1/128
	rightprotoport=135/0
	type=transport_proxy
	auto=add

conn home-tunnel
	leftsubnet=%[3]s/128
	rightsubnet=::/0
	auto=add
`

// installSeedIncludes puts the seed's include files where its ipsec.conf
// names them, /etc/ipsec.conf.d: the guest's /etc is its own (RAM),
// nothing of the host's.
func installSeedIncludes(t *testing.T, seed string) {
	t.Helper()
	if err := os.MkdirAll("/etc/ipsec.conf.d", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"carol.ipsec.conf", "dave.ipsec.conf"} {
		b, err := os.ReadFile(filepath.Join(seed, "ipsec.conf.d", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("/etc/ipsec.conf.d", f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.RemoveAll("/etc/ipsec.conf.d") })
}

// mobileNode is one of the seed's mobile nodes.
type mobileNode struct {
	h             *host
	coa, gw, home string
}

// seedStatus are the lines of moon's statusall the seed's order gives
// (the Mobility Header's name is /etc/protocols', none in a bare guest).
var seedStatus = []string{
	`carol-mh\{1\}:  INSTALLED, TRANSPORT_PROXY, reqid 1, ESP SPIs`,
	`carol-mh\{1\}:   2001:1::1/128\[(mobility-header|135)/0\] === 2001:1::10/128\[(mobility-header|135)/0\]`,
	`carol-tunnel\{2\}:  INSTALLED, TUNNEL, reqid 2, ESP SPIs`,
	`carol-tunnel\{2\}:   ::/0 === 2001:1::10/128`,
	`dave-mh\{3\}:  INSTALLED, TRANSPORT_PROXY, reqid 3, ESP SPIs`,
	`dave-tunnel\{4\}:  INSTALLED, TUNNEL, reqid 4, ESP SPIs`,
}

// TestSeedHomeAgent: the home agent of seeds/004, its ipsec.conf and both
// include files as the seed gives them (moon's certificate replaced by a
// pre-shared key), on the real kernel. carol's mobile node brings up its
// Mobility Header SA (transport_proxy: the SA's endpoints are the home
// addresses) and its tunnel, then dave's: moon assigns reqids 1 to 4 in
// that order, the numbers mip6d.conf must name, and installs no policy.
// mip6d's tunnel policies with those reqids then carry carol's traffic.
func TestSeedHomeAgent(t *testing.T) {
	l := newVMLab(t, "moon6", "carol", "dave")
	seed := seedDir(t)
	conf, err := os.ReadFile(filepath.Join(seed, "ipsec.conf"))
	if err != nil {
		t.Fatal(err)
	}
	installSeedIncludes(t, seed)
	moon := l.hosts[0]
	// Each mobile node has a link of its own to moon (the guest has no
	// bridge module) with its care-of address; the home addresses, moon's
	// 2001:1::1 and the nodes', are on lo.
	nodes := []mobileNode{{l.hosts[1], "2001::100", "2001::1", "2001:1::10"},
		{l.hosts[2], "2001:0:0:2::200", "2001:0:0:2::1", "2001:1::20"}}
	for _, n := range nodes {
		port := "gvm-" + n.h.name[:1] + "m"
		l.link(moon, port, n.h, "gvm-"+n.h.name)
		l.ip(moon, "addr", "add", n.gw+"/64", "dev", port, "nodad")
		l.ip(n.h, "addr", "add", n.coa+"/64", "dev", "gvm-"+n.h.name, "nodad")
		l.ip(n.h, "addr", "add", n.home+"/128", "dev", "lo")
		l.ip(n.h, "-6", "route", "add", "2001:1::/64", "via", n.gw)
		l.ip(moon, "-6", "route", "add", n.home+"/128", "via", n.coa)
	}
	l.ip(moon, "addr", "add", "2001:1::1/64", "dev", "lo")
	secrets := "@moon.strongswan.org carol@strongswan.org : PSK \"carol's home secret\"\n" +
		"@moon.strongswan.org dave@strongswan.org : PSK \"dave's home secret\"\n"
	files := func(h *host, ipsecConf string) map[string]string {
		return map[string]string{"ipsec.conf": ipsecConf, "ipsec.secrets": secrets,
			"strongswan.conf": strings.Replace(fmt.Sprintf(strongswanConf, h.dir), "default = 1", "default = 1\n\t\t\tknl = 2", 1)}
	}
	l.start(moon, files(moon, seedPSK(t, conf)))
	for _, n := range nodes {
		l.start(n.h, files(n.h, fmt.Sprintf(mnConf, n.coa, n.h.name, n.home)))
	}
	l.waitStatus(moon, "the seed's conns not loaded", "dave-mh:", "dave-tunnel:")
	// The seed's order: carol's SAs first, then dave's.
	for _, n := range nodes {
		l.waitStatus(n.h, "conns not loaded", "home-tunnel:")
		for _, c := range []string{"home-mh", "home-tunnel"} {
			if out := l.ipsec(n.h, "up", c); !strings.Contains(out, "connection '"+c+"' established successfully") {
				t.Fatalf("%s: ipsec up %s:\n%s", n.h.name, c, out)
			}
		}
	}
	st := l.ipsec(moon, "statusall")
	for _, want := range seedStatus {
		if !regexp.MustCompile(want).MatchString(st) {
			t.Errorf("moon: statusall lacks %q:\n%s", want, st)
		}
	}
	l.logHas(moon, "[CFG] added configuration 'carol-mh'", "[CFG] added child to existing configuration 'carol-mh'",
		"[CHD] other address: 2001::100 is a transport mode proxy for 2001:1::10",
		"[IKE] CHILD_SA carol-mh{1} established with SPIs", "[IKE] CHILD_SA dave-tunnel{4} established with SPIs")
	// installpolicy=no: the SAs are in the kernel, no policy is (the IKE
	// sockets' own bypass policies are listed as "socket in/out").
	state := l.ip(moon, "xfrm", "state")
	for _, want := range []string{
		"src 2001:1::1 dst 2001:1::10\n\tproto esp spi", "reqid 1 mode transport",
		"src 2001::100 dst 2001:1::1\n\tproto esp spi", "reqid 2 mode tunnel",
		"reqid 3 mode transport", "reqid 4 mode tunnel",
	} {
		if !strings.Contains(state, want) {
			t.Errorf("moon: XFRM states lack %q:\n%s", want, state)
		}
	}
	if pol := l.ip(moon, "xfrm", "policy"); regexp.MustCompile(`dir (in|out|fwd)`).MatchString(pol) {
		t.Errorf("moon: policies installed despite installpolicy=no:\n%s", pol)
	}

	// mip6d's tunnel policies, with the seed's reqid on moon (carol: 2) and
	// carol's daemon's (2 as well: her tunnel came second), carry her
	// traffic to the home agent.
	l.mip6Tunnel(moon, "2", "::/0", "2001:1::10/128", "2001:1::1", "2001::100")
	l.mip6Tunnel(nodes[0].h, "2", "2001:1::10/128", "::/0", "2001::100", "2001:1::1")
	l.ping6(nodes[0].h, "2001:1::10", "2001:1::1", "through carol's tunnel")
	if st := l.ipsec(moon, "statusall"); !regexp.MustCompile(`carol-tunnel\{2\}:  AES_CBC_128/HMAC_SHA1_96(/MODP_2048)?, [1-9]\d* bytes_i \(2 pkts`).MatchString(st) {
		t.Errorf("moon: carol's tunnel did not count the pings:\n%s", st)
	}
	l.stop()
}

// mip6Tunnel installs mip6d's out and in tunnel policies on h.
func (l *vmLab) mip6Tunnel(h *host, reqid, src, dst, tsrc, tdst string) {
	l.t.Helper()
	for _, p := range [][]string{
		{"src", src, "dst", dst, "dir", "out", "tmpl", "src", tsrc, "dst", tdst},
		{"src", dst, "dst", src, "dir", "in", "tmpl", "src", tdst, "dst", tsrc},
	} {
		l.ip(h, append(append([]string{"xfrm", "policy", "add"}, p...), "proto", "esp", "reqid", reqid, "mode", "tunnel")...)
	}
}
