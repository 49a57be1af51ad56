package ipsecconf

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/goswan/goswan/confparse/internal/token"
	"github.com/goswan/goswan/internal/clib"
)

// starter passes addresses, subnets and source IPs on as strings; charon
// reads them when it builds its configs (stroke_config.c, ike_cfg.c,
// traffic_selector.c, host.c). The functions here read them the same way,
// so that the daemon and checkconf see what charon would.

// AddrRange is an inclusive range of addresses of one family.
type AddrRange struct {
	From, To netip.Addr
}

func (r AddrRange) String() string {
	if p, ok := r.prefix(); ok {
		return p.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// prefix returns the range as a prefix when it is one.
func (r AddrRange) prefix() (netip.Prefix, bool) {
	for bits := 0; bits <= r.From.BitLen(); bits++ {
		p := netip.PrefixFrom(r.From, bits).Masked()
		if p.Addr() == r.From && lastAddr(p) == r.To {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		keep := p.Bits() - 8*i
		switch {
		case keep <= 0:
			b[i] = 0xff
		case keep < 8:
			b[i] |= 0xff >> keep
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// hostFromString is host_create_from_string_and_family: family is 0 (any),
// 4 or 6. "%any" is the IPv4 any address unless IPv6 is asked for.
func hostFromString(s string, family int) (netip.Addr, bool) {
	if s == "%any" {
		if family == 6 {
			return netip.IPv6Unspecified(), true
		}
		return netip.IPv4Unspecified(), true
	}
	if (family == 0 || family == 4) && (s == "%any4" || s == "0.0.0.0") {
		return netip.IPv4Unspecified(), true
	}
	if (family == 0 || family == 6) && (s == "%any6" || s == "::") {
		return netip.IPv6Unspecified(), true
	}
	switch {
	case family == 0 && strings.Contains(s, "."), family == 4:
		if family == 4 && strings.Contains(s, ":") {
			return netip.Addr{}, false
		}
		return clib.Pton4(s)
	}
	return clib.Pton6(s)
}

// subnetFromString is host_create_from_subnet plus
// traffic_selector_create_from_subnet: "a/bits" (bits as atoi reads them,
// truncated to 8 bits and capped at the address length) or a single
// address.
func subnetFromString(s string) (AddrRange, int, bool) {
	addr, bitsStr, hasBits := strings.Cut(s, "/")
	if hasBits && len(addr) >= 64 {
		return AddrRange{}, 0, false
	}
	a, ok := hostFromString(addr, 0)
	if !ok {
		return AddrRange{}, 0, false
	}
	bits := a.BitLen()
	if hasBits {
		n, _ := clib.Strtol(bitsStr, 10)
		bits = int(uint8(int32(n)))
		if bits > a.BitLen() {
			bits = a.BitLen()
		}
	}
	p := netip.PrefixFrom(a, bits).Masked()
	return AddrRange{From: p.Addr(), To: lastAddr(p)}, bits, true
}

// rangeFromString is host_create_from_range: "from-to", blanks allowed
// around the dash, the family set by the upper address.
func rangeFromString(s string) (AddrRange, bool) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return AddrRange{}, false
	}
	t, ok := hostFromString(strings.TrimLeft(to, " "), 0)
	if !ok {
		return AddrRange{}, false
	}
	fam := 4
	if t.Is6() {
		fam = 6
	}
	f, ok := hostFromString(strings.TrimRight(from, " "), fam)
	if !ok {
		return AddrRange{}, false
	}
	return AddrRange{From: f, To: t}, true
}

// TrafficSelector is one traffic selector charon builds from a subnet
// entry (stroke_config.c add_ts).
type TrafficSelector struct {
	// Dynamic selectors (%dynamic, or no subnet at all) stand for the
	// end's IKE address or virtual IP, filled in during negotiation.
	Dynamic  bool
	Range    AddrRange // unset for dynamic selectors
	Bits     int       // the prefix length the subnet was written with
	Protocol uint8
	// FromPort and ToPort as charon stores them; for ICMP and ICMPv6 the
	// type is in the high byte (a port below 256 is shifted up).
	FromPort, ToPort uint16
}

func (ts TrafficSelector) String() string {
	s := "dynamic"
	if !ts.Dynamic {
		s = ts.Range.String()
	}
	if ts.Protocol != 0 || ts.FromPort != 0 || ts.ToPort != 0xffff {
		s += fmt.Sprintf("[%d/%d-%d]", ts.Protocol, ts.FromPort, ts.ToPort)
	}
	return s
}

func newTS(proto uint8, from, to uint16) TrafficSelector {
	if proto == 1 || proto == 58 {
		if from < 256 {
			from <<= 8
		}
		if to < 256 {
			to <<= 8
		}
	}
	return TrafficSelector{Protocol: proto, FromPort: from, ToPort: to}
}

// TrafficSelectors returns the traffic selectors charon builds for end e of
// a conn of this config: one per entry of its subnet list, each with the
// end's protoport unless it has its own "[proto/port]"; a dynamic one when
// no entry is usable. skipped lists the entries charon skips, with why.
func (cfg *Config) TrafficSelectors(e *End) (ts []TrafficSelector, skipped []string) {
	db := cfg.netdb
	if e.Subnet.Set {
		for _, tok := range token.Split(e.Subnet.Value, ",", " ") {
			proto, from, to := e.Protocol, e.FromPort, e.ToPort
			subnet := tok
			if i := strings.IndexByte(tok, '['); i >= 0 {
				subnet = tok[:i]
				pp := tok[i+1:]
				j := strings.LastIndexByte(pp, ']')
				if j < 0 {
					skipped = append(skipped, fmt.Sprintf("invalid proto/port: %s, skipped subnet (expected ']')", pp))
					continue
				}
				if msg := parseProtoport(db, pp[:j], &proto, &from, &to); msg != "" {
					skipped = append(skipped, fmt.Sprintf("invalid proto/port: %s, skipped subnet (%s)", pp, msg))
					continue
				}
			}
			t := newTS(proto, from, to)
			if subnet == "%dynamic" {
				t.Dynamic = true
			} else {
				r, bits, ok := subnetFromString(subnet)
				if !ok {
					skipped = append(skipped, fmt.Sprintf("invalid subnet: %s, skipped (expected ADDRESS[/BITS] or %%dynamic)", subnet))
					continue
				}
				t.Range, t.Bits = r, bits
			}
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		t := newTS(e.Protocol, e.FromPort, e.ToPort)
		t.Dynamic = true
		ts = append(ts, t)
	}
	return ts, skipped
}

// IKEAddress is one entry of an end's address list as ike_cfg.c reads it:
// either a host (an address, a name resolved when used, or %any) or a
// subnet or range peers may come from.
type IKEAddress struct {
	Host  string
	Range *AddrRange
}

// IKEAddresses returns the address list charon uses for the end (left= or
// "%any"), with 0.0.0.0/0 and ::/0 appended when AllowAny is set
// (build_ike_cfg).
func (e *End) IKEAddresses() []IKEAddress {
	list := e.Host.Or("%any")
	if e.AllowAny {
		list += ",0.0.0.0/0,::/0"
	}
	var out []IKEAddress
	for _, tok := range token.Split(list, ",", " ") {
		if strings.Contains(tok, "/") {
			if r, _, ok := subnetFromString(tok); ok {
				out = append(out, IKEAddress{Range: &r})
				continue
			}
		}
		if r, ok := rangeFromString(tok); ok {
			out = append(out, IKEAddress{Range: &r})
			continue
		}
		out = append(out, IKEAddress{Host: tok})
	}
	return out
}

// SourceIP is one entry of leftsourceip=/rightsourceip= as charon reads it.
// For the local end it is a virtual IP to request, for the remote end a
// pool to assign from.
type SourceIP struct {
	// Config is %config, %cfg, %modeconfig or %modecfg (Family 0: taken
	// from the subnets or addresses), %config4 (4) or %config6 (6).
	Config bool
	Family int
	// Addr is a literal address (a requested virtual IP).
	Addr netip.Addr
	// Pool names an external pool (%name, for the remote end).
	Pool string
	// Range is an in-memory pool (CIDR or from-to, for the remote end).
	Range *AddrRange
	// Invalid holds the entry when charon cannot use it.
	Invalid string
}

// SourceIPs reads an end's sourceip list. remote selects the pool reading
// (stroke_config.c uses other.sourceip as pools, me.sourceip as requested
// virtual IPs).
func (e *End) SourceIPs(remote bool) []SourceIP {
	if !e.SourceIP.Set {
		return nil
	}
	var out []SourceIP
	for _, tok := range token.Split(e.SourceIP.Value, ",", " ") {
		var s SourceIP
		switch tok {
		case "%modeconfig", "%modecfg", "%config", "%cfg":
			s.Config = true
		case "%config4":
			s.Config, s.Family = true, 4
		case "%config6":
			s.Config, s.Family = true, 6
		default:
			switch {
			case remote && strings.HasPrefix(tok, "%"):
				s.Pool = tok[1:]
			case remote:
				if r, ok := rangeFromString(tok); ok {
					s.Range = &r
				} else if r, _, ok := subnetFromString(tok); ok {
					s.Range = &r
				} else {
					s.Invalid = tok
				}
			default:
				if a, ok := hostFromString(tok, 0); ok {
					s.Addr = a
				} else {
					s.Invalid = tok
				}
			}
		}
		out = append(out, s)
	}
	return out
}
