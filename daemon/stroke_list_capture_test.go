package daemon

import (
	"bytes"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/ikesim"
)

// The situations of testdata/charon-5.9.8/status (status-capture.sh): moon
// has net-net with two more CHILD_SA configs (net-gcm with AES-GCM and
// PFS, trap-http routed), norekey, an unreachable dpd peer, roadwarrior
// configs with public key, EAP and XAuth authentication, a pool, and a
// passthrough shunt.

type captureHosts struct {
	s         *ikesim.Sim
	moon, sun *simSource
	peers     map[string]*config.PeerCfg  // moon's, by conn name
	children  map[string]*config.ChildCfg // moon's
	sunPeers  map[string]*config.PeerCfg  // sun's
	sunChild  map[string]*config.ChildCfg // sun's
	shunts    []*config.ChildCfg
	trap      *sa.ChildSA
}

func captureMoonConns() []connSpec {
	moon := connSpec{left: "192.168.0.1", right: "192.168.0.2", leftID: "@moon.strongswan.org",
		rightID: "@sun.strongswan.org", forceEncap: true}
	netnet, gcm, trap, norekey := moon, moon, moon, moon
	netnet.name, netnet.leftSubnet, netnet.rightSubnet = "net-net", "10.1.0.0/16", "10.2.0.0/16"
	gcm.name, gcm.leftSubnet, gcm.rightSubnet, gcm.esp = "net-gcm", "10.1.0.1/32", "10.2.0.9/32", "aes128gcm16-ecp256!"
	trap.name, trap.leftSubnet, trap.rightSubnet = "trap-http", "10.1.0.0/16[tcp]", "10.2.0.0/16[tcp/http]"
	norekey.name, norekey.leftSubnet, norekey.rightSubnet, norekey.noRekey = "norekey", "10.1.0.1/32", "10.2.0.8/32", true
	dpd := connSpec{name: "dpd", left: "192.168.0.1", right: "192.168.0.3", leftID: "@moon.strongswan.org",
		rightID: "@dpd.strongswan.org", leftSubnet: "10.1.0.0/24", rightSubnet: "10.3.0.0/24",
		dpdDelay: 30, dpdAction: config.ActionStart, forceEncap: true}
	rwEAP := connSpec{name: "rw-eap", left: "%any", right: "%any", leftSubnet: "10.1.0.0/16",
		leftAuth: []*config.AuthCfg{{Class: config.AuthClassPubkey, Identity: credentials.ParseIdentity("@moon.strongswan.org")}},
		rightAuth: []*config.AuthCfg{{Class: config.AuthClassEAP, EAPType: 4, EAPIdentity: credentials.Any(),
			Groups: []*credentials.Identity{credentials.ParseIdentity("sales"), credentials.ParseIdentity("finance")}}}}
	rwAny := connSpec{name: "rw-eap-any", left: "192.168.0.1", right: "%any", leftID: "192.168.0.1",
		rightAuth: []*config.AuthCfg{{Class: config.AuthClassEAP, Identity: credentials.Any()}}}
	rwVendor := connSpec{name: "rw-eap-vendor", left: "192.168.0.1", right: "10.9.0.0/16", leftID: "@moon.strongswan.org",
		rightAuth: []*config.AuthCfg{{Class: config.AuthClassEAP, Identity: credentials.ParseIdentity("10.9.0.0/16"),
			EAPType: 192, EAPVendor: 12345, EAPIdentity: credentials.ParseIdentity("carol@strongswan.org")}}}
	v1 := connSpec{name: "v1-xauth", version: config.IKEv1, aggressive: true, left: "192.168.0.1", right: "192.168.0.4",
		leftID: "@moon.strongswan.org",
		rightAuth: []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity("@v1.strongswan.org")},
			{Class: config.AuthClassXAuth}}}
	pass := connSpec{name: "pass-lan-long-name", left: "192.168.0.1", right: "%any", mode: kernel.ModePass,
		leftSubnet: "10.1.0.0/24", rightSubnet: "192.168.10.0/24",
		leftAuth:  []*config.AuthCfg{{Class: config.AuthClassPubkey, Identity: credentials.ParseIdentity("192.168.0.1")}},
		rightAuth: []*config.AuthCfg{{Class: config.AuthClassPubkey}}}
	return []connSpec{netnet, gcm, trap, norekey, dpd, rwEAP, rwAny, rwVendor, v1, pass}
}

func captureSunConns() []connSpec {
	sun := connSpec{left: "192.168.0.2", right: "192.168.0.1", leftID: "@sun.strongswan.org",
		rightID: "@moon.strongswan.org"}
	netnet, gcm, norekey := sun, sun, sun
	netnet.name, netnet.leftSubnet, netnet.rightSubnet = "net-net", "10.2.0.0/16", "10.1.0.0/16"
	gcm.name, gcm.leftSubnet, gcm.rightSubnet, gcm.esp = "net-gcm", "10.2.0.9/32", "10.1.0.1/32", "aes128gcm16-ecp256!"
	norekey.name, norekey.leftSubnet, norekey.rightSubnet, norekey.noRekey = "norekey", "10.2.0.8/32", "10.1.0.1/32", true
	return []connSpec{netnet, gcm, norekey}
}

func newCaptureHosts(t *testing.T) *captureHosts {
	s := ikesim.New(t)
	h := &captureHosts{s: s, peers: map[string]*config.PeerCfg{}, children: map[string]*config.ChildCfg{},
		sunPeers: map[string]*config.PeerCfg{}, sunChild: map[string]*config.ChildCfg{}}
	moon := s.AddNode("moon", "192.168.0.1", 11, nil)
	sun := s.AddNode("sun", "192.168.0.2", 12, nil)
	h.moon = &simSource{s: s, n: moon, started: s.Clock.Now(),
		pools: []Pool{{Name: "10.3.0.0/28", Size: 14}}, plugins: pluginList(
			"charon random nonce aes sha1 sha2 hmac kdf openssl pem pkcs1 x509 gmp md5 eap-md5 eap-identity xauth-generic attr stroke kernel-libipsec kernel-netlink socket-default updown")}
	h.sun = &simSource{s: s, n: sun, started: s.Clock.Now()}
	for _, c := range captureMoonConns() {
		peer, child := c.build(t)
		used, _ := moon.Env.Backends.Add(peer, child)
		h.peers[c.name], h.children[c.name] = used, child
		if c.mode == kernel.ModePass {
			h.shunts = append(h.shunts, child)
		}
	}
	for _, c := range captureSunConns() {
		peer, child := c.build(t)
		used, _ := sun.Env.Backends.Add(peer, child)
		h.sunPeers[c.name], h.sunChild[c.name] = used, child
	}
	moon.PSK(liveSecret, "@moon.strongswan.org", "@sun.strongswan.org")
	sun.PSK(liveSecret, "@moon.strongswan.org", "@sun.strongswan.org")
	h.trap = route(t, moon, h.peers["trap-http"], h.children["trap-http"])
	h.moon.routed = []RoutedEntry{RoutedFromChild(h.trap)}
	return h
}

// shuntSource adds the shunt to a simulated daemon.
type shuntSource struct {
	*simSource
	shunts []*config.ChildCfg
	leases map[string][]Lease
}

func (x shuntSource) Shunts() []*config.ChildCfg { return x.shunts }
func (x shuntSource) Leases(p string) []Lease    { return x.leases[p] }

func TestStatusCaptureConfigs(t *testing.T) {
	h := newCaptureHosts(t)
	moon := shuntSource{simSource: h.moon, shunts: h.shunts}
	h.s.Clock.Advance(time.Second)
	all := func(name ...string) string {
		n := stroke.Str{}
		if len(name) > 0 {
			n = stroke.S(name[0])
		}
		return render(t, moon, true, n)
	}
	wantNormalized(t, "statusall", all(), readCapture(t, "status/01_moon_statusall_before.txt"))
	wantNormalized(t, "status", render(t, moon, false, stroke.Str{}), readCapture(t, "status/02_moon_status_before.txt"))
	wantNormalized(t, "statusall 10.3.0.0/28", all("10.3.0.0/28"), readCapture(t, "status/06_moon_statusall_pool_name.txt"))
	wantNormalized(t, "statusall rw-eap", all("rw-eap"), readCapture(t, "status/07_moon_statusall_rw-eap.txt"))
}

func TestLeasesCapture(t *testing.T) {
	h := newCaptureHosts(t)
	leases := func(pool, addr stroke.Str) string {
		var b bytes.Buffer
		if err := WriteLeases(&b, h.moon, pool, addr); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	wantText(t, "leases", leases(stroke.Str{}, stroke.Str{}), readCapture(t, "status/03_moon_leases.txt"))
	wantText(t, "leases pool addr", leases(stroke.S("10.3.0.0/28"), stroke.S("10.3.0.5")),
		readCapture(t, "status/04_moon_leases_pool_addr.txt"))
	wantText(t, "leases nosuch", leases(stroke.S("nosuch"), stroke.Str{}), readCapture(t, "status/05_moon_leases_nosuch.txt"))

	// leases with entries, which the capture had none of
	src := shuntSource{simSource: h.moon, leases: map[string][]Lease{"10.3.0.0/28": {
		{ID: credentials.ParseIdentity("carol@strongswan.org"), Addr: netip.MustParseAddr("10.3.0.1"), Online: true},
		{ID: credentials.ParseIdentity("dave@strongswan.org"), Addr: netip.MustParseAddr("10.3.0.2")},
	}}}
	src.pools = []Pool{{Name: "10.3.0.0/28", Size: 14, Online: 1, Offline: 1}, {Name: "fec3::/120", Size: 255}}
	var b bytes.Buffer
	if err := WriteLeases(&b, src, stroke.Str{}, stroke.Str{}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "leases", b.String(), "Leases in pool '10.3.0.0/28', usage: 2/14, 1 online\n"+
		"         10.3.0.1   online   'carol@strongswan.org'\n"+
		"         10.3.0.2   offline   'dave@strongswan.org'\n"+
		"Leases in pool 'fec3::/120', usage: 0/255, 0 online\n"+
		"  no matching leases found\n")
	b.Reset()
	if err := WriteLeases(&b, src, stroke.S("10.3.0.0/28"), stroke.S("10.3.0.2")); err != nil {
		t.Fatal(err)
	}
	wantText(t, "leases of one address", b.String(), "Leases in pool '10.3.0.0/28', usage: 2/14, 1 online\n"+
		"         10.3.0.2   offline   'dave@strongswan.org'\n")
	b.Reset()
	// an address that does not parse filters nothing, as in charon
	if err := WriteLeases(&b, src, stroke.S("10.3.0.0/28"), stroke.S("bogus")); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "   '") != 2 {
		t.Errorf("unparsable address filtered:\n%s", b.String())
	}
	// live capture without any pool
	b.Reset()
	if err := WriteLeases(&b, &fakeSource{}, stroke.Str{}, stroke.Str{}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "leases without pools", b.String(), readCapture(t, "live/moon.28_leases.txt"))
}

// reorderIKESAs puts the IKE_SA blocks of a status text into the order of
// names ("net-net[2]"); charon enumerates its hash table, goswan its list.
func reorderIKESAs(s string, names ...string) string {
	head, body, ok := strings.Cut(s, "connecting):\n")
	if !ok {
		return s
	}
	start := regexp.MustCompile(`^ *([^ ]+\[\d+\]): (CREATED|CONNECTING|ESTABLISHED|PASSIVE|REKEYING|REKEYED|DELETING|DESTROYING)[ ,]`)
	blocks := map[string]string{}
	current := ""
	for _, l := range strings.SplitAfter(body, "\n") {
		if m := start.FindStringSubmatch(l); m != nil {
			current = m[1]
		}
		blocks[current] += l
	}
	out := head + "connecting):\n" + blocks[""]
	for _, n := range names {
		out += blocks[n]
	}
	return out
}

func TestStatusCaptureSAs(t *testing.T) {
	h := newCaptureHosts(t)
	s := h.s
	moon := shuntSource{simSource: h.moon, shunts: h.shunts}
	s.Clock.Advance(2 * time.Second)

	// dpd's peer does not exist: the IKE_SA stays CONNECTING
	initiate(h.moon.n, h.peers["dpd"], h.children["dpd"], 0)
	s.Clock.Advance(100 * time.Millisecond)
	wantNormalized(t, "status connecting", render(t, moon, false, stroke.Str{}),
		readCapture(t, "status/08_moon_status_connecting.txt"))
	wantNormalized(t, "statusall dpd connecting", render(t, moon, true, stroke.S("dpd")),
		readCapture(t, "status/09_moon_statusall_connecting.txt"))

	initiate(h.moon.n, h.peers["net-net"], h.children["net-net"], 0)
	initiate(h.moon.n, h.peers["net-gcm"], h.children["net-gcm"], 0)
	initiate(h.moon.n, h.peers["norekey"], h.children["norekey"], 0)
	var netnet, norekey *sa.IKESA
	for _, ike := range h.moon.n.IKESAs() {
		switch ike.Name() {
		case "net-net":
			netnet = ike
		case "norekey":
			norekey = ike
		}
	}
	if netnet == nil || norekey == nil || len(netnet.Children()) != 2 || len(norekey.Children()) != 1 {
		t.Fatalf("IKE_SAs: %v\n%s", h.moon.n.IKESAs(), h.moon.n.LogText())
	}
	// three pings through net-net, one through net-gcm
	now := s.Clock.Now()
	for _, n := range []*ikesim.Node{h.moon.n, h.sun.n} {
		for _, ike := range n.IKESAs() {
			for _, c := range ike.Children() {
				var bytes, packets uint64
				switch c.Name() {
				case "net-net":
					if selectors.List(c.TS(true)) == "10.2.0.8/32" {
						continue // sun's norekey SA, named after net-net
					}
					bytes, packets = 252, 3
				case "net-gcm":
					bytes, packets = 84, 1
				default:
					continue
				}
				me, other := c.Addrs()
				n.Kern.SetUsage(me, c.SPI(true), kernel.ProtoESP, kernel.Usage{Bytes: bytes, Packets: packets, LastUse: now})
				n.Kern.SetUsage(other, c.SPI(false), kernel.ProtoESP, kernel.Usage{Bytes: bytes, Packets: packets, LastUse: now})
			}
		}
	}
	s.Clock.Advance(3 * time.Second)

	order := []string{"norekey[3]", "net-net[2]", "dpd[1]"}
	wantNormalized(t, "statusall established", reorderIKESAs(render(t, moon, true, stroke.Str{}), order...),
		readCapture(t, "status/10_moon_statusall_established.txt"))
	wantNormalized(t, "status established", reorderIKESAs(render(t, moon, false, stroke.Str{}), order...),
		readCapture(t, "status/11_moon_status_established.txt"))
	// sun took the norekey IKE_SA for net-net, as charon did: both peer
	// configs match and net-net comes first
	h.sun.plugins = h.moon.plugins
	wantNormalized(t, "sun statusall established", reorderIKESAs(render(t, h.sun, true, stroke.Str{}), "net-net[2]", "net-net[1]"),
		readCapture(t, "status/12_sun_statusall_established.txt"))
	wantNormalized(t, "status net-gcm", render(t, moon, false, stroke.S("net-gcm")),
		readCapture(t, "status/13_moon_status_net-gcm.txt"))
	wantNormalized(t, "statusall-nb norekey", statusOut(t, moon, true, false, stroke.S("norekey")),
		readCapture(t, "status/14_moon_statusall-nb.txt"))

	// ipsec stroke rekey net-gcm{N}
	gcm := netnet.Children()[1]
	h.moon.n.Run(func(thread int) {
		x := h.moon.n.Mgr.Checkout(netnet.ID(), thread)
		h.moon.n.Mgr.Release(x, x.RekeyChild(kernel.ProtoESP, gcm.SPI(true)))
	})
	s.Clock.Advance(500 * time.Millisecond)
	wantNormalized(t, "statusall net-gcm after rekey", render(t, moon, true, stroke.S("net-gcm")),
		readCapture(t, "status/15_moon_statusall_rekeyed.txt"))
}
