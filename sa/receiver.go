package sa

import (
	"bytes"
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/processing"
)

// Incoming is a datagram the receiver accepted: what a process_message
// job is made of.
type Incoming struct {
	Packet
	Header encoding.Header
	// tracked: an IKE_SA_INIT request counted as half open from the
	// moment it was queued (charon's track_init), until its job has
	// created the IKE_SA that replaces the count, or failed to.
	tracked bool
}

// Priority is the process_message job's priority, as charon gives it:
// INFORMATIONAL (liveness checks, deletes) first, IKE_AUTH (signatures,
// possibly blocking backends) last.
func (in *Incoming) Priority() processing.Priority {
	switch in.Header.Exchange {
	case encoding.ExchangeInformational:
		return processing.High
	case encoding.ExchangeIKEAuth:
		return processing.Low
	}
	return processing.Medium
}

// JobLoader is implemented by a job queue that can tell how many jobs wait
// (charon's processor get_job_load, summed over the priorities);
// init_limit_job_load needs it.
type JobLoader interface {
	JobLoad() int
}

// Receive is charon's receiver for one IKE datagram (the non-ESP marker
// already stripped): it parses the header, answers an unsupported major
// version, and applies the DoS protection to IKE_SA_INIT requests — the
// COOKIE challenge, the per-IP and global half-open limits and the job
// load limit — before anything is queued. It runs on the thread that
// reads the socket, so that a flood costs a header parse and a hash per
// packet, not a queued job; an IKE_SA_INIT it lets through is counted as
// half open at once (TrackInit), so the limits see requests still queued.
// It returns the datagram to queue as a process_message job, or false
// for a dropped one.
func (m *Manager) Receive(thread int, p Packet) (*Incoming, bool) {
	h, ok := encoding.ReadHeader(p.Data)
	if !ok {
		if m.logs(bus.NET, bus.Control) {
			m.env.Bus.Log(thread, nil, bus.NET, bus.Control, "received invalid IKE header from %s - ignored", p.Src.Addr())
		}
		return nil, false
	}
	if h.MajorVersion == 1 {
		// charon speaks IKEv1 (config/feature: goswan does not).
		if m.logs(bus.NET, bus.Control) {
			m.env.Bus.Log(thread, nil, bus.NET, bus.Control, "received IKEv1 message from %s, IKEv1 is not supported - ignored",
				p.Src.Addr())
		}
		return nil, false
	}
	if h.MajorVersion != 2 {
		// charon answers first, then says why.
		m.sendInvalidMajorVersion(thread, h, p)
		if m.logs(bus.NET, bus.Control) {
			m.env.Bus.Log(thread, nil, bus.NET, bus.Control,
				"received unsupported IKE version %d.%d from %s, sending INVALID_MAJOR_VERSION",
				h.MajorVersion, h.MinorVersion, p.Src.Addr())
		}
		return nil, false
	}
	tracked := false
	if h.Exchange == encoding.ExchangeIKESAInit && !h.Response() {
		if m.env.Settings.InitiatorOnly || !h.Initiator() || m.dropIKESAInit(thread, h, p) {
			return nil, false
		}
		m.TrackInit(p.Src.Addr())
		tracked = true
	}
	// The datagram may live in the socket's buffer: a queued job keeps a
	// copy.
	p.Data = bytes.Clone(p.Data)
	return &Incoming{Packet: p, Header: h, tracked: tracked}, true
}

// logs reports whether a log line of the group and level would be
// written: the receiver's hot paths ask first, so that a flood formats
// and allocates nothing for lines no one reads.
func (m *Manager) logs(g bus.Group, l bus.Level) bool { return m.env.Bus.Enabled(g, l) }

// TrackInit counts an IKE_SA_INIT request from ip as half open while its
// job waits (charon's track_init); the job's checkout untracks it.
func (m *Manager) TrackInit(ip netip.Addr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.halfOpen++
	m.countResponderLocked(ip, 1)
}

// untrackLocked ends the count TrackInit started for in, once.
func (m *Manager) untrackLocked(in *Incoming) {
	if in == nil || !in.tracked {
		return
	}
	in.tracked = false
	m.halfOpen--
	m.countResponderLocked(in.Src.Addr(), -1)
}

// Untrack ends the count TrackInit started for a datagram whose job never
// runs (a queue that is shut down).
func (m *Manager) Untrack(in *Incoming) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.untrackLocked(in)
}

// jobLoad is the number of jobs waiting in the queue, 0 if it cannot say.
func (m *Manager) jobLoad() int {
	if l, ok := m.q.(JobLoader); ok {
		return l.JobLoad()
	}
	return 0
}

// dropIKESAInit is receiver.c's drop_ike_sa_init: it answers with a COOKIE
// or refuses an IKE_SA_INIT request when too many IKE_SAs are half open or
// too many jobs wait.
func (m *Manager) dropIKESAInit(thread int, h encoding.Header, p Packet) bool {
	s := &m.env.Settings
	src := p.Src.Addr()
	cookieIP, block, cookieAll := int(s.CookieThresholdIP), int(s.BlockThreshold), int(s.CookieThreshold)
	if !s.DOSProtection {
		cookieIP, block, cookieAll = 0, 0, 0
	} else if cookieIP >= block {
		// As charon's receiver: also when both are 0, which leaves a
		// per-IP limit of 1.
		block = cookieIP + 1
	}
	// Each count is read once per packet, as charon caches it.
	all, fromIP := m.HalfOpenResponder(), m.halfOpenFrom(src)
	if m.cookies.challenge(m, thread, h, p, all, fromIP, cookieAll, cookieIP) {
		return true
	}
	if block != 0 && fromIP >= block {
		if m.logs(bus.NET, bus.Control) {
			m.env.Bus.Log(thread, nil, bus.NET, bus.Control,
				"ignoring IKE_SA setup from %s, per-IP half-open IKE_SA limit of %d reached", src, block)
		}
		return true
	}
	if lim := int(s.InitLimitHalfOpen); lim != 0 && all >= lim {
		if m.logs(bus.NET, bus.Control) {
			m.env.Bus.Log(thread, nil, bus.NET, bus.Control,
				"ignoring IKE_SA setup from %s, half-open IKE_SA limit of %d reached", src, lim)
		}
		return true
	}
	if lim := int(s.InitLimitJobLoad); lim != 0 {
		if jobs := m.jobLoad(); jobs > lim {
			if m.logs(bus.NET, bus.Control) {
				m.env.Bus.Log(thread, nil, bus.NET, bus.Control,
					"ignoring IKE_SA setup from %s, job load of %d exceeds limit of %d", src, jobs, lim)
			}
			return true
		}
	}
	return false
}

// sendInvalidMajorVersion answers a message of another major version
// (RFC 7296 §1.5) as charon's receiver does: it builds an IKEv2 response
// with the message's exchange type and ID and INVALID_MAJOR_VERSION, and
// its encoder sends it only where it has message rules for that exchange
// that need no keys: IKE_SA_INIT, INFORMATIONAL (sent in clear) and the
// IKEv1 exchanges ID_PROT, AGGRESSIVE and INFORMATIONAL_V1 (Debian's charon
// is built with IKEv1 and mediation). Where the rules ask for encryption,
// or there are none, charon logs why and sends nothing.
func (m *Manager) sendInvalidMajorVersion(thread int, h encoding.Header, p Packet) {
	rules, encrypted := majorVersionAnswerRules(h.Exchange)
	if !rules {
		if m.logs(bus.ENC, bus.Control) {
			m.env.Bus.Log(thread, nil, bus.ENC, bus.Control, "no message rules specified for this message type")
		}
		return
	}
	if h.Exchange.IsIKEv1() && m.logs(bus.ENC, bus.Control) {
		// An IKEv1 exchange orders IKEv1 notifies; the IKEv2 one has no
		// place and goes last, with charon's complaint.
		m.env.Bus.Log(thread, nil, bus.ENC, bus.Control, "payload NOTIFY has no ordering rule in %s response", h.Exchange)
	}
	if encrypted {
		if m.logs(bus.ENC, bus.Control) {
			m.env.Bus.Log(thread, nil, bus.ENC, bus.Control, "generating %s", notifyAnswerSummary(h, encoding.NotifyInvalidMajorVersion))
			m.env.Bus.Log(thread, nil, bus.ENC, bus.Control, "unable to encrypt payloads without AEAD transform")
		}
		return
	}
	m.sendNotify(thread, h, p, encoding.NotifyInvalidMajorVersion, nil)
}

// majorVersionAnswerRules tells, for an answer in the exchange t, whether
// charon's encoder has message rules for it (message.c message_rules) and
// whether they ask for encryption. INFORMATIONAL and INFORMATIONAL_V1 are
// encrypted but go in clear without keys.
func majorVersionAnswerRules(t encoding.ExchangeType) (rules, encrypted bool) {
	switch t {
	case encoding.ExchangeIKESAInit, encoding.ExchangeInformational, encoding.ExchangeIDProt,
		encoding.ExchangeAggressive, encoding.ExchangeInformationalV1:
		return true, false
	case encoding.ExchangeIKEAuth, encoding.ExchangeCreateChildSA, encoding.ExchangeMEConnect,
		encoding.ExchangeTransaction, encoding.ExchangeQuickMode:
		return true, true
	}
	return false, false
}

// notifyAnswerSummary is the "generating" summary of an answer sendNotify
// builds.
func notifyAnswerSummary(h encoding.Header, t encoding.NotifyType) string {
	msg := encoding.Message{Exchange: h.Exchange, Response: true, MessageID: h.MessageID,
		Payloads: []encoding.Payload{&encoding.Notify{NotifyType: t}}}
	return msg.String()
}

// sendNotify answers a request with a notify outside of any IKE_SA, as
// charon's receiver does (COOKIE, INVALID_MAJOR_VERSION): the SPIs of the
// request with our role flag, unencrypted.
func (m *Manager) sendNotify(thread int, h encoding.Header, p Packet, t encoding.NotifyType, data []byte) {
	b := encoding.AppendNotifyAnswer(nil, h, t, data)
	if m.logs(bus.ENC, bus.Control) {
		m.env.Bus.Log(thread, nil, bus.ENC, bus.Control, "generating %s", notifyAnswerSummary(h, t))
	}
	if m.logs(bus.NET, bus.Control) {
		m.env.Bus.Log(thread, nil, bus.NET, bus.Control, "sending packet: from %s to %s (%d bytes)", FormatHost(p.Dst), FormatHost(p.Src), len(b))
	}
	m.env.Sender.Send(Packet{Data: b, Src: p.Dst, Dst: p.Src})
}
