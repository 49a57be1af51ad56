package runner

import (
	"strings"
	"testing"
)

// TestPick: Pick fails at the first name that is unknown or whose
// programs are missing.
func TestPick(t *testing.T) {
	bin := t.TempDir() // no ipsec or charon in it
	if _, err := Pick(bin, "goswan", "x"); err == nil || !strings.Contains(err.Error(), "build goswan first") {
		t.Errorf("missing goswan: %v", err)
	}
	if _, err := Pick(bin, "x", "goswan"); err == nil || !strings.Contains(err.Error(), `unknown implementation "x"`) {
		t.Errorf("unknown name: %v", err)
	}
	if p, err := Pick(bin); err != nil || len(p) != 0 {
		t.Errorf("no names: %v %v", p, err)
	}
}
