package interop

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/tasks"
	"github.com/goswan/goswan/testing/internal/swanlab"
)

// TestSwanctlCertificatesAgainstBothDaemons is the certificate lab: moon
// and sun authenticate gw-gw with the test PKI's certificates, which
// Debian's swanctl loads from /etc/swanctl (x509, x509ca, x509crl, rsa).
// moon runs Debian's charon once and goswan's once (sun: Debian's), and
// what swanctl prints — --load-all, --list-certs with and without
// filters, --list-conns, --list-sas, broken credentials, --load-creds
// --clear, --flush-certs — and the credential lines of charon's log must
// be the same apart from SPIs and times.
func TestSwanctlCertificatesAgainstBothDaemons(t *testing.T) {
	bin := labBin(t, "/usr/sbin/swanctl")
	want := swanctlCertTranscript(t, "strongswan", bin)
	got := swanctlCertTranscript(t, "goswan", bin)
	if t.Failed() {
		return
	}
	compareTranscripts(t, want, got, nil)
}

// credLogLines are charon's log lines about loading credentials over vici,
// without the time stamp.
const credLogLines = `grep -E "loaded (certificate|RSA|ECDSA|ED25519|ANY)|private key|certificate failed|lacks CA|id not specified" ` +
	`/var/log/daemon.log | sed 's/^.\{16\}//'`

func swanctlCertTranscript(t *testing.T, moonImpl, bin string) []transcriptStep {
	t.Helper()
	testingDir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	lab, loaded, closeLab := startLab(ctx, t, moonImpl, bin, swanlab.Options{Certs: true})
	defer closeLab()
	out := []transcriptStep{{"load-all", "swanctl --load-all --noprompt", loaded}}
	// run records a command's output; failing commands (the broken
	// credentials) are recorded with their error output.
	run := func(step, cmd string, mayFail bool) {
		o, stderr, err := lab.Run("moon", cmd, 60*time.Second)
		if err != nil && !mayFail {
			t.Errorf("%s: moon# %s: %v\n%s", moonImpl, cmd, err, stderr)
		}
		if mayFail {
			o += stderr
		}
		out = append(out, transcriptStep{step, cmd, o})
	}
	run("list-certs", "swanctl --list-certs", false)
	run("list-certs-x509ca", "swanctl --list-certs --type x509ca", false)
	run("list-certs-crl", "swanctl --list-certs --type x509crl", false)
	run("list-certs-subject", `swanctl --list-certs --subject "C=CH, O=strongSwan Project, CN=moon.strongswan.org"`, false)
	run("list-conns", "swanctl --list-conns", false)
	run("initiate", "swanctl --initiate --child net-net", false)
	if err := lab.WaitFor("moon", "swanctl --list-sas", regexp.MustCompile(`net-net: #1, reqid 1, INSTALLED`), 20*time.Second); err != nil {
		t.Errorf("%s: %v", moonImpl, err)
	}
	run("list-sas", "swanctl --list-sas", false)
	run("list-certs-established", "swanctl --list-certs", false)
	// More key types than the lab's RSA: an ECDSA key (SEC1, ecdsa/) and
	// an Ed25519 one (PKCS#8, private/, sent as type ANY), with their
	// certificates and CAs from the stroke scenarios' PKI.
	run("load-more-keys", moreCredsCommand(t, testingDir)+"swanctl --load-creds --noprompt", false)
	run("list-certs-more-keys", "swanctl --list-certs", false)
	// Broken credentials from the socket: garbage as a certificate, an
	// end entity certificate as a CA, a truncated CRL. Each gets its
	// error reply; what was loaded stays.
	run("load-broken", "echo garbage >/etc/swanctl/x509/broken.pem; "+
		"cp /etc/swanctl/x509/moonCert.pem /etc/swanctl/x509ca/notca.pem; "+
		"head -c 100 /etc/swanctl/x509crl/strongswan.crl >/etc/swanctl/x509crl/short.crl; "+
		"swanctl --load-creds --noprompt", true)
	run("list-certs-after-broken", "swanctl --list-certs", false)
	run("remove-broken", "rm /etc/swanctl/x509/broken.pem /etc/swanctl/x509ca/notca.pem /etc/swanctl/x509crl/short.crl; "+
		"swanctl --load-creds --clear --noprompt", false)
	run("list-certs-cleared", "swanctl --list-certs", false)
	run("flush-certs", "swanctl --flush-certs && swanctl --list-certs", false)
	run("terminate", "swanctl --terminate --ike gw-gw", false)
	run("log", credLogLines, false)
	return out
}

// A fragmented IKE_AUTH loses the unannounced notifies' bytes from the
// split size and from its last fragment only. The notifies are whichever
// goswan does not announce today (tasks.Unannounced), 8 bytes each.
func TestWithoutUnannouncedFragmented(t *testing.T) {
	var extra string
	for _, n := range tasks.Unannounced() {
		extra += " N(" + n.ShortName() + ")"
	}
	k := 8 * len(tasks.Unannounced())
	msg := func(notifies string, size, last int) string {
		return strings.Join([]string{
			"[ENC] generating IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ IDr AUTH SA TSi TSr N(MULT_AUTH)" + notifies + " ]",
			fmt.Sprintf("[ENC] splitting IKE message (%d bytes) into 2 fragments", size),
			"[ENC] generating IKE_AUTH request 1 [ EF(1/2) ]",
			"[ENC] generating IKE_AUTH request 1 [ EF(2/2) ]",
			"[NET] sending packet: from 192.168.0.1[4500] to 192.168.0.2[4500] (1236 bytes)",
			fmt.Sprintf("[NET] sending packet: from 192.168.0.1[4500] to 192.168.0.2[4500] (%d bytes)", last),
			"[NET] received packet: from 192.168.0.2[4500] to 192.168.0.1[4500] (1236 bytes)",
		}, "\n")
	}
	in, want := msg(extra, 1824+k, 660+k), msg("", 1824, 660)
	if got := withoutUnannounced(in); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// moreCredsCommand writes the ECDSA and Ed25519 credentials into moon's
// /etc/swanctl (a shell command, ending in "; ").
func moreCredsCommand(t *testing.T, testingDir string) string {
	t.Helper()
	tests := filepath.Join(testingDir, "tests", "ikev2")
	var cmd strings.Builder
	for _, f := range []struct{ from, to string }{
		{"rw-ecdsa-certs/hosts/carol/etc/ipsec.d/private/carolKey.pem", "ecdsa/carolKey.pem"},
		{"rw-ecdsa-certs/hosts/carol/etc/ipsec.d/certs/carolCert.pem", "x509/carolCert.pem"},
		{"rw-ecdsa-certs/hosts/carol/etc/ipsec.d/cacerts/strongswanCert.pem", "x509ca/strongswanEcdsaCert.pem"},
		{"net2net-ed25519/hosts/moon/etc/ipsec.d/private/moonKey.pem", "private/moonEd25519Key.pem"},
		{"net2net-ed25519/hosts/moon/etc/ipsec.d/certs/moonCert.pem", "x509/moonEd25519Cert.pem"},
		{"net2net-ed25519/hosts/moon/etc/ipsec.d/cacerts/strongswanCert.pem", "x509ca/strongswanEd25519Cert.pem"},
	} {
		b, err := os.ReadFile(filepath.Join(tests, f.from))
		if err != nil {
			t.Fatal(err)
		}
		dst := "/etc/swanctl/" + f.to
		cmd.WriteString("mkdir -p " + filepath.Dir(dst) + " && echo " + base64.StdEncoding.EncodeToString(b) +
			" | base64 -d >" + dst + "; ")
	}
	return cmd.String()
}

var (
	reFragmentParsed = regexp.MustCompile(`\[ENC\] parsed \S+ (request|response) \d+ \[ EF\(\d+/\d+\) \]`)
	reFragmentDone   = regexp.MustCompile(`\[ENC\] received fragment #\d+ of \d+, (reassembled fragmented IKE message \(\d+ bytes\))`)
)

// fragmentsInAnyOrder lets the fragments of a received message be
// processed in any order, as charon's worker threads (and goswan's) may
// take them: their packet, parse and "waiting" lines go, the reassembly
// (with the message's size) stays.
func fragmentsInAnyOrder(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	for i, l := range lines {
		switch {
		case reFragmentParsed.MatchString(l), strings.Contains(l, "waiting for complete IKE message"):
			continue
		case strings.Contains(l, "[NET] received packet: ") && i+1 < len(lines) && reFragmentParsed.MatchString(lines[i+1]):
			continue
		}
		if m := reFragmentDone.FindStringSubmatchIndex(l); m != nil {
			l = l[:m[0]] + "[ENC] " + l[m[2]:m[3]] + l[m[1]:]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func TestFragmentsInAnyOrder(t *testing.T) {
	a := strings.Join([]string{
		"[NET] received packet: from 192.168.0.2[4500] to 192.168.0.1[4500] (1236 bytes)",
		"[ENC] parsed IKE_AUTH response 1 [ EF(1/2) ]",
		"[ENC] received fragment #1 of 2, waiting for complete IKE message",
		"[NET] received packet: from 192.168.0.2[4500] to 192.168.0.1[4500] (596 bytes)",
		"[ENC] parsed IKE_AUTH response 1 [ EF(2/2) ]",
		"[ENC] received fragment #2 of 2, reassembled fragmented IKE message (1760 bytes)",
		"[ENC] parsed IKE_AUTH response 1 [ IDr CERT AUTH SA TSi TSr ]",
	}, "\n")
	b := strings.Join([]string{
		"[NET] received packet: from 192.168.0.2[4500] to 192.168.0.1[4500] (596 bytes)",
		"[ENC] parsed IKE_AUTH response 1 [ EF(2/2) ]",
		"[ENC] received fragment #2 of 2, waiting for complete IKE message",
		"[NET] received packet: from 192.168.0.2[4500] to 192.168.0.1[4500] (1236 bytes)",
		"[ENC] parsed IKE_AUTH response 1 [ EF(1/2) ]",
		"[ENC] received fragment #1 of 2, reassembled fragmented IKE message (1760 bytes)",
		"[ENC] parsed IKE_AUTH response 1 [ IDr CERT AUTH SA TSi TSr ]",
	}, "\n")
	want := "[ENC] reassembled fragmented IKE message (1760 bytes)\n[ENC] parsed IKE_AUTH response 1 [ IDr CERT AUTH SA TSi TSr ]"
	if fa, fb := fragmentsInAnyOrder(a), fragmentsInAnyOrder(b); fa != want || fb != want {
		t.Errorf("got\n%s\nand\n%s\nwant\n%s", fa, fb, want)
	}
	if fragmentsInAnyOrder(strings.Replace(a, "1760", "1761", 1)) == want {
		t.Error("the reassembled size is not compared")
	}
}
