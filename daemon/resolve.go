package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
)

// resolvconfExec is the resolvconf program; if it exists, DNS servers go
// through it instead of being written to the file (resolve plugin).
const resolvconfExec = "/sbin/resolvconf"

// resolveHandler is the resolve plugin's attribute handler: DNS servers a
// client receives are written to the top of resolv.conf (or handed to
// resolvconf), counted by use, and removed with their last user.
type resolveHandler struct {
	file          string
	useResolvconf bool
	ifacePrefix   string
	mu            sync.Mutex
	servers       map[netip.Addr]int
}

func newResolveHandler(d *Daemon) *resolveHandler {
	s := d.Settings()
	h := &resolveHandler{file: s.Str("charon.plugins.resolve.file", "/etc/resolv.conf"), servers: map[netip.Addr]int{}}
	if _, err := os.Stat(resolvconfExec); err == nil {
		h.useResolvconf = true
		h.ifacePrefix = s.Str("charon.plugins.resolve.resolvconf.iface_prefix", "lo.inet.ipsec.")
	}
	return h
}

func dnsServer(a attributes.Attribute) (netip.Addr, bool) {
	switch a.Type {
	case encoding.AttrInternalIP4DNS:
		if len(a.Value) != 4 {
			return netip.Addr{}, false
		}
	case encoding.AttrInternalIP6DNS:
		if len(a.Value) != 16 {
			return netip.Addr{}, false
		}
	default:
		return netip.Addr{}, false
	}
	ip, _ := netip.AddrFromSlice(a.Value)
	return ip, !ip.IsUnspecified()
}

func logIKE(sa attributes.SA, format string, args ...any) {
	if sa.Log != nil {
		sa.Log.Logf(bus.IKE, bus.Control, format, args...)
	}
}

// Handle implements attributes.Handler.
func (h *resolveHandler) Handle(sa attributes.SA, a attributes.Attribute) bool {
	ip, ok := dnsServer(a)
	if !ok {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.servers[ip] > 0 {
		logIKE(sa, "DNS server %s already installed, increasing refcount", ip)
		h.servers[ip]++
		return true
	}
	var handled bool
	if h.useResolvconf {
		handled = h.resolvconf(sa, ip, true)
	} else {
		handled = h.writeNameserver(sa, ip)
	}
	if !handled {
		logIKE(sa, "adding DNS server failed")
		return false
	}
	h.servers[ip] = 1
	return true
}

// Release implements attributes.Handler.
func (h *resolveHandler) Release(sa attributes.SA, a attributes.Attribute) {
	var ip netip.Addr
	switch a.Type {
	case encoding.AttrInternalIP4DNS, encoding.AttrInternalIP6DNS:
		ip, _ = netip.AddrFromSlice(a.Value)
	default:
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.servers[ip]
	if !ok {
		return
	}
	if n > 1 {
		h.servers[ip] = n - 1
		logIKE(sa, "DNS server %s still used, decreasing refcount", ip)
		return
	}
	if h.useResolvconf {
		h.resolvconf(sa, ip, false)
	} else {
		h.removeNameserver(sa, ip)
	}
	delete(h.servers, ip)
}

// Request implements attributes.Handler: a DNS server of each family a
// virtual IP is requested in.
func (h *resolveHandler) Request(_ attributes.SA, vips []netip.Addr) []attributes.Attribute {
	var out []attributes.Attribute
	if slices.ContainsFunc(vips, func(a netip.Addr) bool { return a.Unmap().Is4() }) {
		out = append(out, attributes.Attribute{Type: encoding.AttrInternalIP4DNS})
	}
	if slices.ContainsFunc(vips, func(a netip.Addr) bool { return !a.Unmap().Is4() }) {
		out = append(out, attributes.Attribute{Type: encoding.AttrInternalIP6DNS})
	}
	return out
}

func nameserverLine(ip netip.Addr) string {
	return fmt.Sprintf("nameserver %s   # by strongSwan\n", ip)
}

// writeNameserver puts the server on top of the file, keeping the rest.
// The file is replaced by a new one, as charon unlinks and recreates it.
func (h *resolveHandler) writeNameserver(sa attributes.SA, ip netip.Addr) bool {
	old, _ := os.ReadFile(h.file)
	_ = os.Remove(h.file)
	if err := os.WriteFile(h.file, append([]byte(nameserverLine(ip)), old...), 0o644); err != nil {
		return false
	}
	logIKE(sa, "installing DNS server %s to %s", ip, h.file)
	return true
}

// removeNameserver drops the server's line from the file.
func (h *resolveHandler) removeNameserver(sa attributes.SA, ip netip.Addr) {
	old, err := os.ReadFile(h.file)
	if err != nil {
		return
	}
	_ = os.Remove(h.file)
	var out bytes.Buffer
	line := nameserverLine(ip)
	sc := bufio.NewScanner(bytes.NewReader(old))
	for sc.Scan() {
		l := sc.Text() + "\n"
		if strings.HasPrefix(l, line) {
			logIKE(sa, "removing DNS server %s from %s", ip, h.file)
			continue
		}
		out.WriteString(l)
	}
	_ = os.WriteFile(h.file, out.Bytes(), 0o644)
}

// resolvconf adds or removes the server through resolvconf, under an
// interface name made of the prefix and the address.
func (h *resolveHandler) resolvconf(sa attributes.SA, ip netip.Addr, install bool) bool {
	flag := "-d"
	if install {
		flag = "-a"
	}
	cmd := exec.Command(resolvconfExec, flag, h.ifacePrefix+ip.String())
	if install {
		logIKE(sa, "installing DNS server %s via resolvconf", ip)
		cmd.Stdin = strings.NewReader(fmt.Sprintf("nameserver %s\n", ip))
	} else {
		logIKE(sa, "removing DNS server %s via resolvconf", ip)
	}
	out, err := cmd.CombinedOutput()
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			logIKE(sa, "resolvconf: %s", l)
		}
	}
	if err != nil && install {
		h.resolvconf(sa, ip, false)
		return false
	}
	return true
}
