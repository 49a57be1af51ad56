package kernel_libipsec

import "time"

// Lifetimes behave as XFRM's (xfrm_state_check_expire and the state timer):
//
//   - time: the soft expiry fires Rekey seconds after the SA was added, the
//     hard one Life seconds after; the values arrive with the jitter already
//     subtracted by the engine (strongSwan's child_cfg get_lifetime applies
//     it before add_sa, and XFRM does not add its own);
//   - bytes and packets: before a packet is processed, reaching the hard
//     limit expires the SA (the packet is dropped), reaching the soft limit
//     raises the soft expiry once (the packet passes);
//   - a soft expiry marks the SA dying, so a newer SA of the same reqid is
//     preferred for outbound traffic; a hard expiry removes the SA, and the
//     engine's DelSA then reports ErrNotFound, as it does with XFRM.
//
// Every expiry reaches Listener.Expire exactly once per SA and kind, and a
// soft expiry never follows the hard one.

// armLifetimeLocked starts the time limits of a new SA.
func (k *IPsec) armLifetimeLocked(s *sa) {
	lt := s.lifetime.Time
	if lt.Rekey > 0 && (lt.Life == 0 || lt.Rekey < lt.Life) {
		s.stops = append(s.stops, k.opts.Timers.AfterFunc(time.Duration(lt.Rekey)*time.Second, func() {
			k.expire(s, false)
		}))
	}
	if lt.Life > 0 {
		s.stops = append(s.stops, k.opts.Timers.AfterFunc(time.Duration(lt.Life)*time.Second, func() {
			k.expire(s, true)
		}))
	}
}

// expire raises a soft or hard expiry for s unless it already had one (or is
// gone), and removes it on a hard one.
func (k *IPsec) expire(s *sa, hard bool) {
	k.mu.Lock()
	key := saKey{s.id.Dst, s.id.SPI, s.id.Proto}
	if cur, ok := k.sas[key]; !ok || cur != s || s.hardDone.Load() {
		k.mu.Unlock()
		return
	}
	if hard {
		s.hardDone.Store(true)
		k.removeLocked(key, s)
	} else {
		if !s.softDone.CompareAndSwap(false, true) {
			k.mu.Unlock()
			return
		}
		// Dying SAs lose their place as outbound SA of the reqid.
		k.publishLocked(s, s.reqid.Load())
	}
	l := k.opts.Listener
	id := s.id
	k.mu.Unlock()
	kind := "soft"
	if hard {
		kind = "hard"
	}
	k.opts.Logf("%s expire of SA with SPI %08x", kind, id.SPI)
	l.Expire(id.Proto, id.SPI, id.Dst, hard)
}

// account checks the byte and packet limits before a packet of n bytes
// passes s, counts it, and reports whether it may pass. It runs on the
// sequential stages only, so the counters of one SA are never raced. An
// expiry it raises is delivered synchronously, like the XFRM monitor's
// events, so the Listener must not wait for the data path (the engine's
// queues a job, as charon's kernel_handler does).
func (k *IPsec) account(s *sa, n int, now int64) bool {
	lt := &s.lifetime
	bytes, packets := s.bytes.Load(), s.packets.Load()
	if (lt.Bytes.Life != 0 && bytes >= lt.Bytes.Life) ||
		(lt.Packets.Life != 0 && packets >= lt.Packets.Life) {
		s.dead.Store(true)
		if s.hardQueued.CompareAndSwap(false, true) {
			k.expire(s, true)
		}
		return false
	}
	if (lt.Bytes.Rekey != 0 && bytes >= lt.Bytes.Rekey) ||
		(lt.Packets.Rekey != 0 && packets >= lt.Packets.Rekey) {
		if s.softQueued.CompareAndSwap(false, true) {
			k.expire(s, false)
		}
	}
	s.bytes.Add(uint64(n))
	s.packets.Add(1)
	s.lastUse.Store(now)
	return true
}
