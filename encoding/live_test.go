package encoding

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/pcap"
	"github.com/goswan/goswan/testing/testenv"
)

// TestLiveCapture records IKE traffic between two of Debian's charons now,
// as testing/capture/ike-capture.sh recorded the committed captures (same
// configuration, same exchanges: up, CHILD_SA rekey, IKE_SA rekey, down),
// on hosts of the shared harness (testing/nshost), and checks the fresh
// traffic the way the committed captures are checked: every packet,
// decrypted with the keys the charons just logged, summarises to their log
// lines. So the golden data cannot drift from what the installed strongSwan
// sends.
func TestLiveCapture(t *testing.T) {
	testenv.Short(t)
	for _, cmd := range []string{"/usr/lib/ipsec/charon", "/usr/lib/ipsec/starter", "/usr/sbin/ipsec", "tcpdump"} {
		testenv.RequireCommand(t, cmd)
	}
	testenv.RequirePlugins(t, strings.Fields(liveLoad)...)
	nshost.Require(t)
	out := t.TempDir()
	for _, run := range []string{"default", "frag"} {
		t.Run(run, func(t *testing.T) {
			liveCapture(t, filepath.Join(out, run), run)
			checkSummaries(t, loadCaptureDir(t, out, run))
		})
	}
}

// liveLoad is what the capture's strongswan.conf loads (kernel-libipsec:
// the kernel here may have XFRM but no ESP).
const liveLoad = "random nonce aes sha1 sha2 hmac kdf openssl pem pkcs1 x509 gmp curve25519 stroke kernel-libipsec kernel-netlink socket-default"

const liveSwanConf = `charon {
  load = %s
  retransmit_tries = 3
  retransmit_timeout = 2.0
  %s
  filelog {
    capture {
      path = /run/charon.log
      time_format = %%b %%e %%T
      append = no
      flush_line = yes
      default = 1
      ike = 4
      enc = 4
      cfg = 2
      knl = 2
      net = 2
      chd = 2
    }
  }
}
`

const liveIpsecConf = `config setup

conn %%default
	ikelifetime=60m
	keylife=20m
	rekeymargin=3m
	keyingtries=1
	keyexchange=ikev2
	mobike=no

conn net-net
	authby=secret
	left=%s
	leftid=@%s
	leftsubnet=%s
	right=%s
	rightid=@%s
	rightsubnet=%s
	%s
	auto=add
`

// liveCapture runs one capture into dir: packets/*.bin (the IKE messages
// in capture order, named as ike-capture.sh names them) and both charons'
// logs.
func liveCapture(t *testing.T, dir, run string) {
	type end struct{ name, ip, net, id string }
	ends := []end{{"moon", "192.168.0.1", "10.1.0.0/16", "moon.strongswan.org"},
		{"sun", "192.168.0.2", "10.2.0.0/16", "sun.strongswan.org"}}
	extraSwan, extraConn := "", ""
	if run == "frag" {
		extraSwan, extraConn = "fragment_size = 256", "fragmentation=force"
	}
	var specs []nshost.Spec
	for i, e := range ends {
		o := ends[1-i]
		specs = append(specs, nshost.Spec{Name: e.name, Files: append(nshost.Netbase(),
			nshost.File{Path: "/etc/strongswan.conf", Mode: 0o644, Data: []byte(fmt.Sprintf(liveSwanConf, liveLoad, extraSwan))},
			nshost.File{Path: "/etc/ipsec.conf", Mode: 0o644, Data: []byte(fmt.Sprintf(liveIpsecConf,
				e.ip, e.id, e.net, o.ip, o.id, o.net, extraConn))},
			nshost.File{Path: "/etc/ipsec.secrets", Mode: 0o600,
				Data: []byte("@moon.strongswan.org @sun.strongswan.org : PSK \"gse capture 7Qx2-vLm9-pW4r\"\n")})})
	}
	hosts := nshost.New(t, specs...)
	moon, sun := hosts[0], hosts[1]
	nshost.Link(t, moon, "eth0", sun, "eth0")
	for i, h := range hosts {
		h.Sh(t, fmt.Sprintf("ip link set lo up && ip link set eth0 up && ip addr add %s/24 dev eth0 && ip addr add %s/16 dev lo",
			ends[i].ip, strings.Replace(ends[i].net, ".0/16", ".1", 1)))
	}

	// tcpdump's output lands in moon's private /run, read through the host.
	errF, err := os.Create(filepath.Join(t.TempDir(), "tcpdump.err"))
	if err != nil {
		t.Fatal(err)
	}
	defer errF.Close()
	td, err := moon.Start(nil, errF, "tcpdump", "-U", "-n", "-i", "eth0", "-s", "0", "-w", "/run/ike.pcap",
		"udp port 500 or udp port 4500")
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stopTcpdump := func() {
		if !stopped {
			stopped = true
			_ = moon.Signal(td.Process.Pid, syscall.SIGTERM)
			_ = td.Wait()
		}
	}
	defer stopTcpdump()
	waitFor(t, "tcpdump listening", func() bool {
		b, _ := os.ReadFile(errF.Name())
		return strings.Contains(string(b), "listening on")
	})

	logOf := func(h *nshost.Host) string { return h.ReadFile(t, "/run/charon.log") }
	count := func(h *nshost.Host, re string) int {
		return len(regexp.MustCompile(re).FindAllStringIndex(logOf(h), -1))
	}
	waitLog := func(h *nshost.Host, re string, n int) {
		t.Helper()
		waitFor(t, fmt.Sprintf("%s: %d × %q", h.Name, n, re), func() bool { return count(h, re) >= n })
	}
	sun.Sh(t, "ipsec start")
	moon.Sh(t, "ipsec start")
	t.Cleanup(func() {
		for _, h := range hosts {
			h.Run(context.Background(), "ipsec stop", 20*time.Second)
		}
	})
	waitLog(sun, "added configuration 'net-net'", 1)
	waitLog(moon, "added configuration 'net-net'", 1)
	if up := moon.Sh(t, "ipsec up net-net"); !strings.Contains(up, "connection 'net-net' established successfully") {
		t.Fatalf("ipsec up net-net:\n%s", up)
	}
	moon.Sh(t, "ipsec stroke rekey 'net-net{1}'")
	// The CHILD_SA rekey ends with moon's INFORMATIONAL deleting the old
	// CHILD_SA, the IKE_SA rekey with an empty one.
	waitLog(moon, `parsed INFORMATIONAL response \d+ \[ D \]`, 1)
	moon.Sh(t, "ipsec stroke rekey 'net-net[1]'")
	waitLog(moon, `parsed INFORMATIONAL response \d+ \[ \]`, 1)
	moon.Sh(t, "ipsec down net-net")
	waitLog(sun, "IKE_SA deleted", 1)

	// tcpdump writes each packet as it comes (-U); wait until it holds as
	// many IKE packets as the charons say they sent.
	sent := count(moon, `(?m)sending packet: .* bytes\)$`) + count(sun, `(?m)sending packet: .* bytes\)$`)
	var msgs []pcap.Datagram
	waitFor(t, fmt.Sprintf("%d IKE packets in the capture", sent), func() bool {
		b := moon.ReadFile(t, "/run/ike.pcap")
		ds, err := pcap.UDP([]byte(b))
		if err != nil {
			return false // a record still being written
		}
		msgs = msgs[:0]
		for _, d := range ds {
			if _, ok := pcap.IKE(d); ok {
				msgs = append(msgs, d)
			}
		}
		return len(msgs) >= sent
	})
	stopTcpdump()
	if len(msgs) != sent {
		t.Fatalf("captured %d IKE packets, the charons sent %d", len(msgs), sent)
	}
	t.Logf("%s: captured %d IKE packets, as many as the charons sent", run, sent)

	if err := os.MkdirAll(filepath.Join(dir, "packets"), 0o755); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"192.168.0.1": "moon", "192.168.0.2": "sun"}
	exchanges := map[byte]string{34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}
	for i, d := range msgs {
		ike, _ := pcap.IKE(d)
		ex, ok := exchanges[ike[18]]
		if !ok {
			ex = fmt.Sprintf("EXCHANGE_%d", ike[18])
		}
		kind := "request"
		if ike[19]&0x20 != 0 {
			kind = "response"
		}
		name := fmt.Sprintf("%03d_%s_%s_%s-%s", i+1, ex, kind, names[d.Src.Addr().String()], names[d.Dst.Addr().String()])
		if ike[16] == 53 && len(ike) >= 36 { // SKF first: its fragment number and total
			name += fmt.Sprintf("_frag%d-of-%d", int(ike[32])<<8|int(ike[33]), int(ike[34])<<8|int(ike[35]))
		}
		if err := os.WriteFile(filepath.Join(dir, "packets", name+".bin"), ike, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hosts {
		if err := os.WriteFile(filepath.Join(dir, h.Name+".charon.log"), []byte(logOf(h)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond for up to 30 s (the charons answer in well under a
// second; the bound is for a loaded machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
