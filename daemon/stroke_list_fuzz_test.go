package daemon

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// FuzzLeases feeds `ipsec leases <pool> <address>` arguments, which come
// from any local user of the stroke socket: the address filter must parse
// as charon's host_create_from_string or filter nothing, never fail.
func FuzzLeases(f *testing.F) {
	for _, s := range [][2]string{{"10.3.0.0/28", "10.3.0.5"}, {"rw", "%any"}, {"", "fec3::1"},
		{"rw", "fe80::1%eth0"}, {"nosuch", "bogus"}, {"rw", "::ffff:10.3.0.1"}, {"rw", "10.3.0.1\x00"}} {
		f.Add(s[0], s[1])
	}
	src := &fakeSource{
		pools: []Pool{{Name: "10.3.0.0/28", Size: 14, Online: 1, Offline: 1}, {Name: "rw", Size: 2, Online: 1}},
		leases: map[string][]Lease{
			"10.3.0.0/28": {{ID: credentials.ParseIdentity("carol@strongswan.org"), Addr: netip.MustParseAddr("10.3.0.5"), Online: true},
				{ID: credentials.Any(), Addr: netip.MustParseAddr("10.3.0.6")}},
			"rw": {{ID: credentials.ParseIdentity("dave@strongswan.org"), Addr: netip.MustParseAddr("fec3::1"), Online: true}},
		},
	}
	f.Fuzz(func(t *testing.T, pool, addr string) {
		var all, filtered bytes.Buffer
		if err := WriteLeases(&all, src, stroke.S(pool), stroke.Str{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteLeases(&filtered, src, stroke.S(pool), stroke.S(addr)); err != nil {
			t.Fatal(err)
		}
		// a filter only removes lease lines
		if filtered.Len() > all.Len()+len("  no matching leases found\n")*len(src.pools) {
			t.Fatalf("filter %q added output:\n%s\nvs\n%s", addr, filtered.String(), all.String())
		}
		if a := parseHost(addr); !a.IsValid() && filtered.String() != all.String() {
			t.Fatalf("unparsable %q filtered", addr)
		}
		if !strings.HasSuffix(filtered.String(), "\n") {
			t.Fatalf("unterminated output %q", filtered.String())
		}
	})
}
