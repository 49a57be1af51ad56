package stroke

import (
	"fmt"
	"testing"
)

// TestEnumStrings pins the names of starter's enums and the form of a value
// outside them, which the shared enumName helper prints for every type.
func TestEnumStrings(t *testing.T) {
	for _, c := range []struct {
		v    fmt.Stringer
		want string
	}{
		{CRLStrictIfURI, "ifuri"},
		{CRLPolicy(3), "CRLPolicy(3)"},
		{ModeTunnel, "TUNNEL"},
		{ModeDrop, "DROP"},
		{Mode(-1), "Mode(-1)"},
		{ActionRestart, "restart"},
		{Action(4), "Action(4)"},
		{FragmentationForce, "force"},
		{UniqueNever, "never"},
		{Unique(5), "Unique(5)"},
		{SendCertIfAsked, "ifasked"},
		{CertPolicy(7), "CertPolicy(7)"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T %v: String() = %q, want %q", c.v, c.v, got, c.want)
		}
	}
}
