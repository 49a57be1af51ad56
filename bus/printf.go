package bus

import (
	"fmt"
	"time"
)

// The time printf hook of libstrongswan, used by status output and the
// vici stats command.

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// FormatTime is %T: "Nov 24 08:46:07 2026" in local time, or with utc
// "Nov 24 08:46:07 UTC 2026". A zero time is charon's UNDEFINED_TIME.
func FormatTime(t time.Time, utc bool) string {
	sep := " "
	if utc {
		sep = " UTC "
	}
	if t.IsZero() {
		return "--- -- --:--:--" + sep + "----"
	}
	if utc {
		t = t.UTC()
	} else {
		t = t.Local()
	}
	return fmt.Sprintf("%s %02d %02d:%02d:%02d%s%04d", months[t.Month()-1], t.Day(),
		t.Hour(), t.Minute(), t.Second(), sep, t.Year())
}
