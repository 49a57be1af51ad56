package daemon_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
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

// TestSeedHomeAgent: the home agent of seeds/004, its ipsec.conf and both
// include files as the seed gives them (moon's certificate replaced by a
// pre-shared key), on the real kernel. carol's mobile node brings up its
// Mobility Header SA (transport_proxy: the SA's endpoints are the home
// addresses) and its tunnel, then dave's: moon assigns reqids 1 to 4 in
// that order, the numbers mip6d.conf must name, and installs no policy.
// mip6d's tunnel policies with those reqids then carry carol's traffic.
func TestSeedHomeAgent(t *testing.T) {
	if os.Getenv("GOSWAN_VM") != "1" {
		t.Skip("needs a kernel with ESP: runs inside the kernel lane's VM (make vmtest)")
	}
	bin := os.Getenv("GOSWAN_BIN")
	if bin == "" {
		t.Fatal("GOSWAN_BIN must name the directory with goswan's ipsec and charon")
	}
	seed := seedDir(t)
	conf, err := os.ReadFile(filepath.Join(seed, "ipsec.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// The seed includes /etc/ipsec.conf.d/*.ipsec.conf: the guest's /etc is
	// its own (RAM), nothing of the host's.
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

	root := t.TempDir()
	moon := &host{name: "moon", ns: "gvm-moon6", dir: filepath.Join(root, "moon")}
	carol := &host{name: "carol", ns: "gvm-carol", dir: filepath.Join(root, "carol")}
	dave := &host{name: "dave", ns: "gvm-dave", dir: filepath.Join(root, "dave")}
	hosts := []*host{moon, carol, dave}
	for _, h := range hosts {
		sh(t, "ip", "netns", "add", h.ns)
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			if h.starter != nil && h.starter.ProcessState == nil {
				_ = h.starter.Process.Kill()
				_, _ = h.starter.Process.Wait()
			}
			_ = exec.Command("ip", "netns", "del", h.ns).Run()
		}
	})
	// Each mobile node has a link of its own to moon (the guest has no
	// bridge module); the care-of addresses are on those links, moon's home
	// network address 2001:1::1 is on lo, as are the nodes' home addresses.
	coa := map[*host]string{carol: "2001::100", dave: "2001:0:0:2::200"}
	gw := map[*host]string{carol: "2001::1", dave: "2001:0:0:2::1"}
	home := map[*host]string{carol: "2001:1::10", dave: "2001:1::20"}
	for _, h := range []*host{carol, dave} {
		port := "gvm-" + h.name[:1] + "m"
		sh(t, "ip", "link", "add", port, "type", "veth", "peer", "name", "gvm-"+h.name)
		sh(t, "ip", "link", "set", port, "netns", moon.ns)
		sh(t, "ip", "link", "set", "gvm-"+h.name, "netns", h.ns)
		sh(t, "ip", "-n", moon.ns, "addr", "add", gw[h]+"/64", "dev", port, "nodad")
		sh(t, "ip", "-n", moon.ns, "link", "set", port, "up")
		sh(t, "ip", "-n", h.ns, "addr", "add", coa[h]+"/64", "dev", "gvm-"+h.name, "nodad")
		sh(t, "ip", "-n", h.ns, "addr", "add", home[h]+"/128", "dev", "lo")
		sh(t, "ip", "-n", h.ns, "link", "set", "gvm-"+h.name, "up")
		sh(t, "ip", "-n", h.ns, "link", "set", "lo", "up")
		sh(t, "ip", "-n", h.ns, "-6", "route", "add", "2001:1::/64", "via", gw[h])
		sh(t, "ip", "-n", moon.ns, "-6", "route", "add", home[h]+"/128", "via", coa[h])
	}
	sh(t, "ip", "-n", moon.ns, "addr", "add", "2001:1::1/64", "dev", "lo")
	sh(t, "ip", "-n", moon.ns, "link", "set", "lo", "up")

	secrets := "@moon.strongswan.org carol@strongswan.org : PSK \"carol's home secret\"\n" +
		"@moon.strongswan.org dave@strongswan.org : PSK \"dave's home secret\"\n"
	for _, h := range hosts {
		if err := os.MkdirAll(h.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{
			"ipsec.conf":      seedPSK(t, conf),
			"ipsec.secrets":   secrets,
			"strongswan.conf": strings.Replace(fmt.Sprintf(strongswanConf, h.dir), "default = 1", "default = 1\n\t\t\tknl = 2", 1),
		}
		if h != moon {
			files["ipsec.conf"] = fmt.Sprintf(mnConf, coa[h], h.name, home[h])
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(h.dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		log, err := os.Create(filepath.Join(h.dir, "starter.out"))
		if err != nil {
			t.Fatal(err)
		}
		h.starter = exec.Command("ip", "netns", "exec", h.ns, filepath.Join(bin, "ipsec"), "start", "--nofork")
		h.starter.Env = h.env(bin)
		h.starter.Stdout, h.starter.Stderr = log, log
		h.starter.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := h.starter.Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		if t.Failed() {
			for _, h := range hosts {
				b, _ := os.ReadFile(filepath.Join(h.dir, "charon.log"))
				s, _ := os.ReadFile(filepath.Join(h.dir, "starter.out"))
				t.Logf("%s starter:\n%s\n%s charon.log:\n%s", h.name, s, h.name, b)
			}
		}
	}()
	moon.waitFor(t, "the seed's conns not loaded", func() bool {
		st := moon.ipsec(t, bin, "statusall")
		return strings.Contains(st, "dave-mh:") && strings.Contains(st, "dave-tunnel:")
	})
	for _, h := range []*host{carol, dave} {
		h.waitFor(t, "conns not loaded", func() bool { return strings.Contains(h.ipsec(t, bin, "statusall"), "home-tunnel:") })
	}
	// The seed's order: carol's SAs first, then dave's.
	for _, h := range []*host{carol, dave} {
		for _, c := range []string{"home-mh", "home-tunnel"} {
			if out := h.ipsec(t, bin, "up", c); !strings.Contains(out, "connection '"+c+"' established successfully") {
				t.Fatalf("%s: ipsec up %s:\n%s", h.name, c, out)
			}
		}
	}
	st := moon.ipsec(t, bin, "statusall")
	for _, want := range []string{
		"carol-mh{1}:  INSTALLED, TRANSPORT_PROXY, reqid 1, ESP SPIs",
		"carol-mh{1}:   2001:1::1/128[ipv6-mh/0] === 2001:1::10/128[ipv6-mh/0]",
		"carol-tunnel{2}:  INSTALLED, TUNNEL, reqid 2, ESP SPIs",
		"carol-tunnel{2}:   ::/0 === 2001:1::10/128",
		"dave-mh{3}:  INSTALLED, TRANSPORT_PROXY, reqid 3, ESP SPIs",
		"dave-tunnel{4}:  INSTALLED, TUNNEL, reqid 4, ESP SPIs",
	} {
		// The Mobility Header's name is /etc/protocols' (mobility-header on
		// Debian, none in a bare guest).
		re := regexp.QuoteMeta(want)
		re = strings.ReplaceAll(re, `\[ipv6-mh/0\]`, `\[(ipv6-mh|mobility-header|135)/0\]`)
		if !regexp.MustCompile(re).MatchString(st) {
			t.Errorf("moon: statusall lacks %q:\n%s", want, st)
		}
	}
	log, _ := os.ReadFile(filepath.Join(moon.dir, "charon.log"))
	for _, want := range []string{
		"[CFG] added configuration 'carol-mh'",
		"[CFG] added child to existing configuration 'carol-mh'",
		"[CHD] other address: 2001::100 is a transport mode proxy for 2001:1::10",
		"[IKE] CHILD_SA carol-mh{1} established with SPIs",
		"[IKE] CHILD_SA dave-tunnel{4} established with SPIs",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("moon: charon.log lacks %q", want)
		}
	}
	// installpolicy=no: the SAs are in the kernel, no policy is.
	state := sh(t, "ip", "-n", moon.ns, "xfrm", "state")
	for _, want := range []string{
		"src 2001:1::1 dst 2001:1::10\n\tproto esp spi", "reqid 1 mode transport",
		"src 2001::100 dst 2001:1::1\n\tproto esp spi", "reqid 2 mode tunnel",
		"reqid 3 mode transport", "reqid 4 mode tunnel",
	} {
		if !strings.Contains(state, want) {
			t.Errorf("moon: XFRM states lack %q:\n%s", want, state)
		}
	}
	// (The IKE sockets' own bypass policies are listed as "socket in/out".)
	if pol := sh(t, "ip", "-n", moon.ns, "xfrm", "policy"); regexp.MustCompile(`dir (in|out|fwd)`).MatchString(pol) {
		t.Errorf("moon: policies installed despite installpolicy=no:\n%s", pol)
	}

	// mip6d's tunnel policies, with the seed's reqids on moon (carol: 2)
	// and carol's daemon's (2 as well: her tunnel came second), carry her
	// traffic to the home agent.
	mip6Tunnel := func(h *host, reqid, src, dst, tsrc, tdst string) {
		t.Helper()
		for _, p := range [][]string{
			{"src", src, "dst", dst, "dir", "out", "tmpl", "src", tsrc, "dst", tdst},
			{"src", dst, "dst", src, "dir", "in", "tmpl", "src", tdst, "dst", tsrc},
		} {
			sh(t, append(append([]string{"ip", "-n", h.ns, "xfrm", "policy", "add"}, p...), "proto", "esp", "reqid", reqid, "mode", "tunnel")...)
		}
	}
	mip6Tunnel(moon, "2", "::/0", "2001:1::10/128", "2001:1::1", "2001::100")
	mip6Tunnel(carol, "2", "2001:1::10/128", "::/0", "2001::100", "2001:1::1")
	if out, err := exec.Command("ip", "netns", "exec", carol.ns, "ping6", "-c", "2", "-W", "2", "-I", "2001:1::10", "2001:1::1").CombinedOutput(); err != nil {
		t.Fatalf("carol's ping through the tunnel: %v\n%s", err, out)
	}
	if st := moon.ipsec(t, bin, "statusall"); !regexp.MustCompile(`carol-tunnel\{2\}:  AES_CBC_128/HMAC_SHA1_96(/MODP_2048)?, [1-9]\d* bytes_i \(2 pkts`).MatchString(st) {
		t.Errorf("moon: carol's tunnel did not count the pings:\n%s", st)
	}
	for _, h := range hosts {
		_ = h.starter.Process.Signal(syscall.SIGTERM)
		_, _ = h.starter.Process.Wait()
	}
}
