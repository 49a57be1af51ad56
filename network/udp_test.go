package network

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// TestSocketLoopback: two sockets on random loopback ports exchange IKE
// (with the non-ESP marker, as neither port is 500), ESP batches and a NAT-T
// keepalive, which is dropped; the receiver reports the local address from
// IP_PKTINFO.
func TestSocketLoopback(t *testing.T) {
	a, err := Open(SocketOptions{NoIPv6: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(SocketOptions{NoIPv6: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ike := make(chan Packet, 4)
	esp := make(chan []byte, 64)
	b.SetIKEHandler(func(p Packet) { ike <- p })
	b.SetESPHandler(func(ps []Packet) {
		for _, p := range ps {
			esp <- append([]byte(nil), p.Data...)
		}
	})
	lo := netip.MustParseAddr("127.0.0.1")
	src := netip.AddrPortFrom(lo, a.Port(true))
	dst := netip.AddrPortFrom(lo, b.Port(true))
	msg := []byte("IKE message \x00\x01")
	if err := a.SendIKE(Packet{Data: msg, Src: src, Dst: dst}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-ike:
		if !bytes.Equal(p.Data, msg) || p.Src != src || p.Dst != dst {
			t.Fatalf("got %q %s -> %s", p.Data, p.Src, p.Dst)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no IKE message")
	}
	// A keepalive, then a batch of ESP packets of equal size (GSO) and a
	// shorter last one.
	if err := a.SendESP([]Packet{{Data: []byte{0xff}, Src: src, Dst: dst}}); err != nil {
		t.Fatal(err)
	}
	var batch []Packet
	for i := range 10 {
		n := 200
		if i == 9 {
			n = 100
		}
		d := bytes.Repeat([]byte{byte(i + 1)}, n)
		batch = append(batch, Packet{Data: d, Src: src, Dst: dst})
	}
	if err := a.SendESP(batch); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		select {
		case d := <-esp:
			if !bytes.Equal(d, batch[i].Data) {
				t.Fatalf("ESP %d: %x", i, d[:4])
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ESP %d missing", i)
		}
	}
	st := b.Stats()
	if st.KeepalivesIn != 1 || st.ESPIn != 10 || st.IKEIn != 1 {
		t.Fatalf("stats %+v", st)
	}
}
