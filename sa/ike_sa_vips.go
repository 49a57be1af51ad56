package sa

import (
	"net/netip"
	"slices"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
)

// configAttr is a configuration attribute a handler took, with the handler
// to give it back to (ike_sa.c's attribute_entry_t).
type configAttr struct {
	handler attributes.Handler
	attr    attributes.Attribute
}

// AttributesSA describes the SA to the attribute manager: the peer's EAP
// identity (or IKE identity), its address, the config's name, and a
// logger in the SA's context.
func (ike *IKESA) AttributesSA() attributes.SA {
	s := attributes.SA{ID: ike.OtherEAPID(), Peer: ike.otherHost, Log: ike.Logger()}
	if ike.peerCfg != nil {
		s.Conn = ike.peerCfg.Name
	}
	return s
}

// Pools are the address pools of the SA's config (rightsourceip=).
func (ike *IKESA) Pools() []string {
	if ike.peerCfg == nil {
		return nil
	}
	return ike.peerCfg.Pools
}

// AddVirtualIP records a virtual IP: ours (local) is installed on the
// interface that holds our IKE address first, and recorded only if that
// worked; the peer's is just recorded.
func (ike *IKESA) AddVirtualIP(local bool, a netip.Addr) {
	if !local {
		ike.otherVIPs = append(ike.otherVIPs, a)
		return
	}
	if ike.env.Net == nil {
		ike.myVIPs = append(ike.myVIPs, a)
		return
	}
	iface, ok := ike.env.Net.Interface(ike.myHost.Addr())
	if !ok {
		ike.Log(bus.IKE, bus.Control, "looking up interface for virtual IP %s failed", a)
		return
	}
	ike.Log(bus.IKE, bus.Control, "installing new virtual IP %s", a)
	if err := ike.env.Net.AddIP(a, -1, iface); err != nil {
		ike.Log(bus.IKE, bus.Control, "installing virtual IP %s failed", a)
		return
	}
	ike.myVIPs = append(ike.myVIPs, a)
}

// ClearVirtualIPs forgets the virtual IPs of one side; ours are removed
// from the interface.
func (ike *IKESA) ClearVirtualIPs(local bool) {
	if !local {
		ike.otherVIPs = nil
		return
	}
	vips := ike.myVIPs
	ike.myVIPs = nil
	ike.delVIPs(vips)
}

func (ike *IKESA) delVIPs(vips []netip.Addr) {
	if ike.env.Net == nil {
		return
	}
	for _, vip := range vips {
		_ = ike.env.Net.DelIP(vip, -1, true)
	}
}

// VirtualIPs lists the virtual IPs of one side.
func (ike *IKESA) VirtualIPs(local bool) []netip.Addr {
	if local {
		return slices.Clone(ike.myVIPs)
	}
	return slices.Clone(ike.otherVIPs)
}

// AddConfigurationAttribute records an attribute received and the handler
// that took it (nil if none did), to release it with the SA.
func (ike *IKESA) AddConfigurationAttribute(h attributes.Handler, a attributes.Attribute) {
	ike.attrs = append(ike.attrs, configAttr{handler: h, attr: a})
}

// ConfigurationAttributes lists the attributes received, and whether a
// handler took each.
func (ike *IKESA) ConfigurationAttributes() (attrs []attributes.Attribute, handled []bool) {
	for _, c := range ike.attrs {
		attrs = append(attrs, c.attr)
		handled = append(handled, c.handler != nil)
	}
	return attrs, handled
}

// releaseAttributes gives the received attributes back to their handlers,
// newest first, as ike_sa.c's destroy does.
func (ike *IKESA) releaseAttributes() {
	m := ike.env.Attributes
	sa := ike.AttributesSA()
	for i := len(ike.attrs) - 1; i >= 0; i-- {
		if c := ike.attrs[i]; c.handler != nil && m != nil {
			m.Release(c.handler, sa, c.attr)
		}
	}
	ike.attrs = nil
}

// releaseVIPs removes our virtual IPs from the interface and gives the
// peer's back to the pools they came from.
func (ike *IKESA) releaseVIPs() {
	ike.delVIPs(ike.myVIPs)
	ike.myVIPs = nil
	if m := ike.env.Attributes; m != nil && ike.peerCfg != nil {
		sa := ike.AttributesSA()
		for _, vip := range ike.otherVIPs {
			m.ReleaseAddress(ike.peerCfg.Pools, vip, sa)
		}
	}
	ike.otherVIPs = nil
}
