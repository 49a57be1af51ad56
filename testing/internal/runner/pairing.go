package runner

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Pairing assigns implementations to the two sides of a scenario.
type Pairing struct {
	Left, Right Impl
	// Overrides force single hosts (--impl-of HOST=IMPL) whatever their side.
	Overrides map[string]Impl
}

// AllPairings are the four pairings of DESIGN.md §4, goswan↔goswan first and
// the strongSwan↔strongSwan control last.
var AllPairings = []Pairing{
	{Left: Goswan, Right: Goswan},
	{Left: Goswan, Right: StrongSwan},
	{Left: StrongSwan, Right: Goswan},
	{Left: StrongSwan, Right: StrongSwan},
}

// Code is the short form: "gs" is goswan on the left side, strongSwan on the
// right, plus any overrides (",moon=g").
func (p Pairing) Code() string {
	return p.Left.Letter() + p.Right.Letter() + p.overrideSuffix(func(i Impl) string { return i.Letter() })
}

// Name is the long form used for result directories,
// e.g. "goswan-strongswan" or "strongswan-strongswan,moon=goswan".
func (p Pairing) Name() string {
	return string(p.Left) + "-" + string(p.Right) + p.overrideSuffix(func(i Impl) string { return string(i) })
}

func (p Pairing) overrideSuffix(f func(Impl) string) string {
	hosts := make([]string, 0, len(p.Overrides))
	for h := range p.Overrides {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, ",%s=%s", h, f(p.Overrides[h]))
	}
	return b.String()
}

// ParsePairings reads a comma-separated list of pairing codes ("gg,ss") or
// "all".
func ParsePairings(s string) ([]Pairing, error) {
	if s == "all" || s == "" {
		return slices.Clone(AllPairings), nil
	}
	var out []Pairing
	for _, code := range strings.Split(s, ",") {
		code = strings.TrimSpace(code)
		if len(code) != 2 {
			return nil, fmt.Errorf("pairing %q: want two letters, each g, s or c (gg, gs, sg, ss; c is goswan's charon under Debian's ipsec)", code)
		}
		l, err := ParseImpl(code[:1])
		if err != nil {
			return nil, fmt.Errorf("pairing %q: %w", code, err)
		}
		r, err := ParseImpl(code[1:])
		if err != nil {
			return nil, fmt.Errorf("pairing %q: %w", code, err)
		}
		p := Pairing{Left: l, Right: r}
		if !slices.ContainsFunc(out, func(q Pairing) bool { return q.Code() == p.Code() }) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Sides splits a scenario's IPsec hosts into the left and right side of a
// pairing: gateway scenarios put moon left and sun right; roadwarrior
// scenarios put the roadwarriors (every IPsec host but moon) left and the
// gateway moon right, and those behind moon's NAT (alice, venus with sun,
// as nat-rw and mobike) left and the gateway sun right. Without either,
// the first IPsec host is left. A scenario's RIGHTHOSTS (rightHosts)
// override the rule: those are right, the others left.
func Sides(ipsecHosts, rightHosts []string) (left, right []string) {
	hasMoon, hasSun := slices.Contains(ipsecHosts, "moon"), slices.Contains(ipsecHosts, "sun")
	for _, h := range ipsecHosts {
		switch {
		case len(rightHosts) > 0:
			if slices.Contains(rightHosts, h) {
				right = append(right, h)
			} else {
				left = append(left, h)
			}
		case hasSun:
			if h == "sun" {
				right = append(right, h)
			} else {
				left = append(left, h)
			}
		case hasMoon:
			if h == "moon" {
				right = append(right, h)
			} else {
				left = append(left, h)
			}
		default:
			if len(left) == 0 {
				left = append(left, h)
			} else {
				right = append(right, h)
			}
		}
	}
	return left, right
}

// Assign returns the implementation of every host: the pairing's sides for
// the scenario's IPsec hosts, strongSwan for hosts that run no IPsec (their
// `ipsec` is never meant to be used), then the overrides.
func (p Pairing) Assign(ipsecHosts, rightHosts, allHosts []string) map[string]Impl {
	m := make(map[string]Impl, len(allHosts))
	for _, h := range allHosts {
		m[h] = StrongSwan
	}
	left, right := Sides(ipsecHosts, rightHosts)
	for _, h := range left {
		m[h] = p.Left
	}
	for _, h := range right {
		m[h] = p.Right
	}
	for h, i := range p.Overrides {
		m[h] = i
	}
	return m
}
