package attributes

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/goswan/goswan/encoding"
)

func TestAttrEntries(t *testing.T) {
	var l logRec
	a := NewAttr(Legacy{DNS: [2]string{"192.168.0.150", "10.1.0.20"}, NBNS: [2]string{"fec1::20", ""}},
		[]KeyValue{
			{"load", "yes"},
			{"dns", "10.1.0.1, fec1::1"},
			{"subnet", "10.1.0.0/16,10.2.0.0"}, // the mask carries over, as in charon
			{"25", "strongswan.org"},
			{"split-include", "10.0.0.0/8"},
			{"bogus", "1.2.3.4"},
			{"nbns", "nonsense"},
			{"subnet", "fec1::/16"},
		}, &l)
	want := []Attribute{
		{encoding.AttrInternalIP4DNS, []byte{192, 168, 0, 150}},
		{encoding.AttrInternalIP6NBNS, netip.MustParseAddr("fec1::20").AsSlice()},
		{encoding.AttrInternalIP4DNS, []byte{10, 1, 0, 20}},
		{encoding.AttrInternalIP4DNS, []byte{10, 1, 0, 1}},
		{encoding.AttrInternalIP6DNS, netip.MustParseAddr("fec1::1").AsSlice()},
		{encoding.AttrInternalIP4Subnet, []byte{10, 1, 0, 0, 255, 255, 0, 0}},
		{encoding.AttrInternalIP4Subnet, []byte{10, 2, 0, 0, 255, 255, 0, 0}},
		{encoding.AttrInternalDNSDomain, []byte("strongswan.org")},
		{encoding.AttrInternalIP6Subnet, append(netip.MustParseAddr("fec1::").AsSlice(), 16)},
	}
	got := a.Entries()
	if len(got) != len(want) {
		t.Fatalf("got %d entries: %v", len(got), got)
	}
	for i := range want {
		if got[i].Type != want[i].Type || !slices.Equal(got[i].Value, want[i].Value) {
			t.Errorf("entry %d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, line := range []string{"mapping attribute type bogus failed", "invalid host in key nbns: nonsense",
		"loaded legacy entry attribute INTERNAL_IP4_DNS: c0:a8:00:96"} {
		if !slices.Contains(l.lines, line) {
			t.Errorf("no log line %q in %q", line, l.lines)
		}
	}
	if n := len(a.Attributes(nil, SA{}, nil)); n != 0 {
		t.Errorf("%d attributes without a virtual IP", n)
	}
	if n := len(a.Attributes(nil, SA{}, []netip.Addr{netip.MustParseAddr("10.3.0.1")})); n != len(want) {
		t.Errorf("%d attributes with a virtual IP", n)
	}
	l.lines = nil
	a.Reload(Legacy{}, []KeyValue{{"dns", "1.1.1.1"}}, &l)
	if !slices.Contains(l.lines, "loaded 1 entry for attr plugin configuration") {
		t.Errorf("reload log %q", l.lines)
	}
}
