package topology

import (
	"fmt"
	"strings"

	"github.com/goswan/goswan/testing/internal/hosts"
	"github.com/goswan/goswan/testing/nshost"
)

// Host is one machine of a built topology: an nshost host with its place
// in strongSwan's address plan.
type Host struct {
	*nshost.Host
	plan hosts.Host
}

// addressing returns the `ip -batch` lines that configure the host's links,
// addresses and default routes.
func (h *Host) addressing() string {
	var b strings.Builder
	b.WriteString("link set lo up\n")
	for _, ifc := range h.plan.Ifaces {
		if ifc.Manual {
			continue
		}
		fmt.Fprintf(&b, "addr add %s dev %s\n", ifc.IPv4, ifc.Name)
		// No duplicate address detection: the addresses are ours alone and
		// DAD would keep them tentative for a second or more.
		fmt.Fprintf(&b, "addr add %s dev %s nodad\n", ifc.IPv6, ifc.Name)
		fmt.Fprintf(&b, "link set %s up\n", ifc.Name)
	}
	if h.plan.Gateway4 != "" {
		fmt.Fprintf(&b, "route add default via %s\n", h.plan.Gateway4)
	}
	if h.plan.Gateway6 != "" {
		fmt.Fprintf(&b, "route add ::/0 via %s\n", h.plan.Gateway6)
	}
	return b.String()
}
