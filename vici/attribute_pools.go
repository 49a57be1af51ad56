package vici

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/internal/clib"
)

// Pools are vici's virtual IP pools (vici_attribute.c): named in-memory
// pools with attributes of their own, loaded and unloaded over the socket.
// They implement PoolStore for the commands and attributes.Provider for
// the IKE_SAs whose config names them (load-conn's pools, or
// rightsourceip=%name).
type Pools struct {
	mu    sync.RWMutex
	pools []*vpool // in the order of (re)loading, as charon's hashtable
	log   bus.Logger
}

type vpool struct {
	vips  *attributes.MemPool
	attrs []attributes.Attribute
}

var (
	_ PoolStore           = (*Pools)(nil)
	_ attributes.Provider = (*Pools)(nil)
)

// NewPools returns an empty set; log receives the CFG lines charon logs.
func NewPools(log bus.Logger) *Pools { return &Pools{log: log} }

func (s *Pools) logf(format string, args ...any) {
	if s.log != nil {
		s.log.Logf(bus.CFG, bus.Control, format, args...)
	}
}

func (s *Pools) find(name string) (int, *vpool) {
	for i, p := range s.pools {
		if p.vips.Name() == name {
			return i, p
		}
	}
	return -1, nil
}

// hostFrom is host_create_from_string without a port.
func hostFrom(s string) (netip.Addr, bool) {
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

// memPool builds the pool of an addrs value: a range, else a subnet.
func (s *Pools) memPool(name, v string) *attributes.MemPool {
	if fromS, toS, ok := strings.Cut(v, "-"); ok {
		to, ok1 := hostFrom(strings.TrimLeft(toS, " "))
		from, ok2 := hostFrom(strings.TrimRight(fromS, " "))
		if ok1 && ok2 && from.Is4() == to.Is4() {
			p, err := attributes.NewRangePool(name, from, to)
			if err != nil {
				s.logf("%v", err)
				return nil
			}
			return p
		}
	}
	addr, bits, hasBits := strings.Cut(v, "/")
	base, ok := hostFrom(addr)
	if !ok {
		return nil
	}
	n := base.BitLen()
	if hasBits {
		n = int(clib.Atoi(bits))
	}
	return attributes.NewSubnetPool(name, base, n, s.log)
}

// poolKeys are the attribute names of a pool section.
var poolKeys = map[string][2]encoding.ConfigAttribute{
	"address":       {encoding.AttrInternalIP4Address, encoding.AttrInternalIP6Address},
	"dns":           {encoding.AttrInternalIP4DNS, encoding.AttrInternalIP6DNS},
	"nbns":          {encoding.AttrInternalIP4NBNS, encoding.AttrInternalIP6NBNS},
	"dhcp":          {encoding.AttrInternalIP4DHCP, encoding.AttrInternalIP6DHCP},
	"netmask":       {encoding.AttrInternalIP4Netmask, encoding.AttrInternalIP6Netmask},
	"server":        {encoding.AttrInternalIP4Server, encoding.AttrInternalIP6Server},
	"subnet":        {encoding.AttrInternalIP4Subnet, encoding.AttrInternalIP6Subnet},
	"split_include": {encoding.AttrUnitySplitInclude, encoding.AttrUnitySplitInclude},
	"split_exclude": {encoding.AttrUnityLocalLAN, encoding.AttrUnityLocalLAN},
}

// poolAttribute reads one list item of a pool section (pool_li): an
// address or subnet for a named attribute, anything for a numbered one.
func poolAttribute(name string, v []byte) (attributes.Attribute, error) {
	keys, named := poolKeys[name]
	typ := encoding.ConfigAttribute(clib.Atoi(name))
	if !named && typ == 0 {
		return attributes.Attribute{}, fmt.Errorf("invalid attribute: %s", name)
	}
	var host netip.Addr
	mask := -1
	if str, ok := stringify(v, 256); ok {
		addr := str
		if a, bits, cut := strings.Cut(str, "/"); cut {
			addr, mask = a, int(clib.Atoi(bits))
		}
		host, _ = hostFrom(addr)
	}
	if !host.IsValid() {
		if named {
			return attributes.Attribute{}, fmt.Errorf("invalid attribute value for %s", name)
		}
		return attributes.Attribute{Type: typ, Value: slices.Clone(v)}, nil
	}
	if named {
		typ = keys[1]
		if host.Is4() {
			typ = keys[0]
		}
	}
	value := host.AsSlice()
	switch {
	case mask == -1:
	case host.Is4():
		var netmask uint32
		if mask > 0 {
			netmask = ^uint32(0) << (32 - min(mask, 32))
		}
		value = binary.BigEndian.AppendUint32(value, netmask)
	default:
		value = append(value, byte(mask))
	}
	return attributes.Attribute{Type: typ, Value: value}, nil
}

// parsePool reads a load-pool section.
func (s *Pools) parsePool(name string, def *Message) (*vpool, error) {
	p := &vpool{}
	for _, e := range def.Elements {
		switch e.Kind {
		case KeyValue:
			if e.Name != "addrs" {
				return nil, fmt.Errorf("invalid attribute: %s", e.Name)
			}
			if p.vips != nil {
				return nil, fmt.Errorf("multiple addrs defined")
			}
			v, ok := stringify(e.Value, 128)
			if !ok {
				return nil, fmt.Errorf("invalid addrs value")
			}
			if p.vips = s.memPool(name, v); p.vips == nil {
				return nil, fmt.Errorf("invalid addrs value: %s", v)
			}
		case List:
			for _, item := range e.Items {
				a, err := poolAttribute(e.Name, item)
				if err != nil {
					return nil, err
				}
				p.attrs = append(p.attrs, a)
			}
		default:
			return nil, fmt.Errorf("parsing request failed")
		}
	}
	if p.vips == nil {
		return nil, fmt.Errorf("missing addrs for pool '%s'", name)
	}
	return p, nil
}

// LoadPool implements PoolStore: a new pool is added; one with the same
// base and size keeps its leases and takes the new attributes; another
// replaces it if it has no online leases (merge_pool).
func (s *Pools) LoadPool(name string, def *Message) error {
	p, err := s.parsePool(name, def)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	base, size := p.vips.Base(), p.vips.Size()
	i, old := s.find(name)
	if old == nil {
		s.pools = append(s.pools, p)
		s.logf("added vici pool %s: %s, %d entries", name, base, size)
		return nil
	}
	s.pools = slices.Delete(s.pools, i, i+1)
	switch {
	case old.vips.Base() == base && old.vips.Size() == size:
		p.vips = old.vips
		s.logf("updated vici pool %s: %s, %d entries", name, base, size)
	case old.vips.Online() == 0:
		s.logf("replaced vici pool %s: %s, %d entries", name, base, size)
	default:
		s.logf("vici pool %s has %d online leases, unable to replace", name, old.vips.Online())
		s.pools = append(s.pools, old)
		return fmt.Errorf("vici pool %s has online leases, unable to replace", name)
	}
	s.pools = append(s.pools, p)
	return nil
}

// UnloadPool implements PoolStore.
func (s *Pools) UnloadPool(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, p := s.find(name)
	if p == nil {
		return fmt.Errorf("%s not found", name)
	}
	if online := p.vips.Online(); online > 0 {
		s.logf("vici pool %s has %d online leases, unable to unload", name, online)
		// charon puts it back, at the end
		s.pools = append(slices.Delete(s.pools, i, i+1), p)
		return fmt.Errorf("%s has online leases, unable to unload", name)
	}
	s.pools = slices.Delete(s.pools, i, i+1)
	s.logf("unloaded vici pool %s", name)
	return nil
}

// Pools implements PoolStore.
func (s *Pools) Pools(name string, leases bool) []PoolInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []PoolInfo
	for _, p := range s.pools {
		if name != "" && p.vips.Name() != name {
			continue
		}
		info := PoolInfo{Name: p.vips.Name(), Base: p.vips.Base().String(), Size: p.vips.Size(),
			Online: p.vips.Online(), Offline: p.vips.Offline()}
		if leases {
			for _, l := range p.vips.Leases() {
				info.Leases = append(info.Leases, LeaseInfo{Address: l.Addr.String(), Identity: l.ID.String(), Online: l.Online})
			}
		}
		out = append(out, info)
	}
	return out
}

// AcquireAddress implements attributes.Provider, as stroke's pools.
func (s *Pools) AcquireAddress(pools []string, sa attributes.SA, requested netip.Addr) netip.Addr {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, op := range []attributes.Operation{attributes.Existing, attributes.New, attributes.Reassign} {
		for _, name := range pools {
			if _, p := s.find(name); p != nil {
				if a := p.vips.Acquire(sa, requested, op); a.IsValid() {
					return a
				}
			}
		}
	}
	return netip.Addr{}
}

// ReleaseAddress implements attributes.Provider.
func (s *Pools) ReleaseAddress(pools []string, addr netip.Addr, sa attributes.SA) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, name := range pools {
		if _, p := s.find(name); p != nil && p.vips.Release(addr, sa) {
			return true
		}
	}
	return false
}

// Attributes implements attributes.Provider: the attributes of the named
// pools that handed out one of vips.
func (s *Pools) Attributes(pools []string, _ attributes.SA, vips []netip.Addr) []attributes.Attribute {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []attributes.Attribute
	for _, name := range pools {
		_, p := s.find(name)
		if p == nil {
			continue
		}
		if slices.ContainsFunc(vips, p.vips.Contains) {
			out = append(out, p.attrs...)
		}
	}
	return out
}
