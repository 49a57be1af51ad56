package kernel_netlink

import (
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/internal/netdb"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/nshost"
)

// testNS is a fresh network namespace (testing/nshost), removed at the end
// of the test.
type testNS struct {
	name string
	h    netns.NsHandle
}

func newTestNS(t *testing.T) *testNS {
	t.Helper()
	name := nshost.NewNetNS(t, "kn")
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("opening network namespace %s: %v", name, err)
	}
	t.Cleanup(func() { h.Close() })
	ns := &testNS{name: name, h: h}
	ns.ip(t, "link", "set", "lo", "up")
	return ns
}

// ip runs iproute2 inside the namespace and returns its output, with the
// protocols of selectors as numbers (see numericProtos).
func (ns *testNS) ip(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns.name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	// iproute2 named them with this machine's /etc/protocols: the test
	// reads the same file only to undo that.
	return numericProtos(string(out), netdb.System())
}

// selectorProto is the protocol of a selector in `ip xfrm` output ("src
// 10.1.0.0/16 dst 10.3.0.0/24 proto tcp dport 443", "sel src … proto udp"),
// not the SA protocol of a template or state ("proto esp", iproute2's own
// table).
var selectorProto = regexp.MustCompile(`(?m)(src \S+ dst \S+ proto )([A-Za-z][A-Za-z0-9_.+-]*)`)

// numericProtos writes selector protocols as numbers, read with db: iproute2
// prints a name if the machine has netbase and a number if not, and
// charon's captures have Debian's names; the number is what all of them
// mean.
func numericProtos(s string, db *netdb.DB) string {
	return selectorProto.ReplaceAllStringFunc(s, func(m string) string {
		sub := selectorProto.FindStringSubmatch(m)
		if n, ok := db.Protocol(sub[2]); ok {
			return sub[1] + strconv.Itoa(int(n))
		}
		return m
	})
}

// exec runs a command inside the namespace.
func (ns *testNS) exec(args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns.name}, args...)...).CombinedOutput()
	return string(out), err
}

// logRecorder collects log lines as "[KNL] message".
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Logf(g bus.Group, l bus.Level, format string, args ...any) {
	r.mu.Lock()
	r.lines = append(r.lines, fmt.Sprintf("[%s] %s", g, fmt.Sprintf(format, args...)))
	r.mu.Unlock()
}

func (r *logRecorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func (r *logRecorder) has(t *testing.T, line string) {
	t.Helper()
	for _, l := range strings.Split(r.text(), "\n") {
		if l == line {
			return
		}
	}
	t.Errorf("log lacks %q; got:\n%s", line, r.text())
}

// eventRecorder is a kernel.Listener that queues events.
type eventRecorder struct {
	ch chan string
}

func newEventRecorder() *eventRecorder { return &eventRecorder{ch: make(chan string, 64)} }

func (e *eventRecorder) Acquire(reqid uint32, src, dst selectors.TS) {
	e.ch <- fmt.Sprintf("acquire reqid %d %s === %s", reqid, src, dst)
}
func (e *eventRecorder) Expire(proto uint8, spi uint32, dst netip.Addr, hard bool) {
	e.ch <- fmt.Sprintf("expire proto %d spi %08x dst %s hard %v", proto, spi, dst, hard)
}
func (e *eventRecorder) Mapping(proto uint8, spi uint32, dst netip.Addr, remote netip.AddrPort) {
	e.ch <- fmt.Sprintf("mapping spi %08x dst %s to %s", spi, dst, remote)
}
func (e *eventRecorder) Migrate(reqid uint32, src, dst selectors.TS, dir kernel.PolicyDir, local, remote netip.Addr) {
	e.ch <- fmt.Sprintf("migrate reqid %d %s === %s %s %s...%s", reqid, src, dst, dir, local, remote)
}
func (e *eventRecorder) Roam(address bool) { e.ch <- fmt.Sprintf("roam address %v", address) }

// wait returns the next event or fails after timeout (events come from the
// real kernel; the timeout only guards against a hang).
func (e *eventRecorder) wait(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case ev := <-e.ch:
		return ev
	case <-time.After(timeout):
		t.Fatalf("no kernel event within %s", timeout)
	}
	return ""
}

// waitPrefix skips other events (roaming while the test sets up addresses)
// until one starts with prefix.
func (e *eventRecorder) waitPrefix(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		select {
		case ev := <-e.ch:
			if strings.HasPrefix(ev, prefix) {
				return ev
			}
		case <-time.After(time.Until(deadline)):
			t.Fatalf("no %q event within %s", prefix, timeout)
			return ""
		}
	}
}

func mustTS(t *testing.T, s string, proto uint8, from, to uint16) selectors.TS {
	t.Helper()
	ts, err := selectors.ParseCIDR(s, proto, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func anyPorts(t *testing.T, s string) selectors.TS { return mustTS(t, s, 0, 0, 0xffff) }

// newBackend creates both halves in ns, wired as the daemon wires them.
func newBackend(t *testing.T, ns *testNS, o Options) (*IPsec, *Net, *logRecorder, *eventRecorder) {
	t.Helper()
	rec := &logRecorder{}
	ev := newEventRecorder()
	o.Log = rec
	o.Listener = ev
	o.NetNS = ns.h
	n, err := NewNet(o)
	if err != nil {
		t.Fatalf("NewNet: %v", err)
	}
	ip, err := NewIPsec(o, n)
	if err != nil {
		n.Close()
		t.Fatalf("NewIPsec: %v", err)
	}
	t.Cleanup(func() {
		ip.Close()
		n.Close()
	})
	return ip, n, rec, ev
}

func nlAttr(typ int, data []byte) *nl.RtAttr { return nl.NewRtAttr(typ, data) }
