package selectors

import "testing"

// FuzzParseCIDR: any subnet from a configuration (ipsec.conf, stroke,
// vici) parses to a selector that prints, or is refused.
func FuzzParseCIDR(f *testing.F) {
	for _, s := range []string{"10.1.0.0/16", "0.0.0.0/0", "fec1::/16", "10.1.0.1", "10.1.0.0-10.1.0.9", "1.2.3.4/33", "::/129", "a/b"} {
		f.Add(s, uint8(0), uint16(0), uint16(0xffff))
	}
	f.Fuzz(func(t *testing.T, s string, proto uint8, from, to uint16) {
		ts, err := ParseCIDR(s, proto, from, to)
		if err == nil {
			_ = ts.String()
		}
	})
}

// TestParseCIDRMappedLookalike: an IPv6 subnet whose last address looks
// IPv4-mapped stays IPv6 at both ends (FuzzParseCIDR found ::/80 ending
// at an IPv4 255.255.255.255 and String panicking); a real mapped subnet
// is its IPv4 subnet.
func TestParseCIDRMappedLookalike(t *testing.T) {
	for in, want := range map[string]string{
		"::/80":               "::/80",
		"::ffff:10.1.0.0/112": "10.1.0.0/16",
		"::ffff:10.1.0.1":     "10.1.0.1/32",
		"fec1::/16":           "fec1::/16",
	} {
		ts, err := ParseCIDR(in, 0, 0, 0xffff)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := ts.String(); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
