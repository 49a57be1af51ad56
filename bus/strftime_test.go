package bus

import (
	"testing"
	"time"
)

// TestStrftimeConversions: every conversion Strftime knows, as glibc's
// strftime(3) prints them in the C locale (checked with Python's
// time.strftime on this machine), and an unknown one copied through.
func TestStrftimeConversions(t *testing.T) {
	evening := time.Date(2026, 1, 5, 20, 8, 9, 0, time.FixedZone("CET", 3600))
	midnight := time.Date(2026, 12, 31, 0, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		format string
		t      time.Time
		want   string
	}{
		{"%a %A %b %h %B", evening, "Mon Monday Jan Jan January"},
		{"%d|%e|%H|%I|%j|%m|%M|%p|%S", evening, "05| 5|20|08|005|01|08|PM|09"},
		{"%T %R %D %F %y %Y", evening, "20:08:09 20:08 01/05/26 2026-01-05 26 2026"},
		{"%z %Z %s", evening, "+0100 CET 1767640089"},
		{"%n%t%%", evening, "\n\t%"},
		{"%I %p %j", midnight, "12 AM 365"},
		{"%q %", evening, "%q %"},
	} {
		if got := Strftime(c.format, c.t); got != c.want {
			t.Errorf("Strftime(%q) = %q, want %q", c.format, got, c.want)
		}
	}
}
