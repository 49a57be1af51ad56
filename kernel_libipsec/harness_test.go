package kernel_libipsec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/goswan/goswan/crypto"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/network"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/vclock"
	"golang.zx2c4.com/wireguard/tun/tuntest"
)

// memConn is one end of an in-memory ESP-in-UDP link (wireguard-go's
// bindtest in spirit): SendESP hands copies of the packets to the peer's
// handler, after an optional tap that may drop, modify or record them.
type memConn struct {
	mu      sync.Mutex
	handler func([]network.Packet)
	peer    *memConn
	tap     func([]network.Packet) []network.Packet
	sent    [][]byte
	record  bool
}

func newMemPair() (*memConn, *memConn) {
	a, b := &memConn{}, &memConn{}
	a.peer, b.peer = b, a
	return a, b
}

func (m *memConn) SetESPHandler(f func([]network.Packet)) {
	m.mu.Lock()
	m.handler = f
	m.mu.Unlock()
}

func (m *memConn) SendESP(batch []network.Packet) error {
	out := make([]network.Packet, len(batch))
	for i, p := range batch {
		out[i] = network.Packet{Data: append([]byte(nil), p.Data...), Src: p.Src, Dst: p.Dst}
	}
	m.mu.Lock()
	tap := m.tap
	if m.record {
		for _, p := range out {
			m.sent = append(m.sent, append([]byte(nil), p.Data...))
		}
	}
	m.mu.Unlock()
	if tap != nil {
		out = tap(out)
	}
	m.peer.deliver(out)
	return nil
}

func (m *memConn) deliver(pkts []network.Packet) {
	m.mu.Lock()
	h := m.handler
	m.mu.Unlock()
	if h != nil && len(pkts) > 0 {
		h(pkts)
	}
}

// Test topology: moon 192.168.0.1 (alice's net 10.1.0.0/16) and sun
// 192.168.0.2 (bob's net 10.2.0.0/16), and the same in IPv6.
type topo struct {
	moon, sun       netip.Addr
	moonNet, sunNet netip.Prefix
	alice, bob      netip.Addr
}

var topo4 = topo{
	moon: netip.MustParseAddr("192.168.0.1"), sun: netip.MustParseAddr("192.168.0.2"),
	moonNet: netip.MustParsePrefix("10.1.0.0/16"), sunNet: netip.MustParsePrefix("10.2.0.0/16"),
	alice: netip.MustParseAddr("10.1.0.10"), bob: netip.MustParseAddr("10.2.0.10"),
}

var topo6 = topo{
	moon: netip.MustParseAddr("fec0::1"), sun: netip.MustParseAddr("fec0::2"),
	moonNet: netip.MustParsePrefix("fec1::/16"), sunNet: netip.MustParsePrefix("fec2::/16"),
	alice: netip.MustParseAddr("fec1::10"), bob: netip.MustParseAddr("fec2::10"),
}

// host is one data plane in a test.
type host struct {
	k    *IPsec
	tun  *tuntest.ChannelTUN
	conn *memConn
	exp  *expiryLog
}

type expiryLog struct {
	kernel.NopListener
	mu   sync.Mutex
	clk  *vclock.Clock
	evts []string
}

func (l *expiryLog) Expire(proto uint8, spi uint32, dst netip.Addr, hard bool) {
	kind := "soft"
	if hard {
		kind = "hard"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	at := time.Duration(0)
	if l.clk != nil {
		at = l.clk.Since()
	}
	l.evts = append(l.evts, kind+" "+spiString(spi)+" @"+at.String())
}

// Mapping records a changed NAT mapping as "mapping SPI -> addr:port".
func (l *expiryLog) Mapping(_ uint8, spi uint32, _ netip.Addr, remote netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evts = append(l.evts, "mapping "+spiString(spi)+" -> "+remote.String())
}

func (l *expiryLog) Acquire(reqid uint32, src, dst selectors.TS) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evts = append(l.evts, fmt.Sprintf("acquire {%d} %s === %s", reqid, src, dst))
}

func (l *expiryLog) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.evts...)
}

func spiString(spi uint32) string {
	const hex = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = hex[spi&0xf]
		spi >>= 4
	}
	return string(b[:])
}

func newHost(t *testing.T, clk *vclock.Clock, conn *memConn) *host {
	t.Helper()
	log := &expiryLog{clk: clk}
	opts := Options{Listener: log, Workers: 2}
	if clk != nil {
		opts.Timers, opts.Now = clk, clk.Now
	}
	h := &host{k: New(opts), tun: tuntest.NewChannelTUN(), conn: conn, exp: log}
	if err := h.k.Start(h.tun.TUN(), conn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.k.Close() })
	return h
}

// algo is one algorithm set with its key lengths.
type algo struct {
	name   string
	enc    crypto.EncryptionAlgorithm
	encLen int
	integ  crypto.IntegrityAlgorithm
	intLen int
}

var algos = []algo{
	{"aes128gcm8", crypto.EncrAESGCM8, 20, 0, 0},
	{"aes128gcm12", crypto.EncrAESGCM12, 20, 0, 0},
	{"aes128gcm16", crypto.EncrAESGCM16, 20, 0, 0},
	{"aes256gcm16", crypto.EncrAESGCM16, 36, 0, 0},
	{"chacha20poly1305", crypto.EncrChaCha20Poly1305, 36, 0, 0},
	{"aes128-sha1", crypto.EncrAESCBC, 16, crypto.AuthHMACSHA1_96, 20},
	{"aes256-sha256", crypto.EncrAESCBC, 32, crypto.AuthHMACSHA2_256_128, 32},
	{"aes192-sha384", crypto.EncrAESCBC, 24, crypto.AuthHMACSHA2_384_192, 48},
	{"aes256-sha512", crypto.EncrAESCBC, 32, crypto.AuthHMACSHA2_512_256, 64},
}

func keyOf(n int, seed byte) []byte {
	k := make([]byte, n)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

// child is one hand-keyed CHILD_SA between moon and sun.
type child struct {
	reqid           uint32
	spiMoon, spiSun uint32 // inbound SPI at moon, at sun
	mode            kernel.Mode
	a               algo
	lifetime        kernel.Lifetime
	esn             bool
	window          uint32
	tsMoon, tsSun   selectors.TS
}

func (c child) addSA(t testing.TB, k *IPsec, src, dst netip.Addr, spi uint32, inbound bool, seed byte) kernel.SAID {
	t.Helper()
	id := kernel.SAID{Src: src, Dst: dst, SPI: spi, Proto: kernel.ProtoESP}
	d := kernel.AddSA{ReqID: c.reqid, Mode: c.mode, EncAlg: c.a.enc, EncKey: keyOf(c.a.encLen, seed),
		IntAlg: c.a.integ, IntKey: keyOf(c.a.intLen, seed+100), ReplayWindow: c.window,
		Encap: true, EncapSrcPort: 4500, EncapDstPort: 4500, ESN: c.esn, Inbound: inbound,
		Lifetime: c.lifetime}
	if err := k.AddSA(id, d); err != nil {
		t.Fatalf("AddSA %s: %v", id, err)
	}
	return id
}

func (c child) policies(t *testing.T, k *IPsec, local, remote netip.Addr, lts, rts selectors.TS, add bool) {
	t.Helper()
	sa := kernel.SAConfig{Mode: c.mode, ReqID: c.reqid}
	for _, dir := range []kernel.PolicyDir{kernel.DirOut, kernel.DirIn, kernel.DirFwd} {
		id := kernel.PolicyID{Dir: dir, Src: lts, Dst: rts}
		mp := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault, Src: local, Dst: remote, SA: sa}
		if dir != kernel.DirOut {
			id.Src, id.Dst = rts, lts
			mp.Src, mp.Dst = remote, local
		}
		var err error
		if add {
			err = k.AddPolicy(id, mp)
		} else {
			err = k.DelPolicy(id, mp)
		}
		if err != nil {
			t.Fatalf("policy %s: %v", id, err)
		}
	}
}

// install puts the CHILD_SA on both hosts: inbound SAs first, as charon
// does, then outbound ones and the policies.
func (c child) install(t *testing.T, tp topo, moon, sun *host) (moonIn, moonOut, sunIn, sunOut kernel.SAID) {
	t.Helper()
	moonIn = c.addSA(t, moon.k, tp.sun, tp.moon, c.spiMoon, true, 1)
	sunIn = c.addSA(t, sun.k, tp.moon, tp.sun, c.spiSun, true, 2)
	moonOut = c.addSA(t, moon.k, tp.moon, tp.sun, c.spiSun, false, 2)
	sunOut = c.addSA(t, sun.k, tp.sun, tp.moon, c.spiMoon, false, 1)
	c.policies(t, moon.k, tp.moon, tp.sun, c.tsMoon, c.tsSun, true)
	c.policies(t, sun.k, tp.sun, tp.moon, c.tsSun, c.tsMoon, true)
	return
}

func defaultChild(tp topo, a algo, mode kernel.Mode) child {
	c := child{reqid: 1, spiMoon: 0xc1000001, spiSun: 0xc2000001, mode: mode, a: a, window: 32}
	if mode == kernel.ModeTransport {
		c.tsMoon, c.tsSun = selectors.FromAddr(tp.moon), selectors.FromAddr(tp.sun)
	} else {
		c.tsMoon = selectors.FromPrefix(tp.moonNet, 0, 0, 0xffff)
		c.tsSun = selectors.FromPrefix(tp.sunNet, 0, 0, 0xffff)
	}
	return c
}

// udpPacket builds an IPv4 or IPv6 UDP packet.
func udpPacket(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	udp := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	copy(udp[8:], payload)
	if src.Is4() {
		h := make([]byte, 20)
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(udp)))
		h[6] = 0x40
		h[8], h[9] = 64, 17
		s, d := src.As4(), dst.As4()
		copy(h[12:], s[:])
		copy(h[16:], d[:])
		binary.BigEndian.PutUint16(h[10:], ipv4Checksum(h))
		return append(h, udp...)
	}
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(udp)))
	h[6], h[7] = 17, 64
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, udp...)
}

// send puts a packet into h's TUN device (as if the OS routed it there).
func (h *host) send(t *testing.T, pkt []byte) {
	t.Helper()
	select {
	case h.tun.Outbound <- pkt:
	case <-time.After(5 * time.Second):
		t.Fatal("TUN device not read")
	}
}

// recv waits for a packet the data plane delivered to h's TUN device.
func (h *host) recv(t *testing.T) []byte {
	t.Helper()
	select {
	case p := <-h.tun.Inbound:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no packet delivered")
	}
	return nil
}

// expectNone checks that nothing more is delivered once the pipeline has
// drained (a probe packet that must pass is sent afterwards and must be the
// next one out).
func (h *host) expectNext(t *testing.T, want []byte) {
	t.Helper()
	got := h.recv(t)
	if !bytes.Equal(got, want) {
		t.Fatalf("delivered\n%x\nwant\n%x", got, want)
	}
}

func addrPort(a netip.Addr, p uint16) netip.AddrPort { return netip.AddrPortFrom(a, p) }
