package attributes

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
)

// logRec records log lines.
type logRec struct{ lines []string }

func (l *logRec) Logf(_ bus.Group, _ bus.Level, format string, args ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func peerSA(id string, peer string, log bus.Logger) SA {
	return SA{ID: credentials.ParseIdentity(id), Peer: netip.MustParseAddrPort(peer), Log: log}
}

var any4 = netip.IPv4Unspecified()

func TestSubnetPoolSizes(t *testing.T) {
	for _, c := range []struct {
		base  string
		bits  int
		size  uint32
		first string
	}{
		{"10.3.0.0", 28, 14, "10.3.0.1"},            // network and broadcast skipped
		{"10.3.0.1", 32, 1, "10.3.0.1"},             // a single address (config-payload)
		{"10.3.0.5", 28, 10, "10.3.0.5"},            // starts at the base, up to .14
		{"10.3.0.0", 31, 2, "10.3.0.0"},             // /31: both addresses
		{"10.3.0.1", 31, 1, "10.3.0.1"},             // /31 from its second address
		{"10.3.0.0", 16, 65534, "10.3.0.1"},         // a big one
		{"fec3::", 120, 254, "fec3::1"},             // IPv6: the last 32 bits count
		{"10.0.0.0", 0, 1<<31 - 0x0a000000 - 1, ""}, // limited to 2^31
	} {
		p := NewSubnetPool("p", netip.MustParseAddr(c.base), c.bits, nil)
		if p.Size() != c.size {
			t.Errorf("%s/%d: size %d, want %d", c.base, c.bits, p.Size(), c.size)
		}
		req := any4
		if p.Base().Is6() {
			req = netip.IPv6Unspecified()
		}
		got := p.Acquire(peerSA("carol@strongswan.org", "192.168.0.100:4500", nil), req, New)
		if c.bits == 0 {
			// cut to the /1 around it, whose network is 0.0.0.0: the
			// pool starts at the base and ends at 127.255.255.254
			if got.String() != "10.0.0.0" {
				t.Errorf("first lease %s", got)
			}
			continue
		}
		if got.String() != c.first {
			t.Errorf("%s/%d: first lease %s, want %s", c.base, c.bits, got, c.first)
		}
	}
}

func TestSubnetPoolTooLarge(t *testing.T) {
	var l logRec
	NewSubnetPool("big", netip.MustParseAddr("10.0.0.0"), 0, &l)
	if !slices.Equal(l.lines, []string{"virtual IP pool too large, limiting to 10.0.0.0/1"}) {
		t.Errorf("log %q", l.lines)
	}
}

func TestRangePool(t *testing.T) {
	p, err := NewRangePool("10.3.0.1-10.3.3.232", netip.MustParseAddr("10.3.0.1"), netip.MustParseAddr("10.3.3.232"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Size() != 1000 {
		t.Errorf("size %d, want 1000", p.Size())
	}
	if a := p.Acquire(peerSA("carol@strongswan.org", "192.168.0.100:500", nil), any4, New); a.String() != "10.3.0.1" {
		t.Errorf("first %s", a)
	}
	for _, c := range [][2]string{{"10.3.0.2", "10.3.0.1"}, {"10.3.0.1", "fec0::1"}, {"::1", "1::1"}} {
		if _, err := NewRangePool("x", netip.MustParseAddr(c[0]), netip.MustParseAddr(c[1])); err == nil {
			t.Errorf("%s-%s accepted", c[0], c[1])
		}
	}
	// IPv6 ranges may span the last 32 bits only.
	if _, err := NewRangePool("x", netip.MustParseAddr("fec3::1"), netip.MustParseAddr("fec3::ffff:ffff")); err != nil {
		t.Error(err)
	}
}

// TestLeaseLifecycle follows carol and dave through connect, disconnect
// and reconnect: leases stay with the identity, and a second tunnel from
// the same peer shares one.
func TestLeaseLifecycle(t *testing.T) {
	var l logRec
	p := NewSubnetPool("10.3.0.0/28", netip.MustParseAddr("10.3.0.0"), 28, nil)
	carol := peerSA("carol@strongswan.org", "192.168.0.100:4500", &l)
	dave := peerSA("dave@strongswan.org", "192.168.0.200:4500", &l)
	acquire := func(sa SA, req netip.Addr) netip.Addr {
		for _, op := range []Operation{Existing, New, Reassign} {
			if a := p.Acquire(sa, req, op); a.IsValid() {
				return a
			}
		}
		return netip.Addr{}
	}
	c1 := acquire(carol, any4)
	d1 := acquire(dave, any4)
	if c1.String() != "10.3.0.1" || d1.String() != "10.3.0.2" {
		t.Fatalf("leases %s %s", c1, d1)
	}
	// carol's second tunnel from the same address and port shares hers
	if c2 := acquire(carol, any4); c2 != c1 {
		t.Errorf("second tunnel got %s", c2)
	}
	if p.Online() != 3 || p.Offline() != 0 {
		t.Errorf("online %d offline %d", p.Online(), p.Offline())
	}
	// the first release keeps the lease online for the other tunnel
	if !p.Release(c1, carol) || p.Online() != 2 || p.Offline() != 0 {
		t.Errorf("after one release: online %d offline %d", p.Online(), p.Offline())
	}
	if !p.Release(c1, carol) || !p.Release(d1, dave) {
		t.Fatal("release failed")
	}
	if p.Release(d1, dave) {
		t.Error("released twice")
	}
	if p.Online() != 0 || p.Offline() != 2 {
		t.Errorf("online %d offline %d", p.Online(), p.Offline())
	}
	// reconnecting from elsewhere: the offline lease comes back
	dave2 := peerSA("dave@strongswan.org", "192.168.0.1:1234", &l)
	if a := acquire(dave2, any4); a != d1 {
		t.Errorf("dave got %s back, want %s", a, d1)
	}
	want := []Lease{
		{ID: carol.ID, Addr: c1, Online: false},
		{ID: dave.ID, Addr: d1, Online: true},
	}
	got := p.Leases()
	if len(got) != len(want) {
		t.Fatalf("leases %v", got)
	}
	for i := range want {
		if !got[i].ID.Equals(want[i].ID) || got[i].Addr != want[i].Addr || got[i].Online != want[i].Online {
			t.Errorf("lease %d: %v, want %v", i, got[i], want[i])
		}
	}
	wantLog := []string{
		"assigning new lease to 'carol@strongswan.org'",
		"assigning new lease to 'dave@strongswan.org'",
		"reassigning online lease to 'carol@strongswan.org'",
		"lease 10.3.0.1 by 'carol@strongswan.org' went offline",
		"lease 10.3.0.2 by 'dave@strongswan.org' went offline",
		"reassigning offline lease to 'dave@strongswan.org'",
	}
	if !slices.Equal(l.lines, wantLog) {
		t.Errorf("log\n%q\nwant\n%q", l.lines, wantLog)
	}
}

// TestPoolFullReassigns: a full pool takes over the offline lease of
// another identity, and says so when there is none.
func TestPoolFullReassigns(t *testing.T) {
	var l logRec
	p := NewSubnetPool("10.3.0.1", netip.MustParseAddr("10.3.0.1"), 32, nil)
	s := NewPools()
	s.Add(p)
	pools := []string{"10.3.0.1"}
	carol := peerSA("carol@strongswan.org", "192.168.0.100:4500", &l)
	dave := peerSA("dave@strongswan.org", "192.168.0.200:4500", &l)
	c := s.AcquireAddress(pools, carol, any4)
	if c.String() != "10.3.0.1" {
		t.Fatalf("carol got %s", c)
	}
	if d := s.AcquireAddress(pools, dave, any4); d.IsValid() {
		t.Fatalf("dave got %s from a full pool", d)
	}
	s.ReleaseAddress(pools, c, carol)
	if d := s.AcquireAddress(pools, dave, any4); d != c {
		t.Fatalf("dave got %s", d)
	}
	// carol's entry had nothing left and is gone
	if got := p.Leases(); len(got) != 1 || !got[0].ID.Equals(dave.ID) {
		t.Errorf("leases %v", got)
	}
	want := []string{
		"assigning new lease to 'carol@strongswan.org'",
		"pool '10.3.0.1' is full, unable to assign address",
		"lease 10.3.0.1 by 'carol@strongswan.org' went offline",
		"reassigning existing offline lease by 'carol@strongswan.org' to 'dave@strongswan.org'",
	}
	if !slices.Equal(l.lines, want) {
		t.Errorf("log\n%q\nwant\n%q", l.lines, want)
	}
}

// TestRequestedAddress: an online lease is shared only with the same
// peer, and only for the address asked for (or any); the family must fit.
func TestRequestedAddress(t *testing.T) {
	p := NewSubnetPool("p", netip.MustParseAddr("10.3.0.0"), 28, nil)
	carol := peerSA("carol@strongswan.org", "192.168.0.100:4500", nil)
	a := p.Acquire(carol, any4, New)
	if got := p.Acquire(carol, netip.MustParseAddr("10.3.0.9"), Existing); got.IsValid() {
		t.Errorf("other address: got %s", got)
	}
	if got := p.Acquire(carol, a, Existing); got != a {
		t.Errorf("same address: got %s", got)
	}
	other := peerSA("carol@strongswan.org", "192.168.0.100:4501", nil)
	if got := p.Acquire(other, any4, Existing); got.IsValid() {
		t.Errorf("other port: got %s", got)
	}
	if got := p.Acquire(carol, netip.IPv6Unspecified(), New); got.IsValid() {
		t.Errorf("IPv6 from an IPv4 pool: %s", got)
	}
	// vici's range check: base up to base+size, exclusive
	if !p.Contains(a) || p.Contains(netip.MustParseAddr("10.3.0.15")) || p.Contains(netip.MustParseAddr("10.3.1.0")) ||
		p.Contains(netip.MustParseAddr("fec3::1")) {
		t.Error("Contains")
	}
}

func TestEmptyPool(t *testing.T) {
	s := NewPools()
	s.Add(NewEmptyPool("rw"))
	want := netip.MustParseAddr("10.3.0.7")
	if got := s.AcquireAddress([]string{"rw"}, peerSA("carol@strongswan.org", "1.2.3.4:500", nil), want); got != want {
		t.Errorf("got %s", got)
	}
	if len(s.List()) != 0 {
		t.Error("empty pools are not listed")
	}
}

func TestPoolsReuseAndRemove(t *testing.T) {
	s := NewPools()
	if added, _ := s.Add(NewSubnetPool("10.3.0.0/28", netip.MustParseAddr("10.3.0.0"), 28, nil)); !added {
		t.Fatal("not added")
	}
	added, existing := s.Add(NewSubnetPool("10.3.0.0/28", netip.MustParseAddr("10.3.0.0"), 28, nil))
	if added || existing != "10.3.0.0/28" {
		t.Errorf("reuse: %v %q", added, existing)
	}
	sa := peerSA("carol@strongswan.org", "1.2.3.4:500", nil)
	a := s.AcquireAddress([]string{"10.3.0.0/28"}, sa, any4)
	if err := s.Remove("10.3.0.0/28"); err == nil {
		t.Error("removed a pool with an online lease")
	}
	s.ReleaseAddress([]string{"10.3.0.0/28"}, a, sa)
	if err := s.Remove("10.3.0.0/28"); err != nil {
		t.Error(err)
	}
	if err := s.Remove("10.3.0.0/28"); err == nil {
		t.Error("removed twice")
	}
}

// TestPoolsSaveRestore: a lease table saved from one set of pools is taken
// up by a pool of the same name, base and size that has handed out
// nothing, and the leases go on as before: the online lease is released
// by its identity, the offline one reassigned to its own.
func TestPoolsSaveRestore(t *testing.T) {
	a := NewPools()
	a.Add(NewSubnetPool("10.3.0.0/28", netip.MustParseAddr("10.3.0.0"), 28, nil))
	carol, dave := peerSA("carol@strongswan.org", "192.168.0.100:4500", nil), peerSA("dave@strongswan.org", "192.168.0.200:4500", nil)
	names := []string{"10.3.0.0/28"}
	c := a.AcquireAddress(names, carol, any4)
	d := a.AcquireAddress(names, dave, any4)
	a.ReleaseAddress(names, d, dave)
	saved := a.Save()

	b := NewPools()
	b.Add(NewSubnetPool("10.3.0.0/28", netip.MustParseAddr("10.3.0.0"), 28, nil))
	b.Add(NewSubnetPool("other", netip.MustParseAddr("10.4.0.0"), 28, nil))
	if got := b.Restore(append(saved, SavedPool{Name: "other", Base: netip.MustParseAddr("10.5.0.0"), Size: 14})); !slices.Equal(got, names) {
		t.Fatalf("restored %v", got)
	}
	if got := b.List()[0]; got.Online != 1 || got.Offline != 1 {
		t.Errorf("restored pool %+v", got)
	}
	if !b.ReleaseAddress(names, c, carol) {
		t.Error("carol's lease not released")
	}
	if got := b.AcquireAddress(names, dave, any4); got != d {
		t.Errorf("dave got %s back, want %s", got, d)
	}
	if got := b.AcquireAddress(names, peerSA("eve@strongswan.org", "192.168.0.50:4500", nil), any4); got.String() != "10.3.0.3" {
		t.Errorf("a new identity got %s", got)
	}
	// a pool that handed out addresses keeps its own table
	if got := b.Restore(saved); len(got) != 0 {
		t.Errorf("restored again into %v", got)
	}
}
