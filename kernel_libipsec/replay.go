package kernel_libipsec

import "math/bits"

// replayWindow is the ESP anti-replay window of RFC 4303 §3.4.3, kept as the
// ring of 64-bit blocks of RFC 6479 (the design of wireguard-go's replay
// package): moving the window forward clears whole blocks instead of shifting
// a bitmap, so a check is O(1) whatever the window size.
//
// Sequence numbers are the full 64-bit (ESN) values; without ESN the high
// half is always zero. A window of size 0 disables replay protection, as
// XFRM does for replay_window 0.
//
// The window is not safe for concurrent use: the data plane touches it from
// the single sequential receiver only (see datapath.go). Workers use
// mayAccept, which only reads the highest sequence number, through an
// atomic snapshot.
type replayWindow struct {
	size  uint64 // W, the number of sequence numbers below top accepted
	top   uint64 // highest authenticated sequence number (0: none yet)
	mask  uint64 // len(ring)-1
	ring  []uint64
	valid bool
}

func newReplayWindow(size uint32) replayWindow {
	if size == 0 {
		return replayWindow{}
	}
	// One block more than the window so that the block holding top and the
	// oldest block of the window never share a ring slot.
	blocks := uint64(1) << bits.Len64((uint64(size)+63)/64)
	if blocks < 2 {
		blocks = 2
	}
	return replayWindow{size: uint64(size), mask: blocks - 1, ring: make([]uint64, blocks), valid: true}
}

// check reports whether seq is new and inside the window, without recording
// it (the ICV has not been verified yet).
func (w *replayWindow) check(seq uint64) bool {
	if !w.valid {
		return true
	}
	if seq > w.top {
		return true
	}
	if w.top-seq >= w.size {
		return false
	}
	return w.ring[(seq>>6)&w.mask]&(1<<(seq&63)) == 0
}

// accept records an authenticated seq and reports whether it was new (false
// for a replay that raced past check, e.g. two copies in one batch).
func (w *replayWindow) accept(seq uint64) bool {
	if !w.valid {
		return true
	}
	if seq > w.top {
		cur, next := w.top>>6, seq>>6
		diff := next - cur
		if diff > w.mask+1 {
			diff = w.mask + 1
		}
		for i := uint64(1); i <= diff; i++ {
			w.ring[(cur+i)&w.mask] = 0
		}
		w.top = seq
	} else if w.top-seq >= w.size {
		return false
	}
	b := &w.ring[(seq>>6)&w.mask]
	bit := uint64(1) << (seq & 63)
	if *b&bit != 0 {
		return false
	}
	*b |= bit
	return true
}

// inferESN reconstructs the 64-bit sequence number of a packet that carries
// only the low 32 bits (RFC 4303 Appendix A2.2), given the highest sequence
// number seen so far and the window size. Without a window (size 0) the
// window is taken as 2^31 so that the inference stays well defined.
func inferESN(top uint64, size uint64, lo uint32) uint64 {
	if size == 0 || size > 1<<31 {
		size = 1 << 31
	}
	tl := uint32(top)
	th := uint32(top >> 32)
	bottom := tl - uint32(size) + 1 // Tl - W + 1, modulo 2^32
	if tl >= uint32(size-1) {
		// Case A: the window lies within one subspace.
		if lo >= bottom {
			return uint64(th)<<32 | uint64(lo)
		}
		return uint64(th+1)<<32 | uint64(lo)
	}
	// Case B: the window spans two subspaces.
	if lo >= bottom && th > 0 {
		return uint64(th-1)<<32 | uint64(lo)
	}
	return uint64(th)<<32 | uint64(lo)
}
