package daemon

import (
	"net/netip"
	"strings"
	"time"

	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/sa"
)

// The printf hooks of libstrongswan that the status and list output uses,
// rebuilt on Go values. Widths count bytes, as C's printf does, not runes.

// pad right-aligns s in width bytes (C's "%*s"); longer strings are never
// cut.
func pad(s string, width int) string {
	if len(s) >= width {
		return s
	}
	return strings.Repeat(" ", width-len(s)) + s
}

// name12 is the "%12s" column every status line starts with.
func name12(s string) string { return pad(s, 12) }

// formatDelta is %V: the distance between two instants in whole seconds,
// shown in days above two days, hours above two hours, minutes above two
// minutes ("0 seconds", "1 second", "119 minutes", "3 hours").
func formatDelta(a, b time.Time) string { return sa.FormatDuration(a.Sub(b)) }

// formatTime is %T: "Nov 24 08:46:07 2026" in local time, or with utc
// "Nov 24 08:46:07 UTC 2026". A zero time, or the epoch, is charon's
// UNDEFINED_TIME (credentials.FormatTime, which bus.FormatTime is but
// for the epoch).
func formatTime(t time.Time, utc bool) string { return credentials.FormatTime(t, utc) }

// formatHost is %H of a host without port: the unspecified addresses print
// as %any and %any6, the others as glibc's inet_ntop writes them (which
// differs from Go for IPv4-compatible IPv6 addresses such as ::1.2.3.4).
func formatHost(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "(null)"
	case a.IsUnspecified() && a.Is4():
		return "%any"
	case a.IsUnspecified():
		return "%any6"
	}
	return credentials.FromAddr(a).String()
}

// formatID is %Y.
func formatID(id *credentials.Identity) string { return id.String() }
