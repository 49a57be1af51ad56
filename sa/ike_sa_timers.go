package sa

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/goswan/goswan/bus"
)

// SetState changes the state. Reaching ESTABLISHED schedules rekeying,
// reauthentication, the hard lifetime and DPD, as ike_sa.c set_state does.
// Its log lines print the times as charon does, a 32-bit unsigned number
// through %d: a margin larger than the lifetime wraps the rekey time, which
// schedules it in the far future and logs it as negative
// ("scheduling rekeying in -736s"); operators grep for those lines.
func (ike *IKESA) SetState(s IKEState) {
	ike.Log(bus.IKE, bus.Diag, "IKE_SA %s[%d] state change: %s => %s", ike.Name(), ike.uniqueID, ike.state, s)
	triggerDPD, keepalives := false, false
	if s == IKEEstablished && (ike.state == IKEConnecting || ike.state == IKEPassive) {
		// ike_auth took its copy of our IKE_SA_INIT long ago; an
		// established SA keeps no message but its last response.
		ike.lastGenerated = nil
		now := ike.env.Clock.Now()
		ike.stats[StatEstablished] = now
		rnd := ike.env.RandUint64
		if t := ike.peerCfg.RekeyTimeJitter(true, rnd); t != 0 {
			at := now.Add(time.Duration(t) * time.Second)
			if ike.stats[StatRekey].IsZero() || ike.stats[StatRekey].After(at) {
				ike.stats[StatRekey] = at
				ike.scheduleRekey(false, time.Duration(t)*time.Second)
				ike.Log(bus.IKE, bus.Control, "scheduling rekeying in %ds", int32(t))
			}
		}
		if t := ike.peerCfg.ReauthTimeJitter(true, rnd); t != 0 &&
			(ike.stats[StatReauth].IsZero() || ike.stats[StatReauth].After(now.Add(time.Duration(t)*time.Second))) {
			ike.stats[StatReauth] = now.Add(time.Duration(t) * time.Second)
			ike.scheduleRekey(true, time.Duration(t)*time.Second)
			ike.Log(bus.IKE, bus.Control, "scheduling reauthentication in %ds", int32(t))
		} else if !ike.stats[StatReauth].IsZero() {
			ike.Log(bus.IKE, bus.Control, "reauthentication already scheduled in %ds",
				int32(ike.stats[StatReauth].Sub(now)/time.Second))
		}
		if !ike.stats[StatRekey].IsZero() || !ike.stats[StatReauth].IsZero() {
			var del time.Time
			switch {
			case ike.stats[StatReauth].IsZero():
				del = ike.stats[StatRekey]
			case ike.stats[StatRekey].IsZero():
				del = ike.stats[StatReauth]
			default:
				del = minTime(ike.stats[StatRekey], ike.stats[StatReauth])
			}
			del = del.Add(time.Duration(ike.peerCfg.OverTime) * time.Second)
			ike.stats[StatDelete] = del
			// charon schedules the job in a 32-bit count of seconds: a
			// rekey time wrapped by a margin larger than the lifetime
			// wraps back here, so the IKE_SA still ends near ikelifetime.
			secs := uint32(int64(del.Sub(ike.stats[StatEstablished]) / time.Second))
			ike.env.Manager.ScheduleIKE(ike.id, time.Duration(secs)*time.Second, "delete_ike_sa", func(x *IKESA) Status {
				return x.deleteJob(true)
			})
			ike.Log(bus.IKE, bus.Control, "maximum IKE_SA lifetime %ds", int32(secs))
		}
		if ike.peerCfg.DPDDelay != 0 {
			triggerDPD = true
			// Some peers delay the DELETE after an IKE rekey longer than our
			// DPD delay; do not mistake that silence for a dead peer.
			ike.stats[StatInbound] = ike.stats[StatEstablished]
		}
		keepalives = ike.state == IKEPassive
		ike.redirectedFrom = netip.AddrPort{}
	}
	ike.env.Events.IKEStateChange(ike, s)
	ike.state = s
	if triggerDPD {
		if ike.Supports(ExtDPD) {
			ike.SendDPD()
		} else {
			ike.Log(bus.IKE, bus.Control, "DPD not supported by peer, disabled")
		}
	}
	if keepalives {
		ike.SendKeepalive(false)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (ike *IKESA) scheduleRekey(reauth bool, d time.Duration) {
	name := "rekey_ike_sa"
	if reauth {
		name = "reauth_ike_sa"
	}
	ike.env.Manager.ScheduleIKE(ike.id, d, name, func(x *IKESA) Status { return x.rekeyJob(reauth) })
}

// rekeyJob is rekey_ike_sa_job: rekey or reauthenticate, delaying a
// reauthentication while something else is in progress.
func (ike *IKESA) rekeyJob(reauth bool) Status {
	if !reauth {
		return ike.Rekey()
	}
	const retryInterval, retryJitter = 15, 10
	delay := uint32(0)
	if ike.state != IKEEstablished {
		delay = retryInterval - uint32(ike.env.RandUint64(retryJitter))
		ike.Log(bus.IKE, bus.Control, "unable to reauthenticate in %s state, delaying for %ds", ike.state, delay)
	} else {
		for _, c := range ike.children {
			if c.State() != ChildInstalled && c.State() != ChildRekeyed {
				delay = retryInterval - uint32(ike.env.RandUint64(retryJitter))
				ike.Log(bus.IKE, bus.Control, "unable to reauthenticate in CHILD_SA %s state, delaying for %ds", c.State(), delay)
				break
			}
		}
	}
	if delay != 0 {
		ike.scheduleRekey(true, time.Duration(delay)*time.Second)
		return Success
	}
	return ike.Reauth()
}

// deleteJob is delete_ike_sa_job.
func (ike *IKESA) deleteJob(ifEstablished bool) Status {
	if ike.state == IKEPassive {
		return Success
	}
	if ifEstablished {
		return ike.Delete(false)
	}
	if ike.state != IKEConnecting {
		return Success
	}
	ike.Log(bus.JOB, bus.Control, "deleting half open IKE_SA with %s after timeout", ike.otherHost.Addr())
	ike.env.Events.Alert(ike, AlertHalfOpenTimeout)
	return DestroyMe
}

// ScheduleHalfOpenTimeout arms the job that deletes the SA if it is not
// established within charon.half_open_timeout.
func (ike *IKESA) ScheduleHalfOpenTimeout() {
	d := time.Duration(ike.env.Settings.HalfOpenTimeout) * time.Second
	ike.env.Manager.ScheduleIKE(ike.id, d, "delete_ike_sa", func(x *IKESA) Status { return x.deleteJob(false) })
}

// SendDPD checks for inbound traffic and queues a liveness check when
// there was none for the DPD delay, then re-arms itself.
func (ike *IKESA) SendDPD() Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	delay := time.Duration(ike.peerCfg.DPDDelay) * time.Second
	var diff time.Duration
	queued := false
	if !ike.tm.Busy() {
		diff = wholeSeconds(ike.env.Clock.Now(), ike.useTime(true))
		if delay == 0 || diff >= delay {
			ike.Log(bus.IKE, bus.Control, "sending DPD request")
			ike.tm.QueueDPD()
			queued, diff = true, 0
		}
	}
	if delay != 0 {
		ike.env.Manager.ScheduleIKE(ike.id, delay-diff, "send_dpd", (*IKESA).SendDPD)
	}
	if queued {
		return ike.tm.Initiate()
	}
	return Success
}

// wholeSeconds is now - then as charon computes it from time_monotonic():
// in whole seconds, so that DPD and keepalive checks fall on the same
// seconds as charon's.
func wholeSeconds(now, then time.Time) time.Duration {
	return time.Duration(now.Unix()-then.Unix()) * time.Second
}

// useTime is the last inbound or outbound activity of the SA or any of its
// CHILD_SAs.
func (ike *IKESA) useTime(inbound bool) time.Time {
	t := ike.stats[StatOutbound]
	if inbound {
		t = ike.stats[StatInbound]
	}
	for _, c := range ike.children {
		if u := c.UseTime(inbound); u.After(t) {
			t = u
		}
	}
	return t
}

// SendKeepalive sends a NAT-T keepalive when we are behind a NAT and
// nothing went out for the keepalive interval (RFC 3948 §4).
func (ike *IKESA) SendKeepalive(scheduled bool) {
	if scheduled {
		ike.keepaliveQueued = false
	}
	interval := time.Duration(ike.env.Settings.KeepAlive) * time.Second
	if interval == 0 || ike.state == IKEPassive || !ike.Has(CondNATHere) || ike.Has(CondStale) {
		return
	}
	now := ike.env.Clock.Now()
	diff := wholeSeconds(now, ike.useTime(false))
	if diff >= interval {
		ike.Log(bus.IKE, bus.Control, "sending keep alive to %s", FormatHost(ike.otherHost))
		ike.env.Sender.Send(Packet{Data: []byte{0xff}, Src: ike.myHost, Dst: ike.otherHost})
		ike.stats[StatOutbound] = now
		diff = 0
	}
	if !ike.keepaliveQueued {
		ike.keepaliveQueued = true
		ike.env.Manager.ScheduleIKE(ike.id, interval-diff, "send_keepalive", func(x *IKESA) Status {
			x.SendKeepalive(true)
			return Success
		})
	}
}

// FormatDuration prints a duration as charon's %V does ("5 seconds",
// "1 minute", "2 hours", "3 days").
func FormatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	if s < 0 {
		s = -s
	}
	unit, n := "second", s
	switch {
	case s > 24*3600*2:
		unit, n = "day", s/(24*3600)
	case s > 3600*2:
		unit, n = "hour", s/3600
	case s > 60*2:
		unit, n = "minute", s/60
	}
	if n == 1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// SetAuthLifetime applies an AUTH_LIFETIME (RFC 4478) received from the
// peer: reauthenticate before it runs out.
func (ike *IKESA) SetAuthLifetime(lifetime uint32) Status {
	over := time.Duration(ike.peerCfg.OverTime) * time.Second
	now := ike.env.Clock.Now()
	hard := now.Add(time.Duration(lifetime) * time.Second)
	soft := hard.Add(-over)
	sendUpdate := ike.state == IKEEstablished && !ike.Has(CondOriginalInitiator) &&
		(len(ike.otherVIPs) != 0 || ike.Has(CondEAPAuthenticated))
	switch {
	case time.Duration(lifetime)*time.Second < over:
		ike.stats[StatReauth] = now
		if !sendUpdate {
			ike.Log(bus.IKE, bus.Control, "received AUTH_LIFETIME of %ds, starting reauthentication", lifetime)
			ike.scheduleRekey(true, 0)
		}
	case ike.stats[StatReauth].IsZero() || ike.stats[StatReauth].After(soft):
		ike.stats[StatReauth] = soft
		if !sendUpdate {
			ike.Log(bus.IKE, bus.Control, "received AUTH_LIFETIME of %ds, scheduling reauthentication in %ds",
				lifetime, int(soft.Sub(now)/time.Second))
			ike.scheduleRekey(true, soft.Sub(now))
		}
	default:
		ike.Log(bus.IKE, bus.Control, "received AUTH_LIFETIME of %ds, reauthentication already scheduled in %ds",
			lifetime, int(ike.stats[StatReauth].Sub(now)/time.Second))
		sendUpdate = false
	}
	ike.stats[StatDelete] = maxTime(hard, now.Add(10*time.Second))
	if sendUpdate {
		ike.tm.QueueAuthLifetime()
		return ike.tm.Initiate()
	}
	return Success
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
