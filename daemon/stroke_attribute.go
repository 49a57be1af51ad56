package daemon

import (
	"net/netip"
	"strings"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/internal/clib"
	"github.com/goswan/goswan/stroke"
)

// The stroke plugin's attribute parts: the pools and DNS servers of
// rightsourceip= and rightdns= (stroke_attribute.c), and the DNS servers a
// client asks for with leftdns= (stroke_handler.c).

// hostFromString reads an address as host_create_from_string does without
// a port (%any is the unspecified address).
func hostFromString(s string) (netip.Addr, bool) {
	switch s {
	case "%any", "%any4":
		return netip.IPv4Unspecified(), true
	case "%any6":
		return netip.IPv6Unspecified(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// rangePool builds a pool from "from-to" (create_pool_range); nil if the
// token is no range. An invalid range is logged as charon logs it.
func (s *strokeConfig) rangePool(tok string) *attributes.MemPool {
	fromS, toS, ok := strings.Cut(tok, "-")
	if !ok {
		return nil
	}
	to, ok := hostFromString(strings.TrimLeft(toS, " "))
	if !ok {
		return nil
	}
	from, ok := hostFromString(strings.TrimRight(fromS, " "))
	if !ok || from.Is4() != to.Is4() {
		return nil
	}
	p, err := attributes.NewRangePool(tok, from, to)
	if err != nil {
		s.log(bus.Control, "%v", err)
		return nil
	}
	return p
}

// subnetPool builds a pool from "addr[/bits]" (host_create_from_subnet and
// mem_pool_create).
func (s *strokeConfig) subnetPool(tok string) *attributes.MemPool {
	addr, bits, hasBits := strings.Cut(tok, "/")
	base, ok := hostFromString(addr)
	if !ok {
		return nil
	}
	n := base.BitLen()
	if hasBits {
		n = int(clib.Atoi(bits))
	}
	return attributes.NewSubnetPool(tok, base, n, bus.Ctx{Bus: s.d.bus})
}

// pools reads rightsourceip= into the names of the pools the peer config
// uses, creating the in-memory ones (stroke_config.c build_peer_cfg):
// %config and its spellings make an empty pool named after the conn,
// %name refers to a pool someone else provides, anything else is a range
// or subnet that names its own pool.
func (s *strokeConfig) pools(c *stroke.AddConn) []string {
	var names []string
	for _, tok := range tokens(c.Other.SourceIP.Value) {
		switch {
		case isConfigToken(tok) || tok == "%config4" || tok == "%config6":
			s.addPool(attributes.NewEmptyPool(c.Name.Value))
			names = append(names, c.Name.Value)
		case strings.HasPrefix(tok, "%"):
			names = append(names, tok[1:])
		default:
			p := s.rangePool(tok)
			if p == nil {
				p = s.subnetPool(tok)
			}
			if p == nil {
				s.log(bus.Control, "IP pool %s invalid, ignored", tok)
				continue
			}
			s.addPool(p)
			names = append(names, tok)
		}
	}
	return names
}

func (s *strokeConfig) addPool(p *attributes.MemPool) {
	if s.d.pools == nil {
		return
	}
	added, existing := s.d.pools.Add(p)
	attributes.LogAdd(bus.Ctx{Bus: s.d.bus}, p, added, existing)
}

// dnsAttributes reads a dns= list; config allows %config, %config4 and
// %config6 (a client's leftdns=, which asks without an address).
func (s *strokeConfig) dnsAttributes(list string, config bool) []attributes.Attribute {
	var out []attributes.Attribute
	for _, tok := range tokens(list) {
		var host netip.Addr
		ok := true
		switch {
		case config && (tok == "%config" || tok == "%config4"):
			host = netip.IPv4Unspecified()
		case config && tok == "%config6":
			host = netip.IPv6Unspecified()
		default:
			host, ok = hostFromString(tok)
		}
		if !ok {
			s.log(bus.Control, "ignoring invalid DNS address '%s'", tok)
			continue
		}
		a := attributes.AddressAttribute(encoding.AttrInternalIP4DNS, encoding.AttrInternalIP6DNS, host)
		if config && host.IsUnspecified() {
			a.Value = nil
		}
		out = append(out, a)
	}
	return out
}

// addConnAttributes registers rightdns= and leftdns= of a conn, as the
// stroke socket does after adding it.
func (s *strokeConfig) addConnAttributes(c *stroke.AddConn) {
	if s.d.pools != nil && c.Other.DNS.Valid {
		s.d.pools.AddConnAttributes(c.Name.Value, s.dnsAttributes(c.Other.DNS.Value, false))
	}
	if s.d.connRequests != nil && c.Me.DNS.Valid {
		s.d.connRequests.Add(c.Name.Value, s.dnsAttributes(c.Me.DNS.Value, true))
	}
}

// delConnAttributes drops them again with the conn.
func (s *strokeConfig) delConnAttributes(name string) {
	if s.d.pools != nil {
		s.d.pools.RemoveConnAttributes(name)
	}
	if s.d.connRequests != nil {
		s.d.connRequests.Remove(name)
	}
}
