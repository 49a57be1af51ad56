package tasks

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// midSyncIncrement is added to the next message ID we would send when we
// ask for a sync: a restored state does not know how many requests went
// out after it was saved, and a peer ignores a sync that offers less than
// it expects (RFC 6311 §4.2 asks for such an increment).
const midSyncIncrement = 1000

// IKEMIDSync synchronizes message IDs after a failover (RFC 6311) in an
// INFORMATIONAL with message ID 0 carrying IKEV2_MESSAGE_ID_SYNC: the
// nonce, the next message ID the sender will send (M1) and expects (P1).
//
// The responder is strongSwan's ike_mid_sync.c: it moves its own counters
// forward to cover the sender's and answers with them. strongSwan has no
// initiator (its HA plugin does not use this); goswan's is what a gateway
// restored from a saved state sends to each peer that announced support,
// and it takes the peer's answer as its counters.
type IKEMIDSync struct {
	ike       *sa.IKESA
	initiator bool
	nonce     []byte
	// send and recv are M and P: the next message ID the sender of the
	// notify sends and the one it expects.
	send, recv uint32
}

// NewIKEMIDSync creates the task.
func NewIKEMIDSync(ike *sa.IKESA, initiator bool) *IKEMIDSync {
	return &IKEMIDSync{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKEMIDSync) Type() sa.TaskType { return sa.TaskIKEMIDSync }

// Migrate implements sa.Task.
func (t *IKEMIDSync) Migrate(ike *sa.IKESA) { t.ike, t.nonce = ike, nil }

func midSyncData(nonce []byte, send, recv uint32) []byte {
	b := slices.Clone(nonce)
	b = binary.BigEndian.AppendUint32(b, send)
	return binary.BigEndian.AppendUint32(b, recv)
}

// parseMIDSync reads the notify; false (logged) if it is not 12 bytes.
func (t *IKEMIDSync) parseMIDSync(m *encoding.Message) (nonce []byte, send, recv uint32, ok bool) {
	n := m.Notify(encoding.NotifyIKEv2MessageIDSync)
	if n == nil || len(n.Data) < 12 {
		t.ike.Log(bus.ENC, bus.Control, "received invalid %s notify", encoding.NotifyIKEv2MessageIDSync)
		return nil, 0, 0, false
	}
	return slices.Clone(n.Data[:4]), binary.BigEndian.Uint32(n.Data[4:]), binary.BigEndian.Uint32(n.Data[8:]), true
}

// PreProcess implements sa.PreProcessor: the responder checks the notify
// before anything is changed.
func (t *IKEMIDSync) PreProcess(m *encoding.Message) sa.Status {
	if t.initiator || m.MessageID != 0 {
		// a notify in an INFORMATIONAL with another message ID is ignored
		return sa.Success
	}
	if !t.ike.Supports(sa.ExtIKEMessageIDSync) {
		t.ike.Log(bus.ENC, bus.Control, "unexpected %s notify, ignored", encoding.NotifyIKEv2MessageIDSync)
		return sa.Failed
	}
	nonce, send, recv, ok := t.parseMIDSync(m)
	if !ok {
		return sa.Failed
	}
	if resp := t.ike.TaskManager().MessageID(false); send < resp {
		t.ike.Log(bus.ENC, bus.Control, "ignore %s notify with lower (%d) than expected (%d) sender MID",
			encoding.NotifyIKEv2MessageIDSync, send, resp)
		return sa.Failed
	}
	t.nonce, t.send, t.recv = nonce, send, recv
	return sa.Success
}

// Process implements sa.Task.
func (t *IKEMIDSync) Process(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.processI(m)
	}
	if m.MessageID != 0 {
		return sa.Success
	}
	tm := t.ike.TaskManager()
	resp := tm.MessageID(false)
	m2 := max(t.send, resp)
	if resp != m2 {
		tm.SetMessageID(false, m2)
	}
	init := tm.MessageID(true)
	next := init
	if tm.Busy() {
		next++
	}
	p2 := max(t.recv, next)
	if init != p2 {
		tm.SetMessageID(true, p2)
	}
	t.ike.Log(bus.IKE, bus.Control, "responder requested MID sync: initiating %d[%d], responding %d[%d]", p2, init, m2, resp)
	t.send, t.recv = p2, m2
	return sa.NeedMore
}

// Build implements sa.Task.
func (t *IKEMIDSync) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.buildI(m)
	}
	m.MessageID = 0
	m.AddNotify(encoding.NotifyIKEv2MessageIDSync, midSyncData(t.nonce, t.send, t.recv))
	return sa.Success
}

// buildI asks the peer for its counters, offering ours.
func (t *IKEMIDSync) buildI(m *encoding.Message) sa.Status {
	if !t.ike.Supports(sa.ExtIKEMessageIDSync) {
		t.ike.Log(bus.IKE, bus.Control, "peer does not support %s, not synchronizing message IDs", encoding.NotifyIKEv2MessageIDSync)
		m.Exchange = encoding.ExchangeUndefined
		return sa.Success
	}
	t.nonce = make([]byte, 4)
	if err := t.ike.Env().Read(t.nonce); err != nil {
		return sa.Failed
	}
	tm := t.ike.TaskManager()
	t.send, t.recv = tm.MessageID(true)+midSyncIncrement, tm.MessageID(false)
	m.MessageID = 0
	m.AddNotify(encoding.NotifyIKEv2MessageIDSync, midSyncData(t.nonce, t.send, t.recv))
	return sa.NeedMore
}

// processI takes the peer's answer: what it will send next is what we
// expect, what it expects is what we send next.
func (t *IKEMIDSync) processI(m *encoding.Message) sa.Status {
	nonce, send, recv, ok := t.parseMIDSync(m)
	if !ok || !bytes.Equal(nonce, t.nonce) {
		t.ike.Log(bus.IKE, bus.Control, "%s response does not match our request, closing IKE_SA", encoding.NotifyIKEv2MessageIDSync)
		return sa.Failed
	}
	tm := t.ike.TaskManager()
	t.ike.Log(bus.IKE, bus.Control, "synchronized message IDs: initiating %d[%d], responding %d[%d]",
		recv, t.send, send, t.recv)
	tm.SetMessageID(true, recv)
	tm.SetMessageID(false, send)
	return sa.Success
}
