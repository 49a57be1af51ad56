package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEEstablish sets the IKE_SA ESTABLISHED once IKE_AUTH authenticated
// it, ike_establish.c; it runs after every other IKE task of the exchange.
type IKEEstablish struct {
	ike       *sa.IKESA
	initiator bool
}

// NewIKEEstablish creates the task.
func NewIKEEstablish(ike *sa.IKESA, initiator bool) *IKEEstablish {
	return &IKEEstablish{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKEEstablish) Type() sa.TaskType { return sa.TaskIKEEstablish }

// Migrate implements sa.Task.
func (t *IKEEstablish) Migrate(ike *sa.IKESA) { t.ike = ike }

func (t *IKEEstablish) establish() {
	ike := t.ike
	ike.Log(bus.IKE, bus.Audit, "IKE_SA %s[%d] established between %s[%s]...%s[%s]", ike.Name(), ike.UniqueID(),
		ike.MyHost().Addr(), ike.MyID(), ike.OtherHost().Addr(), ike.OtherID())
	ike.SetState(sa.IKEEstablished)
	ike.Env().Events.IKEUpdown(ike, true)
}

func (t *IKEEstablish) ready(m *encoding.Message) bool {
	return m.Exchange == encoding.ExchangeIKEAuth && t.ike.Has(sa.CondAuthenticated)
}

// Build implements sa.Task.
func (t *IKEEstablish) Build(m *encoding.Message) sa.Status {
	if !t.initiator && t.ready(m) {
		t.establish()
		return sa.Success
	}
	return sa.NeedMore
}

// Process implements sa.Task.
func (t *IKEEstablish) Process(m *encoding.Message) sa.Status {
	if t.initiator && t.ready(m) {
		t.establish()
		return sa.Success
	}
	return sa.NeedMore
}
