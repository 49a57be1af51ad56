package config

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/selectors"
)

// IKEVersion is ike_version_t; IKEAny stands for keyexchange=ike.
type IKEVersion uint8

const (
	IKEAny IKEVersion = 0
	IKEv1  IKEVersion = 1
	IKEv2  IKEVersion = 2
)

// Fragmentation is fragmentation_t.
type Fragmentation uint8

const (
	FragmentationNo Fragmentation = iota
	FragmentationAccept
	FragmentationYes
	FragmentationForce
)

// Childless is childless_t (RFC 6023).
type Childless uint8

const (
	ChildlessAllow Childless = iota
	ChildlessNever
	ChildlessForce
)

// Resolver turns a host name from the configuration into an address. The
// daemon passes a DNS resolver; tests and the core pass none, in which case
// only literal addresses resolve.
type Resolver func(name string, want4, want6 bool) (netip.Addr, bool)

// IKECfg is the IKE part of a connection, ike_cfg_t: which addresses and
// ports it applies to and which IKE proposals it offers.
type IKECfg struct {
	Version       IKEVersion
	CertReq       bool
	ForceEncap    bool
	Fragmentation Fragmentation
	Childless     Childless
	// Local and Remote are the configured address strings as given
	// (left=/right=, e.g. "192.168.0.1", "%any", "10.0.0.0/8,%any6").
	Local, Remote         string
	LocalPort, RemotePort uint16
	DSCP                  uint8
	Proposals             []*Proposal

	myHosts, otherHosts   []string
	myRanges, otherRanges []selectors.TS
}

// NewIKECfg builds an IKE config and classifies its address lists into
// hosts and ranges, as ike_cfg_create.
func NewIKECfg(c IKECfg) *IKECfg {
	n := c
	n.Proposals = slices.Clone(c.Proposals)
	n.myHosts, n.myRanges = parseAddresses(c.Local)
	n.otherHosts, n.otherRanges = parseAddresses(c.Remote)
	return &n
}

// parseAddresses splits "a,b,c" into single hosts (names, addresses,
// %any) and subnets or ranges.
func parseAddresses(s string) (hosts []string, ranges []selectors.TS) {
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if strings.Contains(tok, "/") {
			if ts, err := selectors.ParseCIDR(tok, 0, 0, 0xffff); err == nil {
				ranges = append(ranges, ts)
			}
			continue
		}
		if from, to, ok := strings.Cut(tok, "-"); ok {
			a, err1 := netip.ParseAddr(from)
			b, err2 := netip.ParseAddr(to)
			if err1 == nil && err2 == nil {
				if ts, err := selectors.FromRange(a, b, 0, 0, 0xffff); err == nil {
					ranges = append(ranges, ts)
				}
				continue
			}
		}
		hosts = append(hosts, tok)
	}
	return hosts, ranges
}

// HostAddr resolves one configured host string ("%any", "%any4", "%any6",
// an address or a name). want4/want6 restrict the family when set.
func HostAddr(s string, want4, want6 bool, resolve Resolver) (netip.Addr, bool) {
	switch s {
	case "%any", "%any4", "0.0.0.0":
		if want6 && !want4 {
			return netip.IPv6Unspecified(), true
		}
		return netip.IPv4Unspecified(), true
	case "%any6", "::":
		if want4 && !want6 {
			return netip.Addr{}, false
		}
		return netip.IPv6Unspecified(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		if (want4 && !a.Is4() && !want6) || (want6 && a.Is4() && !want4) {
			return netip.Addr{}, false
		}
		return a, true
	}
	if resolve != nil {
		return resolve(s, want4, want6)
	}
	return netip.Addr{}, false
}

func resolveHosts(hosts []string, family int, resolve Resolver) (netip.Addr, bool) {
	want4, want6 := family == 4, family == 6
	tried := false
	for _, h := range hosts {
		if a, ok := HostAddr(h, want4, want6, resolve); ok {
			return a, true
		}
		tried = true
	}
	if !tried {
		// No single host configured: %any of the wanted family.
		if family == 6 {
			return netip.IPv6Unspecified(), true
		}
		return netip.IPv4Unspecified(), true
	}
	return netip.Addr{}, false
}

// ResolveMe returns our address (family 0 for any, 4 or 6); %any if only
// ranges are configured.
func (c *IKECfg) ResolveMe(family int, resolve Resolver) (netip.Addr, bool) {
	return resolveHosts(c.myHosts, family, resolve)
}

// ResolveOther returns the peer's address.
func (c *IKECfg) ResolveOther(family int, resolve Resolver) (netip.Addr, bool) {
	return resolveHosts(c.otherHosts, family, resolve)
}

// match scores how well cand fits hosts and ranges: an exact host 129, a
// subnet its prefix length + 1, %any 1, nothing 0 (ike_cfg.c match()).
func match(hosts []string, ranges []selectors.TS, cand netip.Addr, resolve Resolver) int {
	q := 0
	for _, h := range hosts {
		a, ok := HostAddr(h, cand.Is4(), !cand.Is4(), resolve)
		if !ok {
			continue
		}
		if a == cand {
			q = max(q, 129)
		}
		if a.IsUnspecified() {
			q = max(q, 1)
		}
	}
	for _, r := range ranges {
		if r.Includes(cand) {
			if p, exact := r.Prefix(); exact {
				q = max(q, p.Bits()+1)
			} else {
				q = max(q, 1)
			}
		}
	}
	return q
}

// MatchMe scores a local address (0: no match).
func (c *IKECfg) MatchMe(a netip.Addr, resolve Resolver) int {
	return match(c.myHosts, c.myRanges, a.Unmap(), resolve)
}

// MatchOther scores a remote address (0: no match).
func (c *IKECfg) MatchOther(a netip.Addr, resolve Resolver) int {
	return match(c.otherHosts, c.otherRanges, a.Unmap(), resolve)
}

// SelectProposal picks from the peer's proposals.
func (c *IKECfg) SelectProposal(supplied []*Proposal, flags SelectFlags) *Proposal {
	return SelectProposal(c.Proposals, supplied, flags)
}

// KEMethod is the key exchange method of the first proposal that has one:
// what an initiator sends its KE payload for.
func (c *IKECfg) KEMethod() crypto.KeyExchangeMethod {
	for _, p := range c.Proposals {
		if t, ok := p.Algorithm(crypto.TransformKeyExchange); ok {
			return crypto.KeyExchangeMethod(t.ID)
		}
	}
	return 0
}

// HasKEMethod reports whether any proposal offers m.
func (c *IKECfg) HasKEMethod(m crypto.KeyExchangeMethod) bool {
	for _, p := range c.Proposals {
		for _, t := range p.Algorithms(crypto.TransformKeyExchange) {
			if crypto.KeyExchangeMethod(t.ID) == m {
				return true
			}
		}
	}
	return false
}

// Equal compares what stroke_config compares to merge conns into one peer
// config.
func (c *IKECfg) Equal(o *IKECfg) bool {
	if c == o {
		return true
	}
	return slices.EqualFunc(c.Proposals, o.Proposals, func(a, b *Proposal) bool { return a.Equal(b) }) &&
		c.Version == o.Version && c.CertReq == o.CertReq && c.ForceEncap == o.ForceEncap &&
		c.Fragmentation == o.Fragmentation && c.Childless == o.Childless &&
		c.Local == o.Local && c.Remote == o.Remote &&
		c.LocalPort == o.LocalPort && c.RemotePort == o.RemotePort
}

// HasAddress reports whether addr is one of the single hosts configured on
// one side, as written (ike_cfg_has_address: names and ranges do not
// count). MOBIKE-less roaming keeps a statically configured local address.
func (c *IKECfg) HasAddress(addr netip.Addr, local bool) bool {
	hosts := c.otherHosts
	if local {
		hosts = c.myHosts
	}
	for _, h := range hosts {
		if a, ok := HostAddr(h, false, false, nil); ok && a == addr.Unmap() {
			return true
		}
	}
	return false
}
