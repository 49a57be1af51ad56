package tasks

import (
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// RetransmitTimeout is the delay before retransmit number try (0 for the
// original send) as task_manager_v2.c computes it: timeout * base^try in
// milliseconds, capped by limit, reduced by a random part of jitter
// percent. rnd(n) returns a uniform value in [0, n).
func RetransmitTimeout(try uint32, s *sa.Settings, rnd func(n uint64) uint64) time.Duration {
	timeout := uint64(math.MaxUint32)
	triesMax := uint32(0)
	if s.RetransmitBase > 1 {
		triesMax = uint32(math.Log(float64(math.MaxUint32)/(1000.0*s.RetransmitTimeout)) / math.Log(s.RetransmitBase))
	}
	if triesMax == 0 || try <= triesMax {
		timeout = uint64(uint32(s.RetransmitTimeout * 1000.0 * math.Pow(s.RetransmitBase, float64(try))))
	}
	if s.RetransmitLimit != 0 {
		timeout = min(timeout, uint64(s.RetransmitLimit)*1000)
	}
	if j := min(s.RetransmitJitter, retransmitJitterMax); j != 0 && rnd != nil {
		// charon: timeout -= max_jitter * (random() / (RAND_MAX + 1.0)),
		// in floating point and truncated back to milliseconds.
		maxJitter := float64(timeout) / 100.0 * float64(j)
		frac := float64(rnd(1<<32)) / (1 << 32)
		timeout = uint64(float64(timeout) - maxJitter*frac)
	}
	return time.Duration(timeout) * time.Millisecond
}

// Routability checks of MOBIKE (task_manager.h): probes every 2.5 s, at
// most 10 of them.
const (
	routabilityCheckInterval = 2500 * time.Millisecond
	routabilityCheckTries    = 10
)

// activeMOBIKE is the active MOBIKE task of an INFORMATIONAL in flight,
// which sends the request itself.
func (tm *TaskManager) activeMOBIKE() *IKEMOBIKE {
	if tm.initiating.exchange != encoding.ExchangeInformational {
		return nil
	}
	for _, t := range tm.activeTasks {
		if m, ok := t.(*IKEMOBIKE); ok {
			return m
		}
	}
	return nil
}

// RetransmitWindow is how long an initiator with settings s sends a
// request before it gives up: the timeouts after the first transmission
// and every retransmission, without jitter.
func RetransmitWindow(s *sa.Settings) time.Duration {
	var d time.Duration
	for try := uint32(0); try <= s.RetransmitTries; try++ {
		d += RetransmitTimeout(try, s, nil)
	}
	return d
}

// Retransmit implements sa.TaskManager: resend the request with id mid
// and arm the next timer, or give up after retransmit_tries. A MOBIKE
// request goes out through its task, which probes every path once the
// current one failed; probes are retried faster and fewer times. Without
// any path the exchange waits (deferred) for the next initiation.
func (tm *TaskManager) Retransmit(mid uint32) sa.Status {
	if mid != tm.initiating.mid || len(tm.initiating.packets) == 0 {
		return sa.InvalidState
	}
	mobike := tm.activeMOBIKE()
	var timeout time.Duration
	if mobike == nil || !mobike.IsProbing() {
		s := tm.settings()
		if tm.initiating.retransmitted > s.RetransmitTries {
			tm.log(bus.IKE, bus.Control, "giving up after %d retransmits", tm.initiating.retransmitted-1)
			tm.ike.Env().Events.Alert(tm.ike, sa.AlertRetransmitSendTimeout)
			return sa.DestroyMe
		}
		timeout = RetransmitTimeout(tm.initiating.retransmitted, s, tm.ike.Env().RandUint64)
		if tm.initiating.retransmitted > 0 {
			tm.log(bus.IKE, bus.Control, "retransmit %d of request with message ID %d", tm.initiating.retransmitted, mid)
			tm.ike.Env().Events.Alert(tm.ike, sa.AlertRetransmitSend, tm.initiating.retransmitted)
			tm.initiating.sent = true
		}
		if mobike == nil {
			tm.sendPackets(tm.initiating.packets, tm.ike.MyHost(), tm.ike.OtherHost())
		} else {
			if !mobike.transmit(tm.initiating.packets[0]) {
				tm.log(bus.IKE, bus.Control, "no route found to reach peer, MOBIKE update deferred")
				return tm.deferExchange()
			}
			if mobike.IsProbing() {
				timeout = routabilityCheckInterval
			}
		}
	} else {
		if tm.initiating.retransmitted > routabilityCheckTries {
			tm.log(bus.IKE, bus.Control, "giving up after %d path probings", tm.initiating.retransmitted-1)
			return sa.DestroyMe
		}
		timeout = routabilityCheckInterval
		if tm.initiating.retransmitted > 0 {
			tm.log(bus.IKE, bus.Control, "path probing attempt %d", tm.initiating.retransmitted)
		}
		if !mobike.transmit(tm.initiating.packets[0]) {
			tm.log(bus.IKE, bus.Control, "no route found to reach peer, path probing deferred")
			return tm.deferExchange()
		}
	}
	tm.initiating.retransmitted++
	id := tm.ike.ID()
	tm.ike.Env().Manager.ScheduleIKE(id, timeout, "retransmit", func(ike *sa.IKESA) sa.Status {
		return ike.Retransmit(mid)
	})
	return sa.Success
}

// deferExchange keeps the request until a path appears: the SA is stale,
// and the next initiation sends it again.
func (tm *TaskManager) deferExchange() sa.Status {
	tm.ike.SetCondition(sa.CondStale, true)
	tm.initiating.deferred = true
	return sa.InvalidState
}

// sendPackets sends copies of packets with the given addresses (a
// retransmission goes to the SA's current hosts).
func (tm *TaskManager) sendPackets(pkts []sa.Packet, src, dst netip.AddrPort) {
	out := make([]sa.Packet, len(pkts))
	for i, p := range pkts {
		p.Data = slices.Clone(p.Data)
		if src.IsValid() {
			p.Src = src
		}
		if dst.IsValid() {
			p.Dst = dst
		}
		out[i] = p
	}
	tm.ike.Send(out)
}
