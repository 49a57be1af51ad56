package daemon

import (
	"net/netip"
	"testing"
	"time"
)

func TestFormatDelta(t *testing.T) {
	base := time.Date(2026, 11, 24, 8, 46, 7, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 seconds"},
		{999 * time.Millisecond, "0 seconds"},
		{time.Second, "1 second"},
		{2 * time.Second, "2 seconds"},
		{120 * time.Second, "120 seconds"},
		{121 * time.Second, "2 minutes"},
		{44*time.Minute + 59*time.Second, "44 minutes"},
		{119*time.Minute + 59*time.Second, "119 minutes"},
		{2 * time.Hour, "120 minutes"},
		{2*time.Hour + time.Second, "2 hours"},
		{3 * time.Hour, "3 hours"},
		{48 * time.Hour, "48 hours"},
		{48*time.Hour + time.Second, "2 days"},
		{1000 * 24 * time.Hour, "1000 days"},
	} {
		if got := formatDelta(base.Add(c.d), base); got != c.want {
			t.Errorf("%v: %q, want %q", c.d, got, c.want)
		}
		// %V prints the distance: the order of the arguments does not matter
		if got := formatDelta(base, base.Add(c.d)); got != c.want {
			t.Errorf("-%v: %q, want %q", c.d, got, c.want)
		}
	}
}

func TestFormatTime(t *testing.T) {
	ts := time.Date(2026, 11, 24, 8, 46, 7, 0, time.UTC)
	if got, want := formatTime(ts, true), "Nov 24 08:46:07 UTC 2026"; got != want {
		t.Errorf("utc: %q, want %q", got, want)
	}
	if got, want := formatTime(time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC), true), "Jan 02 03:04:05 UTC 2027"; got != want {
		t.Errorf("utc: %q, want %q", got, want)
	}
	// local time is what the statusall header shows
	l := ts.Local()
	want := l.Format("Jan 02 15:04:05 2006")
	if got := formatTime(ts, false); got != want {
		t.Errorf("local: %q, want %q", got, want)
	}
	if got, want := formatTime(time.Time{}, false), "--- -- --:--:-- ----"; got != want {
		t.Errorf("undefined: %q, want %q", got, want)
	}
	if got, want := formatTime(time.Time{}, true), "--- -- --:--:-- UTC ----"; got != want {
		t.Errorf("undefined utc: %q, want %q", got, want)
	}
}

func TestFormatHost(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.168.0.1", "192.168.0.1"},
		{"0.0.0.0", "%any"},
		{"::", "%any6"},
		{"fec0::1", "fec0::1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"::ffff:10.1.0.1", "::ffff:10.1.0.1"},
		// glibc writes IPv4-compatible addresses with a dotted quad, Go
		// does not
		{"::10.1.0.1", "::10.1.0.1"},
		{"::1", "::1"},
	} {
		if got := formatHost(netip.MustParseAddr(c.in)); got != c.want {
			t.Errorf("%s: %q, want %q", c.in, got, c.want)
		}
	}
	if got := formatHost(netip.Addr{}); got != "(null)" {
		t.Errorf("invalid: %q", got)
	}
}

func TestPad(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"net-net", "     net-net"},
		{"", "            "},
		{"exactly12chr", "exactly12chr"},
		{"pass-lan-long-name", "pass-lan-long-name"},
		// C counts bytes: a UTF-8 name takes fewer columns than it pads
		{"zürich", "     zürich"},
	} {
		if got := name12(c.in); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}
