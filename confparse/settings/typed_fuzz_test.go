package settings

import "testing"

// FuzzTyped: any value in strongswan.conf reads as a boolean, number,
// fraction or time, or as the default.
func FuzzTyped(f *testing.F) {
	for _, s := range []string{"yes", "no", "1", "0x10", "-5", "1.5", "30s", "2h", "3d", "99999999999999999999", "s", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		_ = ParseBool(v, true)
		_ = ParseInt(v, 7)
		_ = ParseDouble(v, 1.5)
		_, _ = ParseTime(v)
	})
}
