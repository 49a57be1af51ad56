package credentials

// A harness that runs Debian's strongSwan 5.9.8 (starter + charon) on hosts
// "moon" and "sun" (testing/nshost: network and mount namespaces of their
// own, a tmpfs /run, our ipsec.conf, ipsec.secrets and strongswan.conf and
// Debian's netbase in /etc). Nothing touches the machine's own
// configuration or namespaces, and every process we start is ended by PID
// on cleanup.

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

// charonConf loads kernel-libipsec because this machine's kernel has XFRM
// but no ESP; the retransmit settings make a failed exchange end quickly.
const charonConf = `charon {
  # settings
  load = random nonce aes sha1 sha2 hmac kdf openssl pem pkcs1 x509 gmp stroke kernel-libipsec kernel-netlink socket-default updown
  retransmit_tries = 2
  retransmit_timeout = 1.0
  retransmit_base = 1
  filelog {
    charonlog {
      path = /run/charon.log
      default = 1
      append = no
      flush_line = yes
    }
  }
}
`

// charonConfWith adds lines to the charon section of charonConf.
func charonConfWith(lines string) string {
	return strings.Replace(charonConf, "  # settings\n", lines, 1)
}

type charonHost struct {
	*nshost.Host
	t    *testing.T
	name string
}

// requireCharon skips (or fails in CI) unless root and Debian's strongSwan
// with the plugins charonConf loads are available.
func requireCharon(t *testing.T) {
	t.Helper()
	testenv.Short(t)
	for _, c := range []string{"/usr/lib/ipsec/charon", "/usr/lib/ipsec/starter", "/usr/sbin/ipsec"} {
		testenv.RequireCommand(t, c)
	}
	testenv.RequirePlugins(t, "random", "nonce", "aes", "sha1", "sha2", "hmac", "kdf", "openssl", "pem", "pkcs1",
		"x509", "gmp", "stroke", "kernel-libipsec", "kernel-netlink", "socket-default", "updown")
}

// newCharonHosts makes the named hosts (testing/nshost), links the first
// two with a veth pair (192.168.0.1 and .2 in the order given) and gives
// each an empty ipsec.conf and ipsec.secrets and charonConf. Call start on
// each after writing its config.
func newCharonHosts(t *testing.T, names ...string) []*charonHost {
	t.Helper()
	var specs []nshost.Spec
	for _, n := range names {
		specs = append(specs, nshost.Spec{Name: n, Files: append(nshost.Netbase(),
			nshost.File{Path: "/etc/ipsec.conf", Mode: 0o600},
			nshost.File{Path: "/etc/ipsec.secrets", Mode: 0o600},
			nshost.File{Path: "/etc/strongswan.conf", Mode: 0o600, Data: []byte(charonConf)})})
	}
	var hosts []*charonHost
	for _, h := range nshost.New(t, specs...) {
		ch := &charonHost{Host: h, t: t, name: h.Name}
		t.Cleanup(ch.stopCharon)
		hosts = append(hosts, ch)
	}
	if len(hosts) >= 2 {
		nshost.Link(t, hosts[0].Host, "eth0", hosts[1].Host, "eth0")
	}
	for i, h := range hosts {
		h.sh("ip link set lo up")
		if len(hosts) >= 2 && i < 2 {
			h.sh(fmt.Sprintf("ip addr add 192.168.0.%d/24 dev eth0 && ip link set eth0 up", i+1))
		}
	}
	return hosts
}

// write replaces a config file of the host's /etc.
func (h *charonHost) write(name, content string) {
	h.WriteFile(h.t, "/etc/"+name, []byte(content), 0o600)
}

// exec runs a command inside the host and returns its output (stdout and
// stderr).
func (h *charonHost) exec(args ...string) (string, error) {
	cmd, err := h.Command(nil, args...)
	if err != nil {
		return "", err
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (h *charonHost) sh(script string) string {
	out, err := h.exec("sh", "-c", script)
	if err != nil {
		h.t.Fatalf("%s: %s: %v\n%s", h.name, script, err, out)
	}
	return out
}

// start runs `ipsec start` and waits until charon lists every conn named.
// Polling: the daemons run on their own clocks (an interop harness).
func (h *charonHost) start(conns ...string) {
	t := h.t
	h.sh("ipsec start")
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := h.exec("ipsec", "statusall")
		if err == nil {
			missing := false
			for _, c := range conns {
				if !strings.Contains(out, " "+c+":") {
					missing = true
				}
			}
			if !missing {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: charon did not load its conns:\n%s\n%s", h.name, out, h.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *charonHost) log() string { return h.ReadFile(h.t, "/run/charon.log") }

// stopCharon stops starter and charon, then kills any of the two still
// running, by the PIDs their pid files name (only processes of this host).
func (h *charonHost) stopCharon() {
	pids := h.ReadFile(h.t, "/run/starter.charon.pid") + " " + h.ReadFile(h.t, "/run/charon.pid")
	_, _ = h.exec("ipsec", "stop")
	for _, f := range strings.Fields(pids) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = h.Signal(pid, syscall.SIGKILL)
		}
	}
}
