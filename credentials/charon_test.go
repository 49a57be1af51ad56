package credentials

// A harness that runs Debian's strongSwan 5.9.8 (starter + charon) on hosts
// "moon" and "sun" in network namespaces named gsi-cred<pid>-<host>, each
// with a private mount namespace in which /run is a tmpfs and our own
// ipsec.conf, ipsec.secrets and strongswan.conf are bind-mounted over /etc.
// Nothing touches the machine's own configuration or namespaces, and every
// process we start is ended by PID on cleanup.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
	t      *testing.T
	name   string
	netns  string
	dir    string
	holder *exec.Cmd
	mntNS  string // the holder's mount namespace, to recognise our processes
}

// requireCharon skips (or fails in CI) unless root and Debian's strongSwan
// are available.
func requireCharon(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.Short(t)
	for _, c := range []string{"/usr/lib/ipsec/charon", "/usr/lib/ipsec/starter", "ipsec", "ip", "nsenter", "unshare"} {
		testenv.RequireCommand(t, c)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newCharonHosts creates the namespaces for the named hosts, links the first
// two with a veth pair (192.168.0.1 and .2 in the order given) and prepares
// their mount namespaces. Call start on each after writing its config.
func newCharonHosts(t *testing.T, names ...string) []*charonHost {
	t.Helper()
	prefix := fmt.Sprintf("gsi-cred%d", os.Getpid()%100000)
	var hosts []*charonHost
	for _, n := range names {
		h := &charonHost{t: t, name: n, netns: prefix + "-" + n, dir: t.TempDir()}
		run(t, "ip", "netns", "add", h.netns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", h.netns).Run() })
		for _, f := range []string{"ipsec.conf", "ipsec.secrets", "strongswan.conf"} {
			if err := os.WriteFile(filepath.Join(h.dir, f), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		h.write("strongswan.conf", charonConf)
		hosts = append(hosts, h)
	}
	if len(hosts) >= 2 {
		run(t, "ip", "-n", hosts[0].netns, "link", "add", "eth0", "type", "veth",
			"peer", "name", "eth0", "netns", hosts[1].netns)
	}
	for i, h := range hosts {
		run(t, "ip", "-n", h.netns, "link", "set", "lo", "up")
		if len(hosts) >= 2 && i < 2 {
			run(t, "ip", "-n", h.netns, "addr", "add", fmt.Sprintf("192.168.0.%d/24", i+1), "dev", "eth0")
			run(t, "ip", "-n", h.netns, "link", "set", "eth0", "up")
		}
		h.enter()
	}
	return hosts
}

// enter starts the process that holds the host's private mount namespace
// and mounts the host's files there.
func (h *charonHost) enter() {
	t := h.t
	h.holder = exec.Command("ip", "netns", "exec", h.netns,
		"unshare", "-m", "--propagation", "private", "sleep", "infinity")
	if err := h.holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.stopCharon()
		_ = h.holder.Process.Kill()
		_ = h.holder.Wait()
	})
	self, _ := os.Readlink("/proc/self/ns/mnt")
	deadline := time.Now().Add(10 * time.Second)
	for {
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", h.holder.Process.Pid))
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", h.holder.Process.Pid))
		if err == nil && ns != self && strings.HasSuffix(exe, "/sleep") {
			h.mntNS = ns
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: mount namespace holder did not come up", h.name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.sh(fmt.Sprintf("mount -t tmpfs tmpfs /run && "+
		"mount --bind %[1]s/ipsec.conf /etc/ipsec.conf && "+
		"mount --bind %[1]s/ipsec.secrets /etc/ipsec.secrets && "+
		"mount --bind %[1]s/strongswan.conf /etc/strongswan.conf", h.dir))
}

// write replaces a config file in place (the bind mount follows the inode).
func (h *charonHost) write(name, content string) {
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// exec runs a command inside the host's namespaces.
func (h *charonHost) exec(args ...string) (string, error) {
	full := append([]string{"-t", strconv.Itoa(h.holder.Process.Pid), "-m", "-n"}, args...)
	out, err := exec.Command("nsenter", full...).CombinedOutput()
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

func (h *charonHost) log() string {
	out, _ := h.exec("cat", "/run/charon.log")
	return out
}

// stopCharon stops starter and charon, then ends any of the two still
// running, by the PIDs their pid files name and only if that PID still lives
// in this host's mount namespace.
func (h *charonHost) stopCharon() {
	if h.holder == nil || h.holder.Process == nil || h.mntNS == "" {
		return
	}
	pids, _ := h.exec("sh", "-c", "cat /run/starter.charon.pid /run/charon.pid 2>/dev/null")
	_, _ = h.exec("ipsec", "stop")
	for _, f := range strings.Fields(pids) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 1 {
			continue
		}
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid)); err != nil || ns != h.mntNS {
			continue
		}
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}
