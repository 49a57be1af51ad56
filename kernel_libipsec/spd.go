package kernel_libipsec

import (
	"encoding/binary"
	"net/netip"
	"sort"
	"sync/atomic"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// The SPD the data plane matches packets against (ipsec_policy_mgr). The
// reference counting of policies shared by CHILD_SAs during a rekey is
// kernel.PolicyTable's; this file only keeps what each installed policy
// selects, ordered by priority, in an immutable snapshot that the data path
// reads without locks and the control path replaces on every change.

// policy is an installed IPsec policy in the form the data path matches.
type policy struct {
	id      kernel.PolicyID
	dir     kernel.PolicyDir
	src     selectors.TS
	dst     selectors.TS
	proto   uint8 // the more specific of the selectors' protocols (0: any)
	reqid   uint32
	prio    uint32
	typ     kernel.PolicyType
	lastUse atomic.Int64 // unix nanoseconds, 0: never
	// spi, peer and saProto name the SA of an outbound IPsec policy (0:
	// the reqid's best SA).
	spi     uint32
	peer    netip.Addr
	saProto uint8
	// acquired is when the last acquire for this policy was raised (unix
	// nanoseconds of the clock, 0: never).
	acquired atomic.Int64
}

// spdSnapshot holds the out and in policies, best (lowest priority value)
// first. FWD policies are not needed: nothing is forwarded past the TUN
// device without passing out or in.
type spdSnapshot struct {
	out, in []*policy
}

func (s *spdSnapshot) list(dir kernel.PolicyDir) []*policy {
	if dir == kernel.DirOut {
		return s.out
	}
	return s.in
}

// with returns a copy of the snapshot where p replaces the policy with the
// same id (or is added).
func (s *spdSnapshot) with(p *policy) *spdSnapshot {
	n := &spdSnapshot{out: s.out, in: s.in}
	old := s.list(p.dir)
	l := make([]*policy, 0, len(old)+1)
	for _, q := range old {
		if q.id != p.id {
			l = append(l, q)
		} else {
			// Keep the usage across updates of the same policy.
			p.lastUse.Store(q.lastUse.Load())
		}
	}
	l = append(l, p)
	sort.SliceStable(l, func(i, j int) bool { return l[i].prio < l[j].prio })
	if p.dir == kernel.DirOut {
		n.out = l
	} else {
		n.in = l
	}
	return n
}

// without returns a copy of the snapshot without the policy id.
func (s *spdSnapshot) without(id kernel.PolicyID) *spdSnapshot {
	n := &spdSnapshot{out: s.out, in: s.in}
	old := s.list(id.Dir)
	l := make([]*policy, 0, len(old))
	for _, q := range old {
		if q.id != id {
			l = append(l, q)
		}
	}
	if id.Dir == kernel.DirOut {
		n.out = l
	} else {
		n.in = l
	}
	return n
}

// find returns the policy with id, or nil.
func (s *spdSnapshot) find(id kernel.PolicyID) *policy {
	for _, p := range s.list(id.Dir) {
		if p.id == id {
			return p
		}
	}
	return nil
}

// flow is the 5-tuple of a plaintext packet as policies select it. For ICMP
// the type and code stand in the ports as traffic selectors carry them
// (type<<8|code in both).
type flow struct {
	src, dst     netip.Addr
	proto        uint8
	sport, dport uint16
	ok           bool
}

// parseFlow reads the selector-relevant fields of an IP packet without
// allocating. Fragments other than the first carry no ports; they match
// only policies that allow any port, as with XFRM.
func parseFlow(p []byte) flow {
	var f flow
	if len(p) < 1 {
		return f
	}
	var l4 []byte
	switch p[0] >> 4 {
	case 4:
		if len(p) < 20 {
			return f
		}
		h := int(p[0]&0x0f) * 4
		f.src = netip.AddrFrom4([4]byte(p[12:16]))
		f.dst = netip.AddrFrom4([4]byte(p[16:20]))
		f.proto = p[9]
		if binary.BigEndian.Uint16(p[6:8])&0x1fff == 0 && h <= len(p) {
			l4 = p[h:]
		}
	case 6:
		if len(p) < 40 {
			return f
		}
		f.src = netip.AddrFrom16([16]byte(p[8:24]))
		f.dst = netip.AddrFrom16([16]byte(p[24:40]))
		f.proto = p[6]
		l4 = p[40:]
	default:
		return f
	}
	f.ok = true
	switch f.proto {
	case selectors.ProtoTCP, selectors.ProtoUDP, 132 /* SCTP */ :
		if len(l4) >= 4 {
			f.sport = binary.BigEndian.Uint16(l4[0:2])
			f.dport = binary.BigEndian.Uint16(l4[2:4])
		}
	case selectors.ProtoICMP, selectors.ProtoICMPv6:
		if len(l4) >= 2 {
			f.sport = uint16(l4[0])<<8 | uint16(l4[1])
			f.dport = f.sport
		}
	}
	return f
}

func tsMatches(ts selectors.TS, a netip.Addr, port uint16) bool {
	if a.Compare(ts.From()) < 0 || a.Compare(ts.To()) > 0 {
		return false
	}
	return port >= ts.FromPort() && port <= ts.ToPort()
}

// matches reports whether a packet's flow is selected by p.
func (p *policy) matches(f *flow) bool {
	if p.proto != 0 && p.proto != f.proto {
		return false
	}
	if f.src.Is4() != p.src.Is4() {
		return false
	}
	// For ICMP both "ports" hold type<<8|code: the selector that names a
	// type checks it, the other one is "any".
	return tsMatches(p.src, f.src, f.sport) && tsMatches(p.dst, f.dst, f.dport)
}

// lookup returns the best policy of dir that selects f, or nil.
func (s *spdSnapshot) lookup(dir kernel.PolicyDir, f *flow) *policy {
	for _, p := range s.list(dir) {
		if p.matches(f) {
			return p
		}
	}
	return nil
}

// lookupReqID returns the best inbound policy for f that belongs to reqid:
// a decrypted packet must have been allowed through the SA it came in on
// (RFC 4301 §5.2 step 4), as ipsec_processor checks with find_by_packet.
func (s *spdSnapshot) lookupReqID(f *flow, reqid uint32) *policy {
	for _, p := range s.in {
		if p.reqid == reqid && p.matches(f) {
			return p
		}
	}
	return nil
}
