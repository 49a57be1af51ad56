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
// transport_proxy SA and the tunnel, one IKE_SA, installpolicy=no; the
// fourth argument is its authentication (leftcert= or authby=secret).
const mnConf = `config setup
conn %%default
	keyexchange=ikev2
	reauth=no
	mobike=no
	installpolicy=no
	%[4]s
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

// pkiDir holds the test PKI's host files (testing/hosts; run.sh copies
// them into the guest and names the copy in GOSWAN_PKI).
func pkiDir() string {
	if d := os.Getenv("GOSWAN_PKI"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "hosts")
}

// installPKI puts moon's, carol's and dave's certificates and keys, the
// Root CA and its CRL into the guest's /etc/ipsec.d, which every daemon of
// the guest reads, as the seed's hosts have theirs.
func installPKI(t *testing.T) {
	t.Helper()
	copyFile := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(dst) })
	}
	for _, h := range []string{"moon", "carol", "dave"} {
		for _, f := range []string{"cacerts/strongswanCert.pem", "certs/" + h + "Cert.pem", "private/" + h + "Key.pem"} {
			copyFile(filepath.Join(pkiDir(), h, "etc", "ipsec.d", f), filepath.Join("/etc/ipsec.d", f))
		}
	}
	copyFile(filepath.Join(pkiDir(), "winnetou", "etc", "ca", "www", "strongswan.crl"), "/etc/ipsec.d/crls/strongswan.crl")
}

// seedStrongswanConf is the lab's strongswan.conf with the plugins of the
// seed's certificates and CRL.
var seedStrongswanConf = strings.Replace(strongswanConf, "load = random nonce aes sha1 sha2 hmac kdf gmp",
	"load = random nonce aes sha1 sha2 pem pkcs1 x509 revocation constraints hmac kdf gmp", 1)

// seedAuth is how the home agent and the mobile nodes authenticate.
type seedAuth struct {
	moonConf func(t *testing.T, conf []byte) string
	secrets  map[string]string // by host
	nodeAuth func(name string) string
	// moonLog are lines of moon's log that show it.
	moonLog []string
}

// TestSeedHomeAgent: the home agent of seeds/004 on the real kernel, its
// ipsec.conf and both include files as the seed gives them, with RSA
// certificates and the Root CA's CRL in ipsec.d ("certificates"), and in a
// variant with pre-shared keys ("psk", moon's leftcert= replaced by
// authby=secret). carol's mobile node brings up its Mobility Header SA
// (transport_proxy: the SA's endpoints are the home addresses) and its
// tunnel, then dave's: moon assigns reqids 1 to 4 in that order, the
// numbers mip6d.conf must name, and installs no policy. mip6d's tunnel
// policies with those reqids then carry carol's traffic.
func TestSeedHomeAgent(t *testing.T) {
	t.Run("certificates", func(t *testing.T) {
		testSeed(t, seedAuth{
			moonConf: func(_ *testing.T, conf []byte) string { return string(conf) },
			secrets: map[string]string{"moon": ": RSA moonKey.pem\n",
				"carol": ": RSA carolKey.pem \"nH5ZQEWtku0RJEZ6\"\n", "dave": ": RSA daveKey.pem\n"},
			nodeAuth: func(name string) string { return "leftcert=" + name + "Cert.pem" },
			moonLog: []string{"[CFG]   loaded crl from '/etc/ipsec.d/crls/strongswan.crl'",
				"[CFG]   using trusted ca certificate \"C=CH, O=strongSwan Project, CN=strongSwan Root CA\"",
				"[CFG] checking certificate status of \"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org\"",
				"[CFG]   using cached crl", "[CFG] certificate status is good",
				"[IKE] authentication of 'carol@strongswan.org' with RSA_EMSA_PKCS1_SHA2_256 successful"},
		})
	})
	t.Run("psk", func(t *testing.T) {
		psk := "@moon.strongswan.org carol@strongswan.org : PSK \"carol's home secret\"\n" +
			"@moon.strongswan.org dave@strongswan.org : PSK \"dave's home secret\"\n"
		testSeed(t, seedAuth{moonConf: seedPSK,
			secrets:  map[string]string{"moon": psk, "carol": psk, "dave": psk},
			nodeAuth: func(string) string { return "authby=secret" },
			moonLog:  []string{"[IKE] authentication of 'carol@strongswan.org' with pre-shared key successful"},
		})
	})
}

func testSeed(t *testing.T, auth seedAuth) {
	l := newVMLab(t, "moon6", "carol", "dave")
	seed := seedDir(t)
	conf, err := os.ReadFile(filepath.Join(seed, "ipsec.conf"))
	if err != nil {
		t.Fatal(err)
	}
	installSeedIncludes(t, seed)
	installPKI(t)
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
	files := func(h *host, name, ipsecConf string) map[string]string {
		return map[string]string{"ipsec.conf": ipsecConf, "ipsec.secrets": auth.secrets[name],
			"strongswan.conf": strings.Replace(fmt.Sprintf(seedStrongswanConf, h.dir), "default = 1", "default = 1\n\t\t\tknl = 2", 1)}
	}
	l.start(moon, files(moon, "moon", auth.moonConf(t, conf)))
	for _, n := range nodes {
		l.start(n.h, files(n.h, n.h.name, fmt.Sprintf(mnConf, n.coa, n.h.name, n.home, auth.nodeAuth(n.h.name))))
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
	l.logHas(moon, auth.moonLog...)
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
