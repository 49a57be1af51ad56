package tasks

import (
	"net/netip"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEConfig exchanges configuration payloads in IKE_AUTH, ike_config.c:
// the initiator asks for the virtual IPs of its config (and for whatever
// the attribute handlers want), the responder assigns addresses from the
// config's pools and adds the providers' attributes.
type IKEConfig struct {
	ike       *sa.IKESA
	initiator bool
	// built: the request went out with the first IKE_AUTH (initiator);
	// processed: the first IKE_AUTH request was read (responder).
	built, processed bool
	// vipRequested: our request asked for a virtual IP (initiator).
	vipRequested bool
	// vips are the addresses received: requested ones (responder) or
	// assigned ones (initiator).
	vips []netip.Addr
	// requested are the attributes we asked for, with the handler that
	// wanted each.
	requested []attributes.Request
}

// NewIKEConfig creates the task.
func NewIKEConfig(ike *sa.IKESA, initiator bool) *IKEConfig {
	return &IKEConfig{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKEConfig) Type() sa.TaskType { return sa.TaskIKEConfig }

// Migrate implements sa.Task.
func (t *IKEConfig) Migrate(ike *sa.IKESA) {
	t.ike = ike
	t.vips, t.requested = nil, nil
	t.built, t.processed, t.vipRequested = false, false, false
}

// vipAttribute is the INTERNAL_IP4/6_ADDRESS attribute for vip: empty for
// any, and for IPv6 with a /64 prefix length appended (build_vip).
func vipAttribute(vip netip.Addr) encoding.CPAttribute {
	vip = vip.Unmap()
	if vip.Is4() {
		a := encoding.CPAttribute{Type: encoding.AttrInternalIP4Address}
		if !vip.IsUnspecified() {
			a.Value = vip.AsSlice()
		}
		return a
	}
	a := encoding.CPAttribute{Type: encoding.AttrInternalIP6Address}
	if !vip.IsUnspecified() {
		a.Value = append(vip.AsSlice(), 64)
	}
	return a
}

// Build implements sa.Task.
func (t *IKEConfig) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.buildI(m)
	}
	return t.buildR(m)
}

// Process implements sa.Task.
func (t *IKEConfig) Process(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.processI(m)
	}
	return t.processR(m)
}

// buildI adds our request to the first IKE_AUTH, and keeps the task until
// the last IKE_AUTH brings the reply.
func (t *IKEConfig) buildI(m *encoding.Message) sa.Status {
	if m.Exchange != encoding.ExchangeIKEAuth || t.built {
		return sa.NeedMore
	}
	t.built = true
	// reuse the virtual IPs we have (reauthentication), else ask for the
	// configured ones
	vips := t.ike.VirtualIPs(true)
	if len(vips) == 0 && t.ike.PeerCfg() != nil {
		vips = t.ike.PeerCfg().VirtualIPs
	}
	var cp *encoding.CP
	if len(vips) > 0 {
		cp = &encoding.CP{CPType: encoding.CPRequest}
		for _, vip := range vips {
			cp.Attributes = append(cp.Attributes, vipAttribute(vip))
		}
		t.vipRequested = true
	}
	if am := t.ike.Env().Attributes; am != nil {
		for _, r := range am.InitiatorRequests(t.ike.AttributesSA(), vips) {
			t.ike.Log(bus.IKE, bus.Diag, "building %s attribute", r.Type)
			if cp == nil {
				cp = &encoding.CP{CPType: encoding.CPRequest}
			}
			cp.Attributes = append(cp.Attributes, encoding.CPAttribute{Type: r.Type, Value: r.Value})
			t.requested = append(t.requested, r)
		}
	}
	if cp == nil {
		// nothing asked, no reply expected
		return sa.Success
	}
	m.Add(cp)
	return sa.NeedMore
}

// processI reads the reply in the last IKE_AUTH: the virtual IPs are
// installed, the other attributes handed to the handlers.
func (t *IKEConfig) processI(m *encoding.Message) sa.Status {
	if !t.ike.Has(sa.CondAuthenticated) {
		return sa.NeedMore
	}
	t.processPayloads(m)
	t.ike.ClearVirtualIPs(true)
	for _, vip := range t.vips {
		if !vip.IsUnspecified() {
			t.ike.AddVirtualIP(true, vip)
		}
	}
	return sa.Success
}

// processR reads the request of the first IKE_AUTH.
func (t *IKEConfig) processR(m *encoding.Message) sa.Status {
	if m.Exchange == encoding.ExchangeIKEAuth && !t.processed {
		t.processPayloads(m)
		t.processed = true
	}
	return sa.NeedMore
}

// processPayloads goes through the CFG_REQUEST and CFG_REPLY payloads.
func (t *IKEConfig) processPayloads(m *encoding.Message) {
	for _, p := range m.Payloads {
		cp, ok := p.(*encoding.CP)
		if !ok {
			continue
		}
		if cp.CPType != encoding.CPRequest && cp.CPType != encoding.CPReply {
			t.ike.Log(bus.IKE, bus.Control, "ignoring %s config payload", cp.CPType)
			continue
		}
		for _, a := range cp.Attributes {
			t.ike.Log(bus.IKE, bus.Diag, "processing %s attribute", a.Type)
			t.processAttribute(a)
		}
	}
}

// processAttribute takes one attribute: addresses are collected (unless
// the initiator asked for none, then a handler may want them), everything
// else goes to the handlers on the initiator.
func (t *IKEConfig) processAttribute(a encoding.CPAttribute) {
	switch a.Type {
	case encoding.AttrInternalIP4Address, encoding.AttrInternalIP6Address:
		if t.initiator && !t.vipRequested {
			t.handle(a)
			return
		}
		if ip, ok := vipFromAttribute(a); ok {
			t.vips = append(t.vips, ip)
		}
		return
	case encoding.AttrInternalIP4Server, encoding.AttrInternalIP6Server:
		// proprietary attributes: a Windows client
		t.ike.Enable(sa.ExtMSWindows)
	}
	if t.initiator {
		t.handle(a)
	}
}

// vipFromAttribute reads an address attribute: empty is any, IPv6 carries
// a prefix length after the address.
func vipFromAttribute(a encoding.CPAttribute) (netip.Addr, bool) {
	v4 := a.Type == encoding.AttrInternalIP4Address
	if len(a.Value) == 0 {
		if v4 {
			return netip.IPv4Unspecified(), true
		}
		return netip.IPv6Unspecified(), true
	}
	b := a.Value
	if !v4 {
		if len(b) != 17 {
			return netip.Addr{}, false
		}
		b = b[:16]
	}
	ip, ok := netip.AddrFromSlice(b)
	if !ok || ip.Is4() != v4 {
		return netip.Addr{}, false
	}
	return ip, true
}

// handle gives an attribute to the handler that requested it, or any
// other, and records it on the IKE_SA to release later.
func (t *IKEConfig) handle(a encoding.CPAttribute) {
	attr := attributes.Attribute{Type: a.Type, Value: a.Value}
	var requester attributes.Handler
	for i, r := range t.requested {
		if r.Type == a.Type {
			requester = r.Handler
			t.requested = append(t.requested[:i], t.requested[i+1:]...)
			break
		}
	}
	var h attributes.Handler
	if am := t.ike.Env().Attributes; am != nil {
		h = am.Handle(t.ike.AttributesSA(), requester, attr)
	} else {
		t.ike.Log(bus.CFG, bus.Control, "handling %s attribute failed", a.Type)
	}
	t.ike.AddConfigurationAttribute(h, attr)
}

// buildR answers in the last IKE_AUTH: an address from the pools for each
// one requested, INTERNAL_ADDRESS_FAILURE if none could be found,
// FAILED_CP_REQUIRED if the config has pools but the peer asked for
// nothing, and the providers' attributes.
func (t *IKEConfig) buildR(m *encoding.Message) sa.Status {
	ike := t.ike
	if !ike.Has(sa.CondAuthenticated) {
		return sa.NeedMore
	}
	if ike.Has(sa.CondRedirected) {
		// no attributes for redirected SAs
		return sa.Success
	}
	id := ike.OtherEAPID()
	pools := ike.Pools()
	am := ike.Env().Attributes
	asa := ike.AttributesSA()
	ike.ClearVirtualIPs(false)
	var cp *encoding.CP
	var assigned []netip.Addr
	for _, req := range t.vips {
		ike.Log(bus.IKE, bus.Control, "peer requested virtual IP %s", anyHost(req))
		var found netip.Addr
		if am != nil {
			found = am.AcquireAddress(pools, asa, req)
		}
		if !found.IsValid() {
			ike.Log(bus.IKE, bus.Control, "no virtual IP found for %s requested by '%s'", anyHost(req), id)
			continue
		}
		ike.Log(bus.IKE, bus.Control, "assigning virtual IP %s to peer '%s'", anyHost(found), id)
		ike.AddVirtualIP(false, found)
		if cp == nil {
			cp = &encoding.CP{CPType: encoding.CPReply}
		}
		cp.Attributes = append(cp.Attributes, vipAttribute(found))
		assigned = append(assigned, found)
	}
	if len(t.vips) > 0 && len(assigned) == 0 {
		ike.Log(bus.IKE, bus.Control, "no virtual IP found, sending %s", encoding.NotifyInternalAddressFailure)
		ike.Env().Events.Alert(ike, sa.AlertVIPFailure, t.vips)
		m.AddNotify(encoding.NotifyInternalAddressFailure, nil)
		return sa.Success
	}
	if len(pools) > 0 && len(t.vips) == 0 {
		ike.Log(bus.IKE, bus.Control, "expected a virtual IP request, sending %s", encoding.NotifyFailedCPRequired)
		ike.Env().Events.Alert(ike, sa.AlertVIPFailure, t.vips)
		m.AddNotify(encoding.NotifyFailedCPRequired, nil)
		return sa.Success
	}
	if am != nil {
		for _, a := range am.ResponderAttributes(pools, asa, assigned) {
			if cp == nil {
				cp = &encoding.CP{CPType: encoding.CPReply}
			}
			ike.Log(bus.IKE, bus.Diag, "building %s attribute", a.Type)
			cp.Attributes = append(cp.Attributes, encoding.CPAttribute{Type: a.Type, Value: a.Value})
		}
	}
	if cp != nil {
		m.Add(cp)
	}
	return sa.Success
}

// anyHost prints an address as charon's %H does: the unspecified address
// as %any or %any6.
func anyHost(a netip.Addr) string {
	if a.IsUnspecified() {
		if a.Is4() {
			return "%any"
		}
		return "%any6"
	}
	return a.String()
}
