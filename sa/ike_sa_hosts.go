package sa

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/goswan/goswan/bus"
)

// Standard IKE ports.
const (
	IKEPort  = 500
	NATTPort = 4500
)

// FormatHost prints addr[port] as charon's %#H, which leaves out a zero
// port.
func FormatHost(h netip.AddrPort) string {
	if h.Port() == 0 {
		return h.Addr().String()
	}
	return fmt.Sprintf("%s[%d]", h.Addr(), h.Port())
}

// FloatPorts switches to the NAT-T port (RFC 7296 §2.23): the remote port
// to 4500 if either side used 500, ours to the NAT-T socket's port.
func (ike *IKESA) FloatPorts() {
	if ike.otherHost.Port() == IKEPort || ike.myHost.Port() == IKEPort {
		ike.otherHost = netip.AddrPortFrom(ike.otherHost.Addr(), NATTPort)
	}
	if ike.myHost.Port() == ike.env.Settings.Port {
		ike.myHost = netip.AddrPortFrom(ike.myHost.Addr(), ike.env.Settings.NATTPort)
	}
}

// Update flags for UpdateHosts.
const (
	UpdateHostsForceLocal = 1 << iota
	UpdateHostsForceRemote
	UpdateHostsForceChildren
	UpdateHostsForceAddrs = UpdateHostsForceLocal | UpdateHostsForceRemote
	UpdateHostsForceAll   = UpdateHostsForceAddrs | UpdateHostsForceChildren
)

// UpdateHosts applies the addresses of a received message as ike_sa.c's
// update_hosts: always on the first message, otherwise only when forced or
// when the peer is behind a NAT; installed CHILD_SAs follow.
func (ike *IKESA) UpdateHosts(me, other netip.AddrPort, flags int) {
	if !me.IsValid() {
		me = ike.myHost
	}
	if !other.IsValid() {
		other = ike.otherHost
	}
	var newMe, newOther netip.AddrPort
	silent := false
	if ike.myHost.Addr().IsUnspecified() || ike.otherHost.Addr().IsUnspecified() {
		newMe, newOther, silent = me, other, true
	} else {
		if flags&UpdateHostsForceLocal != 0 && me != ike.myHost {
			newMe = me
		}
		if other != ike.otherHost && (flags&UpdateHostsForceRemote != 0 || ike.Has(CondNATThere)) {
			if flags&UpdateHostsForceRemote != 0 || !ike.Has(CondNATHere) || !ike.Has(CondOriginalInitiator) {
				newOther = other
			}
		}
	}
	if !newMe.IsValid() && !newOther.IsValid() && flags&UpdateHostsForceChildren == 0 {
		return
	}
	if !silent {
		ike.announceUpdate(newMe, newOther)
	}
	lvl := bus.Diag
	if ike.state == IKEEstablished && !silent {
		lvl = bus.Control
	}
	if newMe.IsValid() {
		ike.Log(bus.IKE, lvl, "local endpoint changed from %s to %s", FormatHost(ike.myHost), FormatHost(newMe))
		ike.myHost = newMe
	}
	if newOther.IsValid() {
		ike.Log(bus.IKE, lvl, "remote endpoint changed from %s to %s", FormatHost(ike.otherHost), FormatHost(newOther))
		ike.otherHost = newOther
	}
	for _, c := range ike.children {
		ike.env.Children.Remove(c)
		ike.env.Children.Add(c, ike)
		if c.Update(ike.myHost, ike.otherHost, ike.myVIPs, ike.Has(CondNATAny)) == NotSupported {
			ike.RekeyChild(c.Protocol(), c.SPI(true))
		}
	}
}

// HasMappingChanged tracks the NAT_DETECTION_DESTINATION_IP hash we
// received, to notice NAT mapping changes.
func (ike *IKESA) HasMappingChanged(hash []byte) bool {
	if ike.natDetectDest == nil {
		ike.natDetectDest = slices.Clone(hash)
		return false
	}
	if slices.Equal(hash, ike.natDetectDest) {
		return false
	}
	ike.natDetectDest = slices.Clone(hash)
	return true
}

// announceUpdate raises ike_update for endpoints about to change (the
// invalid ones stay), while the SA still has the old ones.
func (ike *IKESA) announceUpdate(newMe, newOther netip.AddrPort) {
	if !newMe.IsValid() && !newOther.IsValid() {
		return
	}
	local, remote := ike.myHost, ike.otherHost
	if newMe.IsValid() {
		local = newMe
	}
	if newOther.IsValid() {
		remote = newOther
	}
	ike.env.Events.IKEUpdate(ike, local, remote)
}
