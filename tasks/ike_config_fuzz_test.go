package tasks_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// fuzzAttributes reads configuration attributes from b: a 15-bit type, a
// one-byte length and that many bytes of value, until b runs out.
func fuzzAttributes(b []byte) []encoding.CPAttribute {
	var out []encoding.CPAttribute
	for len(b) >= 3 {
		a := encoding.CPAttribute{Type: encoding.ConfigAttribute((uint16(b[0])<<8 | uint16(b[1])) & 0x7fff)}
		n := min(int(b[2]), len(b)-3)
		a.Value = append([]byte(nil), b[3:3+n]...)
		out = append(out, a)
		b = b[3+n:]
	}
	return out
}

// FuzzConfigPayload: carol asks moon for a virtual IP and DNS servers,
// and the configuration payload of her IKE_AUTH request (toMoon) or of
// moon's response is replaced by whatever the fuzzer makes, with any type
// of CP. Nothing may panic; both end sane; what carol installed is what
// her IKE_SA holds, what moon's pool has online is what its IKE_SAs hold;
// and when carol's IKE_SA goes, every lease goes offline, every address
// goes off her interface and every attribute her handler took is given
// back. (A payload carol cannot parse leaves moon's IKE_SA behind, as in
// charon: she retransmits and gives up, moon has no DPD; it is deleted
// at the end.)
func FuzzConfigPayload(f *testing.F) {
	f.Add(true, uint8(encoding.CPRequest), []byte{0, 1, 0, 0, 3, 0})
	f.Add(true, uint8(encoding.CPRequest), []byte{0, 1, 4, 10, 3, 0, 5, 0, 8, 0})
	f.Add(false, uint8(encoding.CPReply), []byte{0, 1, 4, 10, 3, 0, 1, 0, 3, 4, 10, 1, 0, 20})
	f.Add(false, uint8(encoding.CPReply), []byte{0, 1, 4, 10, 3, 0, 9, 0, 8, 17, 0xfe, 0xc3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 64})
	f.Add(false, uint8(encoding.CPReply), []byte{0, 1, 3, 10, 3, 0, 0, 3, 3, 1, 2, 3, 0, 13, 8, 10, 1, 0, 0, 255, 255, 0, 0})
	f.Add(false, uint8(encoding.CPSet), []byte{0, 1, 4, 0, 0, 0, 0})
	f.Add(true, uint8(encoding.CPAck), []byte{})
	f.Fuzz(func(t *testing.T, toMoon bool, cpType uint8, data []byte) {
		l := newRWLab(t, nil)
		carol := l.roadwarrior(t, "carol", "192.168.0.100", 2, "0.0.0.0")
		h := &dnsHandler{}
		carol.Env.Attributes.AddHandler(h)
		l.AlterPlain = func(_ int, from *ikesim.Node, m *encoding.Message) {
			if m.Exchange != encoding.ExchangeIKEAuth || (from == carol) != toMoon {
				return
			}
			for _, p := range m.Payloads {
				if cp, ok := p.(*encoding.CP); ok {
					cp.CPType = encoding.CPType(cpType)
					cp.Attributes = fuzzAttributes(data)
				}
			}
		}
		l.up(carol)
		// past the retransmissions of a response carol cannot take
		l.Advance(200 * time.Second)
		carol.CheckSane(t)
		l.moon.CheckSane(t)
		if t.Failed() {
			t.Log(carol.LogText())
		}
		checkVIPs(t, l, carol)
		// carol leaves; moon may hold an IKE_SA she gave up on
		for _, n := range []*ikesim.Node{carol, l.moon} {
			for _, ike := range n.SAs(t) {
				n.WithIKESA(t, ike.UniqueID(), func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
			}
		}
		l.Advance(200 * time.Second)
		carol.WantNoIKESA(t)
		l.moon.WantNoIKESA(t)
		if got := carol.Kern.VirtualIPs(); len(got) != 0 {
			t.Errorf("carol still has %v installed", got)
		}
		if info := l.pools.List(); info[0].Online != 0 {
			t.Errorf("pool after carol left: %+v", info)
		}
		slices.Sort(h.handled)
		slices.Sort(h.released)
		if !slices.Equal(h.handled, h.released) {
			t.Errorf("handled %v, released %v", h.handled, h.released)
		}
	})
}

// checkVIPs compares what carol installed and moon leased with what their
// IKE_SAs hold.
func checkVIPs(t *testing.T, l *rwLab, carol *ikesim.Node) {
	t.Helper()
	want := map[netip.Addr]int{}
	for _, ike := range carol.SAs(t) {
		for _, v := range ike.VirtualIPs(true) {
			want[v]++
		}
	}
	if got := carol.Kern.VirtualIPs(); len(got) != len(want) {
		t.Errorf("carol installed %v, her IKE_SAs hold %v", got, want)
	}
	online := 0
	for _, ike := range l.moon.SAs(t) {
		for _, v := range ike.VirtualIPs(false) {
			if netip.MustParsePrefix("10.3.0.0/28").Contains(v) {
				online++
			}
		}
	}
	if info := l.pools.List(); int(info[0].Online) != online {
		t.Errorf("pool says %d online, moon's IKE_SAs hold %d", info[0].Online, online)
	}
}
