package encoding

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

// TestLiveCapture runs testing/capture/ike-capture.sh against Debian's
// charon 5.9.8 now, in the gse-* namespaces the script makes (a capture
// tool of its own, run by hand to record the committed captures, so not on
// testing/nshost), and checks the fresh traffic the
// way the committed captures are checked: every packet, decrypted with the
// keys the charons just logged, summarises to their log lines.
func TestLiveCapture(t *testing.T) {
	testenv.Short(t)
	testenv.RequireRoot(t)
	for _, cmd := range []string{"/usr/lib/ipsec/charon", "/usr/sbin/ipsec", "tcpdump", "tshark", "nsenter", "unshare", "python3"} {
		testenv.RequireCommand(t, cmd)
	}
	// What the script's strongswan.conf loads.
	testenv.RequirePlugins(t, "random", "nonce", "aes", "sha1", "sha2", "hmac", "gcm", "kdf", "openssl", "pem", "pkcs1",
		"x509", "gmp", "curve25519", "md5", "eap-md5", "eap-identity", "attr", "stroke", "kernel-libipsec",
		"kernel-netlink", "socket-default")
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
