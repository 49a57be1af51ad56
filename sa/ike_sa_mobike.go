package sa

import (
	"net/netip"
	"slices"

	"github.com/goswan/goswan/bus"
)

// Peer addresses and roaming (MOBIKE, RFC 4555): the parts of ike_sa.c
// that the ike_mobike task and the roam job use.

// AddPeerAddress adds an address the peer announced (ADDITIONAL_*_ADDRESS)
// or the one it used.
func (ike *IKESA) AddPeerAddress(a netip.AddrPort) {
	ike.peerAddresses = append(ike.peerAddresses, a)
}

// ClearPeerAddresses forgets the announced addresses.
func (ike *IKESA) ClearPeerAddresses() { ike.peerAddresses = nil }

// PeerAddresses are the peer's announced addresses, or without MOBIKE its
// current address alone.
func (ike *IKESA) PeerAddresses() []netip.AddrPort {
	if ike.peerAddresses != nil {
		return slices.Clone(ike.peerAddresses)
	}
	return []netip.AddrPort{ike.otherHost}
}

// sourceAddr asks the kernel for our address towards dst (src, if valid,
// as the preferred one); invalid if there is no route.
func (ike *IKESA) sourceAddr(dst, src netip.Addr) netip.Addr {
	if ike.env.Net == nil {
		return netip.Addr{}
	}
	a, err := ike.env.Net.SourceAddr(dst, src)
	if err != nil {
		return netip.Addr{}
	}
	return a
}

// SourceAddr is sourceAddr for the tasks (the MOBIKE path checks).
func (ike *IKESA) SourceAddr(dst, src netip.Addr) netip.Addr { return ike.sourceAddr(dst, src) }

// currentPathValid checks whether our address still reaches the peer (or,
// with charon.prefer_best_path and MOBIKE, is still the best way).
func (ike *IKESA) currentPathValid() bool {
	if ike.Supports(ExtMOBIKE) && ike.env.Settings.PreferBestPath {
		src := ike.sourceAddr(ike.otherHost.Addr(), netip.Addr{})
		valid := src.IsValid() && src == ike.myHost.Addr()
		if !valid {
			ike.Log(bus.IKE, bus.Control, "old path is not preferred anymore")
		}
		return valid
	}
	src := ike.sourceAddr(ike.otherHost.Addr(), ike.myHost.Addr())
	if src.IsValid() && src == ike.myHost.Addr() {
		return true
	}
	ike.Log(bus.IKE, bus.Control, "old path is not available anymore, try to find another")
	return false
}

// familyUsable reports whether the IKE socket serves a's family.
func (ike *IKESA) familyUsable(a netip.Addr) bool {
	switch ike.env.Settings.SocketFamily {
	case 4:
		return a.Is4()
	case 6:
		return !a.Is4()
	}
	return true
}

// anyPathValid checks whether any of the peer's addresses is reachable.
func (ike *IKESA) anyPathValid() bool {
	for _, addr := range ike.PeerAddresses() {
		if !ike.familyUsable(addr.Addr()) {
			continue
		}
		ike.Log(bus.IKE, bus.Control, "looking for a route to %s ...", addr.Addr())
		if ike.sourceAddr(addr.Addr(), netip.Addr{}).IsValid() {
			return true
		}
	}
	return false
}

// Roam reacts to changed addresses or routes (address: an address or link
// changed, else a route), as ike_sa.c roam: keep the path if it still
// works, else move with MOBIKE, else reauthenticate (as original
// initiator).
func (ike *IKESA) Roam(address bool) Status {
	switch ike.state {
	case IKECreated, IKEDeleting, IKEDestroying, IKEPassive, IKERekeyed:
		return Success
	}
	if ike.ikeCfg == nil {
		return Success
	}
	if !ike.Supports(ExtMOBIKE) && ike.ikeCfg.HasAddress(ike.myHost.Addr(), true) {
		ike.Log(bus.IKE, bus.Diag, "keeping statically configured path %s - %s", ike.myHost.Addr(), ike.otherHost.Addr())
		return Success
	}
	if ike.currentPathValid() {
		ike.Log(bus.IKE, bus.Diag, "keeping connection path %s - %s", ike.myHost.Addr(), ike.otherHost.Addr())
		ike.SetCondition(CondStale, false)
		if ike.Supports(ExtMOBIKE) && address {
			ike.Log(bus.IKE, bus.Control, "sending address list update using MOBIKE")
			ike.tm.QueueMOBIKE(false, true)
			return ike.tm.Initiate()
		}
		if ike.env.Settings.CheckCurrentPath && !ike.tm.Busy() {
			ike.Log(bus.IKE, bus.Control, "checking if current path still works using DPD")
			ike.tm.QueueDPD()
			return ike.tm.Initiate()
		}
		return Success
	}
	if !ike.anyPathValid() {
		ike.Log(bus.IKE, bus.Control, "no route found to reach %s, MOBIKE update deferred", ike.otherHost.Addr())
		ike.SetCondition(CondStale, true)
		return Success
	}
	ike.SetCondition(CondStale, false)
	if ike.Supports(ExtMOBIKE) {
		if !ike.Has(CondOriginalInitiator) {
			ike.Log(bus.IKE, bus.Control, "sending address list update using MOBIKE, implicitly requesting an address change")
			address = true
		} else {
			ike.Log(bus.IKE, bus.Control, "requesting address change using MOBIKE")
		}
		ike.tm.QueueMOBIKE(true, address)
		return ike.tm.Initiate()
	}
	if !ike.Has(CondOriginalInitiator) {
		ike.SetCondition(CondStale, true)
		return Success
	}
	ike.Log(bus.IKE, bus.Control, "reauthenticating IKE_SA due to address change")
	ike.resolveHosts()
	return ike.Reauth()
}
