package credentials

import (
	"fmt"
	"strings"
	"time"
)

var monthNames = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// FormatTime prints a time as charon's %T: "Mar 05 10:12:13 2024" in local
// time, "Mar 05 10:12:13 UTC 2024" in UTC; the zero time (charon's
// UNDEFINED_TIME) prints as dashes.
func FormatTime(t time.Time, utc bool) string {
	sep := " "
	if utc {
		sep = " UTC "
	}
	if t.IsZero() || t.Unix() == 0 {
		return "--- -- --:--:--" + sep + "----"
	}
	if utc {
		t = t.UTC()
	} else {
		t = t.Local()
	}
	return fmt.Sprintf("%s %02d %02d:%02d:%02d%s%04d", monthNames[t.Month()-1], t.Day(),
		t.Hour(), t.Minute(), t.Second(), sep, t.Year())
}

// colonHex prints bytes as charon's %#B: lower-case hex pairs joined by
// colons.
func colonHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}

// ColonHex is colonHex for callers outside the package (listings).
func ColonHex(b []byte) string { return colonHex(b) }
