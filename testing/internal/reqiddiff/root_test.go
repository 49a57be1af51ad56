package reqiddiff

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/testenv"
)

// TestDifferentialReqIDs is the differential test in miniature, for make
// test: goswan on both gateways against Debian's charon on both, through
// a few random sequences (make reqid-diff runs a thousand). Every reqid on
// both gateways must agree after every step.
func TestDifferentialReqIDs(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "/usr/lib/ipsec/charon")
	testenv.Short(t)
	bin := t.TempDir()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	goCmd := "go"
	if g := os.Getenv("GO"); g != "" {
		goCmd = g
	}
	for _, c := range []string{"charon", "ipsec"} {
		cmd := exec.Command(goCmd, "build", "-o", filepath.Join(bin, c), "./cmd/"+c)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", c, err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out bytes.Buffer
	res, err := Run(ctx, Options{Test: "gg", Reference: "ss", GoswanBin: bin, Sequences: 6, Batch: 6, Seed: 1, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Sequences != 6 || res.ReqIDs == 0 {
		t.Fatalf("%d sequences, %d reqids compared\n%s", res.Sequences, res.ReqIDs, out.String())
	}
	if len(res.Mismatches) > 0 {
		t.Fatalf("%d mismatches:\n%s", len(res.Mismatches), out.String())
	}
	t.Logf("%d sequences, %d steps, %d reqids compared, %d races", res.Sequences, res.Steps, res.ReqIDs, len(res.Races))
}
