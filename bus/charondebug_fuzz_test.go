package bus

import "testing"

// FuzzParseCharondebug: any charondebug= value from ipsec.conf gives
// levels or an error.
func FuzzParseCharondebug(f *testing.F) {
	for _, s := range []string{"ike 2, knl 3, cfg 0", "all -1", "ike", "ike 2 knl", ",,", "xyz 4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l, err := ParseCharondebug(s, DefaultLevels()); err == nil {
			for g := range NumGroups {
				_ = l[g]
			}
		}
	})
}
