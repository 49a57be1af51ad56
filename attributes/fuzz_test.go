package attributes

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/encoding"
)

// FuzzPoolLeases drives a small pool through acquisitions and releases by
// a handful of identities and peers, as IKE_SAs come and go: an address is
// only ever handed out from the pool, never to two identities at once, a
// release of what was acquired always succeeds, and the counts the status
// output prints add up.
func FuzzPoolLeases(f *testing.F) {
	f.Add(uint8(28), []byte{0, 1, 2, 3, 0x80, 0x81, 4, 5})
	f.Add(uint8(30), []byte{0, 1, 2, 3, 4, 5, 0x80, 6, 0x81, 7})
	f.Add(uint8(32), []byte{0, 0, 1, 0x80, 0x80, 1})
	f.Add(uint8(31), []byte{0x40, 0x41, 0x42, 0x80, 0x43})
	f.Fuzz(func(t *testing.T, bits uint8, ops []byte) {
		bits = 26 + bits%7 // /26../32: up to 62 addresses
		pools := NewPools()
		pools.Add(NewSubnetPool("p", netip.MustParseAddr("10.3.0.0"), int(bits), nil))
		names := []string{"p"}
		type held struct {
			sa   SA
			addr netip.Addr
		}
		var online []held
		for _, op := range ops {
			if op&0x80 != 0 && len(online) > 0 {
				// the IKE_SA of one holder goes
				i := int(op&0x7f) % len(online)
				h := online[i]
				online = append(online[:i], online[i+1:]...)
				if !pools.ReleaseAddress(names, h.addr, h.sa) {
					t.Fatalf("release of %s by %s refused", h.addr, h.sa.ID)
				}
				continue
			}
			// identity (3 bits) from one of two peers, asking for any
			// address or for one of the pool's
			s := peerSA(fmt.Sprintf("c%d@strongswan.org", op&7), fmt.Sprintf("192.168.0.%d:4500", 100+(op>>3)&1), nil)
			req := any4
			if op&0x40 != 0 {
				req = netip.AddrFrom4([4]byte{10, 3, 0, op & 3})
			}
			a := pools.AcquireAddress(names, s, req)
			if !a.IsValid() {
				continue
			}
			if !handsOut(pools.Pool("p"), a) {
				t.Fatalf("%s handed out %s, not in the pool", s.ID, a)
			}
			online = append(online, held{s, a})
		}
		owner := map[netip.Addr]string{}
		var on, off uint32
		leases, _ := pools.Leases("p")
		for _, l := range leases {
			if o, ok := owner[l.Addr]; ok && o != l.ID.String() {
				t.Fatalf("%s leased to %s and %s", l.Addr, o, l.ID)
			}
			owner[l.Addr] = l.ID.String()
		}
		info := pools.List()[0]
		for a := range owner {
			still := false
			for _, h := range online {
				still = still || h.addr == a
			}
			if still {
				on++
			} else {
				off++
			}
		}
		// online counts the tunnels (one identity may use its lease from
		// several IKE_SAs), offline the addresses kept for identities gone
		if info.Online != uint32(len(online)) || info.Offline != off || on+off > info.Size {
			t.Fatalf("pool says %d online, %d offline of %d; %d holders of %d addresses, %d kept", info.Online, info.Offline, info.Size, len(online), on, off)
		}
	})
}

// FuzzAttrConfig: whatever charon.plugins.attr holds, the attr provider
// loads it without panicking, and every attribute it would send encodes
// in a configuration payload with a value of the size its type has.
func FuzzAttrConfig(f *testing.F) {
	f.Add("dns", "10.1.0.1, fec1::1")
	f.Add("subnet", "10.1.0.0/16,10.2.0.0,fec1::/16")
	f.Add("25", "strongswan.org")
	f.Add("split-include", "10.0.0.0/8")
	f.Add("nbns", "nonsense")
	f.Add("28674", "")
	f.Add("subnet", "10.1.0.0/33,,/")
	f.Fuzz(func(t *testing.T, key, value string) {
		a := NewAttr(Legacy{DNS: [2]string{value, ""}}, []KeyValue{{Key: key, Value: value}}, nil)
		cp := &encoding.CP{CPType: encoding.CPReply}
		// a numeric key (atoi) takes its values as they are, addresses or
		// not; the named ones only addresses
		numeric := strings.TrimLeft(key, " \t\n\v\f\r+-") != "" && strings.TrimLeft(key, " \t\n\v\f\r+-")[0] >= '0' &&
			strings.TrimLeft(key, " \t\n\v\f\r+-")[0] <= '9'
		for _, e := range a.Entries() {
			cp.Attributes = append(cp.Attributes, encoding.CPAttribute{Type: e.Type, Value: e.Value})
			if sizes, fixed := valueSizes(e.Type); fixed && !numeric && len(e.Value) != sizes[0] && len(e.Value) != sizes[1] {
				t.Errorf("%s = %q: %s with %d bytes", key, value, e.Type, len(e.Value))
			}
		}
		if _, err := cp.AppendBody(nil); err != nil {
			t.Fatalf("%s = %q: %v", key, value, err)
		}
		a.Reload(Legacy{}, []KeyValue{{Key: strings.ToUpper(key), Value: value}}, nil)
	})
}

// valueSizes are the value sizes of the address attributes (RFC 7296
// §3.15.1) the provider may produce: the address, or the address with a
// netmask or prefix length. As in the attr plugin, a subnet without a mask
// goes out as the bare address, and a mask seen once in a value carries
// over to the addresses after it, even of DNS servers.
func valueSizes(t encoding.ConfigAttribute) ([2]int, bool) {
	switch t {
	case encoding.AttrInternalIP4DNS, encoding.AttrInternalIP4NBNS, encoding.AttrInternalIP4Subnet:
		return [2]int{4, 8}, true
	case encoding.AttrInternalIP6DNS, encoding.AttrInternalIP6NBNS, encoding.AttrInternalIP6Subnet:
		return [2]int{16, 17}, true
	}
	return [2]int{}, false
}

// handsOut says whether a is one of the addresses p hands out: the
// network address of a subnet pool (base_is_network_id) is not.
func handsOut(p *MemPool, a netip.Addr) bool {
	o, lo := p.addrOffset(a), uint32(1)
	if p.baseIsNetwork {
		lo = 2
	}
	return o >= lo && o < lo+p.size
}
