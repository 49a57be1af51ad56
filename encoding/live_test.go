package encoding

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

// TestLiveCapture runs testing/capture/ike-capture.sh against Debian's
// charon 5.9.8 now, in gse-* namespaces, and checks the fresh traffic the
// way the committed captures are checked: every packet, decrypted with the
// keys the charons just logged, summarises to their log lines.
func TestLiveCapture(t *testing.T) {
	testenv.Short(t)
	testenv.RequireRoot(t)
	for _, cmd := range []string{"/usr/lib/ipsec/charon", "/usr/sbin/ipsec", "tcpdump", "tshark", "nsenter", "unshare"} {
		testenv.RequireCommand(t, cmd)
	}
	out := t.TempDir()
	script, _ := filepath.Abs(filepath.Join("..", "testing", "capture", "ike-capture.sh"))
	runs := []string{"default", "frag"}
	cmd := exec.Command(script, append([]string{out}, runs...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, b)
	}
	for _, run := range runs {
		t.Run(run, func(t *testing.T) { checkSummaries(t, loadCaptureDir(t, out, run)) })
	}
}
