// Package version holds the release identity that goswan reports.
//
// goswan is a drop-in for strongSwan 5.9.8, so the first line of every version
// string is the one strongSwan prints: scripts and monitoring grep for it.
// goswan's own version follows on a separate line or in parentheses.
package version

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// StrongSwan is the strongSwan release whose behaviour goswan reproduces.
const StrongSwan = "5.9.8"

// Goswan is goswan's own release.
const Goswan = "0.1.0-dev"

// Uname returns sysname, release and machine as charon prints them in the
// statusall header; ok is false when uname(2) fails, in which case charon
// leaves that part out.
func Uname() (sysname, release, machine string, ok bool) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", "", "", false
	}
	str := func(b []byte) string {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	return str(u.Sysname[:]), str(u.Release[:]), str(u.Machine[:]), true
}

// IpsecVersionCode is what `ipsec --versioncode` prints: U5.9.8/K<kernel release>.
func IpsecVersionCode() string {
	_, rel, _, _ := Uname()
	return "U" + StrongSwan + "/K" + rel
}
