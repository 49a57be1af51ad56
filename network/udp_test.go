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
	b.SetIKEHandler(func(p Packet) {
		p.Data = bytes.Clone(p.Data) // valid during the call only
		ike <- p
	})
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

// charon.max_packet bounds every datagram, IKE or ESP, with the non-ESP
// marker counted: charon's socket reads into a buffer of that size and
// discards a truncated datagram with its log line.
func TestClassifyMaxPacket(t *testing.T) {
	var logged []string
	s := &Socket{opts: SocketOptions{MaxPacket: 100, Logf: func(f string, a ...any) { logged = append(logged, f) }}}
	var got [][]byte
	f := func(p Packet) { got = append(got, bytes.Clone(p.Data)) }
	s.ike.Store(&f)
	src := netip.MustParseAddrPort("192.0.2.1:4500")
	dst := netip.MustParseAddrPort("192.0.2.2:4500")
	ike := func(n int) []byte { return append([]byte{0, 0, 0, 0}, bytes.Repeat([]byte{1}, n-4)...) }
	esp := s.classify(Packet{Data: ike(100), Src: src, Dst: dst}, nil)
	esp = s.classify(Packet{Data: ike(101), Src: src, Dst: dst}, esp)
	esp = s.classify(Packet{Data: bytes.Repeat([]byte{1}, 101), Src: src, Dst: dst}, esp)
	esp = s.classify(Packet{Data: bytes.Repeat([]byte{1}, 100), Src: src, Dst: dst}, esp)
	if len(got) != 1 || len(got[0]) != 96 {
		t.Errorf("IKE delivered: %d messages", len(got))
	}
	if len(esp) != 1 || len(esp[0].Data) != 100 {
		t.Errorf("ESP delivered: %d packets", len(esp))
	}
	if st := s.Stats(); st.TooLongIn != 2 || st.IKEIn != 1 {
		t.Errorf("stats %+v", st)
	}
	if len(logged) != 2 || logged[0] != "receive buffer too small, packet discarded" {
		t.Errorf("logged %q", logged)
	}
}
