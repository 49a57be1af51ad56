package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEConfig exchanges configuration payloads, ike_config.c. goswan does
// not assign or request virtual IPs yet: a request is answered without
// attributes, which tells the peer that nothing was assigned
// (RFC 7296 §3.15.4 lets a responder return fewer attributes).
type IKEConfig struct {
	ike       *sa.IKESA
	initiator bool
	requested bool
}

// NewIKEConfig creates the task.
func NewIKEConfig(ike *sa.IKESA, initiator bool) *IKEConfig {
	return &IKEConfig{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKEConfig) Type() sa.TaskType { return sa.TaskIKEConfig }

// Migrate implements sa.Task.
func (t *IKEConfig) Migrate(ike *sa.IKESA) { t.ike = ike; t.requested = false }

// Build implements sa.Task.
func (t *IKEConfig) Build(m *encoding.Message) sa.Status {
	if m.Exchange != encoding.ExchangeIKEAuth {
		return sa.NeedMore
	}
	if t.initiator {
		if len(t.ike.PeerCfg().VirtualIPs) > 0 {
			t.ike.Log(bus.IKE, bus.Control, "virtual IPs are not supported yet, not requesting any")
		}
		return sa.NeedMore
	}
	if !t.ike.Has(sa.CondAuthenticated) {
		return sa.NeedMore
	}
	if t.requested {
		t.ike.Log(bus.IKE, bus.Control, "no virtual IP found, sending empty configuration reply")
		m.Add(&encoding.CP{CPType: encoding.CPReply})
	}
	return sa.Success
}

// Process implements sa.Task.
func (t *IKEConfig) Process(m *encoding.Message) sa.Status {
	if m.Exchange != encoding.ExchangeIKEAuth {
		return sa.NeedMore
	}
	if t.initiator {
		if t.ike.Has(sa.CondAuthenticated) {
			return sa.Success
		}
		return sa.NeedMore
	}
	if cp, ok := m.First(encoding.PayloadCP).(*encoding.CP); ok && cp.CPType == encoding.CPRequest {
		t.requested = true
	}
	return sa.NeedMore
}
