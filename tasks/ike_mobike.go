package tasks

import (
	"crypto/subtle"
	"net/netip"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
)

const (
	// cookie2Size is the length of our COOKIE2 values.
	cookie2Size = 16
	// maxAdditionalAddrs caps the ADDITIONAL_*_ADDRESS notifies we send
	// (some implementations do not like too many).
	maxAdditionalAddrs = 8
)

// IKEMOBIKE is MOBIKE (RFC 4555), ike_mobike.c: support is announced in
// IKE_AUTH with our other addresses; later INFORMATIONAL exchanges send
// address list updates, move the SA to a new path (UPDATE_SA_ADDRESSES
// with COOKIE2 and NAT detection) after probing the paths, and serve as
// NAT-aware liveness checks.
type IKEMOBIKE struct {
	ike       *sa.IKESA
	initiator bool
	cookie2   []byte
	// natd is the NAT detection of this exchange, reusing ike_natd.
	natd *IKENATD
	// update: move the SA (UPDATE_SA_ADDRESSES); check: probe the paths;
	// address: send our address list; addressesUpdated: the peer sent
	// its list.
	update, check, address, addressesUpdated bool
	// authDone: the IKE_AUTH part is built (initiator) or processed
	// (responder).
	authDone bool
}

// NewIKEMOBIKE creates the task.
func NewIKEMOBIKE(ike *sa.IKESA, initiator bool) *IKEMOBIKE {
	return &IKEMOBIKE{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKEMOBIKE) Type() sa.TaskType { return sa.TaskIKEMOBIKE }

// Migrate implements sa.Task.
func (t *IKEMOBIKE) Migrate(ike *sa.IKESA) {
	t.cookie2 = nil
	t.ike = ike
	if t.natd != nil {
		t.natd.Migrate(ike)
	}
	t.authDone = false
}

// Roam asks for a path check, and for an address list update if
// addresses changed.
func (t *IKEMOBIKE) Roam(address bool) {
	t.check = true
	t.address = t.address || address
}

// Addresses asks for an address list update.
func (t *IKEMOBIKE) Addresses() { t.address = true }

// DPD makes the task a liveness check with NAT detection, if we are
// behind a NAT whose mapping may change.
func (t *IKEMOBIKE) DPD() {
	if t.natd == nil && t.ike.Has(sa.CondNATHere) {
		t.natd = NewIKENATD(t.ike, t.initiator)
	}
}

// IsProbing reports whether the task is checking paths.
func (t *IKEMOBIKE) IsProbing() bool { return t.check }

// EnableProbing makes the task check paths.
func (t *IKEMOBIKE) EnableProbing() { t.check = true }

// newerUpdateQueued reports a queued MOBIKE check or update, which would
// make the result of this one stale.
func (t *IKEMOBIKE) newerUpdateQueued() bool {
	for _, q := range t.ike.TaskManager().Tasks(sa.QueueQueued) {
		if m, ok := q.(*IKEMOBIKE); ok {
			return m.check || m.update
		}
	}
	return false
}

// processPayloads takes the MOBIKE notifies of a message.
func (t *IKEMOBIKE) processPayloads(m *encoding.Message) {
	src, _ := t.ike.MessageAddrs()
	first := true
	for _, n := range m.Notifies() {
		switch n.NotifyType {
		case encoding.NotifyMOBIKESupported:
			if peer := t.ike.PeerCfg(); !t.initiator && peer != nil && !peer.UseMOBIKE {
				t.ike.Log(bus.IKE, bus.Control, "peer supports MOBIKE, but disabled in config")
			} else {
				t.ike.Log(bus.IKE, bus.Control, "peer supports MOBIKE")
				t.ike.Enable(sa.ExtMOBIKE)
			}
		case encoding.NotifyCookie2:
			t.cookie2 = slices.Clone(n.Data)
		case encoding.NotifyAdditionalIP4Address, encoding.NotifyAdditionalIP6Address:
			if first {
				// an address list replaces the old one, including the
				// address the peer uses now
				t.ike.ClearPeerAddresses()
				first = false
				t.ike.AddPeerAddress(src)
			}
			host, ok := netip.AddrFromSlice(n.Data)
			if !ok || host.Is4() != (n.NotifyType == encoding.NotifyAdditionalIP4Address) {
				t.ike.Log(bus.IKE, bus.Diag, "ignoring invalid %s notify", n.NotifyType)
				continue
			}
			t.ike.Log(bus.IKE, bus.Diag, "got additional MOBIKE peer address: %s", host)
			t.ike.AddPeerAddress(netip.AddrPortFrom(host, 0))
			t.addressesUpdated = true
		case encoding.NotifyUpdateSAAddresses:
			t.update = true
		case encoding.NotifyNoAdditionalAddresses:
			t.ike.ClearPeerAddresses()
			t.ike.AddPeerAddress(src)
			t.addressesUpdated = true
		case encoding.NotifyNATDetectionSourceIP, encoding.NotifyNATDetectionDestinationIP:
			if t.natd == nil {
				t.natd = NewIKENATD(t.ike, t.initiator)
			}
		}
	}
}

// addAddressList announces our addresses other than the one the IKE_SA
// uses, or that there are none.
func (t *IKEMOBIKE) addAddressList(m *encoding.Message) {
	me := t.ike.MyHost().Addr()
	added := 0
	if n := t.ike.Env().Net; n != nil {
		addrs, _ := n.Addresses(kernel.AddrRegular)
		for _, a := range addrs {
			if a == me {
				continue
			}
			typ := encoding.NotifyAdditionalIP6Address
			if a.Is4() {
				typ = encoding.NotifyAdditionalIP4Address
			}
			m.AddNotify(typ, a.AsSlice())
			if added++; added >= maxAdditionalAddrs {
				break
			}
		}
	}
	if added == 0 {
		m.AddNotify(encoding.NotifyNoAdditionalAddresses, nil)
	}
}

// addCookie2 sends a fresh COOKIE2 to match against the response.
func (t *IKEMOBIKE) addCookie2(m *encoding.Message) bool {
	c := make([]byte, cookie2Size)
	if err := t.ike.Env().Read(c); err != nil {
		return false
	}
	t.cookie2 = c
	m.AddNotify(encoding.NotifyCookie2, c)
	return true
}

// Build implements sa.Task.
func (t *IKEMOBIKE) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.buildI(m)
	}
	return t.buildR(m)
}

// Process implements sa.Task.
func (t *IKEMOBIKE) Process(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.processI(m)
	}
	return t.processR(m)
}

func (t *IKEMOBIKE) buildI(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKEAuth:
		if !t.authDone {
			m.AddNotify(encoding.NotifyMOBIKESupported, nil)
			t.addAddressList(m)
			t.authDone = true
		}
	case encoding.ExchangeInformational:
		// queued before we knew whether the peer supports MOBIKE
		if !t.ike.Supports(sa.ExtMOBIKE) {
			m.Exchange = encoding.ExchangeUndefined
			return sa.Success
		}
		// the source of the request is what the kernel would use now
		src, dst := t.ike.MyHost(), t.ike.OtherHost()
		if now := t.ike.SourceAddr(dst.Addr(), src.Addr()); now.IsValid() && now != src.Addr() {
			src = netip.AddrPortFrom(now, src.Port())
		}
		if t.update {
			m.AddNotify(encoding.NotifyUpdateSAAddresses, nil)
			if !t.addCookie2(m) {
				return sa.Failed
			}
		}
		if t.address && !t.check {
			t.addAddressList(m)
		}
		if t.natd != nil {
			t.natd.buildI(m, src, dst)
		}
	}
	return sa.NeedMore
}

func (t *IKEMOBIKE) processR(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKEAuth:
		if !t.authDone {
			t.processPayloads(m)
			t.authDone = true
		}
	case encoding.ExchangeInformational:
		t.processPayloads(m)
		if t.natd != nil {
			t.natd.Process(m)
		}
		src, dst := t.ike.MessageAddrs()
		var meNew, otherNew netip.AddrPort
		if t.update {
			meNew, otherNew = dst, src
		} else if t.addressesUpdated && t.ike.Has(sa.CondOriginalInitiator) && src != t.ike.OtherHost() {
			// the responder reached us from another of its addresses, maybe
			// at another of ours
			meNew, otherNew = dst, src
		}
		if meNew.IsValid() || otherNew.IsValid() {
			t.ike.UpdateHosts(meNew, otherNew, sa.UpdateHostsForceAll)
		}
	}
	return sa.NeedMore
}

func (t *IKEMOBIKE) buildR(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKEAuth:
		if !t.ike.Has(sa.CondAuthenticated) {
			return sa.NeedMore
		}
		if t.ike.Supports(sa.ExtMOBIKE) {
			m.AddNotify(encoding.NotifyMOBIKESupported, nil)
			t.addAddressList(m)
		}
		return sa.Success
	case encoding.ExchangeInformational:
		if t.natd != nil {
			t.natd.buildR(m)
		}
		if t.cookie2 != nil {
			m.AddNotify(encoding.NotifyCookie2, t.cookie2)
			t.cookie2 = nil
		}
		return sa.Success
	}
	return sa.NeedMore
}

func (t *IKEMOBIKE) processI(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKEAuth:
		if t.ike.Has(sa.CondAuthenticated) {
			t.processPayloads(m)
			return sa.Success
		}
	case encoding.ExchangeInformational:
		return t.processInformationalI(m)
	}
	return sa.NeedMore
}

// processInformationalI reads the response to a MOBIKE request: the
// cookie must come back, NAT changes are applied, and a probe that found
// a new path turns into the update (or address list) that moves the SA.
func (t *IKEMOBIKE) processInformationalI(m *encoding.Message) sa.Status {
	if t.newerUpdateQueued() {
		return sa.Success
	}
	if sent := t.cookie2; sent != nil {
		t.cookie2 = nil
		t.processPayloads(m)
		if subtle.ConstantTimeCompare(sent, t.cookie2) != 1 {
			t.ike.Log(bus.IKE, bus.Control, "COOKIE2 mismatch, closing IKE_SA")
			return sa.Failed
		}
	} else {
		t.processPayloads(m)
	}
	force := false
	if t.natd != nil {
		t.natd.Process(m)
		if t.update {
			// NAT state may have changed: the CHILD_SAs follow again
			t.ike.UpdateHosts(netip.AddrPort{}, netip.AddrPort{}, sa.UpdateHostsForceChildren)
		} else if t.natd.MappingChanged() {
			// a changed mapping seen in a DPD forces a check and update
			force = true
			t.check = true
			t.ike.Log(bus.IKE, bus.Control, "detected changes in NAT mappings, initiating MOBIKE update")
		}
	}
	if !t.check {
		return sa.Success
	}
	src, dst := t.ike.MessageAddrs()
	var meNew, otherNew netip.AddrPort
	if dst != t.ike.MyHost() {
		meNew = dst
	}
	if src != t.ike.OtherHost() {
		otherNew = src
	}
	if !meNew.IsValid() && !otherNew.IsValid() && !force {
		return sa.Success
	}
	t.ike.UpdateHosts(meNew, otherNew, sa.UpdateHostsForceAll)
	if !t.ike.Has(sa.CondOriginalInitiator) {
		// as responder we send our new address list
		t.address = true
	} else {
		// as original initiator we send the update
		t.update = true
		t.natd = NewIKENATD(t.ike, t.initiator)
	}
	t.check = false
	return sa.NeedMore
}

// applyPort gives a probed address its port: the current one for the
// current address, else NAT-T's 4500 where IKE's port was used.
func (t *IKEMOBIKE) applyPort(host netip.Addr, old netip.AddrPort, port uint16, local bool) netip.AddrPort {
	st := t.ike.Env().Settings
	switch {
	case host == old.Addr():
		port = old.Port()
	case local && port == st.Port:
		port = st.NATTPort
	case !local && port == sa.IKEPort:
		port = sa.NATTPort
	}
	return netip.AddrPortFrom(host, port)
}

// transmit sends a MOBIKE request: on the current path while it works,
// else (probing) on every path to every address of the peer. False if
// there is no path at all.
func (t *IKEMOBIKE) transmit(p sa.Packet) bool {
	meOld, otherOld := t.ike.MyHost(), t.ike.OtherHost()
	if !t.check {
		if me := t.ike.SourceAddr(otherOld.Addr(), meOld.Addr()); me.IsValid() && me == meOld.Addr() {
			t.ike.Send([]sa.Packet{{Data: slices.Clone(p.Data), Src: meOld, Dst: otherOld}})
			return true
		}
		t.check = true
	}
	cfg := t.ike.IKECfg()
	myPort, otherPort := t.ike.Env().Settings.Port, uint16(sa.IKEPort)
	if cfg != nil && cfg.LocalPort != 0 {
		myPort = cfg.LocalPort
	}
	if cfg != nil && cfg.RemotePort != 0 {
		otherPort = cfg.RemotePort
	}
	found := false
	for _, other := range t.ike.PeerAddresses() {
		switch t.ike.Env().Settings.SocketFamily {
		case 4:
			if !other.Addr().Is4() {
				continue
			}
		case 6:
			if other.Addr().Is4() {
				continue
			}
		}
		me := t.ike.SourceAddr(other.Addr(), netip.Addr{})
		if !me.IsValid() {
			continue
		}
		src := t.applyPort(me, meOld, myPort, true)
		dst := t.applyPort(other.Addr(), otherOld, otherPort, false)
		t.ike.Log(bus.IKE, bus.Control, "checking path %s - %s", sa.FormatHost(src), sa.FormatHost(dst))
		t.ike.Send([]sa.Packet{{Data: slices.Clone(p.Data), Src: src, Dst: dst}})
		found = true
	}
	return found
}
