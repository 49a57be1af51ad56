package settings

import "testing"

// TestMakeBeforeBreakSupported: charon.make_before_break=yes was refused
// while goswan reauthenticated only break-before-make; it is honoured now
// (tasks: trigger_mbb_reauth, ike_reauth_complete), so neither checkconf
// nor charon names it.
func TestMakeBeforeBreakSupported(t *testing.T) {
	s, err := Parse("strongswan.conf", []byte("charon {\n\tmake_before_break = yes\n}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Unsupported("charon"); len(r) != 0 {
		t.Errorf("refused: %v", r)
	}
	if !s.Bool("charon.make_before_break", false) {
		t.Error("make_before_break not read")
	}
}
