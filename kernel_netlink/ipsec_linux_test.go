package kernel_netlink

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/testenv"
)

func TestGetSPIInConfiguredRange(t *testing.T) {
	ns := newTestNS(t)
	ip, _, rec, _ := newBackend(t, ns, Options{SPIMin: 0xc0000100, SPIMax: 0xc00001ff})
	src, dst := netip.MustParseAddr("192.168.0.2"), netip.MustParseAddr("192.168.0.1")
	seen := map[uint32]bool{}
	for i := 0; i < 20; i++ {
		spi, err := ip.GetSPI(src, dst, kernel.ProtoESP, 1)
		if err != nil {
			t.Fatalf("GetSPI: %v", err)
		}
		if spi < 0xc0000100 || spi > 0xc00001ff {
			t.Fatalf("SPI %08x outside 0xc0000100-0xc00001ff", spi)
		}
		if seen[spi] {
			t.Fatalf("SPI %08x allocated twice", spi)
		}
		seen[spi] = true
	}
	// the larval states are in the kernel's SAD
	states := ns.ip(t, "xfrm", "state")
	if n := strings.Count(states, "proto esp spi 0xc00001"); n != 20 {
		t.Errorf("%d larval ESP states, want 20:\n%s", n, states)
	}
	rec.has(t, "[KNL] got SPI "+func() string {
		for s := range seen {
			return hex8(s)
		}
		return ""
	}())
	cpi, err := ip.GetCPI(src, dst, 1)
	if err != nil {
		t.Fatalf("GetCPI: %v", err)
	}
	if cpi < 0x100 || cpi > 0xefff {
		t.Errorf("CPI %04x outside 0x100-0xefff", cpi)
	}
	// xfrm_acq_expires is charon's default
	out, err := ns.exec("cat", "/proc/sys/net/core/xfrm_acq_expires")
	if err != nil || strings.TrimSpace(out) != "165" {
		t.Errorf("xfrm_acq_expires = %q (%v), want 165", out, err)
	}
}

// This kernel has XFRM but no ESP: adding an ESP state must fail with the
// kernel's reason and charon's log lines, and leave nothing behind.
func TestAddSAWithoutESPFailsCleanly(t *testing.T) {
	ns := newTestNS(t)
	if hasESP(t, ns) {
		// The failure this test checks needs a kernel without ESP (the
		// host lane's, and containers'); with ESP the kernel lane's tests
		// cover real states instead.
		testenv.OtherLane(t, "make test on a kernel without ESP", "this kernel has ESP")
	}
	ip, _, rec, _ := newBackend(t, ns, Options{})
	id := kernel.SAID{Src: netip.MustParseAddr("192.168.0.1"), Dst: netip.MustParseAddr("192.168.0.2"),
		SPI: 0xc0000101, Proto: kernel.ProtoESP}
	err := ip.AddSA(id, kernel.AddSA{ReqID: 1, Mode: kernel.ModeTunnel, EncAlg: crypto.EncrAESCBC,
		EncKey: make([]byte, 16), IntAlg: crypto.AuthHMACSHA2_256_128, IntKey: make([]byte, 32), ReplayWindow: 32,
		Inbound: false, CopyDF: true, CopyECN: true})
	if err == nil {
		t.Fatal("AddSA succeeded on a kernel without ESP")
	}
	var ne *NetlinkError
	if !errors.As(err, &ne) || ne.Errno != unix.EPROTONOSUPPORT {
		t.Fatalf("error %v, want EPROTONOSUPPORT", err)
	}
	if !strings.Contains(err.Error(), "Requested type not found") {
		t.Errorf("error %q lacks the kernel's reason", err)
	}
	rec.has(t, "[KNL] adding SAD entry with SPI c0000101 and reqid {1}")
	rec.has(t, "[KNL]   using encryption algorithm AES_CBC with key size 128")
	rec.has(t, "[KNL]   using integrity algorithm HMAC_SHA2_256_128 with key size 256")
	rec.has(t, "[KNL] received netlink error: Protocol not supported (93)")
	rec.has(t, "[KNL] unable to add SAD entry with SPI c0000101 (FAILED)")
	if s := ns.ip(t, "xfrm", "state"); strings.TrimSpace(s) != "" {
		t.Errorf("states left: %s", s)
	}
	// the others fail cleanly too
	if _, err := ip.QuerySA(id); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("QuerySA: %v, want not found", err)
	}
	if err := ip.DelSA(id, 0); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("DelSA: %v, want not found", err)
	}
	if err := ip.UpdateSA(id, kernel.UpdateSA{NewSrc: id.Src, NewDst: id.Dst}); err == nil {
		t.Error("UpdateSA of a missing SA succeeded")
	}
	// an unknown algorithm is refused before the kernel is asked
	err = ip.AddSA(id, kernel.AddSA{ReqID: 1, Mode: kernel.ModeTunnel, EncAlg: 4242, EncKey: make([]byte, 16)})
	if err == nil {
		t.Fatal("unknown algorithm accepted")
	}
	rec.has(t, "[KNL] algorithm (4242) not supported by kernel!")
	if err := ip.FlushSAs(); err != nil {
		t.Errorf("FlushSAs: %v", err)
	}
}

// hasESP reports whether the kernel can install ESP states.
func hasESP(t *testing.T, ns *testNS) bool {
	out, err := ns.exec("ip", "xfrm", "state", "add", "src", "10.9.9.1", "dst", "10.9.9.2", "proto", "esp",
		"spi", "0x100", "mode", "tunnel", "enc", "cbc(aes)", "0x00112233445566778899aabbccddeeff")
	if err == nil {
		_, _ = ns.exec("ip", "xfrm", "state", "flush")
		return true
	}
	if !strings.Contains(out, "Requested type not found") && !strings.Contains(out, "not supported") {
		t.Logf("probing ESP: %s", out)
	}
	return false
}

// A packet matching a trap policy makes the kernel send ACQUIRE with the
// policy's reqid and the packet's addresses.
func TestAcquireFromTrapPolicy(t *testing.T) {
	ns := newTestNS(t)
	testenvPing(t)
	setupCharonHost(t, ns)
	ip, _, rec, ev := newBackend(t, ns, Options{})
	c := charonTrapConns(t)[0]
	for _, p := range c.policies() {
		if err := ip.AddPolicy(p.id, p.d); err != nil {
			t.Fatal(err)
		}
	}
	// a datagram to 10.2.0.10 matches the out policy, which has no SA yet
	err := inNetns(ns.h, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 4000, Addr: [4]byte{10, 1, 0, 1}}); err != nil {
			return err
		}
		// EAGAIN: the kernel holds the packet back while it acquires
		_ = unix.Sendto(fd, []byte("x"), 0, &unix.SockaddrInet4{Port: 5000, Addr: [4]byte{10, 2, 0, 10}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := ev.wait(t, 10*time.Second)
	if want := "acquire reqid 1 10.1.0.1/32[udp/4000] === 10.2.0.10/32[udp/5000]"; got != want {
		t.Errorf("event %q, want %q", got, want)
	}
	rec.has(t, "[KNL] received a XFRM_MSG_ACQUIRE")
	rec.has(t, "[KNL]   XFRMA_TMPL")
	// the kernel holds a larval (acquire) state for the packet
	if s := ns.ip(t, "xfrm", "state"); !strings.Contains(s, "proto esp spi 0x00000000 reqid 1 mode tunnel") {
		t.Errorf("no acquire state:\n%s", s)
	}
}

func testenvPing(t *testing.T) { testenv.RequireCommand(t, "ping") }

// Per-socket bypass: with a policy that drops everything outbound, only a
// bypassed socket can still send.
func TestBypassSocket(t *testing.T) {
	ns := newTestNS(t)
	// loopback traffic never sees XFRM (disable_xfrm on lo): send to the
	// veth peer's subnet instead; nothing answers there
	setupCharonHost(t, ns)
	ip, _, _, _ := newBackend(t, ns, Options{})
	all := func(s string) selectors.TS { return anyPorts(t, s) }
	drop := kernel.ManagePolicy{Type: kernel.PolicyDrop, Prio: kernel.PriorityDefault}
	for _, fam := range []struct {
		net, lo string
		af      int
	}{{"0.0.0.0/0", "192.168.0.2", unix.AF_INET}, {"::/0", "fec0::2", unix.AF_INET6}} {
		id := kernel.PolicyID{Dir: kernel.DirOut, Src: all(fam.net), Dst: all(fam.net)}
		if err := ip.AddPolicy(id, drop); err != nil {
			t.Fatal(err)
		}
		send := func(bypass bool) error {
			var sendErr error
			err := inNetns(ns.h, func() error {
				fd, err := unix.Socket(fam.af, unix.SOCK_DGRAM, 0)
				if err != nil {
					return err
				}
				defer unix.Close(fd)
				if bypass {
					if err := ip.BypassSocket(fd, fam.af); err != nil {
						return err
					}
					if err := ip.EnableUDPDecap(fd, fam.af, 4500); err != nil {
						return err
					}
				}
				var sa unix.Sockaddr
				if fam.af == unix.AF_INET6 {
					sa = &unix.SockaddrInet6{Port: 9, Addr: netip.MustParseAddr(fam.lo).As16()}
				} else {
					sa = &unix.SockaddrInet4{Port: 9, Addr: netip.MustParseAddr(fam.lo).As4()}
				}
				sendErr = unix.Sendto(fd, []byte("x"), 0, sa)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return sendErr
		}
		if err := send(false); !errors.Is(err, unix.EPERM) {
			t.Errorf("%s: send without bypass: %v, want EPERM from the drop policy", fam.lo, err)
		}
		if err := send(true); err != nil {
			t.Errorf("%s: send with bypass: %v", fam.lo, err)
		}
		if err := ip.DelPolicy(id, drop); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPortBypass(t *testing.T) {
	ns := newTestNS(t)
	ip, _, _, _ := newBackend(t, ns, Options{PortBypass: true})
	err := inNetns(ns.h, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 4500}); err != nil {
			return err
		}
		return ip.BypassSocket(fd, unix.AF_INET)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := ns.ip(t, "xfrm", "policy")
	for _, w := range []string{"proto 17 sport 4500", "proto 17 dport 4500", "dir out priority 32", "dir in priority 32"} {
		if !strings.Contains(out, w) {
			t.Errorf("port bypass policies lack %q:\n%s", w, out)
		}
	}
	ip.Close()
	if out := ns.ip(t, "xfrm", "policy"); strings.TrimSpace(out) != "" {
		t.Errorf("port bypass policies left after Close:\n%s", out)
	}
}

// QueryPolicy reports the last use from the kernel's policy lifetime (a
// bypass policy here: on this kernel an IPsec policy never gets an SA).
func TestQueryPolicyUseTime(t *testing.T) {
	ns := newTestNS(t)
	testenvPing(t)
	setupCharonHost(t, ns)
	ns.ip(t, "route", "add", "10.2.0.0/16", "via", "192.168.0.2", "src", "10.1.0.1")
	ip, _, _, _ := newBackend(t, ns, Options{})
	id := kernel.PolicyID{Dir: kernel.DirOut, Src: anyPorts(t, "10.1.0.0/16"), Dst: anyPorts(t, "10.2.0.0/16")}
	pass := kernel.ManagePolicy{Type: kernel.PolicyPass, Prio: kernel.PriorityPass}
	if err := ip.AddPolicy(id, pass); err != nil {
		t.Fatal(err)
	}
	if use, err := ip.QueryPolicy(id); err != nil || !use.IsZero() {
		t.Fatalf("unused policy: %v %v", use, err)
	}
	// the bypass policy got a throw route in charon's table
	if r := routes220(t, ns); r != "throw 10.2.0.0/16 proto static" {
		t.Errorf("table 220: %q", r)
	}
	before := time.Now().Add(-2 * time.Second)
	_, _ = ns.exec("ping", "-c", "1", "-W", "1", "10.2.0.10")
	use, err := ip.QueryPolicy(id)
	if err != nil {
		t.Fatal(err)
	}
	if use.Before(before) || use.After(time.Now().Add(2*time.Second)) {
		t.Errorf("use time %v not around now\n%s", use, ns.ip(t, "-s", "xfrm", "policy"))
	}
	if err := ip.DelPolicy(id, pass); err != nil {
		t.Fatal(err)
	}
}

// A MIGRATE request (as a mobility daemon sends it) makes the kernel move
// the policy's template and announce it: the listener gets the policy, its
// reqid and the new addresses.
func TestMigrateEvent(t *testing.T) {
	ns := newTestNS(t)
	setupCharonHost(t, ns)
	ip, _, rec, ev := newBackend(t, ns, Options{})
	c := charonTrapConns(t)[0]
	ps := c.policies()
	out := ps[len(ps)-1]
	if err := ip.AddPolicy(out.id, out.d); err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	sel := toXsel(kernel.SelFromTS(out.id.Src, out.id.Dst, 0))
	mg := make([]byte, sizeUserMigrate)
	putAddr(mg[0:], a("192.168.0.2"))
	putAddr(mg[16:], a("192.168.0.1"))
	putAddr(mg[32:], a("192.168.0.3"))
	putAddr(mg[48:], a("192.168.0.1"))
	mg[64], mg[65] = kernel.ProtoESP, xmodeTunnel
	native.PutUint32(mg[68:], 1)
	native.PutUint16(mg[72:], afInet)
	native.PutUint16(mg[74:], afInet)
	km := make([]byte, sizeKmAddress)
	putAddr(km[0:], a("192.168.0.1"))
	putAddr(km[16:], a("192.168.0.3"))
	native.PutUint16(km[36:], afInet)
	req := ip.xfrm.newRequest(msgMigrate, 0)
	addRaw(req, polID(sel, dirOut))
	req.AddData(nlAttr(attrMigrate, mg))
	req.AddData(nlAttr(attrKmAddress, km))
	if err := ip.xfrm.ack(req); err != nil {
		t.Fatalf("XFRM_MSG_MIGRATE: %v", err)
	}
	if got, want := ev.waitPrefix(t, "migrate", 10*time.Second),
		"migrate reqid 1 10.1.0.0/16 === 10.2.0.0/16 out 192.168.0.1...192.168.0.3"; got != want {
		t.Errorf("event %q, want %q", got, want)
	}
	rec.has(t, "[KNL] received a XFRM_MSG_MIGRATE")
	rec.has(t, "[KNL]   policy: 10.1.0.0/16 === 10.2.0.0/16 out")
	rec.has(t, "[KNL]   kmaddress: 192.168.0.1...192.168.0.3")
	rec.has(t, "[KNL]   migrate 192.168.0.1...192.168.0.2 to 192.168.0.1...192.168.0.3, reqid {1}")
	if p := ns.ip(t, "xfrm", "policy"); !strings.Contains(p, "tmpl src 192.168.0.1 dst 192.168.0.3") {
		t.Errorf("template not migrated:\n%s", p)
	}
}
