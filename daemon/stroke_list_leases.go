package daemon

import (
	"io"
	"net/netip"

	"github.com/goswan/goswan/stroke"
)

// WriteLeases writes the answer to `ipsec leases [pool [address]]`
// (stroke_list.c leases()): per pool its usage and the leases, only those
// of address if it is given and parses as one (charon ignores a filter it
// cannot parse).
func WriteLeases(w io.Writer, src StatusSource, pool, address stroke.Str) error {
	p := &printer{w: w}
	var filter netip.Addr
	if address.Valid {
		filter = parseHost(address.Value)
	}
	found := 0
	for _, pl := range src.Pools() {
		if pool.Valid && pool.Value != pl.Name {
			continue
		}
		found++
		p.printf("Leases in pool '%s', usage: %d/%d, %d online\n", pl.Name, pl.Online+pl.Offline, pl.Size, pl.Online)
		matched := 0
		for _, l := range src.Leases(pl.Name) {
			if filter.IsValid() && filter != l.Addr {
				continue
			}
			state := "offline"
			if l.Online {
				state = "online"
			}
			p.printf("  %s   %s   '%s'\n", pad(formatHost(l.Addr), 15), state, formatID(l.ID))
			matched++
		}
		if matched == 0 {
			p.print("  no matching leases found\n")
		}
	}
	if found == 0 {
		if pool.Valid {
			p.printf("pool '%s' not found\n", pool.Value)
		} else {
			p.print("no pools found\n")
		}
	}
	return p.err
}

// parseHost reads an address as host_create_from_string does without a
// port: %any and %any6 are the unspecified addresses; anything else that
// is not an address gives the invalid Addr.
func parseHost(s string) netip.Addr {
	switch s {
	case "%any", "%any4":
		return netip.IPv4Unspecified()
	case "%any6":
		return netip.IPv6Unspecified()
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}
	}
	return a
}
