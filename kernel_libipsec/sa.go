package kernel_libipsec

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/kernel"
)

// sa is one installed SA (ipsec_sa_t). The fields above mu never change after
// AddSA except through UpdateSA, which swaps the endpoint under the SAD lock;
// the data plane reads them without locking because an SA is replaced, not
// modified, when addresses change (see SAD.update).
type sa struct {
	id      kernel.SAID
	reqid   atomic.Uint32
	mode    kernel.Mode
	inbound bool
	esn     bool
	// ep holds the UDP endpoints of the ESP-in-UDP flow; UpdateSA replaces
	// it while traffic flows.
	ep atomic.Pointer[endpoints]
	// published is the key an outbound SA has in the data path's view by
	// SPI (nil: none); guarded by IPsec.mu.
	published *saKey
	// mapped is the last changed NAT mapping reported (inbound).
	mapped        atomic.Pointer[mappingNote]
	xf            Transform
	ivLen, icvLen int
	block         int
	lifetime      kernel.Lifetime
	added         time.Time

	// seq is the last sequence number assigned (outbound).
	seq atomic.Uint64
	// seqLimit is the highest sequence number an outbound SA may use: 2^32-1
	// without ESN (the SA must be rekeyed, RFC 4303 §3.3.3), 2^64-1 with.
	seqLimit uint64

	// replay is touched by the sequential receiver only; top mirrors its
	// highest sequence number for the workers' ESN inference and early drop.
	replay replayWindow
	top    atomic.Uint64

	// Usage, lifetime state and per-SA counters, read by QuerySA.
	bytes, packets atomic.Uint64
	lastUse        atomic.Int64 // unix nanoseconds of the clock, 0: never
	softDone       atomic.Bool
	hardDone       atomic.Bool
	dead           atomic.Bool // deleted or hard-expired: no more traffic
	softQueued     atomic.Bool // the data path raised the soft expiry
	hardQueued     atomic.Bool // the data path raised the hard expiry
	replayDrops    atomic.Uint64
	authFails      atomic.Uint64
	seqExhausted   atomic.Uint64

	mu    sync.Mutex // guards stops
	stops []func() bool
}

func newSA(id kernel.SAID, d kernel.AddSA, now time.Time) (*sa, error) {
	if id.Proto != kernel.ProtoESP {
		return nil, fmt.Errorf("protocol %d: %w", id.Proto, errUnsupported)
	}
	if d.IPComp != 0 {
		return nil, fmt.Errorf("IPComp: %w", errUnsupported)
	}
	if d.Mode != kernel.ModeTunnel && d.Mode != kernel.ModeTransport {
		return nil, fmt.Errorf("mode %s: %w", d.Mode, errUnsupported)
	}
	if !d.Encap {
		// ESP without UDP: the data plane has no raw socket for protocol 50,
		// which is why the backend reports FeatureRequireUDPEncapsulation.
		return nil, fmt.Errorf("ESP without UDP encapsulation: %w", errUnsupported)
	}
	if id.Src.Is4() != id.Dst.Is4() {
		return nil, fmt.Errorf("SA %s: mixed address families", id)
	}
	xf, err := newTransform(d.EncAlg, d.EncKey, d.IntAlg, d.IntKey, d.ESN)
	if err != nil {
		return nil, fmt.Errorf("SA %s: %w", id, err)
	}
	s := &sa{
		id: id, mode: d.Mode, inbound: d.Inbound, esn: d.ESN,
		xf: xf, ivLen: xf.IVSize(), icvLen: xf.ICVSize(), block: xf.BlockSize(),
		lifetime: d.Lifetime, added: now,
		seqLimit: 1<<32 - 1,
	}
	s.reqid.Store(d.ReqID)
	if d.ESN {
		s.seqLimit = 1<<64 - 1
	}
	sport, dport := d.EncapSrcPort, d.EncapDstPort
	if sport == 0 {
		sport = 4500
	}
	if dport == 0 {
		dport = 4500
	}
	src := netip.AddrPortFrom(id.Src.Unmap(), sport)
	dst := netip.AddrPortFrom(id.Dst.Unmap(), dport)
	if d.Inbound {
		s.ep.Store(&endpoints{local: dst, remote: src})
		s.replay = newReplayWindow(d.ReplayWindow)
	} else {
		s.ep.Store(&endpoints{local: src, remote: dst})
	}
	return s, nil
}

// endpoints are an SA's UDP endpoints: for an outbound SA local is the
// source, for an inbound SA the destination.
type endpoints struct {
	local, remote netip.AddrPort
}

// updateEndpoints applies an UpdateSA to the SA's identity and endpoints.
// The caller holds the SAD lock.
func (s *sa) updateEndpoints(d kernel.UpdateSA) {
	ep := *s.ep.Load()
	src, dst := ep.local, ep.remote
	if s.inbound {
		src, dst = ep.remote, ep.local
	}
	if d.NewSrc.IsValid() {
		s.id.Src = d.NewSrc.Unmap()
		src = netip.AddrPortFrom(s.id.Src, src.Port())
	}
	if d.NewDst.IsValid() {
		s.id.Dst = d.NewDst.Unmap()
		dst = netip.AddrPortFrom(s.id.Dst, dst.Port())
	}
	if d.NewSrcPort != 0 {
		src = netip.AddrPortFrom(src.Addr(), d.NewSrcPort)
	}
	if d.NewDstPort != 0 {
		dst = netip.AddrPortFrom(dst.Addr(), d.NewDstPort)
	}
	if d.NewReqID != 0 {
		s.reqid.Store(d.NewReqID)
	}
	if s.inbound {
		s.ep.Store(&endpoints{local: dst, remote: src})
	} else {
		s.ep.Store(&endpoints{local: src, remote: dst})
	}
}

// nextSeq reserves n sequence numbers and returns the first; ok is false once
// the SA has none left, which only a rekey cures.
func (s *sa) nextSeq() (uint64, bool) {
	for {
		cur := s.seq.Load()
		if cur >= s.seqLimit {
			return 0, false
		}
		if s.seq.CompareAndSwap(cur, cur+1) {
			return cur + 1, true
		}
	}
}

// usable reports whether traffic may still use the SA.
func (s *sa) usable() bool { return !s.dead.Load() }

// stopTimers cancels the lifetime timers.
func (s *sa) stopTimers() {
	s.mu.Lock()
	for _, stop := range s.stops {
		stop()
	}
	s.stops = nil
	s.mu.Unlock()
}
