package kernel_netlink

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/testenv"
)

// Tests with real ESP states. This development machine's kernel has XFRM
// but no ESP; `make vmtest` boots Debian's stock kernel under qemu and runs
// this package there with GOSWAN_VM=1, where a missing ESP is a failure.
func requireESP(t *testing.T, ns *testNS) {
	t.Helper()
	if hasESP(t, ns) {
		return
	}
	if os.Getenv("GOSWAN_VM") == "1" {
		t.Fatal("the VM kernel has no ESP (modules esp4/esp6 not loaded?)")
	}
	testenv.OtherLane(t, "make vmtest", "this kernel has no ESP; the kernel lane runs this test on Debian's kernel")
}

// peer is one side of a host-to-host ESP setup: a namespace, the backend
// and its addresses.
type peer struct {
	ns            *testNS
	ip            *IPsec
	net           *Net
	log           *logRecorder
	ev            *eventRecorder
	outer, inner  netip.Addr
	other         *peer
	innerNet      string
	outSPI, inSPI uint32
}

// newESPPair builds moon (192.168.0.1, 10.1.0.1) and sun (192.168.0.2,
// 10.2.0.1), linked by a veth pair, each with its own backend.
func newESPPair(t *testing.T) (*peer, *peer) {
	moonNS, sunNS := newTestNS(t), newTestNS(t)
	requireESP(t, moonNS)
	moonNS.ip(t, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", sunNS.name)
	a := netip.MustParseAddr
	moon := &peer{ns: moonNS, outer: a("192.168.0.1"), inner: a("10.1.0.1"), innerNet: "10.1.0.0/16",
		outSPI: 0xc0000002, inSPI: 0xc0000001}
	sun := &peer{ns: sunNS, outer: a("192.168.0.2"), inner: a("10.2.0.1"), innerNet: "10.2.0.0/16",
		outSPI: 0xc0000001, inSPI: 0xc0000002}
	moon.other, sun.other = sun, moon
	for _, p := range []*peer{moon, sun} {
		p.ns.ip(t, "addr", "add", p.outer.String()+"/24", "dev", "eth0")
		p.ns.ip(t, "addr", "add", p.inner.String()+"/16", "dev", "eth0")
		p.ns.ip(t, "link", "set", "eth0", "up")
		p.ip, p.net, p.log, p.ev = newBackend(t, p.ns, Options{})
	}
	return moon, sun
}

var (
	keyGCM  = []byte("0123456789abcdefSALT") // AES-128 key and 4-byte salt
	keyCBC  = []byte("fedcba9876543210")
	keyHMAC = []byte("0123456789abcdef0123456789abcdef")
)

func (p *peer) saID(out bool) kernel.SAID {
	if out {
		return kernel.SAID{Src: p.outer, Dst: p.other.outer, SPI: p.outSPI, Proto: kernel.ProtoESP}
	}
	return kernel.SAID{Src: p.other.outer, Dst: p.outer, SPI: p.inSPI, Proto: kernel.ProtoESP}
}

// installSAs installs both SAs of p: moon→sun uses AES-CBC with
// HMAC-SHA2-256-128, sun→moon AES-GCM-16 with ESN and a 64-packet window.
func (p *peer) installSAs(t *testing.T, lifetime kernel.Lifetime) {
	p.installSAsComp(t, lifetime, false)
}

// cpi is the IPComp CPI that goes with an SPI in these tests.
func cpi(spi uint32) uint16 { return 0x1000 | uint16(spi&0xff) }

func (p *peer) installSAsComp(t *testing.T, lifetime kernel.Lifetime, ipcomp bool) {
	t.Helper()
	my, other := anyPorts(t, p.innerNet), anyPorts(t, p.other.innerNet)
	for _, out := range []bool{false, true} {
		id := p.saID(out)
		d := kernel.AddSA{ReqID: 1, Mode: kernel.ModeTunnel, Lifetime: lifetime, ReplayWindow: 64,
			Inbound: !out, CopyDF: true, CopyECN: true, CopyDSCP: kernel.DSCPCopyOutOnly}
		if out {
			d.SrcTS, d.DstTS = []selectors.TS{my}, []selectors.TS{other}
		} else {
			d.SrcTS, d.DstTS = []selectors.TS{other}, []selectors.TS{my}
		}
		if ipcomp {
			d.IPComp, d.CPI = crypto.IPCompDeflate, cpi(id.SPI)
		}
		if id.Src.String() == "192.168.0.1" {
			d.EncAlg, d.EncKey, d.IntAlg, d.IntKey = crypto.EncrAESCBC, keyCBC, crypto.AuthHMACSHA2_256_128, keyHMAC
		} else {
			d.EncAlg, d.EncKey, d.ESN = crypto.EncrAESGCM16, keyGCM, true
		}
		if err := p.ip.AddSA(id, d); err != nil {
			t.Fatalf("AddSA %s: %v", id, err)
		}
	}
}

// installPolicies installs in, fwd and out as charon does for a tunnel.
func (p *peer) installPolicies(t *testing.T) { p.installPoliciesComp(t, false) }

func (p *peer) installPoliciesComp(t *testing.T, ipcomp bool) {
	t.Helper()
	my, other := anyPorts(t, p.innerNet), anyPorts(t, p.other.innerNet)
	sa := func(spi uint32) kernel.SAConfig {
		c := kernel.SAConfig{Mode: kernel.ModeTunnel, ReqID: 1}
		c.ESP.Use, c.ESP.SPI = true, spi
		if ipcomp {
			c.IPComp.Transform, c.IPComp.CPI = crypto.IPCompDeflate, cpi(spi)
		}
		return c
	}
	in := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault, Src: p.other.outer, Dst: p.outer, SA: sa(p.inSPI)}
	out := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault, Src: p.outer, Dst: p.other.outer, SA: sa(p.outSPI)}
	for _, x := range []struct {
		id kernel.PolicyID
		d  kernel.ManagePolicy
	}{
		{kernel.PolicyID{Dir: kernel.DirIn, Src: other, Dst: my}, in},
		{kernel.PolicyID{Dir: kernel.DirFwd, Src: other, Dst: my}, in},
		{kernel.PolicyID{Dir: kernel.DirOut, Src: my, Dst: other}, out},
	} {
		if err := p.ip.AddPolicy(x.id, x.d); err != nil {
			t.Fatalf("AddPolicy %s: %v", x.id, err)
		}
	}
}

func (p *peer) ping(t *testing.T, count int) string {
	t.Helper()
	out, err := p.ns.exec("ping", "-c", fmt.Sprint(count), "-W", "2", "-I", p.inner.String(), p.other.inner.String())
	if err != nil {
		t.Fatalf("ping %s from %s: %v\n%s\nmoon: %s\nsun: %s", p.other.inner, p.inner, err, out,
			p.ns.ip(t, "-s", "xfrm", "state"), p.other.ns.ip(t, "-s", "xfrm", "state"))
	}
	return out
}

func TestESPTunnelTraffic(t *testing.T) {
	moon, sun := newESPPair(t)
	for _, p := range []*peer{moon, sun} {
		p.installSAs(t, kernel.Lifetime{})
		p.installPolicies(t)
	}
	checkTunnelCarries(t, moon, sun)
	checkEncapUpdate(t, moon, sun)
	checkNATMapping(t, moon, sun)
	for _, p := range []*peer{moon, sun} {
		p.teardownAsCharon(t)
	}
}

// checkTunnelCarries pings through the freshly installed tunnel and checks
// the states, the route into table 220 and the counters on both sides.
func checkTunnelCarries(t *testing.T, moon, sun *peer) {
	t.Helper()
	// the route into table 220 comes with the out policy
	if r := routes220(t, moon.ns); r != "10.2.0.0/16 via 192.168.0.2 dev eth0 proto static src 10.1.0.1" {
		t.Errorf("moon's table 220: %q", r)
	}
	states := moon.ns.ip(t, "-s", "xfrm", "state")
	for _, w := range []string{"auth-trunc hmac(sha256)", "enc cbc(aes)", "aead rfc4106(gcm(aes))", "128",
		"flag af-unspec esn", "replay_window 64"} {
		if !strings.Contains(states, w) {
			t.Errorf("moon's states lack %q:\n%s", w, states)
		}
	}
	moon.ping(t, 3)
	u, err := moon.ip.QuerySA(moon.saID(true))
	if err != nil {
		t.Fatal(err)
	}
	if u.Packets != 3 || u.Bytes == 0 {
		t.Errorf("moon's outbound SA: %+v, want 3 packets", u)
	}
	u, err = sun.ip.QuerySA(sun.saID(false))
	if err != nil || u.Packets != 3 {
		t.Errorf("sun's inbound SA: %+v %v, want 3 packets", u, err)
	}
	u, err = moon.ip.QuerySA(moon.saID(false))
	if err != nil || u.Packets != 3 {
		t.Errorf("moon's inbound SA (replies): %+v %v, want 3 packets", u, err)
	}
	// the in policy was used by the replies
	_, in := moon.policyIDs(t)
	if use, err := moon.ip.QueryPolicy(in); err != nil || use.IsZero() {
		t.Errorf("in policy use time %v %v", use, err)
	}
}

// openDecapSocket gives the peer's namespace a UDP socket on 4500 that the
// kernel decapsulates ESP on, as charon's IKE socket is.
func (p *peer) openDecapSocket(t *testing.T) {
	t.Helper()
	err := inNetns(p.ns.h, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 4500}); err != nil {
			return err
		}
		if err := p.ip.BypassSocket(fd, unix.AF_INET); err != nil {
			return err
		}
		return p.ip.EnableUDPDecap(fd, unix.AF_INET, 4500)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkEncapUpdate is a MOBIKE-style update: the SAs change to UDP
// encapsulation on port 4500; the counters and the replay state survive.
func checkEncapUpdate(t *testing.T, moon, sun *peer) {
	t.Helper()
	for _, p := range []*peer{moon, sun} {
		p.openDecapSocket(t)
	}
	for _, p := range []*peer{moon, sun} {
		for _, out := range []bool{true, false} {
			id := p.saID(out)
			if err := p.ip.UpdateSA(id, kernel.UpdateSA{NewSrc: id.Src, NewDst: id.Dst, NewSrcPort: 4500,
				NewDstPort: 4500, NewEncap: true}); err != nil {
				t.Fatalf("UpdateSA %s: %v", id, err)
			}
		}
	}
	for _, l := range strings.Split(moon.log.text(), "\n") {
		if strings.Contains(l, "unable to copy") || strings.Contains(l, "replay state") {
			t.Errorf("UpdateSA: %s", l)
		}
	}
	moon.log.has(t, "[KNL] updating SAD entry with SPI c0000002 from 192.168.0.1..192.168.0.2 to 192.168.0.1[4500]..192.168.0.2[4500]")
	if s := moon.ns.ip(t, "xfrm", "state"); !strings.Contains(s, "encap type espinudp sport 4500 dport 4500") {
		t.Errorf("no encapsulation after UpdateSA:\n%s", s)
	}
	moon.ping(t, 2)
	u, err := moon.ip.QuerySA(moon.saID(true))
	if err != nil || u.Packets != 5 {
		t.Errorf("moon's outbound SA after update: %+v %v, want 5 packets (3 carried over)", u, err)
	}
	u, err = sun.ip.QuerySA(sun.saID(false))
	if err != nil || u.Packets != 5 {
		t.Errorf("sun's inbound SA after update: %+v %v, want 5 packets", u, err)
	}
	// the replay state moved too: the ESN SA's sequence numbers continue
	if s := sun.ns.ip(t, "-s", "xfrm", "state", "get", "src", "192.168.0.2", "dst", "192.168.0.1", "proto", "esp",
		"spi", "0xc0000001"); !strings.Contains(s, "oseq 0x5") {
		t.Errorf("sun's outbound sequence number not carried over:\n%s", s)
	}
}

// checkNATMapping: moon now sends from port 4501; sun's kernel reports the
// new mapping of its inbound SA.
func checkNATMapping(t *testing.T, moon, sun *peer) {
	t.Helper()
	id := moon.saID(true)
	if err := moon.ip.UpdateSA(id, kernel.UpdateSA{NewSrc: id.Src, NewDst: id.Dst, NewSrcPort: 4501,
		NewDstPort: 4500, Encap: true, NewEncap: true}); err != nil {
		t.Fatal(err)
	}
	moon.ping(t, 1)
	if got := sun.ev.waitPrefix(t, "mapping", 10*time.Second); got != "mapping spi c0000002 dst 192.168.0.2 to 192.168.0.1:4501" {
		t.Errorf("mapping event %q", got)
	}
	sun.log.has(t, "[KNL] received a XFRM_MSG_MAPPING")
}

// teardownAsCharon deletes the SAs and flushes the policies as charon does,
// and checks that neither states nor routes are left.
func (p *peer) teardownAsCharon(t *testing.T) {
	t.Helper()
	for _, out := range []bool{true, false} {
		if err := p.ip.DelSA(p.saID(out), 0); err != nil {
			t.Errorf("DelSA: %v", err)
		}
	}
	if err := p.ip.FlushPolicies(); err != nil {
		t.Error(err)
	}
	if s := p.ns.ip(t, "xfrm", "state"); strings.TrimSpace(s) != "" {
		t.Errorf("states left:\n%s", s)
	}
	if r := routes220(t, p.ns); r != "" {
		t.Errorf("routes left: %q", r)
	}
}

func (p *peer) policyIDs(t *testing.T) (out, in kernel.PolicyID) {
	my, other := anyPorts(t, p.innerNet), anyPorts(t, p.other.innerNet)
	return kernel.PolicyID{Dir: kernel.DirOut, Src: my, Dst: other}, kernel.PolicyID{Dir: kernel.DirIn, Src: other, Dst: my}
}

// The kernel raises soft and hard EXPIRE at the configured lifetimes; the
// listener gets them with the SA's protocol, SPI and destination.
func TestESPExpireEvents(t *testing.T) {
	moon, _ := newESPPair(t)
	// also: no DF/ECN/DSCP copying, TFC padding, marks and an interface ID
	id := kernel.SAID{Src: moon.outer, Dst: moon.other.outer, SPI: 0xc00000ee, Proto: kernel.ProtoESP,
		Mark: kernel.Mark{Value: 1, Mask: 0xffffffff}, IfID: 5}
	d := kernel.AddSA{ReqID: 9, Mode: kernel.ModeTunnel, EncAlg: crypto.EncrAESGCM16, EncKey: keyGCM,
		Lifetime: kernel.Lifetime{Time: kernel.LifetimeLimit{Rekey: 2, Life: 4}},
		CopyDSCP: kernel.DSCPCopyNo, TFC: 1400, MarkOut: kernel.Mark{Value: 0x10, Mask: 0xff}}
	start := time.Now()
	if err := moon.ip.AddSA(id, d); err != nil {
		t.Fatal(err)
	}
	s := moon.ns.ip(t, "-s", "xfrm", "state")
	for _, w := range []string{"expire add: soft 2(sec), hard 4(sec)", "flag noecn nopmtudisc af-unspec",
		"dont-encap-dscp", "tfcpad 1400", "mark 0x1/0xffffffff", "output-mark 0x10/0xff", "if_id 0x5"} {
		if !strings.Contains(s, w) {
			t.Errorf("state lacks %q:\n%s", w, s)
		}
	}
	if got := moon.ev.waitPrefix(t, "expire", 15*time.Second); got != "expire proto 50 spi c00000ee dst 192.168.0.2 hard false" {
		t.Errorf("first event %q", got)
	}
	soft := time.Since(start)
	if got := moon.ev.waitPrefix(t, "expire", 15*time.Second); got != "expire proto 50 spi c00000ee dst 192.168.0.2 hard true" {
		t.Errorf("second event %q", got)
	}
	hard := time.Since(start)
	t.Logf("soft expire after %v, hard after %v", soft, hard)
	if hard < soft {
		t.Errorf("hard expire before soft")
	}
	moon.log.has(t, "[KNL] received a XFRM_MSG_EXPIRE")
	// the kernel removed the state at the hard expire
	if _, err := moon.ip.QuerySA(id); err == nil {
		t.Error("SA still there after its hard lifetime")
	}

	// packet limits (soft 2, hard 4): the kernel checks before it counts, so
	// the third packet raises the soft expire
	moon2, sun2 := newESPPair(t)
	for _, p := range []*peer{moon2, sun2} {
		lt := kernel.Lifetime{}
		if p == moon2 {
			lt.Packets = kernel.LifetimeLimit{Rekey: 2, Life: 4}
		}
		p.installSAs(t, lt)
		p.installPolicies(t)
	}
	moon2.ping(t, 3)
	for {
		got := moon2.ev.waitPrefix(t, "expire", 10*time.Second)
		if strings.Contains(got, "spi c0000002") {
			if got != "expire proto 50 spi c0000002 dst 192.168.0.2 hard false" {
				t.Errorf("packet limit event %q", got)
			}
			break
		}
	}
}

// ESP inside IPComp: the IPComp SA carries the tunnel, ESP runs in
// transport mode, the policy has two templates, and DelSA with the CPI
// removes both SAs.
func TestESPWithIPComp(t *testing.T) {
	moon, sun := newESPPair(t)
	for _, p := range []*peer{moon, sun} {
		p.installSAsComp(t, kernel.Lifetime{}, true)
		p.installPoliciesComp(t, true)
	}
	states := moon.ns.ip(t, "xfrm", "state")
	for _, w := range []string{"proto comp spi 0x00001002 reqid 1 mode tunnel",
		"proto esp spi 0xc0000002 reqid 1 mode transport", "comp deflate"} {
		if !strings.Contains(states, w) {
			t.Errorf("states lack %q:\n%s", w, states)
		}
	}
	pol := moon.ns.ip(t, "xfrm", "policy")
	for _, w := range []string{"proto comp spi 0x00001002 reqid 1 mode tunnel", "proto esp spi 0xc0000002 reqid 1 mode transport",
		"proto comp reqid 1 mode tunnel\n\t\tlevel use"} {
		if !strings.Contains(pol, w) {
			t.Errorf("policies lack %q:\n%s", w, pol)
		}
	}
	moon.ping(t, 2)
	if u, err := sun.ip.QuerySA(sun.saID(false)); err != nil || u.Packets != 2 {
		t.Errorf("sun's inbound ESP SA: %+v %v", u, err)
	}
	for _, out := range []bool{true, false} {
		id := moon.saID(out)
		if err := moon.ip.DelSA(id, cpi(id.SPI)); err != nil {
			t.Fatal(err)
		}
	}
	if s := moon.ns.ip(t, "xfrm", "state"); strings.TrimSpace(s) != "" {
		t.Errorf("states left:\n%s", s)
	}
}

// An inbound SA completes the larval state GetSPI created (UPDSA); if that
// state is gone, the SA is added instead, as strongSwan does.
func TestAddSAUpdatesAllocatedSPI(t *testing.T) {
	moon, _ := newESPPair(t)
	spi, err := moon.ip.GetSPI(moon.other.outer, moon.outer, kernel.ProtoESP, 3)
	if err != nil {
		t.Fatal(err)
	}
	id := kernel.SAID{Src: moon.other.outer, Dst: moon.outer, SPI: spi, Proto: kernel.ProtoESP}
	d := kernel.AddSA{ReqID: 3, Mode: kernel.ModeTunnel, EncAlg: crypto.EncrAESGCM16, EncKey: keyGCM, Inbound: true,
		ReplayWindow: 32, Update: true, CopyDF: true, CopyECN: true}
	if err := moon.ip.AddSA(id, d); err != nil {
		t.Fatal(err)
	}
	s := moon.ns.ip(t, "xfrm", "state")
	if n := strings.Count(s, "proto esp"); n != 1 || !strings.Contains(s, fmt.Sprintf("spi 0x%08x reqid 3", spi)) ||
		!strings.Contains(s, "replay-window 32") {
		t.Errorf("larval state not completed:\n%s", s)
	}
	id.SPI = 0xc00000aa // never allocated
	if err := moon.ip.AddSA(id, d); err != nil {
		t.Fatal(err)
	}
	moon.log.has(t, "[KNL] allocated SPI not found anymore, try to add SAD entry")
	if err := moon.ip.FlushSAs(); err != nil {
		t.Fatal(err)
	}
	if s := moon.ns.ip(t, "xfrm", "state"); strings.TrimSpace(s) != "" {
		t.Errorf("states left after FlushSAs:\n%s", s)
	}
}

// Without offload-capable devices, "auto" installs the SA without offload
// and "yes" fails, as strongSwan's config_hw_offload decides.
func TestHWOffloadFallback(t *testing.T) {
	moon, _ := newESPPair(t)
	id := moon.saID(true)
	d := kernel.AddSA{ReqID: 1, Mode: kernel.ModeTunnel, EncAlg: crypto.EncrAESGCM16, EncKey: keyGCM,
		HWOffload: kernel.HWOffloadAuto}
	if err := moon.ip.AddSA(id, d); err != nil {
		t.Fatalf("auto: %v", err)
	}
	moon.log.has(t, "[KNL]   HW offload: auto")
	if s := moon.ns.ip(t, "xfrm", "state"); strings.Contains(s, "crypto offload") {
		t.Errorf("offload configured on veth:\n%s", s)
	}
	id.SPI++
	d.HWOffload = kernel.HWOffloadYes
	if err := moon.ip.AddSA(id, d); err == nil {
		t.Fatal("offload required but SA added without it")
	}
	moon.log.has(t, "[KNL] failed to configure HW offload")
}

// TestESPAlgorithms installs SAs with the algorithms goswan added to its
// table (AES-CCM with its 3-byte salt, Camellia-CBC) under the kernel names
// and ICV lengths charon uses, and sends traffic through them: the kernel
// accepts the attributes and both directions carry the pings.
func TestESPAlgorithms(t *testing.T) {
	for _, c := range []struct {
		enc    crypto.EncryptionAlgorithm
		encKey []byte
		integ  crypto.IntegrityAlgorithm
		want   []string // in `ip xfrm state`
		intKey []byte
	}{
		{enc: crypto.EncrAESCCM16, encKey: []byte("0123456789abcdefSLT"),
			want: []string{"aead rfc4309(ccm(aes)) 0x30313233343536373839616263646566534c54 128"}},
		{enc: crypto.EncrAESCCM8, encKey: []byte("0123456789abcdef0123456789abcdefSLT"),
			want: []string{"aead rfc4309(ccm(aes))", " 64"}},
		{enc: crypto.EncrCamelliaCBC, encKey: keyCBC, integ: crypto.AuthHMACSHA2_256_128, intKey: keyHMAC,
			want: []string{"enc cbc(camellia) 0x66656463626139383736353433323130", "auth-trunc hmac(sha256)"}},
	} {
		t.Run(c.enc.String(), func(t *testing.T) {
			moon, sun := newESPPair(t)
			for _, p := range []*peer{moon, sun} {
				p.installSAsWith(t, c.enc, c.encKey, c.integ, c.intKey)
				p.installPolicies(t)
			}
			states := moon.ns.ip(t, "xfrm", "state")
			for _, w := range c.want {
				if !strings.Contains(states, w) {
					t.Errorf("moon's states lack %q:\n%s", w, states)
				}
			}
			moon.ping(t, 2)
			for _, p := range []*peer{moon, sun} {
				for _, out := range []bool{true, false} {
					if u, err := p.ip.QuerySA(p.saID(out)); err != nil || u.Packets != 2 {
						t.Errorf("%s: %+v %v, want 2 packets", p.saID(out), u, err)
					}
				}
			}
		})
	}
}

// installSAsWith installs both SAs of p with one algorithm set.
func (p *peer) installSAsWith(t *testing.T, enc crypto.EncryptionAlgorithm, encKey []byte, integ crypto.IntegrityAlgorithm, intKey []byte) {
	t.Helper()
	my, other := anyPorts(t, p.innerNet), anyPorts(t, p.other.innerNet)
	for _, out := range []bool{false, true} {
		id := p.saID(out)
		d := kernel.AddSA{ReqID: 1, Mode: kernel.ModeTunnel, ReplayWindow: 32, Inbound: !out, CopyDF: true,
			CopyECN: true, EncAlg: enc, EncKey: encKey, IntAlg: integ, IntKey: intKey}
		d.SrcTS, d.DstTS = []selectors.TS{other}, []selectors.TS{my}
		if out {
			d.SrcTS, d.DstTS = d.DstTS, d.SrcTS
		}
		if err := p.ip.AddSA(id, d); err != nil {
			t.Fatalf("AddSA %s: %v", id, err)
		}
	}
}
