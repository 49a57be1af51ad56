package kernel_netlink

import (
	"net/netip"
)

// rtnetlink structures (<linux/rtnetlink.h>, <linux/if_addr.h>,
// <linux/if_link.h>), decoded by hand with bounds checks.

const (
	rtmNewLink      = 16
	rtmDelLink      = 17
	rtmGetLink      = 18
	rtmNewAddr      = 20
	rtmDelAddr      = 21
	rtmGetAddr      = 22
	rtmNewRoute     = 24
	rtmDelRoute     = 25
	rtmGetRoute     = 26
	rtmNewRule      = 32
	rtmDelRule      = 33
	rtmNewAddrLabel = 72
	rtmDelAddrLabel = 73

	sizeIfInfoMsg   = 16
	sizeIfAddrMsg   = 8
	sizeRtMsg       = 12
	sizeIfAddrLblMs = 12

	iflaIfname = 3

	ifaAddress   = 1
	ifaLocal     = 2
	ifaCacheInfo = 6

	ifaFTemporary  = 0x01
	ifaFNoDAD      = 0x02
	ifaFDeprecated = 0x20

	rtaDst      = 1
	rtaSrc      = 2
	rtaOif      = 4
	rtaGateway  = 5
	rtaPriority = 6
	rtaPrefsrc  = 7
	rtaMetrics  = 8
	rtaTable    = 15

	rtaxMTU    = 2
	rtaxAdvMSS = 8

	fraTable = 15
	// FRA_FWMARK and FRA_FWMASK match a routing rule on the firewall
	// mark; fibRuleInvert (in rtm_flags) negates the match.
	fraFwmark     = 10
	fraFwmask     = 16
	fibRuleInvert = 0x2

	ifalAddress = 1
	ifalLabel   = 2

	rtnUnicast     = 1
	rtnLocal       = 2
	rtnBlackhole   = 6
	rtnUnreachable = 7
	rtnProhibit    = 8
	rtnThrow       = 9

	rtprotBoot   = 3
	rtprotStatic = 4

	rtScopeUniverse = 0
	rtScopeLink     = 253

	rtTableLocal = 255
	rtmFCloned   = 0x200

	iffUp       = 0x1
	iffLoopback = 0x8

	// multicast groups (RTNLGRP_*)
	grpLink       = 1
	grpIPv4IfAddr = 5
	grpIPv4Route  = 7
	grpIPv4Rule   = 8
	grpIPv6IfAddr = 9
	grpIPv6Route  = 11
	grpIPv6Rule   = 19
)

// linkMsg is a decoded RTM_NEWLINK/RTM_DELLINK.
type linkMsg struct {
	index int32
	flags uint32
	name  string
}

func parseLink(m []byte) (linkMsg, error) {
	if len(m) < sizeIfInfoMsg {
		return linkMsg{}, errShort
	}
	l := linkMsg{index: int32(native.Uint32(m[4:])), flags: native.Uint32(m[8:])}
	attrs, err := attrsAfter(m, sizeIfInfoMsg)
	if err != nil {
		return l, err
	}
	for _, a := range attrs {
		if a.typ == iflaIfname {
			n := a.data
			for i, c := range n {
				if c == 0 {
					n = n[:i]
					break
				}
			}
			l.name = string(n)
		}
	}
	return l, nil
}

// addrMsg is a decoded RTM_NEWADDR/RTM_DELADDR.
type addrMsg struct {
	family    uint8
	prefixlen uint8
	flags     uint8
	scope     uint8
	index     int32
	addr      netip.Addr
}

func parseAddr(m []byte) (addrMsg, error) {
	if len(m) < sizeIfAddrMsg {
		return addrMsg{}, errShort
	}
	a := addrMsg{family: m[0], prefixlen: m[1], flags: m[2], scope: m[3], index: int32(native.Uint32(m[4:]))}
	attrs, err := attrsAfter(m, sizeIfAddrMsg)
	if err != nil {
		return a, err
	}
	var local, address netip.Addr
	for _, at := range attrs {
		switch at.typ {
		case ifaLocal:
			local = addrOfLen(a.family, at.data)
		case ifaAddress:
			address = addrOfLen(a.family, at.data)
		}
	}
	// For point-to-point links IFA_ADDRESS is the peer: prefer IFA_LOCAL.
	a.addr = local
	if !a.addr.IsValid() {
		a.addr = address
	}
	return a, nil
}

// addrOfLen reads an address attribute of the given family.
func addrOfLen(family uint8, b []byte) netip.Addr {
	switch {
	case family == afInet && len(b) == 4:
		return netip.AddrFrom4([4]byte(b))
	case family == afInet6 && len(b) == 16:
		return netip.AddrFrom16([16]byte(b))
	}
	return netip.Addr{}
}

// rtEntry is a decoded route (strongSwan's rt_entry_t).
type rtEntry struct {
	typ      uint8
	flags    uint32
	family   uint8
	dstLen   uint8
	srcLen   uint8
	table    uint32
	dst      netip.Addr
	src      netip.Addr
	gateway  netip.Addr
	prefsrc  netip.Addr
	oif      int32
	priority uint32
	// srcHost is the source address chosen for the route during lookup.
	srcHost netip.Addr
}

func parseRoute(m []byte) (rtEntry, error) {
	if len(m) < sizeRtMsg {
		return rtEntry{}, errShort
	}
	r := rtEntry{family: m[0], dstLen: m[1], srcLen: m[2], table: uint32(m[4]), typ: m[7],
		flags: native.Uint32(m[8:])}
	attrs, err := attrsAfter(m, sizeRtMsg)
	if err != nil {
		return r, err
	}
	for _, a := range attrs {
		switch a.typ {
		case rtaPrefsrc:
			r.prefsrc = addrOfLen(r.family, a.data)
		case rtaGateway:
			r.gateway = addrOfLen(r.family, a.data)
		case rtaDst:
			r.dst = addrOfLen(r.family, a.data)
		case rtaSrc:
			r.src = addrOfLen(r.family, a.data)
		case rtaOif:
			if len(a.data) == 4 {
				r.oif = int32(native.Uint32(a.data))
			}
		case rtaPriority:
			if len(a.data) == 4 {
				r.priority = native.Uint32(a.data)
			}
		case rtaTable:
			if len(a.data) == 4 {
				r.table = native.Uint32(a.data)
			}
		}
	}
	return r, nil
}

// usable reports whether a route can carry traffic (route_usable).
func (r rtEntry) usable(allowLocal bool) bool {
	switch r.typ {
	case rtnBlackhole, rtnUnreachable, rtnProhibit, rtnThrow:
		return false
	case rtnLocal:
		return allowLocal
	}
	return true
}

// ruleTable reads the table of a RTM_NEWRULE/RTM_DELRULE (rtm_table, or
// FRA_TABLE for tables above 255).
func parseRuleTable(m []byte) (uint32, error) {
	if len(m) < sizeRtMsg {
		return 0, errShort
	}
	table := uint32(m[4])
	attrs, err := attrsAfter(m, sizeRtMsg)
	if err != nil {
		return table, err
	}
	for _, a := range attrs {
		if a.typ == fraTable && len(a.data) == 4 {
			table = native.Uint32(a.data)
		}
	}
	return table, nil
}
