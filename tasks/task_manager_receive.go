package tasks

import (
	"crypto/sha1"
	"errors"
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// parseBody decrypts and verifies a message whose decoding gave err; the
// status says what to do when either fails, as task_manager_v2.c
// parse_message.
func (tm *TaskManager) parseBody(m *encoding.Message, err error, src, dst netip.AddrPort) sa.Status {
	if err != nil {
		// The unprotected part was already bad.
	} else if !deriveKeys(&tm.passiveTasks) {
		err = errNoKeys
	} else if m.Encrypted() {
		c := tm.ike.Keymat().Cipher(false)
		if c == nil {
			err = errNoKeys
		} else {
			err = m.Decrypt(c)
		}
	}
	var critical *encoding.UnsupportedCriticalPayloadError
	if err == nil {
		for _, p := range m.Payloads {
			if u, ok := p.(*encoding.Unknown); ok && u.Critical {
				critical = &encoding.UnsupportedCriticalPayloadError{Type: u.PayloadType}
				err = critical
				break
			}
		}
	}
	if err == nil {
		return sa.Success
	}
	status := sa.Failed
	req := m.Request()
	switch {
	case errors.As(err, &critical):
		tm.log(bus.ENC, bus.Control, "payload type %s is not supported, but payload is critical!", critical.Type)
		tm.log(bus.IKE, bus.Control, "critical unknown payloads found")
		if req {
			tm.sendNotifyResponse(m, encoding.NotifyUnsupportedCriticalPayload, []byte{byte(critical.Type)}, src, dst)
			tm.responding.mid++
		}
	case errors.Is(err, errNoKeys):
		tm.log(bus.IKE, bus.Control, "found encrypted message, but no keys available")
		status = sa.DestroyMe
	case errors.Is(err, encoding.ErrIntegrity), errors.Is(err, encoding.ErrNotEncrypted):
		tm.log(bus.IKE, bus.Control, "integrity check failed")
	case errors.Is(err, encoding.ErrInvalid):
		tm.log(bus.ENC, bus.Control, "%v", err)
		tm.log(bus.IKE, bus.Control, "message verification failed")
		if req {
			status = tm.sendInvalidSyntax(m, src, dst)
		}
	default:
		tm.log(bus.ENC, bus.Control, "%v", err)
		tm.log(bus.IKE, bus.Control, "message parsing failed")
		if req {
			status = tm.sendInvalidSyntax(m, src, dst)
		}
	}
	kind := "response"
	if req {
		kind = "request"
	}
	tm.log(bus.IKE, bus.Control, "%s %s with message ID %d processing failed", m.Exchange, kind, m.MessageID)
	tm.ike.Env().Events.Alert(tm.ike, sa.AlertParseErrorBody, m, err)
	switch tm.ike.State() {
	case sa.IKECreated:
		status = sa.DestroyMe
	case sa.IKEConnecting, sa.IKERekeyed:
	default:
		if status == sa.DestroyMe {
			tm.ike.Env().Events.IKEUpdown(tm.ike, false)
		}
	}
	return status
}

var errNoKeys = errors.New("no keys")

// potentialMIDSync reports whether a request with ID 0 may synchronize
// message IDs: an INFORMATIONAL on an established SA whose peer announced
// support.
func (tm *TaskManager) potentialMIDSync(m *encoding.Message) bool {
	return m.Exchange == encoding.ExchangeInformational && tm.ike.State() == sa.IKEEstablished &&
		tm.ike.Supports(sa.ExtIKEMessageIDSync)
}

// isMIDSync reports whether a decrypted message holds only MID and replay
// counter sync notifies.
func isMIDSync(m *encoding.Message) bool {
	found := false
	for _, p := range m.Payloads {
		n, ok := p.(*encoding.Notify)
		if !ok || (n.NotifyType != encoding.NotifyIKEv2MessageIDSync && n.NotifyType != encoding.NotifyIPsecReplayCounterSync) {
			return false
		}
		found = true
	}
	return found
}

// handleFragment feeds a fragment to the reassembler; for a complete
// message it processes the reassembled message.
func (tm *TaskManager) handleFragment(defrag **encoding.Reassembler, m *encoding.Message, raw []byte, src, dst netip.AddrPort) sa.Status {
	f := m.Fragment()
	if f == nil {
		return sa.Success
	}
	tm.log(bus.ENC, bus.Control, "parsed %s", m)
	if *defrag == nil {
		*defrag = encoding.NewReassembler(tm.settings().MaxPacket)
	}
	// To detect retransmissions only the first fragment is hashed.
	if f.Number == 1 && m.Request() && raw != nil {
		tm.responding.hash = sha1.Sum(raw)
	}
	full, err := (*defrag).Add(m)
	switch {
	case errors.Is(err, encoding.ErrFragmentDuplicate):
		// The initiator retransmits all fragments when one got lost.
		tm.log(bus.ENC, bus.Control, "received duplicate fragment #%d", f.Number)
		return sa.NeedMore
	case errors.Is(err, encoding.ErrFragmentStale):
		// charon keeps collecting; ignoring it keeps the newer set intact.
		tm.log(bus.ENC, bus.Diag, "received fragment #%d of %d of an older fragmentation, ignored", f.Number, f.Total)
		return sa.NeedMore
	case err != nil:
		tm.log(bus.ENC, bus.Control, "%v", err)
		*defrag = nil
		return sa.Failed
	case full == nil:
		tm.log(bus.ENC, bus.Control, "received fragment #%d of %d, waiting for complete IKE message", f.Number, f.Total)
		return sa.NeedMore
	}
	*defrag = nil
	tm.log(bus.ENC, bus.Control, "received fragment #%d of %d, reassembled fragmented IKE message (%d bytes)",
		f.Number, f.Total, full.Size())
	status := tm.process(full, nil, nil, src, dst)
	if status == sa.Success {
		status = sa.NeedMore // the last fragment itself needs no more work
	}
	return status
}

// isRetransmit classifies a request by message id.
func (tm *TaskManager) isRetransmit(m *encoding.Message, raw []byte) sa.Status {
	mid := m.MessageID
	if mid == tm.responding.mid {
		return sa.NeedMore
	}
	if mid == tm.responding.mid-1 && len(tm.responding.packets) > 0 {
		if raw != nil && sha1.Sum(raw) == tm.responding.prevHash {
			return sa.AlreadyDone
		}
	}
	return sa.InvalidState
}

// ProcessMessage implements sa.TaskManager: raw is the datagram (for
// retransmission detection), src and dst its addresses.
func (tm *TaskManager) ProcessMessage(m *encoding.Message, decodeErr error, raw []byte, src, dst netip.AddrPort) sa.Status {
	return tm.process(m, decodeErr, raw, src, dst)
}

// process handles a message: a received one, or (raw and decodeErr nil)
// one reassembled from fragments.
func (tm *TaskManager) process(m *encoding.Message, decodeErr error, raw []byte, src, dst netip.AddrPort) sa.Status {
	ike := tm.ike
	ike.SetMessageAddrs(src, dst)
	ike.SetMessageRaw(raw)
	if s, done := tm.admit(m, decodeErr, raw, src, dst); done {
		return s
	}
	halfOpenTimer := false
	if ike.IKECfg() == nil {
		if !tm.selectIKECfg(m, src, dst) {
			return sa.DestroyMe
		}
		halfOpenTimer = true
	}
	receive := tm.receiveResponse
	if m.Request() {
		receive = tm.receiveRequest
	}
	if s := receive(m, raw, src, dst); s != sa.Success {
		return s
	}
	if halfOpenTimer {
		ike.ScheduleHalfOpenTimeout()
	}
	return sa.Success
}

// admit checks a message's id (answering a retransmitted request with the
// response we sent) and decrypts and verifies it; done says the message
// needs nothing more, with the status to return.
func (tm *TaskManager) admit(m *encoding.Message, decodeErr error, raw []byte, src, dst netip.AddrPort) (s sa.Status, done bool) {
	ike := tm.ike
	mid := m.MessageID
	var expected *uint32
	status := sa.Success
	if m.Request() {
		switch tm.isRetransmit(m, raw) {
		case sa.AlreadyDone:
			tm.log(bus.IKE, bus.Control, "received retransmit of request with ID %d, retransmitting response", mid)
			ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
			ike.Env().Events.Alert(ike, sa.AlertRetransmitReceive, m)
			tm.sendPackets(tm.responding.packets, dst, src)
			return sa.Success, true
		case sa.InvalidState:
			if mid != 0 || !tm.potentialMIDSync(m) {
				expected = &tm.responding.mid
				break
			}
			// message ID 0 may be a MID sync (RFC 6311)
			if status = tm.parseBody(m, decodeErr, src, dst); status == sa.Success && !isMIDSync(m) {
				expected = &tm.responding.mid
			}
		case sa.NeedMore:
			status = tm.parseBody(m, decodeErr, src, dst)
		}
	} else {
		if mid == tm.initiating.mid {
			status = tm.parseBody(m, decodeErr, src, dst)
		} else {
			expected = &tm.initiating.mid
		}
	}
	if expected != nil {
		tm.log(bus.IKE, bus.Control, "received message ID %d, expected %d, ignored", mid, *expected)
		return sa.Success, true
	}
	return status, status != sa.Success
}

// selectIKECfg finds the IKE config for the first message of a responder
// SA; false if there is none (NO_PROPOSAL_CHOSEN is sent).
func (tm *TaskManager) selectIKECfg(m *encoding.Message, src, dst netip.AddrPort) bool {
	tm.log(bus.CFG, bus.Diag, "looking for an IKEv2 config for %s...%s", dst.Addr(), src.Addr())
	cfg, prio := tm.ike.Env().Backends.IKECfg(dst.Addr(), src.Addr(), config.IKEv2)
	if cfg == nil {
		tm.log(bus.IKE, bus.Control, "no IKE config found for %s...%s, sending %s",
			dst.Addr(), src.Addr(), encoding.NotifyNoProposalChosen)
		explainRefused(tm.log, tm.ike.Env().Backends, dst.Addr(), src.Addr())
		tm.sendNotifyResponse(m, encoding.NotifyNoProposalChosen, nil, src, dst)
		return false
	}
	tm.log(bus.CFG, bus.Diag, "found matching ike config: %s...%s with prio %d", cfg.Local, cfg.Remote, prio)
	tm.ike.SetIKECfg(cfg)
	return true
}

// receiveRequest processes a request whose id is the expected one:
// addresses updated, fragments collected, the tasks run and the response
// sent. Success also when a request waits for more (the passive tasks
// are kept).
func (tm *TaskManager) receiveRequest(m *encoding.Message, raw []byte, src, dst netip.AddrPort) sa.Status {
	ike := tm.ike
	if tm.rejectRequest(m) {
		return sa.Failed
	}
	flags := 0
	if m.MessageID == 1 {
		flags = sa.UpdateHostsForceAddrs
	}
	tm.followHosts(src, dst, flags)
	if s := tm.reassemble(&tm.responding.defrag, m, raw, src, dst); s != sa.Success {
		return s
	}
	if raw != nil {
		tm.responding.hash = sha1.Sum(raw)
	}
	tm.ike.Env().Events.Message(tm.ike, m, true, true)
	tm.log(bus.ENC, bus.Control, "parsed %s", m)
	switch tm.processRequest(m, src, dst) {
	case sa.Success:
		ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
		tm.responding.mid++
		tm.responding.prevHash = tm.responding.hash
	case sa.NeedMore:
	default:
		tm.Flush()
		return sa.DestroyMe
	}
	return sa.Success
}

// receiveResponse processes the response to our request.
func (tm *TaskManager) receiveResponse(m *encoding.Message, raw []byte, src, dst netip.AddrPort) sa.Status {
	ike := tm.ike
	if ike.State() == sa.IKECreated || ike.State() == sa.IKEConnecting || m.Exchange != encoding.ExchangeIKESAInit {
		flags := 0
		if m.MessageID == 0 {
			flags = sa.UpdateHostsForceLocal
		}
		tm.followHosts(src, dst, flags)
	}
	if s := tm.reassemble(&tm.initiating.defrag, m, raw, src, dst); s != sa.Success {
		return s
	}
	tm.ike.Env().Events.Message(tm.ike, m, true, true)
	tm.log(bus.ENC, bus.Control, "parsed %s", m)
	if tm.processResponse(m) != sa.Success {
		tm.Flush()
		return sa.DestroyMe
	}
	ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
	return sa.Success
}

// followHosts applies a message's addresses to the IKE_SA, unless MOBIKE
// moves it instead.
func (tm *TaskManager) followHosts(src, dst netip.AddrPort, flags int) {
	if !tm.ike.Supports(sa.ExtMOBIKE) {
		tm.ike.UpdateHosts(dst, src, flags)
	}
}

// reassemble is handleFragment counting a fragment that waits for the
// others as inbound traffic.
func (tm *TaskManager) reassemble(defrag **encoding.Reassembler, m *encoding.Message, raw []byte, src, dst netip.AddrPort) sa.Status {
	s := tm.handleFragment(defrag, m, raw, src, dst)
	if s == sa.NeedMore {
		tm.ike.SetStatistic(sa.StatInbound, tm.ike.Env().Clock.Now())
	}
	return s
}
