// Package fakekernel is a kernel backend that installs nothing: it records every
// call, keeps the SAD and SPD it would have built, can be told to fail, and
// raises soft and hard expiries from an injected timer source. In-process
// tests use it with virtual time (testing/ikesim); production code does
// not import it.
package fakekernel

import (
	"fmt"
	"maps"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/kernel"
)

// Call is one recorded kernel call.
type Call struct {
	Op       string // "GetSPI", "AddSA", "UpdateSA", "DelSA", "AddPolicy", "DelPolicy", ...
	SA       kernel.SAID
	Add      kernel.AddSA
	Update   kernel.UpdateSA
	Policy   kernel.PolicyID
	Manage   kernel.ManagePolicy
	PolicyOp kernel.PolicyOp // what the SPD did for AddPolicy/DelPolicy
	// VIP and Iface are the virtual IP of AddIP and DelIP (and AddIP's
	// interface).
	VIP   netip.Addr
	Iface string
	Err   error
}

func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Op)
	switch c.Op {
	case "GetSPI":
		fmt.Fprintf(&b, " %s->%s proto %d => 0x%08x", c.SA.Src, c.SA.Dst, c.SA.Proto, c.SA.SPI)
	case "AddSA":
		dir := "out"
		if c.Add.Inbound {
			dir = "in"
		}
		fmt.Fprintf(&b, " %s %s reqid %d %s", c.SA, dir, c.Add.ReqID, c.Add.Mode)
		if c.Add.Update {
			b.WriteString(" (update)")
		}
	case "DelSA", "UpdateSA", "QuerySA":
		fmt.Fprintf(&b, " %s", c.SA)
	case "AddPolicy", "DelPolicy":
		fmt.Fprintf(&b, " %s reqid %d spi 0x%08x (%s)", c.Policy, c.Manage.SA.ReqID, c.Manage.SA.ESP.SPI, c.PolicyOp)
	}
	if c.Err != nil {
		fmt.Fprintf(&b, ": %v", c.Err)
	}
	return b.String()
}

// Timers schedules expiry events. Tests pass a virtual clock; the daemon
// passes real time.
type Timers interface {
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Kernel is the fake backend. It implements kernel.IPsec and kernel.Net.
type Kernel struct {
	mu       sync.Mutex
	calls    []Call
	sas      map[saKey]*sa
	policies kernel.PolicyTable
	nextSPI  uint32
	nextCPI  uint16
	// Fail, when set, is asked before every call; a non-nil error fails the
	// call without changing state, as a kernel error would.
	Fail     func(c Call) error
	listener kernel.Listener
	timers   Timers
	addrs    []netip.Addr
	noCalls  bool
	// vips count the users of each virtual IP, as kernel_netlink does.
	vips map[netip.Addr]int
	// policySPI: outbound policies name their SA's SPI, as XFRM's do
	// (kernel_netlink); without it the outbound SA of a reqid is the newest
	// one that did not soft-expire, as in the userspace data plane.
	policySPI bool
	addSeq    uint64
}

type saKey struct {
	dst   netip.Addr
	spi   uint32
	proto uint8
}

type sa struct {
	id    kernel.SAID
	add   kernel.AddSA
	larva bool
	stops []func() bool
	usage kernel.Usage
	// seq orders the SAs by when they were added; dying is set by the
	// soft expire (XFRM's km.dying), which makes a newer SA of the same
	// reqid preferred.
	seq   uint64
	dying bool
}

// Options configure a fake kernel.
type Options struct {
	// Listener receives expiries; Timers schedules them (both optional).
	Listener kernel.Listener
	Timers   Timers
	// FirstSPI is the first SPI handed out (default 0xc0000001); SPIs
	// increase from there, which keeps test output readable.
	FirstSPI uint32
	// Addresses are what Net.Addresses reports.
	Addresses []netip.Addr
	// NoCalls keeps no list of calls (Calls and Log stay empty): a
	// benchmark's list would grow with every SA and be counted as the
	// daemon's memory.
	NoCalls bool
	// PolicySPI makes the fake report kernel.FeaturePolicySPI and route
	// outbound packets by the SPI their policy names, as XFRM does;
	// without it, by reqid as the userspace data plane does.
	PolicySPI bool
}

// New returns a fake kernel.
func New(o Options) *Kernel {
	k := &Kernel{sas: map[saKey]*sa{}, nextSPI: o.FirstSPI, nextCPI: 0x1000,
		listener: o.Listener, timers: o.Timers, addrs: o.Addresses, noCalls: o.NoCalls, policySPI: o.PolicySPI}
	if k.nextSPI == 0 {
		k.nextSPI = 0xc0000001
	}
	return k
}

// SetListener sets where expiries go (the daemon wires it after creation).
func (k *Kernel) SetListener(l kernel.Listener) {
	k.mu.Lock()
	k.listener = l
	k.mu.Unlock()
}

func (k *Kernel) record(c Call) error {
	if k.Fail != nil {
		c.Err = k.Fail(c)
	}
	if !k.noCalls {
		k.calls = append(k.calls, c)
	}
	return c.Err
}

// Calls returns a copy of the recorded calls.
func (k *Kernel) Calls() []Call {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Call(nil), k.calls...)
}

// Log returns the recorded calls one per line, for golden tests.
func (k *Kernel) Log() string {
	var b strings.Builder
	for _, c := range k.Calls() {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// ResetCalls forgets the recorded calls (not the state).
func (k *Kernel) ResetCalls() {
	k.mu.Lock()
	k.calls = nil
	k.mu.Unlock()
}

// SAs lists the installed SAs (larval ones included), sorted by SPI.
func (k *Kernel) SAs() []kernel.SAID {
	k.mu.Lock()
	defer k.mu.Unlock()
	var ids []kernel.SAID
	for _, s := range k.sas {
		ids = append(ids, s.id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].SPI < ids[j].SPI })
	return ids
}

// SA returns the data an SA was installed with.
func (k *Kernel) SA(dst netip.Addr, spi uint32, proto uint8) (kernel.AddSA, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.sas[saKey{dst, spi, proto}]
	if !ok || s.larva {
		return kernel.AddSA{}, false
	}
	return s.add, true
}

// Policies lists the installed policies.
func (k *Kernel) Policies() []kernel.PolicyID { return k.policies.IDs() }

// PolicyUsers reports how many CHILD_SAs hold a policy.
func (k *Kernel) PolicyUsers(id kernel.PolicyID) int { return k.policies.Users(id) }

// InstalledPolicy returns what the SPD holds for id.
func (k *Kernel) InstalledPolicy(id kernel.PolicyID) (kernel.ManagePolicy, bool) {
	d, _, ok := k.policies.Installed(id)
	return d, ok
}

// SetUsage sets the counters QuerySA reports for an SA.
func (k *Kernel) SetUsage(dst netip.Addr, spi uint32, proto uint8, u kernel.Usage) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.sas[saKey{dst, spi, proto}]; ok {
		s.usage = u
	}
}

// Features implements kernel.IPsec.
func (k *Kernel) Features() kernel.Feature {
	if k.policySPI {
		return kernel.FeatureESPv3TFC | kernel.FeaturePolicySPI
	}
	return kernel.FeatureESPv3TFC
}

// GetSPI implements kernel.IPsec.
func (k *Kernel) GetSPI(src, dst netip.Addr, proto uint8, reqid uint32) (uint32, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	id := kernel.SAID{Src: src, Dst: dst, Proto: proto, SPI: k.nextSPI}
	if err := k.record(Call{Op: "GetSPI", SA: id}); err != nil {
		return 0, err
	}
	k.nextSPI++
	k.sas[saKey{dst, id.SPI, proto}] = &sa{id: id, larva: true}
	return id.SPI, nil
}

// GetCPI implements kernel.IPsec.
func (k *Kernel) GetCPI(src, dst netip.Addr, reqid uint32) (uint16, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record(Call{Op: "GetCPI", SA: kernel.SAID{Src: src, Dst: dst}}); err != nil {
		return 0, err
	}
	k.nextCPI++
	return k.nextCPI, nil
}

// AddSA implements kernel.IPsec.
func (k *Kernel) AddSA(id kernel.SAID, d kernel.AddSA) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	d.EncKey = append([]byte(nil), d.EncKey...)
	d.IntKey = append([]byte(nil), d.IntKey...)
	if err := k.record(Call{Op: "AddSA", SA: id, Add: d}); err != nil {
		return err
	}
	key := saKey{id.Dst, id.SPI, id.Proto}
	if old, ok := k.sas[key]; ok && !old.larva {
		return fmt.Errorf("SA %s: already installed", id)
	}
	k.addSeq++
	s := &sa{id: id, add: d, seq: k.addSeq}
	k.sas[key] = s
	k.armLifetimes(s)
	return nil
}

// armLifetimes schedules soft and hard expiry as the kernel would, from the
// time limits (soft = rekey time, hard = lifetime).
func (k *Kernel) armLifetimes(s *sa) {
	if k.timers == nil {
		return
	}
	lt := s.add.Lifetime.Time
	fire := func(hard bool) func() {
		return func() {
			k.mu.Lock()
			l := k.listener
			key := saKey{s.id.Dst, s.id.SPI, s.id.Proto}
			cur, alive := k.sas[key]
			alive = alive && cur == s
			if alive {
				if hard {
					// XFRM deletes a state at its hard expire before it
					// tells the daemon (xfrm_timer_handler).
					for _, stop := range s.stops {
						stop()
					}
					delete(k.sas, key)
				} else {
					s.dying = true
				}
			}
			k.mu.Unlock()
			if alive && l != nil {
				l.Expire(s.id.Proto, s.id.SPI, s.id.Dst, hard)
			}
		}
	}
	if lt.Rekey > 0 {
		s.stops = append(s.stops, k.timers.AfterFunc(time.Duration(lt.Rekey)*time.Second, fire(false)))
	}
	if lt.Life > 0 {
		s.stops = append(s.stops, k.timers.AfterFunc(time.Duration(lt.Life)*time.Second, fire(true)))
	}
}

// UpdateSA implements kernel.IPsec.
func (k *Kernel) UpdateSA(id kernel.SAID, d kernel.UpdateSA) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record(Call{Op: "UpdateSA", SA: id, Update: d}); err != nil {
		return err
	}
	key := saKey{id.Dst, id.SPI, id.Proto}
	s, ok := k.sas[key]
	if !ok {
		return kernel.ErrNotFound
	}
	delete(k.sas, key)
	if d.NewSrc.IsValid() {
		s.id.Src = d.NewSrc
	}
	if d.NewDst.IsValid() {
		s.id.Dst = d.NewDst
	}
	s.add.Encap = d.NewEncap
	if d.NewReqID != 0 {
		s.add.ReqID = d.NewReqID
	}
	k.sas[saKey{s.id.Dst, s.id.SPI, s.id.Proto}] = s
	return nil
}

// QuerySA implements kernel.IPsec.
func (k *Kernel) QuerySA(id kernel.SAID) (kernel.Usage, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.sas[saKey{id.Dst, id.SPI, id.Proto}]
	if !ok {
		return kernel.Usage{}, kernel.ErrNotFound
	}
	return s.usage, nil
}

// DelSA implements kernel.IPsec.
func (k *Kernel) DelSA(id kernel.SAID, cpi uint16) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record(Call{Op: "DelSA", SA: id}); err != nil {
		return err
	}
	key := saKey{id.Dst, id.SPI, id.Proto}
	s, ok := k.sas[key]
	if !ok {
		return kernel.ErrNotFound
	}
	for _, stop := range s.stops {
		stop()
	}
	delete(k.sas, key)
	return nil
}

// FlushSAs implements kernel.IPsec.
func (k *Kernel) FlushSAs() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record(Call{Op: "FlushSAs"}); err != nil {
		return err
	}
	for key, s := range k.sas {
		for _, stop := range s.stops {
			stop()
		}
		delete(k.sas, key)
	}
	return nil
}

// AddPolicy implements kernel.IPsec.
func (k *Kernel) AddPolicy(id kernel.PolicyID, d kernel.ManagePolicy) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.policies.Add(id, d, func(op kernel.PolicyOp, _ kernel.ManagePolicy, _ uint32) error {
		return k.record(Call{Op: "AddPolicy", Policy: id, Manage: d, PolicyOp: op})
	})
}

// QueryPolicy implements kernel.IPsec.
func (k *Kernel) QueryPolicy(id kernel.PolicyID) (time.Time, error) {
	if k.policies.Users(id) == 0 {
		return time.Time{}, kernel.ErrNotFound
	}
	return time.Time{}, nil
}

// DelPolicy implements kernel.IPsec.
func (k *Kernel) DelPolicy(id kernel.PolicyID, d kernel.ManagePolicy) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	err := k.policies.Del(id, d, func(op kernel.PolicyOp, _ kernel.ManagePolicy, _ uint32) error {
		return k.record(Call{Op: "DelPolicy", Policy: id, Manage: d, PolicyOp: op})
	})
	if err != nil && k.Fail == nil {
		k.calls = append(k.calls, Call{Op: "DelPolicy", Policy: id, Manage: d, Err: err})
	}
	return err
}

// FlushPolicies implements kernel.IPsec.
func (k *Kernel) FlushPolicies() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record(Call{Op: "FlushPolicies"}); err != nil {
		return err
	}
	k.policies.Reset()
	return nil
}

// BypassSocket implements kernel.IPsec.
func (k *Kernel) BypassSocket(int, int) error { return nil }

// EnableUDPDecap implements kernel.IPsec.
func (k *Kernel) EnableUDPDecap(int, int, uint16) error { return nil }

// Close implements kernel.IPsec and kernel.Net.
func (k *Kernel) Close() error { return nil }

// Net is the fake's kernel.Net half: addresses come from Options, routes and
// virtual IPs are recorded.
type Net struct{ *Kernel }

// Features implements kernel.Net.
func (n Net) Features() kernel.Feature { return 0 }

// SourceAddr returns the first configured address of dst's family.
func (n Net) SourceAddr(dst, src netip.Addr) (netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if src.IsValid() {
		for _, a := range n.addrs {
			if a == src {
				return a, nil
			}
		}
	}
	for _, a := range n.addrs {
		if a.Is4() == dst.Is4() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no source address towards %s", dst)
}

// NextHop implements kernel.Net (no gateway: directly connected).
func (n Net) NextHop(netip.Addr, int, netip.Addr) (netip.Addr, string, error) {
	return netip.Addr{}, "fake0", nil
}

// Interface implements kernel.Net.
func (n Net) Interface(addr netip.Addr) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range n.addrs {
		if a == addr {
			return "fake0", true
		}
	}
	return "", false
}

// Addresses implements kernel.Net.
func (n Net) Addresses(kernel.AddrType) ([]netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]netip.Addr(nil), n.addrs...), nil
}

// AddIP implements kernel.Net: the virtual IP gains a user.
func (n Net) AddIP(vip netip.Addr, prefix int, iface string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.record(Call{Op: "AddIP", VIP: vip, Iface: iface}); err != nil {
		return err
	}
	if n.vips == nil {
		n.vips = map[netip.Addr]int{}
	}
	n.vips[vip]++
	return nil
}

// DelIP implements kernel.Net: the virtual IP loses a user, and goes with
// the last.
func (n Net) DelIP(vip netip.Addr, prefix int, wait bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.record(Call{Op: "DelIP", VIP: vip}); err != nil {
		return err
	}
	if n.vips[vip] == 0 {
		return kernel.ErrNotFound
	}
	if n.vips[vip]--; n.vips[vip] == 0 {
		delete(n.vips, vip)
	}
	return nil
}

// VirtualIPs lists the installed virtual IPs with their number of users.
func (k *Kernel) VirtualIPs() map[netip.Addr]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return maps.Clone(k.vips)
}

// AddRoute implements kernel.Net.
func (n Net) AddRoute(dst netip.Prefix, gw, src netip.Addr, iface string, pass bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.record(Call{Op: "AddRoute"})
}

// DelRoute implements kernel.Net.
func (n Net) DelRoute(dst netip.Prefix, gw, src netip.Addr, iface string, pass bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.record(Call{Op: "DelRoute"})
}

var (
	_ kernel.IPsec = (*Kernel)(nil)
	_ kernel.Net   = Net{}
)

// SetAddresses replaces the host's addresses, as an interface going down
// or coming up would, and then reports the change to the listener as
// kernel_netlink reports address events (a roam event).
func (k *Kernel) SetAddresses(addrs []netip.Addr) {
	k.mu.Lock()
	k.addrs = append([]netip.Addr(nil), addrs...)
	l := k.listener
	k.mu.Unlock()
	if l != nil {
		l.Roam(true)
	}
}
