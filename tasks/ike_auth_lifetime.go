package tasks

import (
	"encoding/binary"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEAuthLifetime sends and applies AUTH_LIFETIME notifies (RFC 4478),
// ike_auth_lifetime.c: a responder that cannot reauthenticate itself tells
// the initiator when to do it.
type IKEAuthLifetime struct{ ikeTask }

// NewIKEAuthLifetime creates the task.
func NewIKEAuthLifetime(ike *sa.IKESA, initiator bool) *IKEAuthLifetime {
	return &IKEAuthLifetime{ikeTask{ike: ike, initiator: initiator}}
}

// Type implements sa.Task.
func (t *IKEAuthLifetime) Type() sa.TaskType { return sa.TaskIKEAuthLifetime }

func (t *IKEAuthLifetime) add(m *encoding.Message) {
	reauth := t.ike.Statistic(sa.StatReauth)
	if reauth.IsZero() {
		return
	}
	left := max(0, reauth.Sub(t.ike.Env().Clock.Now())/time.Second)
	m.AddNotify(encoding.NotifyAuthLifetime, binary.BigEndian.AppendUint32(nil, uint32(left)))
}

func (t *IKEAuthLifetime) apply(m *encoding.Message) {
	if n := m.Notify(encoding.NotifyAuthLifetime); n != nil && len(n.Data) >= 4 {
		t.ike.SetAuthLifetime(binary.BigEndian.Uint32(n.Data))
	}
}

// Build implements sa.Task.
func (t *IKEAuthLifetime) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		if m.Exchange == encoding.ExchangeInformational {
			t.add(m)
			return sa.Success
		}
		return sa.NeedMore
	}
	if m.Exchange == encoding.ExchangeIKEAuth && t.ike.Has(sa.CondAuthenticated) {
		if !t.ike.CanReauthenticate() {
			t.add(m)
		}
		return sa.Success
	}
	return sa.NeedMore
}

// Process implements sa.Task.
func (t *IKEAuthLifetime) Process(m *encoding.Message) sa.Status {
	if t.initiator {
		if m.Exchange == encoding.ExchangeIKEAuth && t.ike.Has(sa.CondAuthenticated) {
			t.apply(m)
			return sa.Success
		}
		return sa.NeedMore
	}
	if m.Exchange == encoding.ExchangeInformational {
		t.apply(m)
		return sa.Success
	}
	return sa.NeedMore
}
