package daemon

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// Updown runs a CHILD_SA's leftupdown script (by default `ipsec _updown
// iptables`) when the SA comes up or goes down, once per pair of
// selectors, with the PLUTO_* environment strongSwan's updown plugin
// provides. Scripts written for strongSwan (firewall rules, routing,
// notifications) therefore keep working unchanged.
type Updown struct {
	env *sa.Env

	mu sync.Mutex
	// ifaces remembers the interface found when an SA came up, by reqid,
	// so that the down event reports the same one.
	ifaces map[uint32]string
}

// NewUpdown returns the updown listener of env; register it with
// env.Events.Add.
func NewUpdown(env *sa.Env) *Updown {
	return &Updown{env: env, ifaces: map[uint32]string{}}
}

// ChildUpdown implements sa.ChildUpdownListener.
func (u *Updown) ChildUpdown(ike *sa.IKESA, c *sa.ChildSA, up bool) bool {
	if ike == nil || c.Config().Updown == "" {
		return true
	}
	for _, p := range c.PolicyPairs() {
		u.invoke(ike, c, up, p[0], p[1])
	}
	return true
}

// portString renders a selector's port (range) as the updown plugin does;
// for ICMP the local side gets the type and the remote side the code.
func portString(me, other selectors.TS, local bool) string {
	proto := max(me.Protocol(), other.Protocol())
	if proto == selectors.ProtoICMP || proto == selectors.ProtoICMPv6 {
		port := max(me.FromPort(), other.FromPort())
		if local {
			return fmt.Sprint(port >> 8)
		}
		return fmt.Sprint(port & 0xff)
	}
	ts := other
	if local {
		ts = me
	}
	from, to := ts.FromPort(), ts.ToPort()
	if from == to || (from == 0 && to == 0xffff) {
		return fmt.Sprint(from)
	}
	return fmt.Sprintf("%d:%d", from, to)
}

// Environment builds the script's environment for one selector pair.
func (u *Updown) Environment(ike *sa.IKESA, c *sa.ChildSA, up bool, myTS, otherTS selectors.TS) []string {
	me, other := ike.MyHost().Addr(), ike.OtherHost().Addr()
	var env []string
	add := func(format string, args ...any) { env = append(env, fmt.Sprintf(format, args...)) }
	add("PATH=%s", os.Getenv("PATH"))
	add("PLUTO_VERSION=1.1")
	isHost := myTS.IsHost(me)
	isV6 := !myTS.Is4()
	if isHost {
		isV6 = me.Is6() && !me.Is4In6()
	}
	verb := "down"
	if up {
		verb = "up"
	}
	if isHost {
		verb += "-host"
	} else {
		verb += "-client"
	}
	if isV6 {
		verb += "-v6"
	}
	add("PLUTO_VERB=%s", verb)
	add("PLUTO_CONNECTION=%s", c.Config().Name)
	iface := u.iface(c.ReqID(), up, me, other)
	if iface == "" {
		iface = "unknown"
	}
	add("PLUTO_INTERFACE=%s", iface)
	add("PLUTO_REQID=%d", c.ReqID())
	proto := "ah"
	if c.Protocol() == kernel.ProtoESP {
		proto = "esp"
	}
	add("PLUTO_PROTO=%s", proto)
	add("PLUTO_UNIQUEID=%d", ike.UniqueID())
	add("PLUTO_ME=%s", me)
	add("PLUTO_MY_ID=%s", ike.MyID())
	add("PLUTO_MY_CLIENT=%s", u.subnet(ike, myTS, "local"))
	add("PLUTO_MY_PORT=%s", portString(myTS, otherTS, true))
	add("PLUTO_MY_PROTOCOL=%d", myTS.Protocol())
	add("PLUTO_PEER=%s", other)
	add("PLUTO_PEER_ID=%s", ike.OtherID())
	add("PLUTO_PEER_CLIENT=%s", u.subnet(ike, otherTS, "remote"))
	add("PLUTO_PEER_PORT=%s", portString(myTS, otherTS, false))
	add("PLUTO_PEER_PROTOCOL=%d", otherTS.Protocol())
	if ike.Has(sa.CondEAPAuthenticated) || ike.Has(sa.CondXAuthAuthenticated) {
		add("PLUTO_XAUTH_ID=%s", ike.OtherEAPID())
	}
	for _, local := range []bool{true, false} {
		who := "PEER"
		if local {
			who = "MY"
		}
		v4, v6 := 0, 0
		for i, vip := range ike.VirtualIPs(local) {
			if i == 0 {
				add("PLUTO_%s_SOURCEIP=%s", who, vip)
			}
			if vip.Is4() {
				v4++
				add("PLUTO_%s_SOURCEIP4_%d=%s", who, v4, vip)
			} else {
				v6++
				add("PLUTO_%s_SOURCEIP6_%d=%s", who, v6, vip)
			}
		}
	}
	if m := c.Mark(true); m.Value != 0 {
		add("PLUTO_MARK_IN=%d/0x%08x", m.Value, m.Mask)
	}
	if m := c.Mark(false); m.Value != 0 {
		add("PLUTO_MARK_OUT=%d/0x%08x", m.Value, m.Mask)
	}
	if id := c.IfID(true); id != 0 {
		add("PLUTO_IF_ID_IN=%d", id)
	}
	if id := c.IfID(false); id != 0 {
		add("PLUTO_IF_ID_OUT=%d", id)
	}
	if ike.Has(sa.CondNATAny) {
		add("PLUTO_UDP_ENC=%d", ike.OtherHost().Port())
	}
	if c.IPComp() != 0 {
		add("PLUTO_IPCOMP=1")
	}
	if c.Config().Has(config.OptHostAccess) {
		add("PLUTO_HOST_ACCESS=1")
	}
	return env
}

// subnet renders a selector as the subnet the script sees, approximating
// ranges by the next larger subnet as charon does.
func (u *Updown) subnet(ike *sa.IKESA, ts selectors.TS, which string) string {
	p, exact := ts.Prefix()
	if !exact {
		ike.Log(bus.CHD, bus.Control, "updown approximates %s TS %s by next larger subnet", which, ts)
	}
	return fmt.Sprintf("%s/%d", p.Addr(), p.Bits())
}

// iface finds (up) or recalls (down) the interface towards the peer.
func (u *Updown) iface(reqid uint32, up bool, me, other netip.Addr) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !up {
		name := u.ifaces[reqid]
		delete(u.ifaces, reqid)
		return name
	}
	if u.env.Net == nil {
		return ""
	}
	hop, name, err := u.env.Net.NextHop(other, -1, me)
	if err != nil || !hop.IsValid() || name == "" {
		return ""
	}
	u.ifaces[reqid] = name
	return name
}

func (u *Updown) invoke(ike *sa.IKESA, c *sa.ChildSA, up bool, myTS, otherTS selectors.TS) {
	cmd := exec.Command("/bin/sh", "-c", "2>&1 "+c.Config().Updown)
	cmd.Env = u.Environment(ike, c, up, myTS, otherTS)
	out, err := cmd.StdoutPipe()
	if err != nil {
		ike.Log(bus.CHD, bus.Control, "error reading from updown script")
		return
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		ike.Log(bus.CHD, bus.Control, "running updown script failed: %v", err)
		return
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		ike.Log(bus.CHD, bus.Control, "updown: %s", strings.TrimSuffix(sc.Text(), "\n"))
	}
	if sc.Err() != nil {
		ike.Log(bus.CHD, bus.Control, "error reading from updown script")
	}
	_ = cmd.Wait()
}
