package kernel_libipsec

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/network"
)

// TestRoundTrip sends packets both ways through two data planes for every
// algorithm, both modes and both address families.
func TestRoundTrip(t *testing.T) {
	for _, tp := range []topo{topo4, topo6} {
		for _, mode := range []kernel.Mode{kernel.ModeTunnel, kernel.ModeTransport} {
			for _, a := range algos {
				for _, esn := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/%s/esn=%v", map[bool]string{true: "v4", false: "v6"}[tp.moon.Is4()], mode, a.name, esn)
					t.Run(name, func(t *testing.T) {
						mc, sc := newMemPair()
						moon, sun := newHost(t, nil, mc), newHost(t, nil, sc)
						c := defaultChild(tp, a, mode)
						c.esn = esn
						c.install(t, tp, moon, sun)
						src, dst := tp.alice, tp.bob
						if mode == kernel.ModeTransport {
							src, dst = tp.moon, tp.sun
						}
						for i := range 3 {
							// Sizes around block and MTU boundaries.
							for _, n := range []int{0, 1, 13, 100 + i, 1300} {
								p := udpPacket(src, dst, 1000, 2000, bytes.Repeat([]byte{byte(n)}, n))
								moon.send(t, p)
								checkInner(t, sun.recv(t), p, mode)
								r := udpPacket(dst, src, 2000, 1000, bytes.Repeat([]byte{byte(n + 1)}, n))
								sun.send(t, r)
								checkInner(t, moon.recv(t), r, mode)
							}
						}
						// Counters are bumped after the TUN write returns.
						waitFor(t, func() bool { return sun.k.Stats().InPackets == 15 })
						st := sun.k.Stats()
						if st.InPackets != 15 || st.InAuthFail+st.InReplay+st.InInvalid != 0 {
							t.Fatalf("sun stats %+v", st)
						}
					})
				}
			}
		}
	}
}

// checkInner compares a delivered packet with what was sent. In transport
// mode the IP header is rebuilt, so only addresses, protocol and payload
// must match.
func checkInner(t *testing.T, got, want []byte, mode kernel.Mode) {
	t.Helper()
	if mode == kernel.ModeTunnel {
		if !bytes.Equal(got, want) {
			t.Fatalf("delivered\n%x\nwant\n%x", got, want)
		}
		return
	}
	gh, gp, err1 := ipHeaderLen(got)
	wh, wp, err2 := ipHeaderLen(want)
	if err1 != nil || err2 != nil || gp != wp || !bytes.Equal(got[gh:], want[wh:]) {
		t.Fatalf("transport payload differs:\n%x\n%x", got, want)
	}
	gf, wf := parseFlow(got), parseFlow(want)
	if gf.src != wf.src || gf.dst != wf.dst {
		t.Fatalf("addresses %s->%s, want %s->%s", gf.src, gf.dst, wf.src, wf.dst)
	}
	if got[0]>>4 == 4 && ipv4Checksum(got[:20]) != 0 {
		t.Fatalf("bad IPv4 header checksum in %x", got[:20])
	}
}

// TestReplayAndTamper: a replayed ESP packet and a modified one are dropped
// and counted; the data plane keeps working.
func TestReplayAndTamper(t *testing.T) {
	tp := topo4
	mc, sc := newMemPair()
	moon, sun := newHost(t, nil, mc), newHost(t, nil, sc)
	c := defaultChild(tp, algos[2], kernel.ModeTunnel)
	_, _, sunIn, _ := c.install(t, tp, moon, sun)
	mc.record = true

	p1 := udpPacket(tp.alice, tp.bob, 1, 2, []byte("first"))
	moon.send(t, p1)
	sun.expectNext(t, p1)

	mc.mu.Lock()
	captured := mc.sent[0]
	mc.mu.Unlock()
	// Replay the captured packet, then tamper with a copy of a new one.
	sun.conn.deliverFrom(captured, tp)
	tampered := append([]byte(nil), captured...)
	tampered[len(tampered)-20] ^= 1
	tampered[7] = 9 // a fresh sequence number, so only the ICV can stop it
	sun.conn.deliverFrom(tampered, tp)

	p2 := udpPacket(tp.alice, tp.bob, 1, 2, []byte("second"))
	moon.send(t, p2)
	sun.expectNext(t, p2)

	waitFor(t, func() bool { return sun.k.Stats().InPackets == 2 })
	st := sun.k.Stats()
	if st.InReplay != 1 || st.InAuthFail != 1 || st.InPackets != 2 {
		t.Fatalf("stats %+v", st)
	}
	sas, err := sun.k.SAStats(sunIn)
	if err != nil || sas.ReplayDrops != 1 || sas.AuthFailures != 1 {
		t.Fatalf("SA stats %+v %v", sas, err)
	}
	u, err := sun.k.QuerySA(sunIn)
	if err != nil || u.Packets != 2 || u.Bytes != uint64(len(p1)+len(p2)) || u.LastUse.IsZero() {
		t.Fatalf("usage %+v %v", u, err)
	}
}

// deliverFrom injects one ESP packet as if it came from moon.
func (m *memConn) deliverFrom(esp []byte, tp topo) {
	m.deliver([]network.Packet{{Data: append([]byte(nil), esp...),
		Src: addrPort(tp.moon, 4500), Dst: addrPort(tp.sun, 4500)}})
}
